"""Issue #17 item 9 and #13 item 11: a certificate prints a 执法证号 only when the person has one, names the
issuing body from CERT_ISSUER, and a campaign's ZIP issues the missing certificates in one go."""

import io
import shutil
import subprocess
import zipfile
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from tests.services.test_certificates import _pass
from tests.support.factory import district, make_campaign, make_person
from training_app.services import certificates
from training_app.store.db import read_session
from training_app.store.models import AuditLog, Certificate


def _text(tmp_path, pdf: bytes, name: str) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    path = tmp_path / name
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_leader_certificate_has_no_card_number_and_names_the_issuer(app, tmp_path):
    units, coord, officers, cid = district(app)
    app.settings = replace(app.settings, cert_issuer="柳州市柳南区司法局（测试）")
    leader = make_person(app, "ld005", role="leader", unit_id=units[0], name="宋浩")
    lcid = make_campaign(app, coord, audience="leaders")
    _pass(app, leader, lcid)
    info = certificates.issue(app, leader, lcid)
    assert info.cert_no == "" and info.holder_line == "宋浩" and info.issuer == "柳州市柳南区司法局（测试）"
    text = _text(tmp_path, certificates.render_pdf(app, info), "leader.pdf")
    assert "执法证号" not in text and "ld005" not in text and "柳州市柳南区司法局（测试）" in text
    _pass(app, officers[0], cid)
    officer = certificates.issue(app, officers[0], cid)
    assert officer.holder_line == f"{officers[0].name}（执法证号：{officers[0].account}）"
    assert certificates.verify(app, officer.serial, officer.code).issuer == "柳州市柳南区司法局（测试）"


def test_zip_issues_the_missing_certificates_at_once_and_embeds_the_font(app, tmp_path):
    units, coord, officers, cid = district(app, n_officers=4)
    for o in officers:
        _pass(app, o, cid)
    first = certificates.issue(app, officers[0], cid)  # one already issued: kept, not issued again
    n, data = certificates.certificates_zip(app, coord, cid)
    assert n == 4
    with read_session(app.engine) as s:
        serials = set(s.execute(select(Certificate.serial).where(Certificate.campaign_id == cid)).scalars())
        issued = s.execute(
            select(func.count()).select_from(AuditLog).where(AuditLog.event == "certificate_issue")
        ).scalar_one()
    assert len(serials) == 4 and first.serial in serials and issued == 4
    z = zipfile.ZipFile(io.BytesIO(data))
    assert len(z.namelist()) == 4
    pdf = z.read(next(x for x in z.namelist() if first.serial in x))
    assert b"/FontFile2" in pdf  # the batch's TrueType cut of the font, embedded
    text = _text(tmp_path, pdf, "one.pdf")
    assert first.serial in text and first.code in text and officers[0].name in text
    assert certificates.certificates_zip(app, coord, cid)[0] == 4  # again: the same four, nothing new issued
    with read_session(app.engine) as s:
        assert s.execute(select(func.count()).select_from(Certificate)).scalar_one() == 4
