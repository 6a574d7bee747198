"""The HTTP side of logs: `GET /api/services/{id}/logs` answers a follow stream, a filtered read or a download."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.errors import InvalidInput
from sdmd.live.logs import Cursor, LogFollow, download, parse_time, read_lines, targets
from sdmd.live.runtime import get_live
from sdmd.live.streams import End
from sdmd.services import service

LOGS_DOC = (
    "`container` picks one container (name, id or compose service); `since`/`until` bound the time "
    "(RFC 3339 or unix seconds, both inclusive); `download=true` answers a `text/plain` attachment of every "
    "matching line (all of them unless `tail` is given). With `Accept: text/event-stream` the logs are "
    "*followed* live from Docker's follow streams: the first `lines` event is the backlog (`tail` lines merged "
    "by time), then each line as the containers write it, including containers that start later. Every event's "
    "`id` is a cursor; reconnecting with `Last-Event-ID` resumes without losing or repeating a line."
)


def wants_stream(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")


def _filename(name: str, container: str | None) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{name}-{container}" if container else name)
    return f"{safe}-logs-{stamp}.log"


def respond(request: Request, core: Core, actor: Actor, service_id: str, *, tail: int, container: str | None,
            since: str | None, until: str | None, download_file: bool) -> Any:
    since_ns, until_ns = parse_time(since, "since"), parse_time(until, "until")
    if since_ns is not None and until_ns is not None and until_ns < since_ns:
        raise InvalidInput("invalid time range", "until is before since")
    _, name, host = service.resolve(core, service_id)
    explicit_tail = "tail" in request.query_params
    if wants_stream(request) and not download_file:
        live = get_live(request)
        queue: asyncio.Queue[bytes | End] = asyncio.Queue()
        cursor = Cursor.parse(request.headers.get("last-event-id"))
        follow = LogFollow(core, queue, host=host, project=name, only=container, tail=tail, since=since_ns,
                           until=until_ns, cursor=cursor)
        return live.stream(request, actor, "logs", queue=queue, producer=follow.start, cleanup=[follow.close])
    chosen = targets(core, host, name, container)
    docker = service.gateway_of(core, host)
    if download_file:
        body = download(docker, chosen, tail=tail if explicit_tail else None, since=since_ns, until=until_ns)
        return StreamingResponse(body, media_type="text/plain; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{_filename(name, container)}"'})
    lines, _ = read_lines(docker, chosen, tail=tail, since=since_ns, until=until_ns)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse([line.view() for line in lines])
    return PlainTextResponse("".join(f"{line.container} | {line.timestamp} {line.message}\n" for line in lines))
