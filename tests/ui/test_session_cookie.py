"""The login hand-off: a one-time code redeemed once, within 60 seconds; the cookie's flags."""

from starlette.responses import Response

from training_app.ui.components import session_cookie as sc


def test_a_code_is_redeemed_once_and_expires():
    code = sc.handoff("token-1", now=100.0)
    assert sc.redeem(code, now=101.0) == "token-1"
    assert sc.redeem(code, now=102.0) is None  # used
    late = sc.handoff("token-2", now=100.0)
    assert sc.redeem(late, now=100.0 + sc.CODE_TTL_SECONDS + 1) is None
    assert sc.redeem("", now=100.0) is None and sc.redeem("guess", now=100.0) is None


def test_cookie_flags():
    r = Response()
    sc.set(r, "tok", secure=True)
    header = r.headers["set-cookie"]
    assert (
        "fz_session=tok" in header and "HttpOnly" in header and "SameSite=strict" in header.replace("Strict", "strict")
    )
    assert "Secure" in header and "Path=/" in header
    r2 = Response()
    sc.set(r2, "tok", secure=False)
    assert "Secure" not in r2.headers["set-cookie"]


def test_the_page_script_never_holds_the_token():
    html = sc.setter_html(sc.handoff("the-secret-token"))
    assert "the-secret-token" not in html and sc.ROUTE in html
