"""uvicorn's Server, ending sdmd's live streams the moment shutdown begins.

uvicorn waits for open responses to finish before it shuts down, and HTTP has no way to tell an
open event stream that the server is going; without this, one open browser tab would hold a
restart until its stream idled out. Operations in progress still run to their end.
"""

from __future__ import annotations

import socket

import uvicorn


class Server(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        live = getattr(getattr(self.config.app, "state", None), "live", None)
        if live is not None:
            live.stop_streams()
        await super().shutdown(sockets)


def serve(app: object, *, host: str, port: int, **kwargs: object) -> None:
    """uvicorn.run(), with this server."""
    Server(uvicorn.Config(app, host=host, port=port, **kwargs)).run()  # type: ignore[arg-type]
