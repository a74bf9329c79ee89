"""Sites: which site a page belongs to, and a site's name as the index keeps it."""

from __future__ import annotations

from urllib.parse import urlsplit


def site_of_url(url: str | None) -> str | None:
    """A url's site: its host, lowercase, without ``www.``; ``None`` if it has none."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return site_name(host) if host else None


def site_name(site: str) -> str | None:
    """A site's name as the index keeps it: lowercase, without ``www.``, no commas."""
    name = site.strip().lower().removeprefix("www.").replace(",", " ").strip()
    return name or None
