"""Stand-in for Home Assistant's ingress: the path the browser uses to reach the app's panel.

Written from shared/reference/app-packaging.md and supervisor/api/ingress.py. In Home
Assistant the browser asks Core for `/api/hassio_ingress/<session token>/<path>`; Core adds
`X-Ingress-Path: /api/hassio_ingress/<token>` and hands the request to the Supervisor, whose
proxy connects to the app from its fixed address (172.30.32.2) and:

- forwards the browser's headers (Origin, Referer, Sec-Fetch-*, cookies, ...) except
  Content-Length, Content-Encoding, Transfer-Encoding, its own token headers and any
  `X-Remote-User-*` the browser sent, which it sets itself from the session's user;
- appends the peer to `X-Forwarded-For`;
- passes the body (read whole), the query and the method; does not follow redirects;
- copies the reply's headers except Transfer-Encoding, Content-Length, Content-Type and
  Content-Encoding, and sets the reply's content type itself.

Here the proxy connects from `peer` (a loopback address such as 127.0.0.2, which the daemon
is told to trust), so a request from anywhere else (127.0.0.1) shows the panel's 403. The
session cookie check of the real proxy is left out: there is one user here.
"""

from __future__ import annotations

import secrets
from types import TracebackType

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

PEER = "127.0.0.2"
_DROPPED_REQUEST = {"content-length", "content-encoding", "transfer-encoding", "host",
                    "x-supervisor-token", "x-hassio-key", "x-remote-user-id",
                    "x-remote-user-name", "x-remote-user-display-name"}
_DROPPED_REPLY = {"transfer-encoding", "content-length", "content-type", "content-encoding"}


class IngressStandIn:
    """Serves `/api/hassio_ingress/<token>/...` on 127.0.0.1 and proxies it to the panel."""

    def __init__(self, panel_port: int, *, peer: str = PEER, user: str = "admin") -> None:
        """Proxy to 127.0.0.1:`panel_port`, connecting from `peer`."""
        self.panel_port = panel_port
        self.peer = peer
        self.user = user
        self.token = secrets.token_hex(16)
        self.port = 0
        self.requests: list[tuple[str, str]] = []  # (method, path) as the panel got them
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def prefix(self) -> str:
        """The ingress path of this session (what X-Ingress-Path says)."""
        return f"/api/hassio_ingress/{self.token}"

    @property
    def url(self) -> str:
        """The panel's address as the sidebar opens it (trailing slash included)."""
        return f"http://127.0.0.1:{self.port}{self.prefix}/"

    async def __aenter__(self) -> IngressStandIn:
        connector = aiohttp.TCPConnector(local_addr=(self.peer, 0), force_close=True)
        self._session = aiohttp.ClientSession(connector=connector)
        app = web.Application()
        app.router.add_route("*", "/api/hassio_ingress/{token}/{path:.*}", self._proxy)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _proxy(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            raise web.HTTPServiceUnavailable()  # as the Supervisor: no app for this token
        assert self._session is not None
        path = request.match_info["path"]
        headers = CIMultiDict[str]()
        headers["X-Remote-User-Id"] = "5c1d2f8e0a7b4c3d9e8f7a6b5c4d3e2f"
        headers["X-Remote-User-Name"] = self.user
        headers["X-Remote-User-Display-Name"] = self.user.title()
        for name, value in request.headers.items():
            if name.lower() not in _DROPPED_REQUEST:
                headers.add(name, value)
        headers["X-Ingress-Path"] = self.prefix  # added by Core before the Supervisor
        forwarded = request.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{forwarded}, {request.remote}" if forwarded else \
            str(request.remote)
        self.requests.append((request.method, f"/{path}"))
        async with self._session.request(
                request.method, f"http://127.0.0.1:{self.panel_port}/{path}",
                headers=headers, params=request.query, data=await request.read(),
                allow_redirects=False, skip_auto_headers={"Content-Type"}) as reply:
            out = CIMultiDict[str]((k, v) for k, v in reply.headers.items()
                                   if k.lower() not in _DROPPED_REPLY)
            body = await reply.read()
            content_type = reply.headers.get("Content-Type", "").partition(";")[0].strip()
            response = web.Response(status=reply.status, headers=out, body=body,
                                    content_type=content_type or None)
            charset = reply.charset
            if charset:
                response.charset = charset
            return response
