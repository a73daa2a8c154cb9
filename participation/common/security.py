"""Security headers on every response, and safe redirect targets."""
from __future__ import annotations

from urllib.parse import urlsplit

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
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
