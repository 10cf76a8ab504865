"""Issue #17 item 5: the 新建培训任务 form says its scope and head count, refuses units with the wrong audience,
clears itself after 创建, and asks before a second campaign of the same title in the same year."""

from tests.ui.conftest import run_page
from training_app.services import campaigns


def _titles(env):
    return [c.title for c in campaigns.list_campaigns(env["app"], env["coordinator"])]


def test_units_with_the_default_audience_are_refused(ui_env):
    at = run_page(ui_env, ui_env["coordinator"], "campaigns")
    assert at.multiselect(key="new_units").disabled  # units can be picked only for the audience 指定单位
    at.session_state["new_units"] = [ui_env["units"][0]]
    at.run()
    assert any("参训对象不是“指定单位”" in e.value for e in at.error)
    assert at.button(key="new_create").disabled  # a browser user cannot click it


def test_preview_then_create_clears_the_form_and_a_duplicate_asks_first(ui_env):
    at = run_page(ui_env, ui_env["coordinator"], "campaigns")
    assert any("发布后将纳入 4 人" in i.value and "全区" in i.value for i in at.info)
    at.selectbox(key="new_audience").set_value("units").run()
    at.multiselect(key="new_units").set_value([ui_env["units"][0]]).run()
    assert any("区市场监督管理局" in i.value and "发布后将纳入 1 人" in i.value for i in at.info)
    at.text_input(key="new_title").input("市场监管专项考试").run()
    at.button(key="new_create").click().run()
    assert not at.exception
    assert _titles(ui_env).count("市场监管专项考试") == 1
    assert at.text_input(key="new_title").value != "市场监管专项考试"  # the form is clear again
    assert at.multiselect(key="new_units").value == []

    at.text_input(key="new_title").input("市场监管专项考试").run()
    assert any("已有同名培训任务" in w.value for w in at.warning)
    assert at.button(key="new_create").disabled
    at.checkbox(key="new_dup_ok").check().run()
    at.selectbox(key="new_audience").set_value("units").run()
    at.multiselect(key="new_units").set_value([ui_env["units"][0]]).run()
    at.button(key="new_create").click().run()
    assert _titles(ui_env).count("市场监管专项考试") == 2
