"""Account writes. Each function changes the session; the caller (one request) commits."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from participation.accounts.models import (
    AGE_BANDS,
    LOCALES,
    ROLES,
    AccountToken,
    Area,
    DataExport,
    ParticipantProfile,
    PolicyConsent,
    User,
    new_session_token,
)
from participation.common.errors import DomainError
from participation.common.security import public_base_url
from participation.common.time import utcnow
from participation.extensions import db
from participation.moderation.models import AuditLog
from participation.moderation.services import record_audit
from participation.notifications.mail import queue_mail
from participation.text import normalise_token

_hashers: dict[tuple[int, int], PasswordHasher] = {}
_dummy_hashes: dict[tuple[int, int], str] = {}


def _hasher() -> PasswordHasher:
    """argon2id with the configured cost (tests use a cheap one; production the library default)."""
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_KIB"])
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
        # Verified against when no account matches, so a missing account costs the same time.
        _dummy_hashes[key] = _hashers[key].hash(secrets.token_hex(16))
    return _hashers[key]


def _dummy_hash() -> str:
    _hasher()
    return _dummy_hashes[(current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_KIB"])]


def normalise_email(email: str | None) -> str:
    return normalise_token(email).lower()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    try:
        ok = _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.password_hash is not None


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _issue_token(user: User, purpose: str, ttl: timedelta, new_email: str | None = None) -> str:
    # A new token of a purpose replaces any earlier unused one.
    db.session.execute(
        delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
                                   AccountToken.used_at.is_(None))
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_token_hash(raw),
                                expires_at=utcnow() + ttl, new_email=new_email))
    return raw


def _usable_token(raw: str, purpose: str, now) -> AccountToken | None:
    token = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == _token_hash(raw or ""),
                                   AccountToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    return token


def token_is_usable(raw: str, purpose: str) -> bool:
    """Whether a link still works, without using it up (to show the form or the 'link not valid' page)."""
    return _usable_token(raw, purpose, utcnow()) is not None


def consume_token(raw: str, purpose: str) -> AccountToken:
    """Return the valid token and mark it used, atomically: a token works exactly once."""
    now = utcnow()
    token = _usable_token(raw, purpose, now)
    if token is None:
        raise DomainError(_l("This link is invalid or has expired. Please request a new one."), 400)
    # Conditional update guards against two requests using the same token at once.
    updated = db.session.execute(
        AccountToken.__table__.update()
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if updated != 1:
        raise DomainError(_l("This link is invalid or has expired. Please request a new one."), 400)
    return token


def _send(user: User, to: str, template: str, subject, **context) -> None:
    """subject: a lazy string (_l), so that it is extracted for translation and rendered in the user's language."""
    with force_locale(user.locale or "ja"):
        body = render_template(f"mail/{template}.txt", user=user, **context)
        queue_mail(to, str(subject), body)


def _external(endpoint: str, **values) -> str:
    base = public_base_url()  # never the bare Host header: these links carry account tokens
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def register_user(*, email: str, display_name: str, password: str, locale: str) -> User:
    email = normalise_email(email)
    if user_by_email(email) is not None:
        # Tell the owner by mail instead of revealing on the page that the address is taken.
        existing = user_by_email(email)
        _send(existing, email, "already_registered", _l("You already have an account"),
              reset_url=_external("accounts.forgot_password"))
        return existing
    user = User(email=email, display_name=display_name.strip(), password_hash=hash_password(password),
                locale=locale if locale in ("ja", "en") else "ja", role="resident")
    db.session.add(user)
    version = current_app.config["POLICY_VERSION"]
    now = utcnow()
    user.consents = [PolicyConsent(policy="terms", version=version, agreed_at=now),
                     PolicyConsent(policy="privacy", version=version, agreed_at=now)]
    db.session.flush()
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    if user.confirmed_at is not None or not user.email:
        return
    raw = _issue_token(user, "confirm", timedelta(hours=current_app.config["TOKEN_TTL_CONFIRM_HOURS"]))
    _send(user, user.email, "confirm", _l("Please confirm your email address"),
          url=_external("accounts.confirm", token=raw))


def confirm_email(raw: str) -> User:
    token = consume_token(raw, "confirm")
    user = token.user
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = user_by_email(email)
    if not check_password(user, password):
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_sign_in(user: User) -> None:
    user.last_sign_in_at = utcnow()


def request_password_reset(email: str) -> None:
    """Sends a reset link if the account exists; the caller shows the same message either way."""
    user = user_by_email(email)
    if user is None or not user.is_active:
        return
    raw = _issue_token(user, "reset", timedelta(minutes=current_app.config["TOKEN_TTL_RESET_MINUTES"]))
    _send(user, user.email, "reset", _l("Reset your password"), url=_external("accounts.reset_password", token=raw),
          minutes=current_app.config["TOKEN_TTL_RESET_MINUTES"])


def reset_password(raw: str, new_password: str) -> User:
    token = consume_token(raw, "reset")
    user = token.user
    if not user.is_active:
        raise DomainError(_l("This link is invalid or has expired. Please request a new one."), 400)
    user.password_hash = hash_password(new_password)
    user.session_token = new_session_token()  # sign out everywhere
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()  # the mailbox was proven by the reset link
    return user


def change_password(user: User, current: str, new_password: str) -> None:
    if not check_password(user, current):
        raise DomainError(_l("Your current password is not correct."))
    user.password_hash = hash_password(new_password)
    user.session_token = new_session_token()


def request_email_change(user: User, new_email: str, password: str) -> None:
    if not check_password(user, password):
        raise DomainError(_l("Your current password is not correct."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise DomainError(_l("This is already your email address."))
    raw = _issue_token(user, "email_change", timedelta(hours=current_app.config["TOKEN_TTL_CONFIRM_HOURS"]),
                       new_email=new_email)
    # Sent to the new address; if it is taken, the change fails when confirmed (no enumeration here).
    _send(user, new_email, "email_change", _l("Confirm your new email address"),
          url=_external("accounts.confirm_email_change", token=raw))


def confirm_email_change(raw: str) -> User:
    token = consume_token(raw, "email_change")
    if user_by_email(token.new_email) is not None:
        raise DomainError(_l("This email address cannot be used."), 400)
    token.user.email = token.new_email
    token.user.confirmed_at = token.user.confirmed_at or utcnow()
    return token.user


def update_profile(user: User, *, display_name: str, locale: str) -> None:
    user.display_name = display_name.strip()
    if locale in ("ja", "en"):
        user.locale = locale


def hold_account(user) -> None:
    """Hold this person's account row until the transaction ends (a no-op update), so that their writes
    that must not interleave go one at a time: on PostgreSQL a second transaction waits for the row; on
    SQLite the write lock is taken here, before any savepoint (see common/sqlite.py). Call it before
    locking other rows, so that locks are always taken in the same order."""
    db.session.execute(update(User).where(User.id == user.id).values(updated_at=User.updated_at)
                       .execution_options(synchronize_session=False))


def set_locale(user: User, locale: str) -> None:
    if locale in ("ja", "en"):
        user.locale = locale


def update_demographics(user: User, *, age_band: str | None, age_consent: bool,
                        area_id: int | None, area_consent: bool) -> ParticipantProfile:
    """Each item is kept only with its own consent; unticking a consent erases the item."""
    profile = user.profile or ParticipantProfile(user=user)
    now = utcnow()
    if age_consent and age_band in AGE_BANDS:
        if profile.age_band != age_band or profile.age_band_consented_at is None:
            profile.age_band_consented_at = now
        profile.age_band = age_band
    else:
        profile.age_band = None
        profile.age_band_consented_at = None
    if area_consent and area_id is not None:
        if db.session.get(Area, area_id) is None:
            raise DomainError(_l("Please choose an area from the list."))
        if profile.area_id != area_id or profile.area_consented_at is None:
            profile.area_consented_at = now
        profile.area_id = area_id
    else:
        profile.area_id = None
        profile.area_consented_at = None
    db.session.add(profile)
    return profile


def _iso(value):
    return value.isoformat() if value else None


def export_user_data(user: User) -> dict:
    """Everything the platform holds about this person. Features add sections via DATA_EXPORTERS."""
    db.session.add(DataExport(user_id=user.id))
    record_audit(user, "account.data_download", user)
    profile = user.profile
    data = {
        "generated_at": utcnow().isoformat(),
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "locale": user.locale,
            "created_at": _iso(user.created_at),
            "confirmed_at": _iso(user.confirmed_at),
            "last_sign_in_at": _iso(user.last_sign_in_at),
            "blocked_at": _iso(user.blocked_at),
            "blocked_reason": user.blocked_reason,
        },
        "policy_consents": [
            {"policy": c.policy, "version": c.version, "agreed_at": _iso(c.agreed_at)} for c in user.consents
        ],
        "profile": {
            "age_band": profile.age_band if profile else None,
            "age_band_consented_at": _iso(profile.age_band_consented_at) if profile else None,
            "area": profile.area.name_ja if profile and profile.area else None,
            "area_consented_at": _iso(profile.area_consented_at) if profile else None,
        },
    }
    data["data_downloads"] = [_iso(at) for at in db.session.scalars(
        select(DataExport.created_at).where(DataExport.user_id == user.id).order_by(DataExport.id))]
    data["activity_log"] = [
        {"action": entry.action, "at": _iso(entry.created_at), "ip_address": entry.ip_address}
        for entry in db.session.scalars(select(AuditLog).where(AuditLog.actor_id == user.id).order_by(AuditLog.id))
    ]
    for name, exporter in DATA_EXPORTERS.items():
        data[name] = exporter(user)
    return data


# Feature packages register `name -> callable(user) -> JSON-able` to extend the data download.
DATA_EXPORTERS: dict = {}
# Feature packages register callables(user) run when an account is deleted (e.g. drop supports' personal links).
DELETION_HOOKS: list = []


def delete_account(user: User, password: str | None, *, actor: User | None = None) -> None:
    """Erase personal data; authored public content stays, shown as 'deleted participant'."""
    if actor is None and not check_password(user, password or ""):
        raise DomainError(_l("Your current password is not correct."))
    record_audit(actor or user, "account.delete", user)
    for hook in DELETION_HOOKS:
        hook(user)
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    if user.profile is not None:
        db.session.delete(user.profile)
    user.email = None
    user.display_name = ""
    user.password_hash = None
    user.deleted_at = utcnow()
    user.session_token = new_session_token()  # ends every session


def _check_new_account(email: str, display_name: str, password: str) -> None:
    """The form rules again, for callers without a form (the CLI, imports): nothing invalid is stored."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(_l("Please enter a valid email address.")) from None
    if len(email) > 254:
        raise DomainError(_l("Please enter a valid email address."))
    name = (display_name or "").strip()
    if not 1 <= len(name) <= 50 or any(ord(ch) < 32 for ch in name):
        raise DomainError(_l("Please enter between %(min)d and %(max)d characters.", min=1, max=50))
    if not 10 <= len(password or "") <= 128:
        raise DomainError(_l("Please enter between %(min)d and %(max)d characters.", min=10, max=128))


def create_user(*, email: str, display_name: str, password: str, role: str = "resident",
                locale: str = "ja", confirmed: bool = True, actor: User | None = None) -> User:
    if role not in ROLES:
        raise DomainError(_l("Unknown role."))
    email = normalise_email(email)
    _check_new_account(email, display_name, password)
    if user_by_email(email) is not None:
        raise DomainError(_l("An account with this email address already exists."))
    user = User(email=email, display_name=display_name.strip(), password_hash=hash_password(password),
                role=role, locale=locale if locale in LOCALES else "ja",
                confirmed_at=utcnow() if confirmed else None)
    db.session.add(user)
    db.session.flush()
    record_audit(actor, "user.create", user, {"role": role})
    return user


def set_role(actor: User, user: User, role: str) -> None:
    if role not in ROLES:
        raise DomainError(_l("Unknown role."))
    if user.id == actor.id and role != "admin":
        raise DomainError(_l("You cannot remove your own administrator role."))
    old = user.role
    user.role = role
    user.session_token = new_session_token()
    record_audit(actor, "user.role", user, {"from": old, "to": role})


def block_user(actor: User, user: User, reason: str) -> None:
    if user.id == actor.id:
        raise DomainError(_l("You cannot block yourself."))
    if user.is_admin and not actor.is_admin:
        raise DomainError(_l("Only an administrator can block an administrator."), 403)
    user.blocked_at = utcnow()
    user.blocked_reason = reason.strip()
    user.session_token = new_session_token()
    record_audit(actor, "user.block", user, {"reason": reason.strip()})


def unblock_user(actor: User, user: User) -> None:
    user.blocked_at = None
    user.blocked_reason = None
    record_audit(actor, "user.unblock", user)


def save_area(actor: User, area: Area | None, *, name_ja: str, name_en: str, position: int) -> Area:
    duplicate = db.session.scalar(select(Area).where(Area.name_ja == name_ja.strip(),
                                                     Area.id != (area.id if area else -1)))
    if duplicate is not None:
        raise DomainError(_l("An area with this name already exists."))
    created = area is None
    area = area or Area()
    area.name_ja, area.name_en, area.position = name_ja.strip(), name_en.strip(), position
    db.session.add(area)
    db.session.flush()
    record_audit(actor, "area.create" if created else "area.update", area, {"name": area.name_ja})
    return area


def purge_expired(now=None) -> dict:
    """Retention: expired tokens, accounts never confirmed after N days, and the records of data
    downloads older than DATA_EXPORT_RETENTION_DAYS (the download itself is generated on demand and
    never stored)."""
    now = now or utcnow()
    tokens = db.session.execute(delete(AccountToken).where(AccountToken.expires_at < now)).rowcount
    cutoff = now - timedelta(days=current_app.config["UNCONFIRMED_ACCOUNT_DAYS"])
    stale = db.session.scalars(
        select(User).where(User.confirmed_at.is_(None), User.deleted_at.is_(None), User.created_at < cutoff,
                           User.role == "resident")
    ).all()
    for user in stale:
        db.session.delete(user)
    export_cutoff = now - timedelta(days=current_app.config.get("DATA_EXPORT_RETENTION_DAYS", 90))
    exports = db.session.execute(delete(DataExport).where(DataExport.created_at < export_cutoff)).rowcount
    return {"tokens": tokens or 0, "unconfirmed_accounts": len(stale), "data_exports": exports or 0}


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0
