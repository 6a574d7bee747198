"""Real second (and third) Docker hosts for tests: a dockerd in a network namespace of the test's own.

Reusable by any test package (live streams, notifications, crash safety): import `RemoteHost` or
use the session fixtures of tests/hosts/conftest.py (`tls_host`, `ssh_host`). The recipe is the one
verified in DESIGN.md ("A second Docker host"):

- `ip netns add`, a veth pair with a /30 picked from 10.250.0.0/16 that no other interface uses
  (allocation holds a file lock, so parallel sessions, xdist workers and other helpers' runs never
  collide), `lo` up, a default route via the host side;
- `nsenter --net=... dockerd` with its own data root (/var/lib/sdmd-test/hosts/<tag>/docker), exec
  root and socket (/tmp/sdmdx<tag>/, short because of unix socket path limits), pidfile, cgroup
  parent, `bip` and address pools; listening on its unix socket (for the tests' own assertions)
  and on tcp://<guest ip>:2376 with mutual TLS (CA and certificates made by the test);
- a `docker-registry` inside the namespace on its 127.0.0.1:5000 sharing the storage directory of
  the main registry, so `127.0.0.1:5000/...` names pull there too;
- optionally sshd inside the namespace (`ListenAddress <guest ip>`, a test-made host key and
  authorized key, `SetEnv DOCKER_HOST=unix://<that dockerd>` so `docker system dial-stdio` reaches
  it).

Everything a host creates is written down in /var/lib/sdmd-test/hosts/<tag>/meta.json with the pid
of the test process that owns it; `sweep_stale()` (run at session start) tears down whatever a
crashed run left behind, and `teardown()` removes it all even after a failing test: daemons, sshd,
registry, container processes (by cgroup), mounts under the data root, the namespace, the veth,
the directories.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from tests.hosts.pki import Authority, Issued, SshKey, ssh_key

STATE_ROOT = Path(os.environ.get("SDMD_TEST_HOSTS_DIR", "/var/lib/sdmd-test/hosts"))
REGISTRY_STORAGE = Path(os.environ.get("SDMD_TEST_REGISTRY_DIR", "/var/lib/sdmd-test/registry"))
SUBNET = ipaddress.ip_network("10.250.0.0/16")
TLS_PORT = 2376
SSH_PORT = 22
PREFIX = "sdmdt"  # namespaces and veths of these fixtures start with it


def _run(*cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive for our purposes
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
            return False
    return True


def _wait(predicate, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class RemoteHost:
    """One dockerd in a namespace of its own; `start()` it, `teardown()` it (idempotent)."""

    label: str = "h"
    ssh: bool = False
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    authority: Authority = field(default_factory=Authority)
    client_tls: Issued | None = None
    ssh_client_key: SshKey | None = None
    ssh_host_key: SshKey | None = None
    host_ip: str = ""
    guest_ip: str = ""
    pids: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    # -- names and paths -------------------------------------------------------------------
    @property
    def netns(self) -> str:
        return f"{PREFIX}-{self.tag}"

    @property
    def veth_host(self) -> str:
        return f"{PREFIX}{self.tag}h"  # at most 15 characters

    @property
    def veth_guest(self) -> str:
        return f"{PREFIX}{self.tag}g"

    @property
    def root(self) -> Path:
        return STATE_ROOT / self.tag

    @property
    def exec_root(self) -> Path:
        return Path(f"/tmp/sdmdx{self.tag}")

    @property
    def socket(self) -> Path:
        return self.exec_root / "docker.sock"

    @property
    def docker_url(self) -> str:
        """The namespace daemon's own unix socket: what the tests use to look behind sdmd's back."""
        return f"unix://{self.socket}"

    @property
    def tcp_url(self) -> str:
        return f"tcp://{self.guest_ip}:{TLS_PORT}"

    @property
    def ssh_url(self) -> str:
        return f"ssh://root@{self.guest_ip}:{SSH_PORT}"

    @property
    def cgroup_parent(self) -> str:
        return f"{PREFIX}-{self.tag}"

    def tls_material(self) -> dict[str, str]:
        assert self.client_tls is not None
        return {"ca": self.authority.pem, "cert": self.client_tls.cert, "key": self.client_tls.key}

    def api(self, timeout: float = 30) -> docker.APIClient:
        return docker.APIClient(base_url=self.docker_url, version="auto", timeout=timeout)

    def docker_env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": self.docker_url}

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> RemoteHost:
        STATE_ROOT.mkdir(parents=True, exist_ok=True)
        try:
            self._allocate()
            self._network()
            self._certificates()
            self.start_dockerd()
            self._registry()
            if self.ssh:
                self._sshd()
        except BaseException:
            self.teardown()
            raise
        return self

    def _meta(self) -> dict[str, Any]:
        return {"owner": os.getpid(), "tag": self.tag, "netns": self.netns, "veth": self.veth_host,
                "host_ip": self.host_ip, "exec_root": str(self.exec_root), "cgroup_parent": self.cgroup_parent,
                "pids": self.pids}

    def _save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "meta.json").write_text(json.dumps(self._meta()))

    def _allocate(self) -> None:
        """A /30 no interface on this machine uses, chosen under a lock shared by every test run."""
        with open(STATE_ROOT / ".alloc.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            used = set()
            for line in _run("ip", "-o", "-4", "addr").stdout.splitlines():
                parts = line.split()
                if "inet" in parts:
                    used.add(ipaddress.ip_interface(parts[parts.index("inet") + 1]).network.network_address)
            for meta in STATE_ROOT.glob("*/meta.json"):
                with contextlib.suppress(Exception):
                    used.add(ipaddress.ip_interface(json.loads(meta.read_text())["host_ip"] + "/30").network
                             .network_address)
            for net in SUBNET.subnets(new_prefix=30):
                if net.network_address not in used:
                    hosts = list(net.hosts())
                    self.host_ip, self.guest_ip = str(hosts[0]), str(hosts[1])
                    break
            else:
                raise RuntimeError("no free /30 left in 10.250.0.0/16")
            self._save()  # written under the lock: the next allocation sees this address taken

    def _network(self) -> None:
        _run("ip", "netns", "add", self.netns)
        _run("ip", "link", "add", self.veth_host, "type", "veth", "peer", "name", self.veth_guest)
        _run("ip", "link", "set", self.veth_guest, "netns", self.netns)
        _run("ip", "addr", "add", f"{self.host_ip}/30", "dev", self.veth_host)
        _run("ip", "link", "set", self.veth_host, "up")
        ns = ("ip", "netns", "exec", self.netns)
        _run(*ns, "ip", "addr", "add", f"{self.guest_ip}/30", "dev", self.veth_guest)
        _run(*ns, "ip", "link", "set", self.veth_guest, "up")
        _run(*ns, "ip", "link", "set", "lo", "up")
        _run(*ns, "ip", "route", "add", "default", "via", self.host_ip)

    def _nsenter(self) -> list[str]:
        # Not `ip netns exec`: it remounts /sys, and dockerd then finds no devices cgroup.
        return ["nsenter", f"--net=/var/run/netns/{self.netns}"]

    def _certificates(self) -> None:
        tls = self.root / "tls"
        tls.mkdir(parents=True, exist_ok=True)
        server = self.authority.issue("docker", ips=(self.guest_ip,))
        self.client_tls = self.authority.issue("sdmd", client=True)
        (tls / "ca.pem").write_text(self.authority.pem)
        (tls / "cert.pem").write_text(server.cert)
        (tls / "key.pem").write_text(server.key)
        os.chmod(tls / "key.pem", 0o600)

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 (kept open by the child)
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs[name] = proc
        self.pids[name] = proc.pid
        self._save()
        return proc

    @property
    def containerd_socket(self) -> Path:
        return self.exec_root / "ctd.sock"

    def start_containerd(self) -> None:
        """containerd of its own, outside dockerd (as a packaged containerd.service is): killing dockerd
        leaves the containers running, and a restarted dockerd picks them up again. A containerd that
        dockerd manages dies with it and then often fails to come back while shims are still around."""
        config = self.root / "containerd.toml"
        config.write_text("\n".join([
            "version = 2", f'root = "{self.root / "containerd"}"', f'state = "{self.exec_root / "ctd-state"}"',
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
            "[grpc]", f'  address = "{self.containerd_socket}"',
            "[ttrpc]", f'  address = "{self.containerd_socket}.ttrpc"',
            "[debug]", '  address = ""', "",
        ]))
        self._spawn("containerd", [*self._nsenter(), "containerd", "--config", str(config)])

        def serving() -> bool:
            if self.procs["containerd"].poll() is not None:
                raise RuntimeError(f"containerd exited: {(self.root / 'containerd.log').read_text()[-2000:]}")
            return self.containerd_socket.exists()

        _wait(serving, 30, f"containerd of {self.netns}")

    def start_dockerd(self) -> None:
        """(Re)start the namespace's dockerd and wait until it answers."""
        self.exec_root.mkdir(parents=True, exist_ok=True)
        if "containerd" not in self.procs or self.procs["containerd"].poll() is not None:
            self.start_containerd()
        config = self.root / "daemon.json"
        config.write_text(json.dumps({"bip": "172.31.0.1/16", "cgroup-parent": self.cgroup_parent,
                                      "default-address-pools": [{"base": "10.214.0.0/16", "size": 24}]}))
        tls = self.root / "tls"
        self._spawn("dockerd", [
            *self._nsenter(), "dockerd", "--config-file", str(config),
            "--data-root", str(self.root / "docker"), "--exec-root", str(self.exec_root),
            "--pidfile", str(self.root / "dockerd.pid"), "--containerd", str(self.containerd_socket),
            "-H", self.docker_url, "-H", self.tcp_url,
            "--tlsverify", "--tlscacert", str(tls / "ca.pem"), "--tlscert", str(tls / "cert.pem"),
            "--tlskey", str(tls / "key.pem"),
        ])
        _wait(self._answers, 60, f"dockerd of {self.netns} ({self.root / 'dockerd.log'})", interval=0.2)

    def _answers(self) -> bool:
        if "dockerd" in self.procs and self.procs["dockerd"].poll() is not None:
            raise RuntimeError(f"dockerd exited: {(self.root / 'dockerd.log').read_text()[-2000:]}")
        try:
            api = self.api(timeout=2)
        except Exception:
            return False
        try:
            return bool(api.ping())
        except Exception:
            return False
        finally:
            api.close()

    def _registry(self) -> None:
        config = self.root / "registry.yml"
        config.write_text("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                          f"    rootdirectory: {REGISTRY_STORAGE}\n  delete:\n    enabled: true\n"
                          "http:\n  addr: 127.0.0.1:5000\n")
        self._spawn("registry", [*self._nsenter(), "docker-registry", "serve", str(config)])

        def up() -> bool:
            probe = _run(*self._nsenter(), "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:5000/v2/",
                         check=False, timeout=5)
            return probe.returncode == 0

        _wait(up, 30, f"registry in {self.netns}")

    def _sshd(self) -> None:
        ssh_dir = self.root / "ssh"
        ssh_dir.mkdir(parents=True, exist_ok=True)
        self.ssh_host_key = ssh_key("sdmd-test-host")
        self.ssh_client_key = ssh_key("sdmd-test-client")
        self.write_host_key(self.ssh_host_key)
        (ssh_dir / "authorized_keys").write_text(self.ssh_client_key.public + "\n")
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
        (ssh_dir / "sshd_config").write_text("\n".join([
            f"ListenAddress {self.guest_ip}:{SSH_PORT}",
            f"HostKey {ssh_dir / 'host_key'}",
            f"PidFile {ssh_dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {ssh_dir / 'authorized_keys'}",
            "PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "UsePAM no", "StrictModes no", "PrintMotd no", "LogLevel ERROR",
            f"SetEnv DOCKER_HOST={self.docker_url}",
            "",
        ]))
        self.start_sshd()

    def write_host_key(self, key: SshKey) -> None:
        path = self.root / "ssh" / "host_key"
        path.write_text(key.private)
        os.chmod(path, 0o600)

    def start_sshd(self) -> None:
        config = self.root / "ssh" / "sshd_config"
        self._spawn("sshd", [*self._nsenter(), "/usr/sbin/sshd", "-D", "-e", "-f", str(config)])

        def listening() -> bool:
            if self.procs["sshd"].poll() is not None:
                raise RuntimeError(f"sshd exited: {(self.root / 'sshd.log').read_text()[-2000:]}")
            out = _run(*self._nsenter(), "ss", "-Hltn", check=False).stdout
            return f"{self.guest_ip}:{SSH_PORT}" in out

        _wait(listening, 20, f"sshd in {self.netns}")

    def stop_sshd(self) -> None:
        """sshd and every session it serves (each in a session of its own, all in this namespace):
        established connections drop too."""
        self._stop("sshd")
        for pid in _run("ip", "netns", "pids", self.netns, check=False).stdout.split():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/comm").read_text().strip() == "sshd":
                    os.kill(int(pid), signal.SIGTERM)

    def replace_host_key(self) -> SshKey:
        """A new host key, as after a reinstall (or an attacker in the middle): sshd restarted with it."""
        self.stop_sshd()
        self.ssh_host_key = ssh_key("sdmd-test-host-new")
        self.write_host_key(self.ssh_host_key)
        self.start_sshd()
        return self.ssh_host_key

    # -- faults ------------------------------------------------------------------------------
    def dockerd_pid(self) -> int:
        return self.procs["dockerd"].pid

    def freeze(self) -> None:
        """SIGSTOP dockerd: its sockets still accept connections, nothing answers."""
        os.kill(self.dockerd_pid(), signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.dockerd_pid(), signal.SIGCONT)

    def kill_dockerd(self) -> None:
        """SIGKILL dockerd (containerd and the containers keep running, as after a daemon crash)."""
        proc = self.procs["dockerd"]
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGCONT)
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        with contextlib.suppress(FileNotFoundError):
            (self.root / "dockerd.pid").unlink()

    def restart_dockerd(self) -> None:
        self.kill_dockerd()
        self.start_dockerd()

    def _stop(self, name: str, timeout: float = 20) -> None:
        proc = self.procs.pop(name, None)
        pid = proc.pid if proc else self.pids.get(name)
        self.pids.pop(name, None)
        if not pid:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.1)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)

    # -- teardown ----------------------------------------------------------------------------
    def teardown(self) -> None:
        if "dockerd" in self.procs and self.procs["dockerd"].poll() is None:
            with contextlib.suppress(Exception):
                self.thaw()
                api = self.api(timeout=20)
                for c in api.containers(all=True):
                    api.remove_container(c["Id"], force=True, v=True)
                api.close()
        for name in ("sshd", "registry", "dockerd", "containerd"):
            self._stop(name)
        teardown_from_meta(self._meta())


def _cgroup_pids(parent: str) -> list[int]:
    pids: set[int] = set()
    for procs in Path("/sys/fs/cgroup").glob(f"*/{parent}/**/cgroup.procs"):
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in procs.read_text().split())
    for procs in Path("/sys/fs/cgroup").glob(f"{parent}/**/cgroup.procs"):  # cgroup v2
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in procs.read_text().split())
    return sorted(pids)


def teardown_from_meta(meta: dict[str, Any]) -> None:
    """Remove everything a host recorded, whatever state it is in (also a crashed run's leftovers)."""
    tag = meta["tag"]
    root = STATE_ROOT / tag
    netns = meta["netns"]
    for pid in (meta.get("pids") or {}).values():
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
    # Whatever still runs in the namespace (containerd, shims) or in the daemon's cgroups (containers).
    ns_pids = _run("ip", "netns", "pids", netns, check=False).stdout.split()
    for pid in [*map(int, ns_pids), *_cgroup_pids(meta["cgroup_parent"])]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (_cgroup_pids(meta["cgroup_parent"]) or
                                           _run("ip", "netns", "pids", netns, check=False).stdout.strip()):
        time.sleep(0.1)
    exec_root = Path(meta["exec_root"])
    prefixes = (str(root) + "/", str(exec_root) + "/")
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(prefixes) or m in (str(root), str(exec_root))),
                        key=len, reverse=True):
        _run("umount", "-l", mount, check=False)
    for cgroup in sorted(Path("/sys/fs/cgroup").glob(f"*/{meta['cgroup_parent']}"), reverse=True):
        for sub in sorted(cgroup.glob("**/"), key=lambda p: len(str(p)), reverse=True):
            with contextlib.suppress(OSError):
                sub.rmdir()
    _run("ip", "netns", "del", netns, check=False)
    _run("ip", "link", "del", meta["veth"], check=False)  # usually gone with the namespace
    shutil.rmtree(exec_root, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)


def sweep_stale() -> list[str]:
    """Tear down hosts whose owning test process is gone (a crashed or killed run); returns their tags."""
    swept = []
    if not STATE_ROOT.is_dir():
        return swept
    for meta_file in STATE_ROOT.glob("*/meta.json"):
        try:
            meta = json.loads(meta_file.read_text())
        except (OSError, ValueError):
            continue
        if not _alive(meta.get("owner")):
            teardown_from_meta(meta)
            swept.append(meta["tag"])
    return swept
