"""Issue #17 item 4: the dashboards open on the largest open campaign of officers (not the newest one, e.g. the
leaders' test), and keep the coordinator's choice from page to page."""

from tests.support.factory import make_campaign
from tests.ui.conftest import run_page
from training_app.services import campaigns, dashboard
from training_app.store.db import write_session
from training_app.store.models import Campaign


def _titled(app, cid, title):
    """Distinct titles: AppTest finds a selectbox option by its label."""
    with write_session(app.engine) as s:
        c = s.get(Campaign, cid)
        c.title = title
        s.add(c)
    return cid


def test_default_is_the_largest_open_officers_campaign(ui_env):
    app, coord = ui_env["app"], ui_env["coordinator"]
    leaders = _titled(app, make_campaign(app, coord, audience="leaders"), "领导干部测试")  # newer, the leaders' own
    small = _titled(app, make_campaign(app, coord, audience="units", units=(ui_env["units"][0],)), "单位专项考试")
    items = [c for c in campaigns.list_campaigns(app, coord) if c.status != "draft"]
    assert items[0].id in (leaders, small)  # the newest comes first in the list
    assert dashboard.default_campaign(app, coord, items) == ui_env["campaign"]

    at = run_page(ui_env, coord, "dashboard")
    assert at.selectbox(key="campaign_id").value == ui_env["campaign"]
    at.selectbox(key="campaign_id").set_value(small).run()
    assert at.selectbox(key="campaign_id").value == small
    at.switch_page("app_pages/reports.py")
    at.run()
    assert at.selectbox(key="campaign_id").value == small  # remembered across pages


def test_a_campaign_in_the_address_is_opened(ui_env):
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import APP_FILE, login_token

    app, coord = ui_env["app"], ui_env["coordinator"]
    small = make_campaign(app, coord, audience="units", units=(ui_env["units"][0],))
    at = AppTest.from_file(APP_FILE, default_timeout=60)
    at.session_state["token"] = login_token(ui_env, coord)
    at.query_params["campaign"] = str(small)
    at.run()
    assert at.title[0].value == "完成情况" and at.selectbox(key="campaign_id").value == small


def test_an_empty_supervision_list_says_so_in_chinese(ui_env, monkeypatch):
    """督办清单 with nobody in it: "（无）", not an empty table (Streamlit draws the English word "empty" in it)."""
    import pandas as pd

    from training_app.services import reports

    coord = ui_env["coordinator"]
    at = run_page(ui_env, coord, "dashboard", dash_tab="督办清单")
    assert len(at.dataframe) == 1  # the 督办清单 tab alone is drawn, its list not empty
    monkeypatch.setattr(reports, "supervision_frame", lambda *a, **k: pd.DataFrame(columns=["单位", "姓名"]))
    at.radio(key="todo_scope").set_value("未合格").run()
    assert not at.exception
    assert "（无）" in [c.value for c in at.caption] and len(at.dataframe) == 0


def test_only_the_open_tab_is_drawn(ui_env):
    """A run of 完成情况 draws the headline and the open tab only: the unit table by default; the 督办清单 and the
    charts (one chart at a time) when their tab is opened."""
    coord = ui_env["coordinator"]
    at = run_page(ui_env, coord, "dashboard")
    assert not at.exception
    assert [m.label for m in at.metric] == ["应参训", "已完成", "完成率", "合格", "合格率", "平均分"]
    assert len(at.dataframe) == 1 and at.selectbox(key="campaign_id") is not None
    assert not at.get("vega_lite_chart") and not [r for r in at.radio if r.key == "todo_scope"]
    todo = run_page(ui_env, coord, "dashboard", dash_tab="督办清单")
    assert len(todo.dataframe) == 1 and todo.radio(key="todo_scope").value == "未参考"
    charts = run_page(ui_env, coord, "dashboard", dash_tab="图表")
    assert not charts.exception and len(charts.dataframe) == 0
    # the heat map's tab is open; nobody has answered yet, so it says so instead of drawing an empty chart
    assert not charts.get("vega_lite_chart") and "还没有作答记录。" in [c.value for c in charts.caption]
    other = run_page(ui_env, coord, "dashboard", dash_tab="图表", dash_chart="成绩分布")
    assert len(other.get("vega_lite_chart")) == 1


def test_the_supervision_list_is_read_afresh_with_its_csv(ui_env, monkeypatch):
    """The 督办清单 is kept per campaign version (a start or a hand-in shows at once); a change the version does not
    see (the roster) shows within a minute, and at once when the CSV is made: the table then is the CSV."""

    from training_app.services import reports

    coord = ui_env["coordinator"]
    at = run_page(ui_env, coord, "dashboard", dash_tab="督办清单")
    rows = len(at.dataframe[0].value)
    assert rows == 4  # nobody has started
    calls = []
    real = reports.supervision_frame

    def fewer(*a, **k):  # as if a roster change had taken one out
        calls.append(1)
        return real(*a, **k).iloc[1:]

    monkeypatch.setattr(reports, "supervision_frame", fewer)
    at.run()
    assert len(at.dataframe[0].value) == rows and not calls  # kept: the version did not change
    at.button(key="make_csv").click().run()
    assert not at.exception
    assert len(at.dataframe[0].value) == rows - 1  # read afresh with the CSV
    _, name, data = at.session_state["_todo_csv"]
    assert name.endswith("3人.csv") and len(data.decode("utf-8-sig").strip().splitlines()) == 1 + rows - 1
