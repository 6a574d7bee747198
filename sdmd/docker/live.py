"""Live Docker calls: compose with its progress streamed, follow streams (logs, stats, events), actions
on single containers, and exec sessions. Mixed into DockerGateway, so sdmd/docker stays the one place
that talks to Docker; the rest of sdmd sees plain Python iterators it can cancel from any thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker
from docker.errors import APIError, NotFound
from docker.types.daemon import CancellableStream

from sdmd.docker import compose_errors
from sdmd.docker.compose import TIMED_OUT, daemon_down_text
from sdmd.errors import ApplyFailed, Conflict, DockerUnavailable, InvalidInput, Timeout
from sdmd.errors import NotFound as SdmdNotFound
from sdmd.live import progress

log = logging.getLogger("sdmd.docker.live")

# -- compose's plain progress output, one line at a time ------------------------------------------------
_OBJECT_LINE = re.compile(r"^\s*(Container|Network|Volume|Image)\s+(\S+)\s+(\S.*?)\s*$")
_LAYER_LINE = re.compile(r"^\s*([0-9a-f]{12})\s+(Pulling fs layer|Waiting|Downloading|Verifying Checksum|"
                         r"Download complete|Extracting|Pull complete|Already exists)\s*(.*?)\s*$")
_SERVICE_LINE = re.compile(r"^\s*(\S+)\s+(Pulling|Pulled|Skipped.*|Interrupted|Error.*)\s*$")
_SIZES = re.compile(r"([\d.]+)\s*([kMGT]?B)\s*/\s*([\d.]+)\s*([kMGT]?B)")
_UNITS = {"B": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}


def parse_compose_line(line: str) -> dict[str, Any] | None:
    """One line of `docker compose --progress plain` as a progress event (None for a blank line)."""
    text = line.rstrip()
    if not text.strip():
        return None
    if m := _OBJECT_LINE.match(text):
        return {"kind": "compose", "object": m[1].lower(), "name": m[2], "status": m[3]}
    if m := _LAYER_LINE.match(text):
        event: dict[str, Any] = {"kind": "layer", "id": m[1], "status": m[2]}
        if sizes := _SIZES.search(m[3] or ""):
            event["current"] = int(float(sizes[1]) * _UNITS.get(sizes[2], 1))
            event["total"] = int(float(sizes[3]) * _UNITS.get(sizes[4], 1))
        return event
    if m := _SERVICE_LINE.match(text):
        return {"kind": "compose", "object": "service", "name": m[1], "status": m[2]}
    return {"kind": "output", "line": text.strip()}


def pull_event(ref: str, event: dict[str, Any], throttle: progress.Throttle) -> None:
    """The daemon's pull progress as events: per layer (throttled while bytes move), and per image."""
    status = event.get("status")
    if not status or not progress.active():
        return
    layer = event.get("id")
    if not layer or layer == ref.rsplit(":", 1)[-1]:
        progress.emit("pull", image=ref, status=status)
        return
    moving = status in ("Downloading", "Extracting")
    if throttle.allow(f"{ref}/{layer}", force=not moving):
        detail = event.get("progressDetail") or {}
        progress.emit("layer", image=ref, id=layer, status=status,
                      current=detail.get("current"), total=detail.get("total"))


@dataclass
class Stream:
    """A Docker follow stream: iterate it in one thread, close it from another to stop at once."""

    items: Iterator[Any]
    _cancellable: CancellableStream | None
    _client: docker.APIClient

    def __iter__(self) -> Iterator[Any]:
        return self.items

    def close(self) -> None:
        try:
            if self._cancellable is not None:
                self._cancellable.close()
        except Exception as exc:  # e.g. ssh transports cannot cancel a stream: closing the client does
            log.debug("closing a docker stream: %s", exc)
        finally:
            self._client.close()


@dataclass
class ExecSession:
    """A running `docker exec` with a TTY: raw bytes both ways over one socket."""

    exec_id: str
    sock: socket.socket
    _raw: Any  # the SocketIO over `sock`: the fd is only released once it is closed too
    _client: docker.APIClient

    def close(self) -> None:
        for step in (lambda: self.sock.shutdown(socket.SHUT_RDWR), self.sock.close, self._raw.close,
                     self._client.close):
            with contextlib.suppress(OSError):
                step()


class LiveDocker:
    """The gateway's live section (see DockerGateway, which provides _client, _call, _compose...)."""

    compose_timeout: float = 300.0

    # -- compose, streamed line by line while an operation has a progress sink --------------------------
    def _compose_streamed(self, what: str, project: Any, args: list[str]) -> None:
        """The command python-on-whales would run (host flags, TLS, the coreutils deadline), but read line
        by line as compose prints it, each line parsed into a progress event."""
        self.endpoint.ready()  # type: ignore[attr-defined]
        cmd = [str(part) for part in self._compose(project).compose.docker_compose_cmd]  # type: ignore[attr-defined]
        host = self.endpoint.host  # type: ignore[attr-defined]
        progress.step(f"docker compose {what}")
        proc = subprocess.Popen([*cmd, "--progress", "plain", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, bufsize=1,
                                env=os.environ.copy())
        timer = threading.Timer(self.compose_timeout + 10, proc.kill)  # behind the deadline of `timeout`
        timer.start()
        lines: list[str] = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line.rstrip())
                if event := parse_compose_line(line):
                    progress.emit(**event)
            code = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if code == 0:
            return
        detail = "\n".join(line for line in lines if line.strip())[-4000:]
        if code < 0 or code in TIMED_OUT:
            raise Timeout(f"compose {what} timed out", f"host {host}: no result after {self.compose_timeout:g}s")
        if daemon_down_text(detail):
            raise DockerUnavailable(details=f"host {host}: {detail}")
        raise compose_errors.failure(ApplyFailed, what, detail, project)  # the cause, in words (as unstreamed)

    def compose_action(self, project: Any, action: str) -> None:
        """`docker compose stop|start|pause|unpause` of a whole project."""
        if action not in ("stop", "start", "pause", "unpause"):
            raise InvalidInput("unknown action", action)
        if progress.active():
            self._compose_streamed(action, project, [action])
            return
        self._run_compose(action, project, lambda c: getattr(c.compose, action)())  # type: ignore[attr-defined]

    # -- one container ------------------------------------------------------------------------------------
    def container_action(self, container_id: str, action: str) -> None:
        """stop, start, pause, unpause or restart one container (stop waits for its own stop timeout)."""
        calls = {"stop": lambda c: c.stop(container_id), "start": lambda c: c.start(container_id),
                 "pause": lambda c: c.pause(container_id), "unpause": lambda c: c.unpause(container_id),
                 "restart": lambda c: c.restart(container_id)}
        if action not in calls:
            raise InvalidInput("unknown action", action)
        progress.step(f"docker {action} {container_id[:12]}")
        try:
            self._call(action, calls[action], timeout=self.compose_timeout)
        except NotFound as exc:
            raise SdmdNotFound("container not found", container_id) from exc
        except Exception as exc:
            api_error = exc.__cause__ if isinstance(exc.__cause__, APIError) else None
            if api_error is not None and api_error.status_code in (304, 409):
                raise Conflict(f"cannot {action} the container", str(api_error.explanation or api_error)) from exc
            raise
        progress.emit("compose", object="container", name=container_id[:12], status=f"{action} done")

    # -- follow streams ---------------------------------------------------------------------------------
    def _stream_client(self) -> docker.APIClient:
        """A client of its own per stream (the host's address and TLS as for every call), without a read
        timeout once connected: a quiet container may say nothing for hours. Closing it closes exactly
        this stream's connection."""
        self.endpoint.ready()  # type: ignore[attr-defined]
        # No timeout from the start: docker-py gives the client's timeout to every socket it opens, so a
        # client made with one and cleared later would still end a quiet follow after that many seconds.
        # Streams are opened on their own thread, and closing the stream unblocks a hung connect too.
        return self._new_client(None)  # type: ignore[attr-defined]

    def _open(self, what: str, open_fn: Any) -> Stream:
        client = self._stream_client()
        try:
            return open_fn(client)
        except NotFound as exc:
            client.close()
            raise SdmdNotFound("container not found", str(exc.explanation or exc)) from exc
        except Exception as exc:
            client.close()
            raise DockerUnavailable(details=f"{what}: {exc}") from exc

    def follow_logs(self, container_id: str, *, since: str | None = None, until: str | None = None,
                    tail: int | None = None, follow: bool = True, tty: bool = False) -> Stream:
        """Raw log chunks with timestamps (since/until: unix seconds with up to 9 decimals, inclusive)."""
        params: dict[str, Any] = {"stdout": 1, "stderr": 1, "timestamps": 1, "follow": 1 if follow else 0,
                                  "tail": "all" if tail is None else str(tail)}
        if since:
            params["since"] = since
        if until:
            params["until"] = until

        def open_fn(client: docker.APIClient) -> Stream:
            response = client._get(client._url("/containers/{0}/logs", container_id), params=params, stream=True)
            client._raise_for_status(response)
            chunks = client._get_result_tty(True, response, tty)
            cancellable = CancellableStream(chunks, response)
            return Stream(cancellable, cancellable, client)

        return self._open("follow logs", open_fn)

    def follow_stats(self, container_id: str) -> Stream:
        """Docker's stats stream of one container: a sample about every second, as dicts."""
        def open_fn(client: docker.APIClient) -> Stream:
            response = client._get(client._url("/containers/{0}/stats", container_id), params={"stream": 1},
                                   stream=True)
            client._raise_for_status(response)
            cancellable = CancellableStream(client._stream_helper(response, decode=True), response)
            return Stream(cancellable, cancellable, client)

        return self._open("follow stats", open_fn)

    def follow_events(self, filters: dict[str, Any]) -> Stream:
        """Docker's /events stream (e.g. {"type": "container", "label": [...]}) as dicts."""
        def open_fn(client: docker.APIClient) -> Stream:
            events = client.events(decode=True, filters=filters)
            return Stream(events, events, client)

        return self._open("follow events", open_fn)

    # -- exec ---------------------------------------------------------------------------------------------
    def exec_open(self, container_id: str, cmd: list[str], *, env: dict[str, str], cols: int, rows: int
                  ) -> ExecSession:
        client = self._stream_client()
        try:
            created = client.exec_create(container_id, cmd, stdin=True, tty=True, environment=env)
            raw = client.exec_start(created["Id"], socket=True, tty=True)
            sock = raw._sock  # the SocketIO's socket: one hijacked connection carries both directions
            sock.settimeout(None)
            session = ExecSession(created["Id"], sock, raw, client)
        except APIError as exc:
            client.close()
            if exc.status_code == 404:
                raise SdmdNotFound("container not found", container_id) from exc
            raise Conflict("cannot open a terminal", str(exc.explanation or exc)) from exc
        except Exception as exc:
            client.close()
            raise DockerUnavailable(details=f"exec: {exc}") from exc
        self.exec_resize(session.exec_id, cols=cols, rows=rows)
        return session

    def exec_resize(self, exec_id: str, *, cols: int, rows: int) -> None:
        try:
            self._call("resize exec", lambda c: c.exec_resize(exec_id, height=rows, width=cols))  # type: ignore[attr-defined]
        except Exception as exc:  # the process may be gone already; resizing is best effort
            log.debug("resize exec %s: %s", exec_id[:12], exc)

    def exec_inspect(self, exec_id: str) -> dict[str, Any] | None:
        try:
            return self._call("inspect exec", lambda c: c.exec_inspect(exec_id))  # type: ignore[attr-defined]
        except Exception:
            return None

    def exec_quick(self, container_id: str, cmd: list[str]) -> None:
        """Run a short command in the container and wait for it (used to end a terminal's shell)."""
        def run(c: docker.APIClient) -> None:
            created = c.exec_create(container_id, cmd, stdout=False, stderr=False)
            c.exec_start(created["Id"], detach=False)

        try:
            self._call("exec", run, timeout=10)
        except Exception as exc:
            log.debug("exec %s in %s: %s", cmd, container_id[:12], exc)
