"""Text from users, the roster and the bank is never interpreted as Markdown or HTML: a campaign title, a unit
name and a person's name full of markup go through every page that shows them, and every Markdown-rendering
element carries them escaped (the raw markup never reaches the renderer)."""

from datetime import timedelta

from tests.ui.conftest import run_page
from training_app.engine.deadlines import utcnow
from training_app.services import campaigns, exams, integrity
from training_app.services.campaigns import CampaignInput
from training_app.store.db import write_session
from training_app.store.models import Person, Unit

EVIL = "**粗体** [链接](https://evil.example/x) <b>加粗</b> # 标题"
RAW = ("**粗体**", "[链接](https://evil.example/x)", "<b>加粗</b>")


def _markdown_strings(at) -> list[str]:
    """Every string that Streamlit renders as Markdown on the page: bodies and labels of every element except
    the plain-text ones (dataframes, code, text, and the options of select boxes)."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if kind not in ("dataframe", "code", "text", "arrow_data_frame", "json"):
            plain_value = kind in (
                "text_area",
                "text_input",
                "number_input",
                "selectbox",
                "multiselect",
                "date_input",
                "time_input",
            )  # what the widget holds is shown as plain text
            for attr in ("label",) if plain_value else ("value", "label", "body"):
                v = getattr(node, attr, None)
                if isinstance(v, str):
                    out.append(v)
            if kind in ("radio",) and proto is not None:
                out.extend(getattr(proto, "options", []))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def _assert_escaped(at, where: str) -> None:
    assert not at.exception, (where, at.exception)
    shown = [s for s in _markdown_strings(at) if "粗体" in s or "加粗" in s or "链接" in s]
    for s in shown:
        for raw in RAW:
            assert raw not in s, f"{where}: markup reached the renderer unescaped: {s!r}"
    return shown


def test_markup_in_titles_and_names_is_shown_as_text_everywhere(ui_env):
    app, coord, officer = ui_env["app"], ui_env["coordinator"], ui_env["officers"][0]
    now = utcnow()
    cid = campaigns.create_campaign(
        app,
        coord,
        CampaignInput(
            title=EVIL,
            blueprint_id="small_exam",
            audience="all_valid",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=3),
        ),
    )
    campaigns.publish(app, coord, cid)
    with write_session(app.engine) as s:
        s.get(Unit, officer.unit_id).name = "区局" + EVIL[:20]
        s.get(Person, officer.id).name = "王" + EVIL[:12]
    aid = exams.start_attempt(app, officer, cid).attempt_id
    exams.save_answer(app, officer, aid, 1, "A")

    seen = []
    at = run_page(ui_env, officer)  # 我的学习: the campaign card and the "continue" banner
    seen += _assert_escaped(at, "home")
    at = run_page(ui_env, officer, "exam", attempt_id=aid)
    seen += _assert_escaped(at, "exam")
    exams.submit_attempt(app, officer, aid)
    at = run_page(ui_env, officer, "results")
    _assert_escaped(at, "results")
    integrity.scan(app, coord, cid)
    for page in ("campaigns", "dashboard", "roster", "integrity", "reports", "items"):
        at = run_page(ui_env, coord, page)
        seen += _assert_escaped(at, page)
    at = run_page(ui_env, ui_env["admin"], "audit")
    _assert_escaped(at, "audit")
    # the title really was shown (escaped) on the pages that show it
    assert any("\\*\\*粗体\\*\\*" in s for s in seen)
