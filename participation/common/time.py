"""Time: store UTC (aware), show in the configured zone, fiscal years from April 1."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def local_zone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", "Asia/Tokyo") if has_app_context() else "Asia/Tokyo"
    return ZoneInfo(name)


def as_utc(value: datetime | None) -> datetime | None:
    """Normalise a datetime read back from the database (SQLite drops tzinfo) to aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def to_local(value: datetime | None) -> datetime | None:
    value = as_utc(value)
    return value.astimezone(local_zone()) if value else None


def local_today() -> date:
    return utcnow().astimezone(local_zone()).date()


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant at which `day` begins in the configured zone."""
    return datetime(day.year, day.month, day.day, tzinfo=local_zone()).astimezone(timezone.utc)


def fiscal_year_of(day: date) -> int:
    """Japanese municipal fiscal year: FY2026 runs 2026-04-01 .. 2027-03-31."""
    return day.year if day.month >= 4 else day.year - 1
