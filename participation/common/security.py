"""Security headers on every response, and safe redirect targets."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit


def tile_origin(tile_url: str | None) -> str | None:
    """The origin (scheme://host[:port]) of a map tile URL template such as
    https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png, or None when it is not an absolute http(s) URL.
    A "{s}." subdomain placeholder becomes "*." on that one host (no wider wildcard is ever produced)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    host = parts.netloc.lower()
    if host.startswith("{s}."):
        host = "*." + host[4:]
    name = host[2:] if host.startswith("*.") else host
    if not name or not all(ch.isalnum() or ch in ".-:" for ch in name) or name[0] in ".:-":
        return None
    if host.startswith("*.") and "." not in name.split(":")[0]:
        return None  # "*.jp" would allow a whole top-level domain
    return f"{parts.scheme}://{host}"


@lru_cache(maxsize=8)
def content_security_policy(tile_url: str | None = None) -> str:
    origin = tile_origin(tile_url)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:" + (f" {origin}" if origin else ""),
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


CSP = content_security_policy()


def add_security_headers(response):
    from flask import current_app

    response.headers.setdefault("Content-Security-Policy",
                                content_security_policy(current_app.config.get("MAP_TILE_URL")))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    return response


def refuse_nul_characters():
    """NUL never appears in a real URL and PostgreSQL cannot store or compare it: refuse it in the path
    and the query string up front instead of failing deep in a query. (Form fields get a message from
    their length validator, see common/forms.py.)"""
    from flask import abort, request

    if "\x00" in request.path:
        abort(400)
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            abort(400)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths may be redirect targets: no scheme, no host, no protocol-relative //."""
    if not target:
        return default
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def public_base_url() -> str | None:
    """Where links in mails point (scheme://host, no trailing slash): PUBLIC_BASE_URL; else, during a request,
    the request's own host, but only one the site is known to be served under (Flask's TRUSTED_HOSTS, or a
    local address in development). The Host header is whatever the client sends: a password-reset link built
    from any host hands the token to the site the requester named, so an unknown host is refused (400).
    None outside a request when PUBLIC_BASE_URL is not set."""
    from flask import abort, current_app, has_request_context, request
    from werkzeug.sansio.utils import host_is_trusted

    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/")
    if not has_request_context():
        return None
    if not host_is_trusted(request.host, current_app.config.get("TRUSTED_HOSTS") or LOCAL_HOSTS):
        current_app.logger.error("Refused to write a link to host %r into a mail: set PUBLIC_BASE_URL", request.host)
        abort(400)
    return request.host_url.rstrip("/")
