"""SSH hosts: one persistent OpenSSH connection per host, and a local unix socket that forwards over it.

docker-py's own ssh transport (paramiko, or `use_ssh_client`) opens a fresh ssh for every request,
about 400 ms each here. Instead, per SSH host and process:

- one OpenSSH master (`ssh -M -N`, ControlMaster) holds the connection and its authentication;
- a local unix socket (`<runtime dir>/<host id>-<pid>.sock`, mode 0600) stands for the daemon: the
  master forwards it to the remote daemon's socket itself (`-O forward -L local:remote`, the remote
  socket found once with `docker context inspect` over the master), so a new connection is one more
  channel on the existing ssh connection; when the remote daemon is not on a unix socket, each
  connection is handed instead, as stdin/stdout, to `ssh -S <control> ... docker system dial-stdio`
  (a multiplexed session; still no byte passes through Python);
- docker-py (which keeps its HTTP connections alive and pooled) and `docker compose`
  (DOCKER_HOST=unix://<that socket>) both talk to that socket.

ssh always runs with `-F /dev/null` (never the user's ~/.ssh/config or /etc/ssh/ssh_config), sdmd's
own key only (IdentitiesOnly, no agent), and a known_hosts file of sdmd's own with
StrictHostKeyChecking=yes: a host key is only ever trusted after it was pinned explicitly.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import shlex
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sdmd.errors import Conflict, DockerUnavailable, HostKeyChanged, HostUnreachable, SdmdError
from sdmd.secretbox import write_private_file

log = logging.getLogger("sdmd.hosts")

KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512",
             "rsa-sha2-256", "ssh-rsa")  # the order OpenSSH prefers them in
# The remote daemon's address as the remote docker CLI sees it (DOCKER_HOST, else its current context).
DISCOVER = ["docker", "context", "inspect", "--format", "'{{.Endpoints.docker.Host}}'"]
RETRY_SECONDS = 1.0  # after a failed connect, callers get the same error for this long instead of a new ssh


class HostKeyNotPinned(Conflict):
    message = "host key not confirmed"


@dataclass(frozen=True)
class SshTarget:
    user: str | None
    host: str
    port: int
    identity: Path
    known_hosts: Path

    @property
    def pattern(self) -> str:
        """How known_hosts names this host (and how ssh-keyscan prints it)."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"


@dataclass(frozen=True)
class HostKey:
    type: str
    fingerprint: str  # SHA256:<base64>, as `ssh-keygen -l` prints it
    line: str  # the known_hosts line

    def view(self) -> dict[str, str]:
        return {"type": self.type, "fingerprint": self.fingerprint}


def fingerprint(blob_b64: str) -> str:
    digest = hashlib.sha256(base64.b64decode(blob_b64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _parse(lines: str) -> list[HostKey]:
    keys = []
    for line in lines.splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#"):
            try:
                keys.append(HostKey(type=parts[1], fingerprint=fingerprint(parts[2]), line=" ".join(parts[:3])))
            except (ValueError, TypeError):
                continue
    order = {t: i for i, t in enumerate(KEY_TYPES)}
    return sorted(keys, key=lambda k: order.get(k.type, len(order)))


def scan(target: SshTarget, timeout: float) -> list[HostKey]:
    """The host keys the server presents now (ssh-keyscan: no login, nothing trusted)."""
    try:
        proc = subprocess.run(["ssh-keyscan", "-T", str(max(1, round(timeout))), "-p", str(target.port),
                               "-t", "ed25519,ecdsa,rsa", target.host],
                              capture_output=True, text=True, timeout=timeout * 3 + 5)
    except subprocess.TimeoutExpired as exc:
        raise HostUnreachable(details=f"ssh {target.pattern}: no answer within {timeout:g}s") from exc
    keys = _parse(proc.stdout)
    if not keys:
        reason = " ".join(line for line in proc.stderr.splitlines() if not line.startswith("#")).strip()
        raise HostUnreachable(details=f"ssh {target.pattern}: no host key received ({reason or 'no answer'})")
    return keys


def pinned(target: SshTarget) -> list[HostKey]:
    try:
        return _parse(target.known_hosts.read_text())
    except FileNotFoundError:
        return []


def pin(target: SshTarget, keys: list[HostKey]) -> None:
    """Trust exactly these keys for the host (replacing any pinned before)."""
    text = "".join(f"{k.line}\n" for k in keys)
    write_private_file(target.known_hosts, text.encode())


def options(target: SshTarget, control: Path | None, connect_timeout: float, *, forwards: bool = False) -> list[str]:
    """`forwards`: for the `-O forward` request only; everywhere else ClearAllForwardings keeps every
    connection free of forwardings (it would also clear the -L of that request)."""
    opts = {
        "BatchMode": "yes", "IdentitiesOnly": "yes", "IdentityFile": str(target.identity), "IdentityAgent": "none",
        "PasswordAuthentication": "no", "KbdInteractiveAuthentication": "no",
        "UserKnownHostsFile": str(target.known_hosts), "GlobalKnownHostsFile": "/dev/null",
        "StrictHostKeyChecking": "yes", "CheckHostIP": "no", "UpdateHostKeys": "no", "HashKnownHosts": "no",
        "ForwardAgent": "no", "ForwardX11": "no", "ClearAllForwardings": "no" if forwards else "yes",
        "PermitLocalCommand": "no",
        "ProxyCommand": "none", "LogLevel": "ERROR", "ConnectTimeout": str(max(1, round(connect_timeout))),
        "ServerAliveInterval": "5", "ServerAliveCountMax": "2", "ControlPath": str(control) if control else "none",
        "StreamLocalBindUnlink": "yes", "StreamLocalBindMask": "0177",
    }
    args = ["ssh", "-F", "/dev/null"]
    for key, value in opts.items():
        args += ["-o", f"{key}={value}"]
    args += ["-p", str(target.port)]
    if target.user:
        args += ["-l", target.user]
    return [*args, target.host]


def classify(stderr: str, target: SshTarget) -> SdmdError:
    """ssh's own words turned into sdmd's errors."""
    text = " ".join(stderr.split())
    where = f"ssh {target.user + '@' if target.user else ''}{target.pattern}"
    if "host key verification failed" in text.lower() or "identification has changed" in text.lower():
        if pinned(target):
            return HostKeyChanged(details=f"{where}: the server's host key is not the one pinned; refusing to "
                                          f"connect. If it changed on purpose, confirm the new fingerprint with "
                                          f"POST /api/hosts/{{id}}/test ({text[-300:]})")
        return HostKeyNotPinned(details=f"{where}: no host key is pinned yet; POST /api/hosts/{{id}}/test shows "
                                        "the fingerprint to confirm")
    if "permission denied" in text.lower():
        return HostUnreachable("ssh login refused", f"{where}: {text[-500:]}")
    return HostUnreachable(details=f"{where}: {text[-500:] or 'ssh exited'}")


def run(target: SshTarget, command: list[str], timeout: float, control: Path | None = None,
        raw: bool = False) -> str:
    """One command over ssh (through the master when `control` is given); its stdout. The remote shell
    sees each argument quoted, so a path from a container label can never become shell syntax there
    (`raw`: sdmd's own fixed command lines only)."""
    remote = " ".join(command) if raw else " ".join(shlex.quote(arg) for arg in command)
    try:
        proc = subprocess.run([*options(target, control, timeout), "--", remote], capture_output=True, text=True,
                              timeout=timeout + 5, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise HostUnreachable(details=f"ssh {target.pattern}: no answer within {timeout:g}s") from exc
    if proc.returncode == 255:
        raise classify(proc.stderr, target)
    if proc.returncode != 0:
        raise HostUnreachable("remote command failed", f"{' '.join(command)}: {proc.stderr.strip()[-500:]}")
    return proc.stdout


class SshTunnel:
    """The master connection and the forwarding socket of one SSH host in this process."""

    def __init__(self, target: SshTarget, runtime_dir: Path, name: str, connect_timeout: float = 5.0) -> None:
        self.target = target
        self.connect_timeout = connect_timeout
        self.control = runtime_dir / f"{name}.ctl"
        self.socket_path = runtime_dir / f"{name}.sock"
        self._log = runtime_dir / f"{name}.log"
        self._master: subprocess.Popen | None = None
        self._server: socket.socket | None = None
        self._children: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._last_error: SdmdError | None = None
        self._last_attempt = 0.0
        self._closed = False
        self._remote_socket: str | None = None  # None: not asked yet; "": not a unix socket (dial-stdio)
        self.mode = ""  # "forward" or "dial-stdio", once connected

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    # -- the master connection -----------------------------------------------------------
    def ensure(self) -> None:
        """Listening, with a live master; raises the reason when the host cannot be reached (Endpoint.prepare)."""
        with self._lock:
            if self._closed:
                raise DockerUnavailable(details=f"ssh {self.target.pattern}: the connection was closed")
            if self._master is not None and self._master.poll() is None:
                return
            if self._last_error is not None and time.monotonic() - self._last_attempt < RETRY_SECONDS:
                raise type(self._last_error)(self._last_error.message, self._last_error.details)
            self._start_master()
            self._route()

    def _route(self) -> None:
        """How connections to the local socket reach the daemon, fastest first.

        When the remote daemon is on a unix socket (the usual case), OpenSSH forwards the local socket to
        it itself (`-O forward -L local:remote` on the master): a new connection is one channel on the
        existing ssh connection, no process anywhere. Otherwise each connection becomes a `docker system
        dial-stdio` session (which follows the remote's DOCKER_HOST and docker context).
        """
        if self._remote_socket is None:
            try:
                found = run(self.target, DISCOVER, timeout=self.connect_timeout * 2, control=self.control,
                            raw=True).strip()
                self._remote_socket = found.removeprefix("unix://") if found.startswith("unix://") else ""
            except SdmdError as exc:  # asked again at the next connection; dial-stdio meanwhile
                log.warning("ssh %s: remote docker socket not found (%s); using dial-stdio", self.target.pattern,
                            exc.details)
        if self._remote_socket:
            if self._server is not None:  # an earlier dial-stdio listener gives the path back
                self._server.close()
                self._server = None
            self.socket_path.unlink(missing_ok=True)  # a dead master's socket file: wait for the new one
            forward = subprocess.run(
                [*options(self.target, self.control, self.connect_timeout, forwards=True), "-O", "forward",
                 "-L", f"{self.socket_path}:{self._remote_socket}"],
                capture_output=True, text=True, timeout=self.connect_timeout + 5, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 2
            while forward.returncode == 0 and not self.socket_path.exists() and time.monotonic() < deadline:
                time.sleep(0.005)  # the master binds it just after confirming
            if forward.returncode == 0 and self.socket_path.exists():
                self.mode = "forward"
                return
            log.warning("ssh %s: socket forwarding refused (%s); using dial-stdio", self.target.pattern,
                        forward.stderr.strip() or "the socket did not appear")
        if self._server is not None:  # listen afresh: a forward of an earlier master may have taken the path
            self._server.close()
            self._server = None
        self._listen()
        self.mode = "dial-stdio"

    def _start_master(self) -> None:
        self._last_attempt = time.monotonic()
        self._stop_master()
        self.control.unlink(missing_ok=True)
        with open(self._log, "wb") as err:
            proc = subprocess.Popen([*options(self.target, self.control, self.connect_timeout), "-M", "-N",
                                     "-o", "ControlMaster=yes", "-o", "ControlPersist=no"],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                    start_new_session=True)
        deadline = time.monotonic() + self.connect_timeout + 2
        while not self.control.exists():  # ssh creates the control socket once logged in
            if proc.poll() is not None:
                self._last_error = classify(self._log.read_text(errors="replace"), self.target)
                raise self._last_error
            if time.monotonic() > deadline:
                _kill(proc)
                self._last_error = HostUnreachable(
                    details=f"ssh {self.target.pattern}: no login within {self.connect_timeout + 2:g}s")
                raise self._last_error
            time.sleep(0.01)
        self._master = proc
        self._last_error = None
        log.info("ssh master to %s up (pid %s)", self.target.pattern, proc.pid)

    def _stop_master(self) -> None:
        if self._master is not None:
            _kill(self._master)
            self._master = None

    # -- the forwarding socket --------------------------------------------------------------
    def _listen(self) -> None:
        self.socket_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.socket_path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # the socket is as private as the key behind it
        try:
            server.bind(str(self.socket_path))
        finally:
            os.umask(old_umask)
        server.listen(64)
        server.settimeout(0.5)
        self._server = server
        threading.Thread(target=self._serve, args=(server,), name=f"sdmd-ssh-{self.target.host}",
                         daemon=True).start()

    def _serve(self, server: socket.socket) -> None:
        dial = [*options(self.target, self.control, self.connect_timeout), "-T", "-o", "ControlMaster=no",
                "--", "docker", "system", "dial-stdio"]
        while not self._closed:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                self._reap()
                continue
            except OSError:
                return
            try:
                self.ensure()
                proc = subprocess.Popen(dial, stdin=conn.fileno(), stdout=conn.fileno(), stderr=subprocess.DEVNULL,
                                        start_new_session=True)
            except Exception as exc:  # the caller sees its connection closed; ensure() tells it why
                log.debug("ssh %s: connection not forwarded: %s", self.target.pattern, exc)
                conn.close()
                continue
            conn.close()  # the session holds its own copy of the socket
            with self._lock:
                self._children.append(proc)

    def _reap(self) -> None:
        with self._lock:
            self._children = [c for c in self._children if c.poll() is None]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            server, self._server = self._server, None
            children, self._children = self._children, []
        if server is not None:
            server.close()
        self.socket_path.unlink(missing_ok=True)
        for child in children:
            _kill(child)
        with self._lock:
            self._stop_master()
        self.control.unlink(missing_ok=True)
        self._log.unlink(missing_ok=True)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=3)
