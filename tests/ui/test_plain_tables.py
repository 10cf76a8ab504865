"""Issue #17 item 8, the tables: the grids are drawn on a canvas (not in the page's text), so their cells are
checked here: no None or NaN in any table of the coordinator's pages, 角色 in Chinese, "—" for no value."""

import pytest

from tests.ui.conftest import run_page
from tests.ui.test_staff_pages import _with_results


def _cells(at):
    for frame in at.dataframe:
        df = frame.value
        yield df, [str(v) for row in df.itertuples(index=False) for v in row]


@pytest.mark.parametrize("page", ["dashboard", "items", "roster", "integrity", "reports"])
def test_no_none_or_nan_in_any_table(ui_env, page):
    _with_results(ui_env)
    at = run_page(ui_env, ui_env["coordinator"], page)
    assert not at.exception, at.exception
    for df, cells in _cells(at):
        assert not df.isna().any().any(), df
        assert not {"None", "nan", "NaN", "NaT"} & set(cells), df


def test_roles_in_chinese_and_dash_for_no_value(ui_env):
    _with_results(ui_env)
    at = run_page(ui_env, ui_env["admin"], "roster")
    people = next(df for df, _ in _cells(at) if "角色" in df.columns)
    assert set(people["角色"]) <= {"执法人员", "领导干部", "培训管理员", "系统管理员"} and "执法人员" in set(
        people["角色"]
    )
    items = run_page(ui_env, ui_env["coordinator"], "items")
    table = next(df for df, _ in _cells(items) if "区分度" in df.columns)
    assert "—" in set(table["区分度"])  # two answers are too few for a discrimination index


def test_integrity_evidence_tables_read_in_chinese(ui_env):
    import json

    from sqlalchemy import select

    from training_app.store.db import read_session, write_session
    from training_app.store.models import Attempt, IntegrityFlag

    _with_results(ui_env)
    with read_session(ui_env["app"].engine) as s:
        a, b = [x.id for x in s.execute(select(Attempt).order_by(Attempt.id)).scalars()][:2]
    at_iso = "2026-11-03T01:02:03+00:00"
    with write_session(ui_env["app"].engine) as s:
        s.add(
            IntegrityFlag(
                campaign_id=ui_env["campaign"],
                attempt_id=a,
                kind="multi_browser",
                evidence=json.dumps(
                    {"clients": 2, "switches": 3, "timeline": [{"at": at_iso, "slot": 1, "client": "abcd1234"}]}
                ),
            )
        )
        s.add(
            IntegrityFlag(
                campaign_id=ui_env["campaign"],
                attempt_id=a,
                kind="copy",
                other_attempt_id=b,
                evidence=json.dumps(
                    {
                        "common": 10,
                        "identical": 9,
                        "identical_wrong": 4,
                        "started": [at_iso, at_iso],
                        "answers": [
                            {"question": "q1", "a": "B", "b": "B", "correct": False, "a_at": at_iso, "b_at": at_iso}
                        ],
                    }
                ),
            )
        )
    at = run_page(ui_env, ui_env["coordinator"], "integrity")
    assert not at.exception, at.exception
    frames = [df for df, _ in _cells(at)]
    assert any(list(df.columns) == ["保存时间", "题号（序号）", "浏览器会话"] for df in frames)
    copy = next(df for df in frames if "答卷一" in df.columns)
    assert copy.iloc[0]["是否正确"] == "错误" and copy.iloc[0]["答卷一时间"] == "2026-11-03 09:02:03"
    for _df, cells in _cells(at):
        assert not {"None", "nan", "NaN", "True", "False"} & set(cells)
