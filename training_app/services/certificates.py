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
from .figures import score_text

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
    issuer: str = ""

    @property
    def holder_line(self) -> str:
        """The holder, with a 执法证号 only when the person has one (a leader's login name is not one)."""
        return f"{self.name}（执法证号：{self.cert_no}）" if self.cert_no else self.name


def _make_info(
    app: App, cert: Certificate, person: Person, unit_name: str | None, title: str, passed: bool | None
) -> CertificateInfo:
    valid = cert.revoked_at is None and bool(passed)
    return CertificateInfo(
        cert.serial,
        verification_code(app, cert.serial),
        person.name,
        (person.cert_no or "").strip(),
        unit_name or "",
        title,
        cert.score,
        deadlines.as_utc(cert.issued_at),
        valid,
        app.settings.cert_issuer,
    )


def _info(app: App, s, cert: Certificate) -> CertificateInfo:
    person = s.get(Person, cert.person_id)
    campaign = s.get(Campaign, cert.campaign_id)
    unit = s.get(Unit, person.unit_id) if person.unit_id else None
    a = get_assignment(s, cert.campaign_id, cert.person_id)
    return _make_info(app, cert, person, unit.name if unit else "", campaign.title, a is not None and a.passed)


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
            cert = Certificate(
                serial=f"FZ{c.year}-{campaign_id:03d}-{n:05d}",
                person_id=person_id,
                campaign_id=campaign_id,
                score=a.grade or 0.0,
            )
            s.add(cert)
            s.flush()
            audit.append(
                s, "certificate_issue", actor_id=actor.id, actor=actor.account, obj=f"certificate:{cert.serial}"
            )
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
        audit.append(
            s,
            "certificate_revoke",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"certificate:{serial}",
            detail={"reason": reason.strip()[:200]},
        )


def verify_url(app: App, info: CertificateInfo) -> str | None:
    base = app.settings.public_base_url.rstrip("/")
    if not base:
        return None
    return f"{base}/verify?{urlencode({'serial': info.serial, 'code': info.code})}"


STATIC_TEXT = (
    "合 格 证 书执法证号：单位：参加“”，成绩分考试合格。特发此证。证书编号验证码发证日期年月日发证机关"
    "扫码或在平台“证书查验”中验证可在平台“证书查验”页面验证真伪（）0123456789.-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz "
)


def _texts(app: App, info: CertificateInfo) -> str:
    return "".join((info.holder_line, info.unit, info.campaign, info.serial, info.code, app.settings.cert_issuer))


def _truetype_subset(chars: set[str]) -> bytes:
    """The embedded font cut down to `chars`, with its outlines turned into TrueType curves once.

    fpdf2 subsets the font again for every PDF; cutting a 3 MB CFF font and recompiling its charstrings costs
    about 0.1–0.2 s a certificate, a few hundred TrueType glyphs about a tenth of that."""
    from fontTools import subset as ft_subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    options = ft_subset.Options()
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "VORG"]
    font = TTFont(str(FONT))
    sub = ft_subset.Subsetter(options)
    sub.populate(text="".join(sorted(chars)))
    sub.subset(font)
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = font.getGlyphOrder()
    glyf.glyphs = {}
    for name in glyf.glyphOrder:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxComponentDepth",
    ):
        setattr(maxp, attr, 1 if attr == "maxZones" else 0)
    font["post"].formatType = 3.0
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


class CertificateRenderer:
    """Renders the certificates of one batch: the font is prepared once for every glyph the batch needs (a small
    TrueType file), the QR maker and the fixed layout are shared, and each certificate is one short FPDF run."""

    def __init__(self, app: App, infos: list[CertificateInfo]) -> None:
        import tempfile

        self.app = app
        self.tz = ZoneInfo(app.settings.timezone)
        chars = set(STATIC_TEXT) | set("".join(_texts(app, i) for i in infos))
        self._dir = tempfile.TemporaryDirectory(prefix="certfont-")
        self.font_path = str(Path(self._dir.name) / "cert.ttf")
        Path(self.font_path).write_bytes(_truetype_subset(chars))

    def close(self) -> None:
        self._dir.cleanup()

    def __enter__(self) -> CertificateRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def render(self, info: CertificateInfo) -> bytes:
        return _draw(self.app, info, self.font_path, self.tz, prepared=True)


def _draw(app: App, info: CertificateInfo, font_path: str, tz: ZoneInfo, *, prepared: bool = False) -> bytes:
    """A one-page A4 landscape certificate with the Chinese font embedded (renders with no fonts installed).
    `prepared`: the font is the batch's TrueType cut, whose glyph bounds are already right, so fpdf2's
    per-PDF subset copies the glyphs instead of decoding and re-encoding every outline."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.add_font("cn", "", font_path)
    if prepared:
        for font in pdf.fonts.values():
            if hasattr(font, "ttfont"):
                font.ttfont.recalcBBoxes = False
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
    local = info.issued_at.astimezone(tz)
    lines = [
        info.holder_line,
        f"单位：{info.unit}" if info.unit else "",
        f"参加“{info.campaign}”，成绩 {score_text(info.score)} 分，考试合格。",
        "特发此证。",
    ]
    y = 70
    for line in filter(None, lines):
        pdf.set_xy(40, y)
        pdf.multi_cell(217, 10, line, align="L")
        y = pdf.get_y() + 4
    issuer = info.issuer or app.settings.cert_issuer
    pdf.set_xy(150, 128)
    pdf.cell(107, 8, issuer, align="R")
    pdf.set_xy(150, 137)
    pdf.cell(107, 8, f"{local.year}年{local.month}月{local.day}日", align="R")
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


def render_pdf(app: App, info: CertificateInfo) -> bytes:
    """One certificate (the officer's own download): fpdf2 cuts the full font down to this page's glyphs."""
    return _draw(app, info, str(FONT), ZoneInfo(app.settings.timezone))


def my_certificate_pdf(app: App, actor: Actor, campaign_id: int) -> tuple[str, bytes]:
    info = issue(app, actor, campaign_id)
    return safe_filename(f"合格证书_{info.serial}") + ".pdf", render_pdf(app, info)


def _issue_missing(app: App, actor: Actor, campaign_id: int, people: list[int]) -> list[CertificateInfo]:
    """Every passed person's certificate, the missing ones issued in one transaction (one audit record each)."""
    with write_session(app.engine) as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound("培训任务不存在")
        rows = cert_store.certificate_rows(s, campaign_id, people)
        have = {r.person.id for r in rows if r.certificate is not None}
        missing = [r for r in rows if r.certificate is None and r.passed]
        n = cert_store.count_certificates(s, campaign_id)
        for r in missing:
            n += 1
            r.certificate = Certificate(
                serial=f"FZ{c.year}-{campaign_id:03d}-{n:05d}",
                person_id=r.person.id,
                campaign_id=campaign_id,
                score=r.grade or 0.0,
            )
            s.add(r.certificate)
        if missing:
            s.flush()
        for r in missing:
            audit.append(
                s,
                "certificate_issue",
                actor_id=actor.id,
                actor=actor.account,
                obj=f"certificate:{r.certificate.serial}",
            )
        return [
            _make_info(app, r.certificate, r.person, r.unit, c.title, r.passed)
            for r in rows
            if r.certificate is not None and (r.person.id in have or r.passed)
        ]


def certificates_zip(app: App, actor: Actor, campaign_id: int, *, unit_id: int | None = None) -> tuple[int, bytes]:
    """All certificates of a campaign (or of one unit in it) as one ZIP; issues the missing ones."""
    require(actor, "coordinator", "admin")
    if unit_id is not None and not actor.can_see_unit(unit_id):
        raise PermissionDenied("无权导出该单位的证书")
    scope = unit_id if unit_id is not None else actor.scope_unit_id
    with read_session(app.engine) as s:
        people = cert_store.passed_people(s, campaign_id, scope)
    infos = _issue_missing(app, actor, campaign_id, people) if people else []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if infos:
            with CertificateRenderer(app, infos) as renderer:
                for info in infos:
                    z.writestr(
                        f"{safe_filename(info.unit)}/{safe_filename(f'{info.serial}_{info.name}')}.pdf",
                        renderer.render(info),
                    )
    with write_session(app.engine) as s:
        audit.append(
            s,
            "export",
            actor_id=actor.id,
            actor=actor.account,
            obj=f"campaign:{campaign_id}",
            detail={"format": "certificates.zip", "unit_id": unit_id, "count": len(infos)},
        )
    return len(infos), buf.getvalue()
