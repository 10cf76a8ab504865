"""The malformed roster files in tests/data/bad: each is refused with its message and writes nothing.

The table in tests/data/bad/README.md is the list: file, the rows the error must name, and a fragment of the
message. A refused import is compared against a dump of every table taken just before it; the database
also has an active officer, so a half-done import (which would deactivate people) would show.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.reliability._dump import dump_all
from tests.support.factory import make_person, make_units
from training_app.services import roster
from training_app.store.db import read_session
from training_app.store.models import Person, Unit

BAD = Path(__file__).resolve().parent.parent / "data" / "bad"
UNITS = ("区市场监督管理局", "区城市管理行政执法局", "河西街道")
ROW = re.compile(r"^\| `([^`]+)` \| ([\d, ]+) \| (.+?) \|$")


def _table() -> dict[str, tuple[set[int], str]]:
    if not (BAD / "README.md").is_file():
        raise FileNotFoundError(
            f"{BAD}/README.md is missing: the corpus must be committed (a .gitignore rule "
            "`data/` also matches tests/data/; anchor it as `/data/`)"
        )
    out = {}
    for line in (BAD / "README.md").read_text(encoding="utf-8").splitlines():
        m = ROW.match(line.strip())
        if m:
            out[m[1]] = ({int(x) for x in m[2].split(",")}, m[3].strip())
    return out


TABLE = _table()


@pytest.fixture
def bad_app(app):
    units = make_units(app, UNITS)
    coordinator = make_person(app, "coord", role="coordinator", unit_id=units[0], name="管理员")
    make_person(app, "LN2500001", unit_id=units[1], name="在册人员")  # would be deactivated by any import
    return app, coordinator


def _refused(app, coordinator, data: bytes, filename: str, rows: set[int], fragment: str) -> None:
    before = dump_all(app.engine)
    with pytest.raises(roster.RosterError) as info:
        roster.import_roster(app, coordinator, data, filename)
    problems = info.value.problems
    assert {r for r, _ in problems} == rows, problems
    for _, message in problems:
        assert fragment in message, (fragment, problems)
    assert str(info.value).startswith("名册未导入：")
    assert dump_all(app.engine) == before, f"{filename}: a refused import wrote something"
    with pytest.raises(roster.RosterError):  # the preview refuses it too
        roster.preview(app, coordinator, data, filename)


def test_the_readme_lists_every_file_and_nothing_else():
    on_disk = {p.name for p in BAD.iterdir() if p.name not in ("README.md", "make_files.py")}
    assert set(TABLE) | {"gbk_valid.csv"} == on_disk
    assert len(TABLE) >= 19


@pytest.mark.parametrize("name", sorted(TABLE))
def test_bad_file_is_refused_with_its_message(bad_app, name):
    app, coordinator = bad_app
    rows, fragment = TABLE[name]
    _refused(app, coordinator, (BAD / name).read_bytes(), name, rows, fragment)


def test_gbk_roster_imports_with_names_intact(bad_app):
    app, coordinator = bad_app
    data = (BAD / "gbk_valid.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really not UTF-8
    plan = roster.preview(app, coordinator, data, "gbk_valid.csv")
    assert plan.encoding == "GBK" and len(plan.add) == 4
    result = roster.import_roster(app, coordinator, data, "gbk_valid.csv", mode="replace", confirm_deactivate=1)
    assert (result.added, result.deactivated) == (4, 1)
    expected = {
        "LN2600001": ("张三", "区市场监督管理局", "有效", "2024-03-15", False),
        "LN2600002": ("李四", "区城市管理行政执法局", "有效", "2023-07-01", False),
        "LN2600003": ("王喆", "河西街道", "注销", "2019-05-20", True),
        "LN2600004": ("欧阳娜娜", "河西街道", "过期", "2018-12-01", False),
    }
    with read_session(app.engine) as s:
        units = {u.id: u.name for u in s.query(Unit)}
        people = {p.cert_no: p for p in s.query(Person).filter(Person.cert_no.in_(expected))}
        old = s.query(Person).filter_by(account="LN2500001").one()
    got = {
        c: (p.name, units[p.unit_id], p.cert_status, p.cert_date.isoformat(), p.is_leader) for c, p in people.items()
    }
    assert got == expected
    assert sorted(c["姓名"] for c in result.credentials) == sorted(v[0] for v in expected.values())
    assert not old.active  # "replace": not on the new roster, so deactivated, not deleted


# --- generated: too big to commit ----------------------------------------------------------------

HEADER = "姓名,执法证号,单位,证件状态,发证日期,职务,是否领导干部\r\n"


def _row(i: int) -> str:
    return f"执法员{i},LN{i:07d},区市场监督管理局,有效,2024-03-15,科员,否\r\n"


def test_file_over_the_upload_limit_is_refused(bad_app):
    app, coordinator = bad_app
    limit = app.settings.upload_max_mb * 1024 * 1024
    body = (HEADER + "".join(_row(i) for i in range(1, limit // 50))).encode("utf-8")
    assert len(body) > limit + 1
    _refused(app, coordinator, body[: limit + 1], "huge.csv", {0}, "文件过大")
    # exactly at the limit the size is accepted (and the file then fails on its row count instead)
    with pytest.raises(roster.RosterError) as info:
        roster.import_roster(app, coordinator, body[:limit], "huge.csv")
    assert "文件过大" not in str(info.value) and "行数超过上限" in str(info.value)


def test_file_over_the_row_limit_is_refused(bad_app):
    app, coordinator = bad_app
    data = (HEADER + "".join(_row(i) for i in range(1, roster.MAX_ROWS + 2))).encode("utf-8")
    assert len(data) < app.settings.upload_max_mb * 1024 * 1024
    _refused(app, coordinator, data, "many.csv", {0}, f"行数超过上限 {roster.MAX_ROWS}")


def _with_nul_past_4kb(old: str, new: str) -> bytes:
    """A 199-row roster where row 151 (officer 150) gets a NUL byte, well past the 4 KB binary sniff."""
    text = HEADER + "".join(_row(i) for i in range(1, 200))
    data = text.encode("utf-8").replace(old.encode("utf-8"), new.encode("utf-8"), 1)
    assert b"\x00" not in data[:4096] and b"\x00" in data
    return data


def test_nul_byte_in_a_certificate_number_past_4kb_is_refused_at_its_row(bad_app):
    app, coordinator = bad_app
    data = _with_nul_past_4kb("LN0000150", "LN00\x00150")
    _refused(app, coordinator, data, "nul.csv", {151}, "执法证号")


def test_nul_byte_in_a_name_past_4kb_is_refused_at_its_row(bad_app):
    app, coordinator = bad_app
    data = _with_nul_past_4kb("执法员150,", "执法员\x00150,")
    _refused(app, coordinator, data, "nul.csv", {151}, "姓名")
