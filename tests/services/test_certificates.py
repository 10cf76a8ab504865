"""合格证书: the PDF carries its Chinese text with the font embedded; verification accepts the real code and
reveals nothing on a wrong one; a regrade below the pass mark, or a revocation, invalidates it."""

import io
import shutil
import subprocess
import zipfile
from dataclasses import replace

import pytest

from tests.support.factory import district
from training_app.services import certificates, exams
from training_app.services.common import ServiceError


def _pass(app, officer, cid):
    aid = exams.start_attempt(app, officer, cid, seed=11).attempt_id
    view = exams.attempt_view(app, officer, aid)
    for qv in view.questions:
        exams.save_answer(app, officer, aid, qv.slot, app.bank.questions[qv.qid].answer)
    assert exams.submit_attempt(app, officer, aid).passed
    return aid, view


@pytest.fixture
def passed(app):
    units, coord, officers, cid = district(app)
    aid, view = _pass(app, officers[0], cid)
    return app, coord, officers, cid, view


def test_pdf_renders_with_chinese_text(passed, tmp_path):
    app, _, officers, cid, _ = passed
    name, pdf = certificates.my_certificate_pdf(app, officers[0], cid)
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF")
    assert b"/FontFile" in pdf  # the font is embedded: no fonts needed where it is opened
    path = tmp_path / "cert.pdf"
    path.write_bytes(pdf)
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed (the README's test command installs it)")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    info = certificates.issue(app, officers[0], cid)
    for expected in ("合格证书", officers[0].name, officers[0].account, "测试考试", info.serial, info.code):
        assert expected in text
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 5000


def test_verify_real_and_wrong_code(passed):
    app, _, officers, cid, _ = passed
    info = certificates.issue(app, officers[0], cid)
    assert certificates.issue(app, officers[0], cid).serial == info.serial  # the same certificate each time
    ok = certificates.verify(app, info.serial, info.code.lower().replace("-", ""))
    assert ok and ok.valid and ok.name == officers[0].name and ok.campaign == "测试考试"
    assert certificates.verify(app, info.serial, "AAAAA-AAAAA") is None
    assert certificates.verify(app, "FZ2026-999-99999", info.code) is None
    assert certificates.verify(app, "", "") is None


def test_no_certificate_without_a_pass(passed):
    app, _, officers, cid, _ = passed
    with pytest.raises(ServiceError, match="合格后"):
        certificates.issue(app, officers[1], cid)


def test_regrade_below_the_pass_mark_invalidates(passed):
    app, coord, officers, cid, view = passed
    info = certificates.issue(app, officers[0], cid)
    # legal staff correct the keys of most questions on the paper: the officer's answers are now wrong
    changed = dict(app.bank.questions)
    for qv in view.questions[:12]:
        q = changed[qv.qid]
        if q.type == "judge":
            new = "F" if q.answer == "T" else "T"
        elif q.type == "single":
            new = "A" if q.answer != "A" else "B"
        else:
            new = "BD" if q.answer != "BD" else "AC"
        from training_app.bank.loader import content_hash

        changed[qv.qid] = replace(q, answer=new, content_hash=content_hash(q.type, q.stem, q.options, new, q.sources))
    app.bank = replace(app.bank, questions=changed)
    result = exams.regrade_campaign(app, coord, cid)
    assert result.now_failed == 1 and len(result.changed_questions) == 12
    after = certificates.verify(app, info.serial, info.code)
    assert after is not None and not after.valid


def test_revoked_certificate_is_invalid(passed):
    app, coord, officers, cid, _ = passed
    info = certificates.issue(app, officers[0], cid)
    certificates.revoke(app, coord, info.serial, "考试违纪")
    assert not certificates.verify(app, info.serial, info.code).valid


def test_zip_of_a_campaign(passed):
    app, coord, officers, cid, _ = passed
    _pass(app, officers[1], cid)
    n, data = certificates.certificates_zip(app, coord, cid)
    assert n == 2
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert len(names) == 2 and all(x.endswith(".pdf") for x in names)


def test_qr_code_when_public_address_is_set(passed):
    app, _, officers, cid, _ = passed
    app.settings = replace(app.settings, public_base_url="https://fazhi.example.gov.cn")
    info = certificates.issue(app, officers[0], cid)
    assert certificates.verify_url(app, info).startswith("https://fazhi.example.gov.cn/verify?serial=")
    pdf = certificates.render_pdf(app, info)
    assert b"/Subtype /Image" in pdf
