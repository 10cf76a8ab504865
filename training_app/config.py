"""Settings from the environment (and ``.streamlit/secrets.toml`` for secrets).

Every setting has a safe default for the embedded demo; a production deployment sets
``APP_SECRET`` (and ``DATABASE_URL`` for PostgreSQL). Outside demo mode a placeholder
secret is refused at start-up.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "changethis", "secret", "demo", "placeholder", "xxx"}
DEMO_SECRET = "demo-secret-not-for-production"


class ConfigError(RuntimeError):
    """A setting that makes the app unsafe or unable to start."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _secrets_toml(cwd: Path) -> dict[str, Any]:  # parsed TOML, as tomllib types it (values as written)
    for path in (cwd / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"):
        if path.is_file():
            with path.open("rb") as fh:
                return tomllib.load(fh)
    return {}


def _default_bank_dir(cwd: Path) -> Path:
    here = cwd / "question_bank"
    return here if here.is_dir() else REPO_DIR / "question_bank"


@dataclass(frozen=True)
class Settings:
    database_url: str
    question_bank_dir: Path
    data_dir: Path
    app_secret: str
    demo_mode: bool = False
    timezone: str = "Asia/Shanghai"
    session_idle_minutes: int = 30
    single_session: bool = False
    study_hours_target: float = 60.0
    study_session_cap_minutes: int = 20
    login_max_failures: int = 5
    lockout_base_minutes: int = 5
    upload_max_mb: int = 5
    audit_retention_days: int = 180
    record_retention_years: int = 5
    password_max_age_days: int = 0
    public_base_url: str = ""
    db_pool_size: int = 5
    db_max_overflow: int = 10
    sqlite_busy_timeout_ms: int = 30000
    integrity_fast_median_seconds: float = 4.0
    integrity_fast_min_score: float = 0.8
    integrity_copy_min_common: int = 8
    integrity_copy_min_share: float = 0.9
    integrity_copy_min_wrong: int = 4
    integrity_copy_window_minutes: int = 30
    trusted_proxies: tuple[str, ...] = ()  # addresses or CIDR blocks whose X-Forwarded-For is believed
    login_ip_delay_after: int = 10  # failed logins from one address (any account) before each try must wait
    login_ip_block_after: int = 30  # ... before the address is blocked for login_ip_block_minutes
    login_ip_block_minutes: int = 15
    login_account_max_failures: int = 20  # failures on one account from all addresses before it locks everywhere
    cert_issuer: str = "柳州市柳南区司法局"
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_secret(self) -> None:
        """Refuse a placeholder secret outside demo mode."""
        if self.demo_mode:
            return
        if (
            self.app_secret.strip().lower() in PLACEHOLDER_SECRETS
            or self.app_secret == DEMO_SECRET
            or len(self.app_secret) < 16
        ):
            raise ConfigError(
                "APP_SECRET is missing or a placeholder. Set APP_SECRET (at least 16 random characters, "
                "e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) in the environment "
                "or app_secret in .streamlit/secrets.toml, or set DEMO_MODE=1 for a demo."
            )


def load_settings(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    cwd = cwd or Path.cwd()
    secrets = _secrets_toml(cwd)
    data_dir = Path(env.get("TRAINING_APP_DATA_DIR") or (cwd / "data"))
    demo = _bool(env.get("DEMO_MODE"), default=False)
    database_url = env.get("DATABASE_URL") or secrets.get("database_url") or f"sqlite:///{data_dir / 'training.db'}"
    secret = env.get("APP_SECRET") or secrets.get("app_secret") or (DEMO_SECRET if demo else "")
    bank = Path(env.get("QUESTION_BANK_DIR") or _default_bank_dir(cwd))
    return Settings(
        database_url=database_url,
        question_bank_dir=bank,
        data_dir=data_dir,
        app_secret=secret,
        demo_mode=demo,
        timezone=env.get("APP_TIMEZONE", "Asia/Shanghai"),
        session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 30),
        single_session=_bool(env.get("SINGLE_SESSION_PER_ACCOUNT"), False),
        study_hours_target=_float(env, "STUDY_HOURS_TARGET", 60.0),
        study_session_cap_minutes=_int(env, "STUDY_SESSION_CAP_MINUTES", 20),
        login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5),
        lockout_base_minutes=_int(env, "LOCKOUT_BASE_MINUTES", 5),
        upload_max_mb=_int(env, "UPLOAD_MAX_MB", 5),
        audit_retention_days=max(180, _int(env, "AUDIT_RETENTION_DAYS", 180)),
        record_retention_years=_int(env, "RECORD_RETENTION_YEARS", 5),
        password_max_age_days=_int(env, "PASSWORD_MAX_AGE_DAYS", 0),
        public_base_url=env.get("PUBLIC_BASE_URL", ""),
        db_pool_size=_int(env, "DB_POOL_SIZE", 5),
        db_max_overflow=_int(env, "DB_MAX_OVERFLOW", 10),
        sqlite_busy_timeout_ms=_int(env, "SQLITE_BUSY_TIMEOUT_MS", 30000),
        integrity_fast_median_seconds=_float(env, "INTEGRITY_FAST_MEDIAN_SECONDS", 4.0),
        integrity_fast_min_score=_float(env, "INTEGRITY_FAST_MIN_SCORE", 0.8),
        integrity_copy_min_common=_int(env, "INTEGRITY_COPY_MIN_COMMON", 8),
        integrity_copy_min_share=_float(env, "INTEGRITY_COPY_MIN_SHARE", 0.9),
        integrity_copy_min_wrong=_int(env, "INTEGRITY_COPY_MIN_WRONG", 4),
        integrity_copy_window_minutes=_int(env, "INTEGRITY_COPY_WINDOW_MINUTES", 30),
        trusted_proxies=tuple(x.strip() for x in env.get("TRUSTED_PROXIES", "").split(",") if x.strip()),
        login_ip_delay_after=_int(env, "LOGIN_IP_DELAY_AFTER", 10),
        login_ip_block_after=_int(env, "LOGIN_IP_BLOCK_AFTER", 30),
        login_ip_block_minutes=_int(env, "LOGIN_IP_BLOCK_MINUTES", 15),
        login_account_max_failures=_int(env, "LOGIN_ACCOUNT_MAX_FAILURES", 20),
        cert_issuer=env.get("CERT_ISSUER", "柳州市柳南区司法局").strip() or "柳州市柳南区司法局",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
