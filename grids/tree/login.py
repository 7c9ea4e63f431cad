"""What django-axes records of a login attempt: the user name and the client's address."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings

# django-axes keeps the user name of an attempt in a column of 255 characters.
RECORDED_USERNAME_LENGTH = 255


def attempted_username(request: Any, credentials: dict[str, Any] | None = None) -> str | None:
    """The user name a login attempt gave, as django-axes reads it by default, cut to the
    column it is stored in: a longer one made recording the failure a server error on
    PostgreSQL. No account has such a name (Django's stop at 150 characters), so cutting
    it cannot lock anyone else out."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return username[:RECORDED_USERNAME_LENGTH] if isinstance(username, str) else username


def client_address(request: Any) -> str | None:
    """The address a login attempt came from, as the trusted reverse proxies saw it.

    Behind TRUSTED_PROXY_COUNT proxies every request connects from the nearest one, so
    REMOTE_ADDR is the same for everyone and a lockout keyed on it would lock a user name
    out for the whole street. Each proxy appends the address that connected to it to
    X-Forwarded-For, so the client's is the entry that many places from the right; anything
    to its left was sent by the client and is not believed. Without proxies (the default,
    0) the header is ignored: anyone could write it.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        # Not through the whole chain of proxies (e.g. a health check from inside).
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
