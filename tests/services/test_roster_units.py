"""Issue #17 item 6: unit names that nearly match a known unit are reported with its name, new units get a
type guessed from the name (editable), and a 职务 of "-" is a placeholder, not a formula."""

import pytest
from sqlalchemy import select

from tests.support.factory import make_person, make_units
from training_app.services import roster
from training_app.services.roster import (
    RosterError,
    closest_unit,
    guess_unit_kind,
    normalize_unit_name,
)
from training_app.store.db import read_session
from training_app.store.models import Person, Unit

HEADER = "姓名,执法证号,单位,证件状态,发证日期,职务,是否领导干部\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8")


def test_normalisation_and_closest_name():
    known = ["区市场监督管理局", "南环街道", "太阳村镇"]
    assert (
        normalize_unit_name("柳州市柳南区市场监督管理局") == normalize_unit_name("区市场监督管理局") == "市场监督管理局"
    )
    assert closest_unit("柳南区市场监督管理局", known) == "区市场监督管理局"
    assert closest_unit("南环街道办事处", known) == "南环街道"
    assert closest_unit("区市场监管局", known) is None or closest_unit("区市场监管局", known) == "区市场监督管理局"
    assert closest_unit("区审计局", known) is None
    assert guess_unit_kind("南环街道办事处") == "town" and guess_unit_kind("太阳村镇") == "town"
    assert guess_unit_kind("区审计局") == "enforcement"


def test_near_match_is_reported_with_the_known_name(app):
    make_units(app, ("区市场监督管理局", "南环街道"))
    admin = make_person(app, "admin", role="admin")
    data = _csv(
        "王一,LN10001,柳南区市场监督管理局,有效,2020-01-01,科员,否", "王二,LN10002,南环街道办事处,有效,2020-01-01,-,否"
    )
    with pytest.raises(RosterError) as exc:
        roster.preview(app, admin, data, "r.csv")
    text = "\n".join(exc.value.report())
    assert "单位“柳南区市场监督管理局”不存在，是否为已有的“区市场监督管理局”" in text
    assert "单位“南环街道办事处”不存在，是否为已有的“南环街道”" in text
    assert "职务" not in text  # "-" is not taken for a formula


def test_created_units_are_listed_with_a_guessed_editable_type_and_dash_title_is_empty(app):
    make_units(app, ("区市场监督管理局",))
    admin = make_person(app, "admin", role="admin")
    data = _csv(
        "王一,LN10001,河东街道办事处,有效,2020-01-01,—,否",
        "王二,LN10002,区审计局,有效,2020-01-01,-,否",
        "王三,LN10003,区市场监督管理局,有效,2020-01-01,=1+1,否",
    )
    with pytest.raises(RosterError, match="公式"):  # a real formula is still refused
        roster.preview(app, admin, data, "r.csv", create_units=True)
    data = _csv("王一,LN10001,河东街道办事处,有效,2020-01-01,—,否", "王二,LN10002,区审计局,有效,2020-01-01,-,否")
    plan = roster.preview(app, admin, data, "r.csv", create_units=True)
    assert plan.new_units == ["区审计局", "河东街道办事处"]
    assert plan.new_unit_kinds == {"区审计局": "enforcement", "河东街道办事处": "town"}
    roster.import_roster(app, admin, data, "r.csv", create_units=True, unit_kinds={"区审计局": "town"})
    with read_session(app.engine) as s:
        kinds = {u.name: u.kind for u in s.execute(select(Unit)).scalars()}
        titles = {p.account: p.title for p in s.execute(select(Person)).scalars()}
    assert kinds["河东街道办事处"] == "town" and kinds["区审计局"] == "town"  # the coordinator's choice wins
    assert titles["LN10001"] == "" and titles["LN10002"] == ""
