"""The Supervisor's HTTP API: the consent answer and the host facts for event context."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from crash_reporter.const import API_MAX_BODY_BYTES, API_TIMEOUT_S
from crash_reporter.errors import SupervisorApiError
from crash_reporter.models import Consent, HostFacts

_LOGGER = logging.getLogger(__name__)

# Keys of the info endpoints whose values identify the host: never put into events, only
# handed to the scrubber so it can remove them wherever they appear.
_IDENTIFYING_KEYS = ("hostname", "llmnr_hostname", "machine_id", "ip_address")


class SupervisorApi:
    """A thin client for the few endpoints the app reads (role `manager`)."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str | None) -> None:
        """Use `session` for requests to `url` with the app's token."""
        self._session = session
        self._url = url.rstrip("/")
        self._token = token

    async def get(self, path: str, *, wrapped: bool = True) -> dict[str, Any]:
        """GET `path` and return the `data` of the Supervisor's JSON wrapper.

        `wrapped=False` is for Home Assistant Core's API proxied by the Supervisor
        (``/core/api/...``), whose replies are plain JSON objects.

        Every failure (unreachable, time-out, 401, 5xx, garbage, a redirect, a body over
        API_MAX_BODY_BYTES) becomes SupervisorApiError with a short reason that never
        contains the token. A redirect is never followed: the Supervisor does not redirect
        its API, and the answer of wherever it points is not the Supervisor's (nor may the
        token travel there). The body is read in pieces and given up past the limit, so a
        huge answer costs at most that much memory.
        """
        body = await self._request("GET", path, None)
        return _unwrap(path, body) if wrapped else _json_object(path, body)

    async def post_core(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST `payload` as JSON to Core's API through the Supervisor; the reply's object.

        For ``/core/api/template``, whose reply is the rendered text: the template must
        render a JSON object. Failures as for `get`.
        """
        return _json_object(path, await self._request("POST", path, payload))

    async def _request(self, method: str, path: str, payload: dict[str, Any] | None) -> bytes:
        """The body of a successful answer to `method` `path` (see `get` for failures)."""
        if not self._token:
            raise SupervisorApiError("no SUPERVISOR_TOKEN in the environment")
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            async with asyncio.timeout(API_TIMEOUT_S):
                async with self._session.request(method, f"{self._url}{path}", headers=headers,
                                                 json=payload, allow_redirects=False) as resp:
                    status = resp.status
                    if 300 <= status < 400:
                        raise SupervisorApiError(f"{path}: redirected ({status}), not followed")
                    body = await _read_bounded(path, resp)
        except TimeoutError as err:
            raise SupervisorApiError(f"{path}: no answer within {API_TIMEOUT_S:.0f} s") from err
        except aiohttp.ClientError as err:
            raise SupervisorApiError(f"{path}: unreachable ({type(err).__name__})") from err
        if status in {401, 403}:
            raise SupervisorApiError(f"{path}: refused ({status}); is hassio_api set?")
        if status >= 400:
            raise SupervisorApiError(f"{path}: HTTP {status}")
        return body

    async def read_consent(self) -> tuple[Consent, str]:
        """Ask the Supervisor for the diagnostics opt-in: ON, OFF, or UNKNOWN with a reason."""
        try:
            data = await self.get("/supervisor/info")
        except SupervisorApiError as err:
            return Consent.UNKNOWN, str(err)
        diagnostics = data.get("diagnostics")
        supported = data.get("supported")
        if diagnostics is True and supported is True:
            return Consent.ON, "diagnostics on, system supported"
        if diagnostics is True and supported is False:
            return Consent.OFF, "diagnostics on but the system is unsupported"
        if diagnostics is False or diagnostics is None:
            return Consent.OFF, f"diagnostics {'off' if diagnostics is False else 'never chosen'}"
        return Consent.UNKNOWN, "/supervisor/info: diagnostics/supported have unexpected types"

    async def host_facts(self) -> HostFacts:
        """Collect versions and platform from /info, /host/info, /os/info, /supervisor/info.

        Endpoints that fail are skipped (logged at DEBUG): facts are context, not essential.
        """
        replies: dict[str, dict[str, Any]] = {}
        for path in ("/info", "/host/info", "/os/info", "/supervisor/info"):
            try:
                replies[path] = await self.get(path)
            except SupervisorApiError as err:
                _LOGGER.debug("Host facts: %s", err)
        info = replies.get("/info", {})
        host = replies.get("/host/info", {})
        os_info = replies.get("/os/info", {})
        sup = replies.get("/supervisor/info", {})
        identifiers: list[str] = []
        for reply in replies.values():
            for key in _IDENTIFYING_KEYS:
                value = reply.get(key)
                if isinstance(value, str) and value.strip():
                    identifiers.append(value.strip())
        return HostFacts(
            supervisor_version=_str(sup.get("version")) or _str(info.get("supervisor")),
            os_version=_str(os_info.get("version")) or _str(info.get("hassos")),
            agent_version=_str(host.get("agent_version")),
            core_version=_str(info.get("homeassistant")),
            arch=_str(info.get("arch")) or _str(sup.get("arch")),
            machine=_str(info.get("machine")),
            board=_str(os_info.get("board")),
            installation_type=_installation_type(info, host),
            channel=_str(sup.get("channel")) or _str(info.get("channel")),
            identifiers=tuple(dict.fromkeys(identifiers)),
        )


async def _read_bounded(path: str, resp: aiohttp.ClientResponse) -> bytes:
    """The body of `resp`, or SupervisorApiError once it passes API_MAX_BODY_BYTES."""
    if (resp.content_length or 0) > API_MAX_BODY_BYTES:
        raise SupervisorApiError(f"{path}: the answer is over {API_MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for piece in resp.content.iter_chunked(65536):
        body += piece
        if len(body) > API_MAX_BODY_BYTES:
            raise SupervisorApiError(f"{path}: the answer is over {API_MAX_BODY_BYTES} bytes")
    return bytes(body)


def _unwrap(path: str, body: bytes) -> dict[str, Any]:
    """Check the `{"result": "ok", "data": {...}}` wrapper and return the data."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise SupervisorApiError(f"{path}: the answer is not JSON") from err
    if not isinstance(doc, dict) or doc.get("result") != "ok":
        message = doc.get("message") if isinstance(doc, dict) else None
        shown = str(message)[:80] if message else "no message"
        raise SupervisorApiError(f"{path}: error answer ({shown})")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise SupervisorApiError(f"{path}: the answer has no data object")
    return data


def _json_object(path: str, body: bytes) -> dict[str, Any]:
    """A reply that is a plain JSON object (Core's API)."""
    try:
        doc = json.loads(body)
    except ValueError as err:
        raise SupervisorApiError(f"{path}: the answer is not JSON") from err
    if not isinstance(doc, dict):
        raise SupervisorApiError(f"{path}: the answer is not a JSON object")
    return doc


def _str(value: object) -> str | None:
    """A non-empty string, or None."""
    return value if isinstance(value, str) and value else None


def _installation_type(info: dict[str, Any], host: dict[str, Any]) -> str | None:
    """Derive the installation type the way Home Assistant names it."""
    if info.get("hassos"):
        return "Home Assistant OS"
    if host.get("deployment") or info.get("supervisor"):
        return "Home Assistant Supervised"
    return None
