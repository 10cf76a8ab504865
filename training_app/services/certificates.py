"""合格证书: a PDF that anyone can verify by serial number and code.

The code is an HMAC of the serial under APP_SECRET (not stored), so a copied database alone cannot forge one.
A certificate is valid while it is not revoked and the holder's campaign result is still a pass: a regrade
below the pass mark invalidates it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from ..engine import deadlines
from ..store import audit
from ..store import certificates as cert_store
from ..store.db import read_session, write_session
from ..store.exams import get_assignment
from ..store.models import Campaign, Certificate, Person, Unit
from ..textsafe import safe_filename
from .common import Actor, App, NotFound, PermissionDenied, ServiceError, require

FONT = Path(__file__).resolve().parent.parent / "data" / "fonts" / "NotoSansSC-Subset.otf"


def verification_code(app: App, serial: str) -> str:
    mac = hmac.new(app.settings.app_secret.encode(), f"certificate:{serial}".encode(), hashlib.sha256).digest()
    code = base64.b32encode(mac).decode()[:10]
    return f"{code[:5]}-{code[5:]}"


def _norm_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


@dataclass
class CertificateInfo:
    serial: str
    code: str
    name: str
    cert_no: str
    unit: str
    campaign: str
    score: float
    issued_at: datetime
    valid: bool


def _info(app: App, s, cert: Certificate) -> CertificateInfo:
    person = s.get(Person, cert.person_id)
    campaign = s.get(Campaign, cert.campaign_id)
    unit = s.get(Unit, person.unit_id) if person.unit_id else None
    a = get_assignment(s, cert.campaign_id, cert.person_id)
    valid = cert.revoked_at is None and a is not None and a.passed
    return CertificateInfo(cert.serial, verification_code(app, cert.serial), person.name, person.cert_no or person.account,
                           unit.name if unit else "", campaign.title, cert.score, deadlines.as_utc(cert.issued_at), valid)


def issue(app: App, actor: Actor, campaign_id: int, person_id: int | None = None) -> CertificateInfo:
    """The certificate of a passed campaign (created on first request; the same one afterwards)."""
    if person_id is None or person_id == actor.id:
        require(actor, "officer", "leader")
        person_id = actor.id
    else:
        require(actor, "coordinator", "admin")
    with write_session(app.engine) as s:
        a = get_assignment(s, campaign_id, person_id)
        if a is None:
            raise NotFound("没有这项培训任务的记录")
        if actor.role == "coordinator" and not actor.can_see_unit(a.unit_id):
            raise PermissionDenied("无权为该人员出具证书")
        cert = cert_store.certificate_of(s, campaign_id, person_id)
        if cert is None:
            if not a.passed:
                raise ServiceError("考试合格后才能领取合格证书")
            c = s.get(Campaign, campaign_id)
            n = cert_store.count_certificates(s, campaign_id) + 1
            cert = Certificate(serial=f"FZ{c.year}-{campaign_id:03d}-{n:05d}", person_id=person_id,
                               campaign_id=campaign_id, score=a.grade or 0.0)
            s.add(cert)
            s.flush()
            audit.append(s, "certificate_issue", actor_id=actor.id, actor=actor.account, obj=f"certificate:{cert.serial}")
        return _info(app, s, cert)


def verify(app: App, serial: str, code: str) -> CertificateInfo | None:
    """No login needed. None unless the serial exists and the code matches: a wrong code reveals nothing."""
    serial = (serial or "").strip().upper()
    expected = _norm_code(verification_code(app, serial)) if serial else ""
    if not serial or not hmac.compare_digest(expected, _norm_code(code)):
        return None
    with read_session(app.engine) as s:
        cert = cert_store.certificate_by_serial(s, serial)
        return _info(app, s, cert) if cert else None


def revoke(app: App, actor: Actor, serial: str, reason: str) -> None:
    require(actor, "coordinator", "admin")
    if not reason.strip():
        raise ServiceError("请填写撤销原因")
    with write_session(app.engine) as s:
        cert = cert_store.certificate_by_serial(s, serial)
        if cert is None:
            raise NotFound("证书不存在")
        holder = s.get(Person, cert.person_id)
        if not actor.can_see_unit(holder.unit_id if holder else None):
            raise PermissionDenied("无权撤销您管理范围以外人员的证书")
        cert.revoked_at, cert.revoke_reason = deadlines.utcnow(), reason.strip()[:200]
        s.add(cert)
        audit.append(s, "certificate_revoke", actor_id=actor.id, actor=actor.account, obj=f"certificate:{serial}",
                     detail={"reason": reason.strip()[:200]})


def verify_url(app: App, info: CertificateInfo) -> str | None:
    base = app.settings.public_base_url.rstrip("/")
    if not base:
        return None
    return f"{base}/verify?{urlencode({'serial': info.serial, 'code': info.code})}"


def render_pdf(app: App, info: CertificateInfo) -> bytes:
    """A one-page A4 landscape certificate with the Chinese font embedded (renders with no fonts installed)."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("cn", "", str(FONT))
    pdf.set_draw_color(180, 35, 24)
    pdf.set_line_width(1.2)
    pdf.rect(12, 12, 273, 186)
    pdf.set_line_width(0.4)
    pdf.rect(16, 16, 265, 178)
    pdf.set_text_color(180, 35, 24)
    pdf.set_font("cn", size=34)
    pdf.set_xy(0, 36)
    pdf.cell(297, 16, "合 格 证 书", align="C")
    pdf.set_text_color(30, 30, 30)
    pdf.set_font("cn", size=16)
    local = info.issued_at.astimezone(ZoneInfo(app.settings.timezone))
    lines = [
        f"{info.name}（执法证号：{info.cert_no}）",
        f"单位：{info.unit}",
        f"参加“{info.campaign}”，成绩 {info.score:.1f} 分，考试合格。",
        "特发此证。",
    ]
    y = 70
    for line in lines:
        pdf.set_xy(40, y)
        pdf.multi_cell(217, 10, line, align="L")
        y = pdf.get_y() + 4
    pdf.set_font("cn", size=12)
    pdf.set_xy(40, 160)
    pdf.cell(150, 7, f"证书编号：{info.serial}")
    pdf.set_xy(40, 168)
    pdf.cell(150, 7, f"验证码：{info.code}")
    pdf.set_xy(40, 176)
    pdf.cell(150, 7, f"发证日期：{local:%Y年%m月%d日}")
    url = verify_url(app, info)
    if url:
        import qrcode

        img = qrcode.make(url, box_size=4, border=1).get_image()
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        buf.seek(0)
        pdf.image(buf, x=232, y=146, w=36, h=36)
        pdf.set_font("cn", size=8)
        pdf.set_xy(218, 183)
        pdf.cell(64, 5, "扫码或在平台“证书查验”中验证", align="C")
    else:
        pdf.set_font("cn", size=10)
        pdf.set_xy(190, 176)
        pdf.cell(80, 7, "可在平台“证书查验”页面验证真伪", align="R")
    return bytes(pdf.output())


def my_certificate_pdf(app: App, actor: Actor, campaign_id: int) -> tuple[str, bytes]:
    info = issue(app, actor, campaign_id)
    return safe_filename(f"合格证书_{info.serial}") + ".pdf", render_pdf(app, info)


def certificates_zip(app: App, actor: Actor, campaign_id: int, *, unit_id: int | None = None) -> tuple[int, bytes]:
    """All certificates of a campaign (or of one unit in it) as one ZIP; issues the missing ones."""
    require(actor, "coordinator", "admin")
    if unit_id is not None and not actor.can_see_unit(unit_id):
        raise PermissionDenied("无权导出该单位的证书")
    scope = unit_id if unit_id is not None else actor.scope_unit_id
    with read_session(app.engine) as s:
        people = cert_store.passed_people(s, campaign_id, scope)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for pid in people:
            info = issue(app, actor, campaign_id, pid)
            z.writestr(f"{safe_filename(info.unit)}/{safe_filename(f'{info.serial}_{info.name}')}.pdf",
                       render_pdf(app, info))
    with write_session(app.engine) as s:
        audit.append(s, "export", actor_id=actor.id, actor=actor.account, obj=f"campaign:{campaign_id}",
                     detail={"format": "certificates.zip", "unit_id": unit_id, "count": len(people)})
    return len(people), buf.getvalue()
