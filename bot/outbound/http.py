"""One JSON-over-HTTP call with failures turned into typed errors; URLs are never logged with their query."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import requests

from bot.outbound.errors import Unreachable

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0


def safe_url(url: str) -> str:
    """The URL without its query string, which may carry tokens, keys or signatures."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def new_session() -> requests.Session:
    """A requests session for one API client."""
    return requests.Session()


def call_json(http: requests.Session, method: str, url: str, *, params: dict | None = None,
              json: Any = None, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Send the request and return the decoded JSON object; transport trouble raises Unreachable."""
    try:
        resp = http.request(method, url, params=params, json=json, timeout=timeout)
    except requests.RequestException as exc:
        # The exception text embeds the full URL (tokens included), so only its type is kept.
        raise Unreachable(f"{method} {safe_url(url)} failed: {type(exc).__name__}") from None
    if resp.status_code >= 500:
        raise Unreachable(f"{method} {safe_url(url)} answered HTTP {resp.status_code}")
    try:
        data = resp.json()
    except ValueError:
        raise Unreachable(f"{method} {safe_url(url)} answered HTTP {resp.status_code} without JSON") from None
    if not isinstance(data, dict):
        raise Unreachable(f"{method} {safe_url(url)} answered a JSON {type(data).__name__}, not an object")
    log.debug("%s %s -> HTTP %s errcode=%s", method, safe_url(url), resp.status_code, data.get("errcode"))
    return data
