"""Issue #17 item 10: at 1280 px, no page of the coordinator, the admin, an officer or a leader shows "None",
"nan", "NaN" or an English weekday or month name in its visible text (every page of the navigation).

One CLI-seeded demo district and one server for the module (module_site)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DESKTOP, login, main, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun"
MONTHS = (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
)
FORBIDDEN = re.compile(r"\b(None|nan|NaN|" + "|".join((WEEKDAYS + " " + MONTHS).split()) + r")\b")
SKIP = {"退出登录"}  # following it ends the login


def _nav_titles(page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"]').get_by_role("link")
    titles = [t.strip() for t in links.all_inner_texts()]
    # the link text carries the Material icon's name first ("monitoring\n完成情况"): keep the last line
    return [t.splitlines()[-1].strip() for t in titles if t]


def _visit_every_page(page) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    titles = [t for t in _nav_titles(page) if t not in SKIP]
    assert titles, "no navigation links"
    for title in titles:
        link = (
            page.locator('[data-testid="stSidebarNav"]')
            .get_by_role("link")
            .filter(has_text=re.compile(rf"{re.escape(title)}$"))
            .first
        )
        href = link.get_attribute("href") or ""
        link.click()
        if href:  # st.navigation changes the address without loading a page
            path = urlparse(href).path.rstrip("/")
            expect(page).to_have_url(re.compile(r"^https?://[^/]+" + re.escape(path) + r"/?(\?.*)?$"))
        page.wait_for_timeout(300)
        wait_idle(page)
        main(page).locator("h1").first.wait_for()
        wait_idle(page)
        body = page.inner_text("body")
        hits = sorted(set(m.group(0) for m in FORBIDDEN.finditer(body)))
        if hits:
            found[title] = hits
    return found


@pytest.mark.parametrize("who", ["coordinator", "admin", "officer", "leader"])
def test_no_none_nan_or_english_dates_on_any_page(module_site, new_page, who):
    site, server = module_site, module_site.servers[0]
    if who == "officer":
        (account,) = site.take_officers(1)
        landing = "我的学习"
    elif who == "leader":
        account = next(a for a, row in site.logins.items() if row["角色"] == "leader")
        landing = "我的学习"
    else:
        account, landing = who, "完成情况" if who == "coordinator" else None
    page = new_page(DESKTOP)
    if landing is None:
        page.goto(server.url + "/")
        page.get_by_label("账号", exact=True).fill(account)
        page.get_by_label("密码", exact=True).fill(site.password(account))
        page.get_by_role("button", name="登录", exact=True).click()
        page.locator('[data-testid="stSidebarNav"]').wait_for()
        wait_idle(page)
    else:
        login(page, server.url, account, site.password(account), landing=landing)
    found = _visit_every_page(page)
    assert not found, f"{who}: pages showing None/nan or English dates: {found}"
