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
    assert set(people["角色"]) <= {"执法人员", "领导干部", "培训管理员", "系统管理员"} and "执法人员" in set(people["角色"])
    items = run_page(ui_env, ui_env["coordinator"], "items")
    table = next(df for df, _ in _cells(items) if "区分度" in df.columns)
    assert "—" in set(table["区分度"])  # two answers are too few for a discrimination index
