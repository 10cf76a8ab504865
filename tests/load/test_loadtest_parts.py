"""The load generator's own parts that need no server: percentiles, cookies, the answer mapping of the
lost-answer check, the capacity crossing, and the nginx configuration generated from deploy/nginx.conf."""

from __future__ import annotations

from pathlib import Path

from benchmarks.capacity import crossing, nginx_config
from training_app.loadtest.lost import _canonical
from training_app.loadtest.metrics import percentile
from training_app.loadtest.protocol import CookieJar
from training_app.loadtest.runner import parse_span


def test_percentile_interpolates_between_ranks():
    assert percentile([], 95) is None
    assert percentile([2.0], 99) == 2.0
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert abs(percentile(list(range(1, 101)), 95) - 95.05) < 1e-9


def test_cookie_jar_keeps_and_clears_cookies():
    jar = CookieJar()
    jar.take(
        [
            ("set-cookie", "_streamlit_xsrf=2|ab|cd|17; Path=/; SameSite=Lax"),
            ("set-cookie", "fz_session=tok; HttpOnly; Path=/; SameSite=strict; Max-Age=604800"),
        ]
    )
    assert jar.cookies == {"_streamlit_xsrf": "2|ab|cd|17", "fz_session": "tok"}
    jar.take([("set-cookie", 'fz_session=""; Max-Age=0; Path=/')])
    assert "fz_session" not in jar.cookies


def test_shown_positions_map_to_the_banks_letters():
    assert _canonical({"type": "single", "order": [2, 0, 3, 1]}, "radio", (0,)) == "C"
    assert _canonical({"type": "multiple", "order": [2, 0, 3, 1]}, "checks", (1, 3)) == "AB"
    assert _canonical({"type": "judge", "order": []}, "radio", (0,)) == "T"
    assert _canonical({"type": "judge", "order": []}, "radio", (1,)) == "F"
    assert _canonical({"type": "single", "order": [0, 1]}, "radio", ()) is None


def test_crossing_is_interpolated_between_points():
    pts = [{"officers": 20, "p95": {"answer": 0.5}}, {"officers": 40, "p95": {"answer": 1.5}}]
    assert crossing(pts) == 30
    assert crossing([{"officers": 20, "p95": {"answer": 0.5}}]) is None
    assert crossing([{"officers": 20, "p95": {"answer": 3.0}}]) == 20


def test_parse_span():
    assert parse_span("8-20") == (8.0, 20.0)
    assert parse_span("2") == (2.0, 2.0)


def test_nginx_config_keeps_the_deployments_sticky_upstream(tmp_path: Path):
    conf = nginx_config(tmp_path, 18080, [18501, 18502])
    assert "hash $route_key consistent;" in conf and "map $cookie_fz_route $route_key" in conf
    assert 'add_header Set-Cookie "fz_route=$route_key; Path=/; HttpOnly; SameSite=Strict" always;' in conf
    assert "server 127.0.0.1:18501 max_fails=3 fail_timeout=10s;" in conf
    assert "server 127.0.0.1:18502" in conf and "app1:8501" not in conf
    assert "listen 127.0.0.1:18080;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "ssl_certificate" not in conf
