"""Excel and CSV exports: .xlsx through openpyxl, CSV as utf-8-sig, formula injection neutralised."""

from __future__ import annotations

import io
import re

import pandas as pd

from ..textsafe import FORMULA_START as _FORMULA_START  # noqa: F401 - re-exported
from ..textsafe import neutralize

_PHONE = re.compile(r"^(\d{3})\d{4}(\d{4})$")


def neutralize_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralize)
    out.columns = [neutralize(str(c)) for c in out.columns]
    return out


def mask_phone(phone: str | None) -> str:
    """138****0001; anything not shaped like a mobile number is masked but its last four digits."""
    if not phone:
        return ""
    m = _PHONE.match(phone.strip())
    if m:
        return f"{m[1]}****{m[2]}"
    return "*" * max(0, len(phone) - 4) + phone[-4:]


def workbook_bytes(sheets: dict[str, pd.DataFrame], formats: dict[str, dict] | None = None) -> bytes:
    """One sheet per frame, with its header row even when it has no rows. Numbers stay numbers: `formats` gives,
    per sheet, an Excel number format for a whole column ({"合格率": "0.0%"}) or for one cell of a column
    ({("数值", 4): "0.0%"}, the row counted from 0 in the frame)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            neutralize_frame(df).to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            cols = list(df.columns)
            for key, fmt in (formats or {}).get(name, {}).items():
                col, row = key if isinstance(key, tuple) else (key, None)
                if col not in cols:
                    continue
                rows = range(len(df)) if row is None else [row]
                for r in rows:
                    cell = ws.cell(row=r + 2, column=cols.index(col) + 1)
                    if isinstance(cell.value, (int, float)):
                        cell.number_format = fmt
            for i, col in enumerate(df.columns, start=1):
                width = (
                    max([len(str(col))] + [len(str(v)) for v in df[col].head(200).tolist()])
                    if len(df)
                    else len(str(col))
                )
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, max(8, width * 1.6))
    return buf.getvalue()


def csv_bytes(df: pd.DataFrame) -> bytes:
    return neutralize_frame(df).to_csv(index=False).encode("utf-8-sig")
