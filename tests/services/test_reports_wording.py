"""Issue #17: the coordinator's outputs are right and read like the bureau's own.

Figures are checked against values worked out by hand: 476 eligible, 435 took part, 311 passed →
参考率 435/476 = 91.386…% → 91.4%; 合格率 311/435 = 71.494…% → 71.5%; 311/476 = 65.336…% → 65.3%.
"""

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from tests.services.test_dashboard import _take
from tests.support.factory import district, make_campaign
from training_app.services import dashboard, reports, roster
from training_app.services.figures import mean, one_decimal, pct_text, rate, score_text
from training_app.store.db import write_session
from training_app.store.models import StudyTime

REPO = Path(__file__).resolve().parents[2]


def _report(**over):
    r = {
        "title": "2026年度行政执法人员法律知识考试",
        "scope": "全区",
        "audience": "all_valid",
        "year": 2026,
        "eligible": 476,
        "completed": 435,
        "passed": 311,
        "completion_rate": rate(435, 476),
        "pass_rate": rate(311, 435),
        "pass_rate_of_eligible": rate(311, 476),
        "average_score": mean(131.1, 2),
        "lagging_units": [],
        "weakest_laws": [{"law": "国家赔偿法"}, {"law": "行政诉讼法"}],
    }
    r.update(over)
    return r


def test_one_rounding_rule_half_up():
    assert rate(435, 476) == 0.914 and rate(311, 435) == 0.715 and rate(311, 476) == 0.653
    assert rate(1, 8) == 0.125 and pct_text(rate(1, 8)) == "12.5%"
    assert rate(1, 0) is None and pct_text(None) == "—" and score_text(None) == "—"
    assert mean(131.1, 2) == 65.6  # 65.55: half up, where float formatting gives 65.5
    assert one_decimal(65.55) == 65.6 and one_decimal(72.25) == 72.3 and score_text(65.6) == "65.6"
    assert f"{65.55:.1f}" == "65.5"  # the old rule, for the record


def test_paragraph_defines_each_rate_and_omits_the_book_comma():
    text = reports.paragraph(_report())
    assert "组织全区476名应参训人员参加“2026年度行政执法人员法律知识考试”" in text
    assert "实际参考435人，参考率91.4%（参考人数占应参训人数的比例）" in text
    assert "合格311人，合格率71.5%（合格人数占参考人数的比例），占应参训人数的65.3%" in text
    assert "平均分65.6分" in text
    assert "《国家赔偿法》《行政诉讼法》" in text and "》、《" not in text


def test_paragraph_writes_nothing_where_there_is_no_figure():
    text = reports.paragraph(
        _report(
            completed=0,
            passed=0,
            completion_rate=0.0,
            pass_rate=None,
            pass_rate_of_eligible=0.0,
            average_score=None,
            weakest_laws=[],
        )
    )
    assert "—" not in text and "平均分" not in text and "合格率" not in text and "None" not in text
    assert "尚无人完成考试" in text


def test_one_unit_campaign_names_its_unit_and_deactivated_people_do_not_count(app):
    units, coord, officers, cid = district(app, n_officers=6)
    one = make_campaign(app, coord, audience="units", units=(units[0],))
    r = reports.campaign_report(app, coord, one)
    assert r["eligible"] == 2
    assert "组织区市场监督管理局2名应参训人员" in r["paragraph"] and "全区" not in r["paragraph"]
    assert "组织全区6名应参训人员" in reports.campaign_report(app, coord, cid)["paragraph"]

    _take(app, officers[0], cid, set(range(1, 19)))  # 100, passes
    roster.deactivate_person(app, coord, officers[5].id)  # never started: leaves the roster
    s = dashboard.summary(app, coord, cid)
    assert (s["eligible"], s["completed"], s["passed"], s["not_started"]) == (5, 1, 1, 4)
    assert s["completion_rate"] == 0.2 and s["pass_rate"] == 1.0 and s["pass_rate_of_eligible"] == 0.2
    assert sum(u["eligible"] for u in dashboard.units_table(app, coord, cid)) == 5
    assert officers[5].account not in {p["account"] for p in dashboard.people(app, coord, cid)}


def test_year_paragraph_sums_the_campaigns_and_the_study_hours(app):
    units, coord, officers, cid = district(app, n_officers=6)
    second = make_campaign(app, coord, audience="units", units=(units[0],))
    _take(app, officers[0], cid, set(range(1, 19)))  # passes the first
    _take(app, officers[1], cid, set())  # fails the first
    year = dashboard.summary(app, coord, cid)["year"]
    with write_session(app.engine) as s:  # hand-worked hours: 61 h and 10 h among 6 learners
        s.add(StudyTime(person_id=officers[0].id, day=date(year, 3, 1), kind="reading", seconds=61 * 3600))
        s.add(StudyTime(person_id=officers[1].id, day=date(year, 3, 1), kind="practice", seconds=10 * 3600))
    r = reports.year_report(app, coord, year)
    assert [c["campaign_id"] for c in r["campaigns"]] == [cid, second]
    assert (r["eligible"], r["completed"], r["passed"]) == (8, 2, 1)
    text = r["paragraph"]
    assert f"{year}年，全区共组织2项法律知识培训考试（“测试考试”“测试考试”），应参训8人次" in text
    assert "实际参考2人次，参考率25.0%（参考人次数占应参训人次数的比例）" in text
    assert "合格1人次，合格率50.0%" in text
    assert "全区6名在册执法人员和领导干部全年学法共71.0学时，人均11.8学时" in text
    assert "年度学时要求为60学时，达到要求1人，占16.7%" in text


def test_supervision_csv_is_the_screen_list_and_names_its_scope(app):
    units, coord, officers, cid = district(app, n_officers=6)
    _take(app, officers[0], cid, set())  # finished, failed
    screen = reports.supervision_frame(app, coord, cid, "not_started")
    name, data = reports.supervision_csv(app, coord, cid, "not_started")
    rows = data.decode("utf-8-sig").splitlines()
    assert rows[0] == "单位,姓名,账号,手机,状态" and len(rows) - 1 == len(screen) == 5
    assert "未参考" in name and name.endswith("_5人.csv")
    name, data = reports.supervision_csv(app, coord, cid, "not_passed", unit_id=units[1])
    assert "未合格" in name and "区城市管理行政执法局" in name
    assert len(data.decode("utf-8-sig").splitlines()) - 1 == len(
        reports.supervision_frame(app, coord, cid, "not_passed", units[1])
    )


def test_workbook_numbers_are_numbers_and_empty_sheets_have_headers(app):
    units, coord, officers, cid = district(app, n_officers=6)
    _take(app, officers[0], cid, set(range(1, 19)))
    _take(app, officers[1], cid, {1, 2, 3})
    wb = openpyxl.load_workbook(io.BytesIO(reports.campaign_workbook(app, coord, cid)))
    flags = wb["诚信提示"]
    assert [c.value for c in flags[1]] == ["类型", "姓名", "账号", "单位", "关联人员", "状态", "依据"]
    summary = {row[0].value: row[1] for row in wb["汇总"].iter_rows(min_row=2)}
    cell = summary["参考率（参考÷应参训）"]
    assert cell.value == pytest.approx(0.333) and cell.number_format == "0.0%"
    rep = reports.campaign_report(app, coord, cid)
    avg = summary["平均分（参考人员）"]
    assert avg.value == rep["average_score"] and f"平均分{score_text(avg.value)}分" in rep["paragraph"]
    header = [c.value for c in wb["按单位"][1]]
    col = header.index("合格率") + 1
    rates = [wb["按单位"].cell(row=r, column=col) for r in range(2, wb["按单位"].max_row + 1)]
    assert rates and all(
        isinstance(c.value, (int, float)) and c.number_format == "0.0%" for c in rates if c.value is not None
    )
    json.dumps(rep)  # the JSON the CLI prints carries the same rounded figures


def test_cli_report_year(app, tmp_path):
    units, coord, officers, cid = district(app, n_officers=3)
    year = dashboard.summary(app, coord, cid)["year"]
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": str(app.engine.url.render_as_string(hide_password=False)),
        "DEMO_MODE": "1",
        "QUESTION_BANK_DIR": str(app.settings.question_bank_dir),
        "PYTHONPATH": str(REPO),
    }
    if not env["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the CLI run is checked on SQLite")
    r = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "report", "--year", str(year), "--json"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["year"] == year and rep["eligible"] == 3 and rep["paragraph"].startswith(f"{year}年，全区共组织1项")
    plain = subprocess.run(
        [sys.executable, "-m", "training_app.cli", "report", "--year", str(year)],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert plain.returncode == 0 and plain.stdout.strip() == rep["paragraph"]
