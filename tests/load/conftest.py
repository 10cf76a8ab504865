"""The load tests reuse the browser tests' seeded databases and servers (tests/e2e/conftest.py, support.py)."""

from tests.e2e.conftest import (  # noqa: F401
    _server_logs_on_failure,
    pg_site,
    pg_template,
    pytest_runtest_makereport,
    sqlite_site,
    sqlite_template,
)
