"""Issue #17 item 5, the services: preview_audience counts the eligible active people, a unit list with another
audience is refused, and a same-title campaign in the same year is refused unless allowed."""

from datetime import timedelta

import pytest

from tests.support.factory import district, make_person
from training_app.engine.deadlines import utcnow
from training_app.services import campaigns, roster
from training_app.services.campaigns import CampaignInput, DuplicateCampaign
from training_app.services.common import ServiceError


def _input(**over):
    now = utcnow()
    data = dict(
        title="专项考试",
        blueprint_id="small_exam",
        audience="all_valid",
        opens_at=now,
        closes_at=now + timedelta(days=5),
    )
    data.update(over)
    return CampaignInput(**data)


def test_preview_counts_eligible_active_people(app):
    units, coord, officers, cid = district(app, n_officers=6)
    make_person(app, "LNX", unit_id=units[0], cert_status="注销")  # not eligible
    assert campaigns.preview_audience(app, coord, "all_valid") == 6
    assert campaigns.preview_audience(app, coord, "units", (units[0],)) == 2
    roster.deactivate_person(app, coord, officers[2].id)  # officers[2] is in units[0]
    assert campaigns.preview_audience(app, coord, "units", (units[0],)) == 1
    assert campaigns.preview_audience(app, coord, "all_valid") == 5


def test_units_with_another_audience_are_refused(app):
    units, coord, officers, cid = district(app)
    with pytest.raises(ServiceError, match="参训对象不是“指定单位”"):
        campaigns.create_campaign(app, coord, _input(audience_units=(units[0],)))


def test_same_title_same_year_asks_first(app):
    units, coord, officers, cid = district(app)
    campaigns.create_campaign(app, coord, _input(), allow_duplicate=False)
    with pytest.raises(DuplicateCampaign):
        campaigns.create_campaign(app, coord, _input(), allow_duplicate=False)
    campaigns.create_campaign(app, coord, _input(), allow_duplicate=True)
    assert [c.title for c in campaigns.list_campaigns(app, coord)].count("专项考试") == 2
