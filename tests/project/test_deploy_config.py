"""The deployment speaks HTTPS only, with the security headers, and `serve` warns when it is not behind HTTPS.
(nginx itself is not run here: the config's directives are read as nginx reads them, block by block.)"""

import re

from tests.conftest import REPO
from training_app.cli import transport_warning
from training_app.config import load_settings

NGINX = (REPO / "deploy" / "nginx.conf").read_text(encoding="utf-8")
COMPOSE = (REPO / "deploy" / "docker-compose.yml").read_text(encoding="utf-8")


def _servers(conf: str) -> list[str]:
    """The bodies of the top-level `server { ... }` blocks."""
    out = []
    for m in re.finditer(r"^server\s*\{", conf, re.M):
        depth, j = 0, m.end() - 1
        while True:
            depth += {"{": 1, "}": -1}.get(conf[j], 0)
            if depth == 0:
                break
            j += 1
        out.append(conf[m.end() : j])
    return out


def _directives(block: str) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


def test_port_80_only_redirects_to_https():
    plain = [b for b in _servers(NGINX) if "listen 80;" in b]
    assert len(plain) == 1
    body = _directives(plain[0])
    assert "return 301 https://$host$request_uri;" in body
    assert not any(d.startswith("proxy_pass") or d.startswith("location") for d in body)


def test_443_has_tls_and_the_security_headers():
    tls = [b for b in _servers(NGINX) if "listen 443 ssl;" in b]
    assert len(tls) == 1
    body = "\n".join(_directives(tls[0]))
    assert "ssl_certificate     /etc/nginx/certs/fullchain.pem;" in body
    assert "ssl_certificate_key /etc/nginx/certs/privkey.pem;" in body
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in body
    headers = dict(re.findall(r'add_header\s+(\S+)\s+"([^"]*)"\s+always;', body))
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    csp = dict(p.strip().split(" ", 1) for p in headers["Content-Security-Policy"].split(";") if p.strip())
    assert csp["default-src"] == "'self'" and csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert csp["connect-src"] == "'self' wss:"  # no other host can be reached from the page
    assert "proxy_set_header X-Forwarded-Proto https;" in body  # the app marks the session cookie Secure


def test_compose_publishes_443_mounts_certificates_and_trusts_only_its_proxy():
    assert '"443:443"' in COMPOSE and "./certs:/etc/nginx/certs:ro" in COMPOSE
    assert "PUBLIC_BASE_URL: ${PUBLIC_BASE_URL:?" in COMPOSE and "TRUSTED_PROXIES:" in COMPOSE


def test_serve_warns_when_not_behind_https():
    env = {"APP_SECRET": "x" * 32}
    assert "https://" in transport_warning(load_settings(env))
    assert "https://" in transport_warning(load_settings({**env, "PUBLIC_BASE_URL": "http://fz.example.gov.cn"}))
    assert transport_warning(load_settings({**env, "PUBLIC_BASE_URL": "https://fz.example.gov.cn"})) is None
    assert transport_warning(load_settings({"DEMO_MODE": "1"})) is None


def test_replicas_are_sticky_per_browser_not_per_address():
    """Officers behind one NAT address must spread over the replicas: the upstream hashes a cookie the proxy sets
    (a random request id on the first request), and the cookie is set beside the security headers (an add_header
    inside `location /` would silently drop them there)."""
    assert "hash $route_key consistent;" in NGINX and "hash $remote_addr" not in NGINX
    m = re.search(r"map \$cookie_fz_route \$route_key \{([^}]*)\}", NGINX)
    assert m and '""      $request_id;' in m.group(1) and "default $cookie_fz_route;" in m.group(1)
    tls = [b for b in _servers(NGINX) if "listen 443 ssl;" in b][0]
    cookie = 'add_header Set-Cookie "fz_route=$route_key; Path=/; Secure; HttpOnly; SameSite=Strict" always;'
    assert cookie in _directives(tls)
    location = tls[tls.index("location / {") :]
    assert "add_header" not in location.split("}", 1)[0]
