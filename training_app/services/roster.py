"""Roster import (.xlsx or .csv): preview first, then all or nothing.

A file with any bad row imports nothing and lists every bad row with its row number and reason.
An import adds and updates people by 执法证号 (mode "merge", the default) and never loses their history.
Deactivating the people missing from the file is a separate, explicit mode ("replace"): above
REPLACE_CONFIRM_SHARE of the active officers in scope it needs the number typed back. Every import records
the previous state of each person it touched, so it can be undone from 人员名册. New accounts get random
initial passwords, returned once.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from ..engine import deadlines
from ..store import accounts as acc
from ..store import audit
from ..store import campaigns as cq
from ..store import roster_imports as riq
from ..store.db import read_session, write_session
from ..store.models import Person, RosterImport, Unit
from ..vocab import CERT_STATUSES
from . import auth
from .common import Actor, App, NotFound, PermissionDenied, ServiceError, require
from .exports import mask_phone

REQUIRED = ("姓名", "执法证号", "单位", "证件状态", "发证日期", "职务", "是否领导干部")
OPTIONAL = ("手机",)
YES = {"是", "Y", "y", "YES", "yes", "1", "true", "TRUE", "True", "√"}
NO = {"否", "N", "n", "NO", "no", "0", "false", "FALSE", "False", ""}
CERT_RE = re.compile(r"^[A-Za-z0-9-]{4,32}$")
PHONE_RE = re.compile(r"^1\d{10}$")
MAX_ROWS = 20000
MODES = ("merge", "replace")
MODE_LABELS = {"merge": "新增和更新（不停用任何人）", "replace": "以本名册为准，停用名册外人员"}
REPLACE_CONFIRM_SHARE = 0.05  # replacing deactivates more than this share of active officers: type the number
PATH_CHARS = re.compile(r"[/\\]|\.\.")  # a name must never become a path (archives, download names)
SNAPSHOT_FIELDS = ("name", "unit_id", "cert_status", "cert_date", "title", "is_leader", "phone", "active")
MAX_LEN = {
    "姓名": 50,
    "执法证号": 32,
    "单位": 100,
    "证件状态": 10,
    "发证日期": 20,
    "职务": 100,
    "是否领导干部": 10,
    "手机": 20,
}  # the columns' sizes in the database


TITLE_PLACEHOLDERS = ("-", "—", "——")  # a 职务 left as a dash: accepted and stored as empty
UNIT_PREFIXES = ("广西壮族自治区", "柳州市", "柳南区")
UNIT_SUFFIXES = ("办事处",)
TOWN_MARKS = ("镇", "乡", "街道", "办事处")


def normalize_unit_name(name: str) -> str:
    """A unit name without the parts people add or leave out: 柳州市/柳南区 (and a leading 区), 办事处, spaces."""
    n = re.sub(r"\s+", "", name or "")
    changed = True
    while changed:
        changed = False
        for prefix in UNIT_PREFIXES:
            if n.startswith(prefix) and len(n) > len(prefix):
                n, changed = n[len(prefix) :], True
    if n.startswith("区") and len(n) > 1:
        n = n[1:]
    for suffix in UNIT_SUFFIXES:
        if n.endswith(suffix) and len(n) > len(suffix):
            n = n[: -len(suffix)]
    return n


def closest_unit(name: str, known: list[str]) -> str | None:
    """The known unit the name most likely means (same name once normalised, else a close spelling), or None."""
    norm = normalize_unit_name(name)
    by_norm = {normalize_unit_name(k): k for k in known}
    if norm in by_norm and by_norm[norm] != name:
        return by_norm[norm]
    hit = difflib.get_close_matches(norm, list(by_norm), n=1, cutoff=0.75)
    return by_norm[hit[0]] if hit and by_norm[hit[0]] != name else None


def guess_unit_kind(name: str) -> str:
    """镇/乡/街道/办事处 → town (镇（街道）); anything else an enforcement unit (editable before creating)."""
    return "town" if any(mark in name for mark in TOWN_MARKS) else "enforcement"


class RosterError(ServiceError):
    """The file cannot be imported; `problems` lists (row number or 0 for the file, reason)."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__(
            "名册未导入："
            + "；".join(f"第 {r} 行：{m}" if r else m for r, m in problems[:5])
            + (f"……共 {len(problems)} 处问题" if len(problems) > 5 else "")
        )

    def report(self) -> list[str]:
        return [f"第 {r} 行：{m}" if r else m for r, m in self.problems]


@dataclass
class RosterRow:
    row: int
    name: str
    cert_no: str
    unit: str
    status: str
    cert_date: date
    title: str
    is_leader: bool
    phone: str | None


@dataclass
class ImportPlan:
    encoding: str
    rows: list[RosterRow]
    add: list[RosterRow] = field(default_factory=list)
    change: list[tuple[RosterRow, list[str]]] = field(default_factory=list)
    deactivate: list[tuple[str, str, str]] = field(default_factory=list)  # (cert, name, unit)
    new_units: list[str] = field(default_factory=list)
    new_unit_kinds: dict[str, str] = field(default_factory=dict)  # guessed from the name
    unit_suggestions: dict[str, str] = field(default_factory=dict)  # unknown name → the closest known unit
    unchanged: int = 0
    mode: str = "merge"
    active_officers: int = 0  # active officers in the actor's scope before the import
    missing: int = 0  # active officers in scope not in the file (deactivated only in "replace" mode)

    @property
    def needs_typed_confirmation(self) -> bool:
        """Replacing would deactivate more than REPLACE_CONFIRM_SHARE of the active officers."""
        return len(self.deactivate) > REPLACE_CONFIRM_SHARE * max(self.active_officers, 1)


@dataclass
class ImportResult:
    added: int
    changed: int
    deactivated: int
    units_created: int
    assigned: int
    credentials: list[dict]  # account, name, unit, initial password: shown once, never stored
    import_id: int | None = None


# --- reading the file ----------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if b"\x00" in data[:4096]:
        raise RosterError([(0, "文件不是文本格式的 CSV（可能是其他类型的文件改了扩展名）")])
    for enc, label in (("utf-8-sig", "UTF-8"), ("gb18030", "GBK")):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return text, label
    raise RosterError([(0, "无法识别文件编码：请另存为 UTF-8 编码的 CSV 或 .xlsx 文件")])


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_table(data: bytes, filename: str, *, max_bytes: int) -> tuple[list[str], list[list[str]], str]:
    """(header, rows, encoding) from .xlsx or .csv; the type is checked by content, not by name."""
    if not data:
        raise RosterError([(0, "文件为空")])
    if len(data) > max_bytes:
        raise RosterError([(0, f"文件过大（{len(data) / 1e6:.1f} MB），上限 {max_bytes / 1e6:.0f} MB")])
    name = filename.lower()
    is_zip = data[:4] == b"PK\x03\x04"
    if name.endswith((".xlsx", ".xlsm")) or is_zip:
        if not is_zip:
            raise RosterError([(0, "文件扩展名是 .xlsx，但内容不是 Excel 文件")])
        try:
            import openpyxl

            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "xl/workbook.xml" not in z.namelist():
                    raise RosterError([(0, "压缩文件不是 Excel 工作簿")])
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        except RosterError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged workbook of any kind
            raise RosterError([(0, f"Excel 文件已损坏或无法读取（{type(exc).__name__}）")]) from None
        ws = wb.worksheets[0]
        rows_iter = ws.iter_rows(values_only=True)
        try:
            header = [_cell(v) for v in next(rows_iter)]
        except StopIteration:
            raise RosterError([(0, "工作表为空")]) from None
        rows = []
        for r in rows_iter:
            rows.append([_cell(v) for v in r])
            if len(rows) > MAX_ROWS:
                raise RosterError([(0, f"行数超过上限 {MAX_ROWS}")])
        wb.close()
        return header, rows, "xlsx"
    if not name.endswith((".csv", ".txt")):
        raise RosterError([(0, "只支持 .xlsx 或 .csv 文件")])
    text, enc = _decode(data)
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise RosterError([(0, "文件为空")]) from None
    except csv.Error as exc:
        raise RosterError([(0, f"CSV 格式错误：{exc}")]) from None
    rows = []
    try:
        for r in reader:
            rows.append([c.strip() for c in r])
            if len(rows) > MAX_ROWS:
                raise RosterError([(0, f"行数超过上限 {MAX_ROWS}")])
    except csv.Error as exc:
        raise RosterError([(0, f"CSV 格式错误（第 {reader.line_num} 行）：{exc}")]) from None
    return header, rows, enc


def _parse_date(text: str) -> date | None:
    text = text.strip()
    for pat in (
        r"(\d{4})-(\d{1,2})-(\d{1,2})",
        r"(\d{4})/(\d{1,2})/(\d{1,2})",
        r"(\d{4})\.(\d{1,2})\.(\d{1,2})",
        r"(\d{4})年(\d{1,2})月(\d{1,2})日?",
    ):
        m = re.fullmatch(pat, text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None


def parse_roster(data: bytes, filename: str, *, max_bytes: int = 5 * 1024 * 1024) -> tuple[list[RosterRow], str]:
    """Every row checked; RosterError lists every bad row (row numbers as Excel shows them: header is row 1)."""
    header, raw_rows, encoding = read_table(data, filename, max_bytes=max_bytes)
    problems: list[tuple[int, str]] = []
    seen_headers: dict[str, int] = {}
    for i, h in enumerate(header):
        if h in seen_headers and h:
            problems.append((1, f"表头“{h}”重复出现"))
        seen_headers.setdefault(h, i)
    missing = [h for h in REQUIRED if h not in seen_headers]
    if missing:
        problems.append((1, "缺少列：" + "、".join(missing) + "（需要：" + "、".join(REQUIRED) + "，可选：手机）"))
    if problems:
        raise RosterError(problems)
    col = {h: seen_headers[h] for h in (*REQUIRED, *OPTIONAL) if h in seen_headers}
    rows: list[RosterRow] = []
    certs: dict[str, int] = {}
    for n, raw in enumerate(raw_rows, start=2):
        if not any(c for c in raw):
            continue  # blank line
        reasons = []
        values = {h: raw[i].strip() if i < len(raw) else "" for h, i in col.items()}
        for h, v in values.items():
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
                reasons.append(f"“{h}”含有不可见的控制字符")
            elif h == "职务" and v in TITLE_PLACEHOLDERS:
                values[h] = ""  # a placeholder dash, not a formula
            elif v[:1] in ("=", "+", "@") or (v[:1] == "-" and h != "手机"):
                reasons.append(f"“{h}”含公式或以特殊符号开头（{v[:20]}）")
            elif h in ("姓名", "单位") and PATH_CHARS.search(v):
                reasons.append(f"“{h}”含有路径字符（/ \\ 或 ..）：{v[:20]}")
            elif len(v) > MAX_LEN.get(h, 100):
                reasons.append(f"“{h}”过长（最多 {MAX_LEN.get(h, 100)} 个字符）")
        name, cert, unit, status = values["姓名"], values["执法证号"], values["单位"], values["证件状态"]
        if not name:
            reasons.append("姓名为空")
        if not cert:
            reasons.append("执法证号为空")
        elif not CERT_RE.match(cert):
            reasons.append(f"执法证号“{cert[:32]}”格式不正确（只能含字母、数字和连字符）")
        elif cert in certs:
            reasons.append(f"执法证号 {cert} 与第 {certs[cert]} 行重复")
        else:
            certs[cert] = n
        if not unit:
            reasons.append("单位为空")
        if status not in CERT_STATUSES:
            reasons.append(f"证件状态“{status}”不正确（应为 有效/注销/过期）")
        d = _parse_date(values["发证日期"])
        if d is None:
            reasons.append(f"发证日期“{values['发证日期']}”不是有效日期（如 2024-03-15）")
        leader = values["是否领导干部"]
        if leader not in YES and leader not in NO:
            reasons.append(f"是否领导干部“{leader}”应为 是/否")
        phone = values.get("手机", "")
        if phone and not PHONE_RE.match(phone):
            reasons.append(f"手机号“{phone[:20]}”不是 11 位手机号")
        if reasons:
            problems.append((n, "；".join(reasons)))
            continue
        rows.append(RosterRow(n, name, cert, unit, status, d, values["职务"], leader in YES, phone or None))
    if problems:
        raise RosterError(problems)
    if not rows:
        raise RosterError([(0, "名册中没有数据行")])
    return rows, encoding


# --- planning and applying -----------------------------------------------------------------------


def _plan(
    session, actor: Actor, rows: list[RosterRow], encoding: str, create_units: bool, mode: str = "merge"
) -> ImportPlan:
    if mode not in MODES:
        raise ServiceError("导入方式不正确")
    units = {u.name: u for u in acc.units(session)}
    problems = []
    new_units = sorted({r.unit for r in rows if r.unit not in units})
    suggestions = {n: hit for n in new_units if (hit := closest_unit(n, list(units)))}
    if new_units and not create_units:
        for r in rows:
            if r.unit not in units:
                near = suggestions.get(r.unit)
                problems.append(
                    (
                        r.row,
                        f"单位“{r.unit}”不存在"
                        + (f"，是否为已有的“{near}”？请改为该名称" if near else "")
                        + "（或先在单位管理中添加，或勾选“自动创建新单位”）",
                    )
                )
    if actor.scope_unit_id is not None:
        for r in rows:
            u = units.get(r.unit)
            if u is None or u.id != actor.scope_unit_id:
                problems.append((r.row, f"单位“{r.unit}”不在您的管理范围内"))
    existing = {p.cert_no: p for p in acc.people_with_cert_no(session)}
    for r in rows:
        p = existing.get(r.cert_no)
        if p is not None and p.role not in ("officer", "leader"):
            problems.append((r.row, f"执法证号 {r.cert_no} 已被管理员账号使用"))
        clash = acc.person_by_account(session, r.cert_no)
        if p is None and clash is not None:
            problems.append((r.row, f"账号 {r.cert_no} 已被其他人员使用"))
    if problems:
        raise RosterError(sorted(problems))
    plan = ImportPlan(
        encoding=encoding,
        rows=rows,
        new_units=new_units,
        mode=mode,
        new_unit_kinds={n: guess_unit_kind(n) for n in new_units},
        unit_suggestions=suggestions,
    )
    in_file = set()
    for r in rows:
        in_file.add(r.cert_no)
        p = existing.get(r.cert_no)
        if p is None:
            plan.add.append(r)
            continue
        unit = units.get(r.unit)
        diffs = []
        if p.name != r.name:
            diffs.append(f"姓名 {p.name}→{r.name}")
        if unit is None or p.unit_id != unit.id:
            old = next((u.name for u in units.values() if u.id == p.unit_id), "无")
            diffs.append(f"单位 {old}→{r.unit}")
        if p.cert_status != r.status:
            diffs.append(f"证件状态 {p.cert_status}→{r.status}")
        if p.cert_date != r.cert_date:
            diffs.append(f"发证日期 {p.cert_date or '（空）'}→{r.cert_date}")
        if (p.title or "") != r.title:
            diffs.append(f"职务 {p.title or '（空）'}→{r.title or '（空）'}")
        if p.is_leader != r.is_leader:
            diffs.append(f"领导干部 {'是' if p.is_leader else '否'}→{'是' if r.is_leader else '否'}")
        if (p.phone or None) != r.phone:
            diffs.append(f"手机 {mask_phone(p.phone) or '（空）'}→{mask_phone(r.phone) or '（空）'}")
        if not p.active:
            diffs.append("重新启用")
        if diffs:
            plan.change.append((r, diffs))
        else:
            plan.unchanged += 1
    unit_names = {u.id: u.name for u in units.values()}
    missing = []
    for cert, p in existing.items():
        if not p.active or p.role != "officer":
            continue
        if actor.scope_unit_id is not None and p.unit_id != actor.scope_unit_id:
            continue
        plan.active_officers += 1
        if cert not in in_file:
            missing.append((cert, p.name, unit_names.get(p.unit_id, "")))
    plan.missing = len(missing)
    if mode == "replace":
        plan.deactivate = missing
    return plan


def preview(
    app: App, actor: Actor, data: bytes, filename: str, *, create_units: bool = False, mode: str = "merge"
) -> ImportPlan:
    """What an import would add, change and deactivate; writes nothing."""
    require(actor, "coordinator", "admin")
    rows, encoding = parse_roster(data, filename, max_bytes=app.settings.upload_max_mb * 1024 * 1024)
    with read_session(app.engine) as s:
        return _plan(s, actor, rows, encoding, create_units, mode)


def _snapshot(p: Person) -> dict:
    snap = {f: getattr(p, f) for f in SNAPSHOT_FIELDS}
    snap["cert_date"] = p.cert_date.isoformat() if p.cert_date else None
    return snap


def import_roster(
    app: App,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    create_units: bool = False,
    mode: str = "merge",
    confirm_deactivate: int | None = None,
    now: datetime | None = None,
    unit_kinds: dict[str, str] | None = None,
) -> ImportResult:
    """All or nothing, in one transaction. ``mode="replace"`` also deactivates the officers in scope who are
    not in the file; when that is more than REPLACE_CONFIRM_SHARE of them, ``confirm_deactivate`` must be
    exactly the number deactivated (the coordinator types it)."""
    require(actor, "coordinator", "admin")
    now = now or deadlines.utcnow()
    rows, encoding = parse_roster(data, filename, max_bytes=app.settings.upload_max_mb * 1024 * 1024)
    credentials = []
    changes: list[dict] = []
    with write_session(app.engine) as s:
        plan = _plan(s, actor, rows, encoding, create_units, mode)
        if plan.needs_typed_confirmation and confirm_deactivate != len(plan.deactivate):
            raise ServiceError(
                f"本次将停用 {len(plan.deactivate)} 人（占在册执法人员 {plan.active_officers} 人的 "
                f"{len(plan.deactivate) / max(plan.active_officers, 1):.0%}）：请输入停用人数 "
                f"{len(plan.deactivate)} 以确认。未导入任何数据。"
            )
        for name in plan.new_units:
            kind = (unit_kinds or {}).get(name) or plan.new_unit_kinds[name]
            if kind not in ("enforcement", "town"):
                raise ServiceError(f"单位“{name}”的类型不正确")
            s.add(Unit(name=name, kind=kind))
        s.flush()
        units = {u.name: u.id for u in acc.units(s)}
        added_people = []
        for r in plan.add:
            pw = auth.random_password()
            person = Person(
                account=r.cert_no,
                name=r.name,
                role="officer",
                unit_id=units[r.unit],
                cert_no=r.cert_no,
                cert_status=r.status,
                cert_date=r.cert_date,
                title=r.title,
                is_leader=r.is_leader,
                phone=r.phone,
                password_hash=auth.hash_initial_password(pw),
                must_change_password=True,
                password_changed_at=now,
            )
            s.add(person)
            added_people.append(person)
            credentials.append({"账号": r.cert_no, "姓名": r.name, "单位": r.unit, "初始密码": pw})
        s.flush()
        changes += [{"person_id": p.id, "before": None} for p in added_people]
        for r, _diffs in plan.change:
            p = acc.person_by_cert(s, r.cert_no)
            changes.append({"person_id": p.id, "before": _snapshot(p)})
            moved = p.unit_id != units[r.unit]
            p.name, p.unit_id, p.cert_status, p.cert_date = r.name, units[r.unit], r.status, r.cert_date
            p.title, p.is_leader, p.phone, p.active, p.updated_at = r.title, r.is_leader, r.phone, True, now
            s.add(p)
            if moved:
                cq.sync_assignment_units(s, p.id, p.unit_id)
        for cert, _name, _unit in plan.deactivate:
            p = acc.person_by_cert(s, cert)
            changes.append({"person_id": p.id, "before": _snapshot(p)})
            p.active, p.updated_at = False, now
            s.add(p)
            acc.end_sessions_of(s, p.id, now, "deactivated")
        s.flush()
        assigned = 0
        for c in cq.campaigns(s, status="published"):
            if deadlines.as_utc(c.closes_at) > now:
                people = cq.eligible_people(s, c)
                if actor.scope_unit_id is not None:
                    people = [(pid, uid) for pid, uid in people if uid == actor.scope_unit_id]
                assigned += cq.add_assignments(s, c.id, people)
        record = RosterImport(
            at=now,
            actor_id=actor.id or None,
            actor=actor.account,
            filename=filename[:200],
            mode=mode,
            added=len(plan.add),
            changed=len(plan.change),
            deactivated=len(plan.deactivate),
            units_created=len(plan.new_units),
            changes=json.dumps(changes, ensure_ascii=False, default=str),
        )
        s.add(record)
        s.flush()
        audit.append(
            s,
            "roster_import",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"roster_import:{record.id}",
            detail={
                "file": filename[:200],
                "mode": mode,
                "added": len(plan.add),
                "changed": len(plan.change),
                "deactivated": len(plan.deactivate),
                "units_created": len(plan.new_units),
                "encoding": encoding,
            },
        )
        import_id = record.id
    return ImportResult(
        len(plan.add), len(plan.change), len(plan.deactivate), len(plan.new_units), assigned, credentials, import_id
    )


@dataclass
class ImportRecord:
    id: int
    at: datetime
    actor: str
    filename: str
    mode: str
    added: int
    changed: int
    deactivated: int
    undone_at: datetime | None
    can_undo: bool
    why_not: str


def list_imports(app: App, actor: Actor, *, limit: int = 50) -> list[ImportRecord]:
    """Recent imports (a scoped coordinator sees the imports of their scope), newest first, with whether each
    can still be undone."""
    require(actor, "coordinator", "admin")
    with read_session(app.engine) as s:
        rows = riq.recent_imports(s, limit=limit)
        unit_of = {p.id: p.unit_id for p in acc.people(s)}
    out = []
    for i, r in enumerate(rows):
        touched = {c["person_id"] for c in json.loads(r.changes)}
        if actor.scope_unit_id is not None and any(unit_of.get(pid) != actor.scope_unit_id for pid in touched):
            continue
        why = ""
        if r.undone_at is not None:
            why = "已撤销"
        else:
            later = next(
                (
                    x
                    for x in rows[:i]
                    if x.undone_at is None and touched & {c["person_id"] for c in json.loads(x.changes)}
                ),
                None,
            )
            if later is not None:
                why = f"之后的导入（#{later.id}）改动了同一批人员，请先撤销该次导入"
        out.append(
            ImportRecord(
                r.id,
                deadlines.as_utc(r.at),
                r.actor,
                r.filename,
                r.mode,
                r.added,
                r.changed,
                r.deactivated,
                deadlines.as_utc(r.undone_at) if r.undone_at else None,
                not why,
                why,
            )
        )
    return out


def undo_import(app: App, actor: Actor, import_id: int, *, now: datetime | None = None) -> int:
    """Restore the previous state of every person the import touched: people it added are deactivated,
    people it changed or deactivated get their earlier fields back. Audited. Returns how many were restored."""
    require(actor, "coordinator", "admin")
    now = now or deadlines.utcnow()
    with write_session(app.engine) as s:
        record = s.get(RosterImport, import_id)
        if record is None:
            raise NotFound("导入记录不存在")
        if record.undone_at is not None:
            raise ServiceError("这次导入已经撤销过了")
        changes = json.loads(record.changes)
        touched = {c["person_id"] for c in changes}
        for later in riq.imports_after(s, import_id):
            if later.undone_at is None and touched & {c["person_id"] for c in json.loads(later.changes)}:
                raise ServiceError(f"之后的导入（#{later.id}，{later.filename}）改动了同一批人员，请先撤销该次导入")
        for c in changes:
            p = s.get(Person, c["person_id"])
            if p is None:
                continue
            if not actor.can_see_unit(p.unit_id) or (c["before"] and not actor.can_see_unit(c["before"]["unit_id"])):
                raise PermissionDenied("这次导入涉及您管理范围以外的人员，无权撤销")
        for c in changes:
            p = s.get(Person, c["person_id"])
            if p is None:
                continue
            before = c["before"]
            if before is None:
                p.active = False
                acc.end_sessions_of(s, p.id, now, "deactivated")
            else:
                moved = p.unit_id != before["unit_id"]
                for f in SNAPSHOT_FIELDS:
                    value = before[f]
                    if f == "cert_date" and value:
                        value = date.fromisoformat(value)
                    setattr(p, f, value)
                if moved:
                    cq.sync_assignment_units(s, p.id, p.unit_id)
                if not p.active:
                    acc.end_sessions_of(s, p.id, now, "deactivated")
            p.updated_at = now
            s.add(p)
        record.undone_at, record.undone_by = now, actor.id or None
        s.add(record)
        audit.append(
            s,
            "roster_undo",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"roster_import:{import_id}",
            detail={"file": record.filename, "restored": len(changes)},
        )
        return len(changes)


def template_csv() -> bytes:
    """A blank roster with the expected columns (UTF-8 with BOM for Excel)."""
    return (
        "\ufeff"
        + ",".join((*REQUIRED, *OPTIONAL))
        + "\n"
        + "张三,LN2600001,区市场监督管理局,有效,2024-03-15,科员,否,13800000001\n"
    ).encode("utf-8")


# --- people and units ----------------------------------------------------------------------------


def list_people(
    app: App, actor: Actor, *, unit_id: int | None = None, search: str | None = None, include_inactive: bool = False
) -> list[dict]:
    require(actor, "coordinator", "admin")
    if actor.scope_unit_id is not None:
        if unit_id is not None and unit_id != actor.scope_unit_id:
            raise PermissionDenied("无权查看该单位的人员")
        unit_id = actor.scope_unit_id
    with read_session(app.engine) as s:
        units = {u.id: u.name for u in acc.units(s)}
        people = acc.people(s, unit_id=unit_id, search=search, active=None if include_inactive else True)
    locked = auth.locked_accounts(app, [p.account for p in people])
    out = []
    for p in people:
        if p.role in ("coordinator", "admin") and actor.role != "admin":
            continue
        out.append(
            {
                "id": p.id,
                "账号": p.account,
                "姓名": p.name,
                "角色": p.role,
                "单位": units.get(p.unit_id, ""),
                "证件状态": p.cert_status or "",
                "发证日期": p.cert_date,
                "职务": p.title or "",
                "领导干部": "是" if p.is_leader else "否",
                "手机": p.phone if actor.role == "admin" else mask_phone(p.phone),
                "状态": "在册" if p.active else "已停用",
                "锁定": p.account.lower() in locked,
            }
        )
    return out


def list_units(app: App, actor: Actor) -> list[Unit]:
    require(actor, "coordinator", "admin")
    with read_session(app.engine) as s:
        units = acc.units(s)
    if actor.scope_unit_id is not None:
        units = [u for u in units if u.id == actor.scope_unit_id]
    return units


def add_unit(app: App, actor: Actor, name: str, kind: str) -> int:
    require(actor, "admin", "coordinator")
    if actor.scope_unit_id is not None:
        raise PermissionDenied("单位管理员不能新增单位")
    name = name.strip()
    if not name or len(name) > 100:
        raise ServiceError("请填写单位名称（100 字以内）")
    if PATH_CHARS.search(name) or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ServiceError("单位名称不能含有路径字符（/ \\ 或 ..）或控制字符")
    if kind not in ("enforcement", "town"):
        raise ServiceError("单位类型不正确")
    with write_session(app.engine) as s:
        if acc.unit_by_name(s, name):
            raise ServiceError(f"单位“{name}”已存在")
        u = Unit(name=name, kind=kind)
        s.add(u)
        s.flush()
        audit.append(
            s, "unit_create", actor_id=actor.id, actor=actor.account, obj=f"unit:{u.id}", detail={"name": name}
        )
        return u.id


def deactivate_person(app: App, actor: Actor, person_id: int) -> None:
    require(actor, "coordinator", "admin")
    now = deadlines.utcnow()
    with write_session(app.engine) as s:
        p = s.get(Person, person_id)
        if (
            p is None
            or not actor.can_see_unit(p.unit_id)
            or (p.role in ("coordinator", "admin") and actor.role != "admin")
        ):
            raise PermissionDenied("无权停用该账号")
        p.active, p.updated_at = False, now
        s.add(p)
        acc.end_sessions_of(s, p.id, now, "deactivated")
        audit.append(s, "person_deactivate", actor_id=actor.id, actor=actor.account, obj=f"person:{p.id}")
