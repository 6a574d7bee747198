"""The Dockerfile and compose.yaml for real: build sdmd's image from locally made base images (no public
registry is reachable), start the whole stack on this machine's Docker engine, log in, create a service
through the API running in the container, and take it all down again.

sdmd in the container drives the same engine through the mounted socket, so the service it creates is
a sibling container, reachable on a port published on 127.0.0.1 like any other.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.stack import MEASUREMENTS, Built, Stack, build_context, build_image, free_port, local_images, run
from tests.support import IMAGE_V1, TEST_LABEL, wait_until

pytestmark = pytest.mark.slow

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "deploy-test-" + os.urandom(6).hex()


@pytest.fixture(scope="module")
def stack_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Base images (cached), then a fresh sdmd image; removed afterwards, bases kept."""
    from tests.support import RUN_ID

    started = time.monotonic()
    bases = local_images()
    MEASUREMENTS["base images + wheels (cached by tag)"] = f"{time.monotonic() - started:.0f} s"
    context = build_context(tmp_path_factory.mktemp("context"), Path(bases["WHEELS_DIR"]))
    gid = str(os.stat("/var/run/docker.sock").st_gid)
    built = build_image(context, f"sdmd-test-{RUN_ID}/sdmd:test", {
        "PYTHON_IMAGE": bases["PYTHON_IMAGE"], "PYTHON_BUILD_IMAGE": bases["PYTHON_BUILD_IMAGE"],
        "PYTHON_RUNTIME_IMAGE": bases["PYTHON_RUNTIME_IMAGE"], "NODE_IMAGE": bases["NODE_IMAGE"],
        "DOCKER_CLI_IMAGE": bases["DOCKER_CLI_IMAGE"], "PIP_NO_INDEX": "1", "DOCKER_GID": gid,
    }, label=f"{TEST_LABEL}={RUN_ID}")
    MEASUREMENTS["sdmd image build"] = f"{built.seconds:.0f} s"
    try:
        yield {"bases": bases, "image": built, "gid": gid}
    finally:
        built.remove()


@pytest.fixture
def stack(stack_run: dict, name_prefix: str, tmp_path: Path) -> Iterator[Stack]:
    built: Built = stack_run["image"]
    stacks_dir = tmp_path / "stacks"  # same path inside the containers as here
    env_file = tmp_path / "deploy.env"
    env = {
        "SDMD_IMAGE": built.tag, "SDMD_REDIS_IMAGE": stack_run["bases"]["REDIS_IMAGE"],
        "DOCKER_GID": stack_run["gid"], "SDMD_PORT": str(free_port()), "SDMD_RQ_DASHBOARD_PORT": str(free_port()),
        "SDMD_STACKS_DIR": str(stacks_dir), "SDMD_ENV_FILE": str(env_file),
        "SDMD_ADMIN_EMAIL": ADMIN_EMAIL, "SDMD_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "RQ_DASHBOARD_PASSWORD": "dash-" + os.urandom(4).hex(),
    }
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    s = Stack(f"{name_prefix}-stack", env_file)
    s.env = env  # type: ignore[attr-defined]
    try:
        yield s
    finally:
        s.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)
        shutil.rmtree(stacks_dir, ignore_errors=True)


def test_image_is_non_root_with_healthcheck_compose_plugin_and_no_docker_cli(stack_run: dict) -> None:
    tag = stack_run["image"].tag
    info = json.loads(run("docker", "image", "inspect", tag).stdout)[0]
    assert info["Config"]["User"] == "sdmd"
    assert "/healthz" in " ".join(info["Config"]["Healthcheck"]["Test"])
    assert info["Config"]["Cmd"][:2] == ["sdmd", "serve"]
    assert "COMPOSE_BAKE=false" in info["Config"]["Env"]  # compose builds without `docker buildx bake`
    # No docker CLI (issue 19): sdmd runs the compose plugin itself, as the CLI would.
    out = run("docker", "run", "--rm", tag, "sh", "-c",
              "id; command -v docker || echo 'no docker CLI'; "
              "python -c 'from sdmd.docker.compose import compose_plugin; print(compose_plugin())'; "
              "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND=docker /usr/local/libexec/docker/cli-plugins/docker-compose "
              "compose version; git --version; redis-server --version").stdout
    assert "uid=10001(sdmd)" in out
    assert f"({stack_run['gid']})" in out or f",{stack_run['gid']}(" in out  # the socket's group
    assert "no docker CLI" in out and "/usr/local/libexec/docker/cli-plugins/docker-compose" in out
    assert "Docker Compose version" in out
    assert "git version" in out and "Redis server" in out
    MEASUREMENTS["sdmd image size"] = f"{info['Size'] / 1e6:.0f} MB"


def test_compose_stack_serves_logs_in_and_creates_a_service(stack: Stack, unique_name, tmp_path: Path) -> None:
    env = stack.env  # type: ignore[attr-defined]
    started = time.monotonic()
    # (returns once sdmd is healthy and the worker and scheduler, which wait for that, have started)
    stack.compose("up", "--detach", "--no-build", timeout=180)
    # HTTPS by default, with the self-signed certificate sdmd made in its data volume on first start.
    base = f"https://127.0.0.1:{env['SDMD_PORT']}"
    ready = wait_until(lambda: _get(f"{base}/readyz"), timeout=60, what="/readyz")
    MEASUREMENTS["compose up to ready"] = f"{time.monotonic() - started:.0f} s"
    assert ready.json()["checks"] == {"database": "ok", "docker": "ok", "redis": "ok"}
    cert = tmp_path / "sdmd.crt"
    cert.write_text(stack.compose("exec", "-T", "sdmd", "cat", "/data/tls/self-signed.crt").stdout)
    tls = ssl.create_default_context(cafile=str(cert))  # trusts exactly sdmd's certificate, for 127.0.0.1
    verified = httpx.get(f"{base}/healthz", verify=tls, timeout=10)
    assert verified.status_code == 200 and verified.headers["strict-transport-security"].startswith("max-age=")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{env['SDMD_PORT']}/healthz", timeout=10)  # no plain HTTP beside it

    # Only the UI and the RQ dashboard are published, both on loopback.
    published = {(c["Service"], p["URL"], p["PublishedPort"]) for c in stack.containers()
                 for p in c.get("Publishers") or [] if p.get("PublishedPort")}
    assert published == {("sdmd", "127.0.0.1", int(env["SDMD_PORT"])),
                         ("rq-dashboard", "127.0.0.1", int(env["SDMD_RQ_DASHBOARD_PORT"]))}
    dash = f"http://127.0.0.1:{env['SDMD_RQ_DASHBOARD_PORT']}/"
    assert httpx.get(dash, timeout=10).status_code == 401  # password set: a login is required
    assert httpx.get(dash, auth=("admin", env["RQ_DASHBOARD_PASSWORD"]), timeout=10).status_code == 200

    headers = _login(base, tls)
    name = unique_name("app")
    r = httpx.post(f"{base}/api/services", headers=headers, verify=tls, timeout=120, json={
        "name": name, "image": IMAGE_V1, "command": ["httpd", "-f", "-p", "8080", "-h", "/www"], "init": True,
        "ports": ["127.0.0.1::8080"], "volumes": ["./content:/srv/content"],
    })
    assert r.status_code == 201, r.text
    service = r.json()
    assert service["status"] == "running", service
    (container,) = service["containers"]
    assert container["image"] == IMAGE_V1
    page = httpx.get(f"http://127.0.0.1:{container['ports'][0]['host_port']}/", timeout=10)
    assert page.text.strip() == "sdmd test app v1"
    # The relative bind mount resolved on the host to the stacks folder: same path inside and out.
    mounts = json.loads(run("docker", "inspect", container["id"]).stdout)[0]["Mounts"]
    assert {m["Source"] for m in mounts} == {f"{env['SDMD_STACKS_DIR']}/{name}/content"}
    assert Path(env["SDMD_STACKS_DIR"], name, "compose.yaml").is_file()

    listed = httpx.get(f"{base}/api/services", headers=headers, verify=tls, timeout=30).json()
    assert name in {s["name"] for s in listed}

    # An update check runs as a job on the worker container, through the compose stack's Redis
    # (the worker registers there a moment after its container starts).
    def check_update() -> httpx.Response | None:
        r = httpx.post(f"{base}/api/services/{name}/update", params={"mode": "check", "wait": 60},
                       headers=headers, verify=tls, timeout=90)
        return None if r.status_code == 503 and "no update worker" in r.text else r

    r = wait_until(check_update, timeout=30, interval=1, what="a worker to take the update check")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "finished" and r.json()["run"]["result"] == "up_to_date", r.json()
    scheduler_log = stack.compose("logs", "--no-color", "scheduler").stdout
    assert "scheduler started" in scheduler_log

    # Every container of the stack reports healthy by its own check (worker: registered in Redis).
    def all_healthy() -> bool:
        states = {c["Service"]: (c["State"], c.get("Health")) for c in stack.containers() if c["Service"] != "setup"}
        return all(state == "running" and health == "healthy" for state, health in states.values())

    wait_until(all_healthy, timeout=90, interval=2, what="every container healthy")

    time.sleep(5)  # idle: nothing in flight
    memory = stack.memory_mib()
    parts = ", ".join(f"{n.removeprefix(stack.project + '-')} {m:.0f}" for n, m in sorted(memory.items()))
    MEASUREMENTS["stack idle memory"] = f"{sum(memory.values()):.0f} MiB ({parts})"

    # sdmd's own log is JSON lines, with the request that created the service in it.
    # (docker logs, not compose logs: the latter decorates lines with terminal control codes)
    sdmd_id = stack.compose("ps", "--quiet", "sdmd").stdout.strip()
    logs = run("docker", "logs", sdmd_id).stderr.splitlines()
    not_json = [line for line in logs if line.strip() and not _is_json_object(line)]
    assert not not_json, not_json[:10]
    events = [json.loads(line) for line in logs if line.strip()]
    assert any(e.get("path") == "/api/services" and e.get("status") == 201 for e in events)

    assert httpx.delete(f"{base}/api/services/{name}", headers=headers, verify=tls, timeout=120).status_code == 200
    assert not Path(env["SDMD_STACKS_DIR"], name).exists()

    # The certificate is kept in the volume: a restarted sdmd serves the same one.
    stack.compose("restart", "sdmd", timeout=120)
    wait_until(lambda: _get(f"{base}/readyz"), timeout=60, what="/readyz after a restart")
    again = stack.compose("exec", "-T", "sdmd", "cat", "/data/tls/self-signed.crt").stdout
    assert again == cert.read_text()
    assert httpx.get(f"{base}/healthz", verify=tls, timeout=10).status_code == 200


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _get(url: str) -> httpx.Response | None:
    try:
        r = httpx.get(url, timeout=5, verify=False)  # readiness only; the certificate is checked after
    except httpx.TransportError:
        return None
    return r if r.status_code == 200 else None


def _login(base: str, tls: ssl.SSLContext) -> dict[str, str]:
    """The first administrator, from SDMD_ADMIN_EMAIL / SDMD_ADMIN_PASSWORD in the env file."""
    r = httpx.post(f"{base}/auth/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=30,
                   verify=tls)
    assert r.status_code == 200, r.text
    assert httpx.get(f"{base}/api/services", timeout=10, verify=tls).status_code == 401
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
