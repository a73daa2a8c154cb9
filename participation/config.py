"""Settings from the environment, with safe defaults for an embedded SQLite install."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from env, else a random key persisted under instance/ so sessions survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config() -> dict:
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'participation.sqlite3'}"
        ),
        "MUNICIPALITY_NAME": os.environ.get("MUNICIPALITY_NAME", "みどり市"),
        "MUNICIPALITY_NAME_EN": os.environ.get("MUNICIPALITY_NAME_EN", "Midori City"),
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Tokyo"),
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("TIMEZONE", "Asia/Tokyo"),
        "LANGUAGES": ("ja", "en"),
        "POLICY_VERSION": os.environ.get("POLICY_VERSION", "2026-04-01"),
        # Mail: SMTP when MAIL_SERVER is set, otherwise a folder of .eml files.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "noreply@example.jp"),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox")),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")),
        "OPEN_DATA_DIR": os.environ.get("OPEN_DATA_DIR", str(INSTANCE_DIR / "open-data")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        "TOKEN_TTL_CONFIRM_HOURS": 72,
        "TOKEN_TTL_RESET_MINUTES": 60,
        "UNCONFIRMED_ACCOUNT_DAYS": 14,
        "DATA_EXPORT_RETENTION_DAYS": int(os.environ.get("DATA_EXPORT_RETENTION_DAYS", "90")),
        "PROPOSAL_ANSWER_REMINDER_DAYS": int(os.environ.get("PROPOSAL_ANSWER_REMINDER_DAYS", "14")),
        # Cookies and sessions
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        # How many reverse proxies (nginx, a load balancer) stand in front of the app. Their
        # X-Forwarded-For/-Proto/-Host are believed only then: rate limits and the audit log need the
        # resident's address, not the proxy's, and a client must not be able to choose its own.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "WTF_CSRF_TIME_LIMIT": None,
        # Whole-page cache for guests (participation/common/pagecache.py): how old a guest's counts may be
        # (content changes reach guests at once), and each worker's memory for it. 0 switches it off.
        "PAGE_CACHE_SECONDS": float(os.environ.get("PAGE_CACHE_SECONDS", "20")),
        "PAGE_CACHE_MAX_BYTES": int(os.environ.get("PAGE_CACHE_MAX_BYTES", str(32 * 1024 * 1024))),
        # Rate limits (memory by default, Redis via RATELIMIT_STORAGE_URI)
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "SIGNUP_RATE_LIMIT": os.environ.get("SIGNUP_RATE_LIMIT", "10 per hour"),
        "RESET_RATE_LIMIT": os.environ.get("RESET_RATE_LIMIT", "5 per 15 minutes"),
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_KIB": int(os.environ.get("ARGON2_MEMORY_KIB", "65536")),
        "SCHEDULER_IN_PROCESS": _bool("SCHEDULER_IN_PROCESS", False),
        "KPI_PUSH_URL": os.environ.get("KPI_PUSH_URL", ""), "KPI_PUSH_SECRET": os.environ.get("KPI_PUSH_SECRET", ""),
        # Map (progressive enhancement on proposals): centre "lat,lng" of the municipality, start zoom, and the
        # tile server. The tile server's host is the only outside origin the CSP allows (images only).
        "MAP_CENTER": os.environ.get("MAP_CENTER", "35.68,139.77"),
        "MAP_ZOOM": int(os.environ.get("MAP_ZOOM", "13")),
        "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"),
        "MAP_TILE_ATTRIBUTION": os.environ.get(
            "MAP_TILE_ATTRIBUTION",
            '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>'),
    }
