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
    at = run_page(ui_env, coord, "dashboard")
    assert len(at.dataframe) == 2  # the unit table and a non-empty 督办清单
    monkeypatch.setattr(reports, "supervision_frame", lambda *a, **k: pd.DataFrame(columns=["单位", "姓名"]))
    at.radio(key="todo_scope").set_value("未合格").run()
    assert not at.exception
    assert "（无）" in [c.value for c in at.caption] and len(at.dataframe) == 1
