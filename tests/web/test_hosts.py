"""Issue 10's UI in a real browser against a real sdmd and real second Docker hosts (dockerds in network
namespaces, tests/hosts/remote.py): adding a tcp+TLS host (a closed port refused first), its test report,
a service created on it from the form's host picker, the host column and ?host= filter, removing the host
(409, then forced with its services orphaned); an SSH host whose key is pinned only once confirmed; a
host whose daemon dies, shown unreachable with its services unknown on every page."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sdmd.config import Settings
from tests.hosts import conftest as hosts_fixtures
from tests.hosts.remote import RemoteHost
from tests.hosts.support import add_tls_host, fingerprint, remote_containers, service_body
from tests.support import IMAGE_V1, SLEEPER
from tests.web.conftest import LiveServer, _redis_db, confirm_preview, free_port, log_in, shot

# The namespace hosts are made once per session by one xdist worker (see tests/hosts/conftest.py).
pytestmark = pytest.mark.xdist_group("remote_hosts")
# tests/hosts' fixtures, reused as they are (their teardown removes namespaces, daemons and veths).
remote_sweep = hosts_fixtures.remote_sweep
tls_host = hosts_fixtures.tls_host
ssh_host = hosts_fixtures.ssh_host
fault_host = hosts_fixtures.fault_host


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_socket: str, built_ui: Path) -> Settings:
    # As tests/web/conftest.py, with short live-model intervals: a dead host (connection refused) shows in
    # seconds. Call deadlines stay loose: the shared local daemon, with many helpers' containers, can take
    # several seconds to answer, and must not be declared unreachable for it.
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    web_dir=built_ui, redis_url=f"unix://{redis_socket}?db={next(_redis_db)}", gitops_watch=False,
                    host_timeout_seconds=15.0, host_ping_seconds=0.5, host_unreachable_seconds=3.0,
                    host_backoff_max_seconds=0.5, docker_timeout_seconds=20.0, ssh_connect_timeout_seconds=10.0)


@pytest.fixture
def remote_cleanup() -> Iterator[list[tuple[RemoteHost, str]]]:
    """(host, project) pairs whose containers go after the test: a forced host removal leaves them running."""
    made: list[tuple[RemoteHost, str]] = []
    yield made
    for remote, project in made:
        with contextlib.suppress(Exception):
            api = remote.api(timeout=20)
            try:
                for c in api.containers(all=True, filters={"label": f"com.docker.compose.project={project}"}):
                    api.remove_container(c["Id"], force=True, v=True)
                for n in api.networks(filters={"label": f"com.docker.compose.project={project}"}):
                    api.remove_network(n["Id"])
            finally:
                api.close()


def host_row(page: Page, name: str):
    return page.locator(f"[data-testid=host-row][data-name='{name}']")


def service_row(page: Page, name: str):
    return page.locator(f"[data-testid=service-row][data-name='{name}']")


def test_add_test_use_and_remove_a_tls_host(page: Page, live_server: LiveServer, tls_host: RemoteHost,
                                             unique_name, tmp_path: Path, remote_cleanup) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    local_name = unique_name("here")
    assert api.post("/api/services", json={"name": local_name, "image": IMAGE_V1, **SLEEPER}).status_code == 201

    page.get_by_role("navigation", name="Main", exact=True).get_by_role("link", name="Hosts").click()
    page.wait_for_url(f"{url}/hosts/")
    expect(host_row(page, "local").get_by_test_id("host-state")).to_have_attribute("data-state", "connected")
    expect(host_row(page, "local").get_by_test_id("host-remove")).to_have_count(0)  # the built-in host stays

    # A tcp:// host needs its TLS material; a closed port is refused and nothing is stored.
    page.get_by_test_id("add-host").click()
    form = page.get_by_test_id("host-form")
    page.fill("#h-name", "edge")
    page.fill("#h-url", "tcp://127.0.0.1:1")
    page.get_by_test_id("host-submit").click()
    expect(form.locator("#h-ca-error")).to_contain_text("mutual TLS")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(tls_host.tls_material()["ca"])
    page.set_input_files("[data-testid=h-ca-file]", str(ca_file))  # from a file, read in the browser
    expect(page.locator("#h-ca")).to_have_value(re.compile("BEGIN CERTIFICATE"))
    page.fill("#h-cert", tls_host.tls_material()["cert"])
    page.fill("#h-key", tls_host.tls_material()["key"])
    page.fill("#h-labels", "site=ns")
    closed = free_port()
    page.fill("#h-url", f"tcp://127.0.0.1:{closed}")
    page.get_by_test_id("host-submit").click()
    expect(form.get_by_test_id("error-message")).to_contain_text("host unreachable", timeout=60_000)
    assert [h["name"] for h in api.get("/api/hosts").json()] == ["local"]

    page.fill("#h-url", tls_host.tcp_url)
    page.get_by_test_id("host-submit").click()
    expect(form).to_have_count(0, timeout=60_000)
    edge = host_row(page, "edge")
    expect(edge.get_by_test_id("host-state")).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(edge.get_by_test_id("host-url")).to_have_text(tls_host.tcp_url)
    expect(edge.get_by_test_id("host-engine")).to_contain_text("Docker ")
    expect(edge.get_by_test_id("host-label")).to_have_text("site=ns")
    assert "BEGIN" not in page.content()  # the material never comes back
    shot(page, "10-hosts")

    edge.get_by_test_id("host-test").click()
    report = page.get_by_test_id("host-test-report")
    expect(report).to_have_attribute("data-ok", "true", timeout=60_000)
    engine = tls_host.api().version()["Version"]
    expect(report.get_by_test_id("test-engine-version")).to_have_text(engine)
    expect(report.get_by_test_id("test-compose")).to_contain_text("works")
    shot(page, "10-host-test")
    page.get_by_role("button", name="Close").first.click()

    # The new-service form picks the host; the preview says where it will run.
    name = unique_name("remote")
    remote_cleanup.append((tls_host, name))
    page.goto(f"{url}/services/new/")
    page.fill("#f-name", name)
    page.fill("#f-image", IMAGE_V1)
    page.fill("#f-command", "sleep 3600")
    expect(page.get_by_test_id("host-picker")).to_have_value("local")
    page.get_by_test_id("host-picker").select_option("edge")
    page.get_by_test_id("create-service").click()
    expect(page.get_by_test_id("preview-host")).to_have_text("edge", timeout=60_000)
    confirm_preview(page)
    page.wait_for_url(re.compile(r"/service/\?id=svc"), timeout=120_000)
    expect(page.get_by_test_id("service-host")).to_have_attribute("data-host", "edge")
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", "running", timeout=60_000)
    assert [c["State"] for c in remote_containers(tls_host, name)] == ["running"]

    # The list says each service's host and filters by it, also from the URL.
    page.goto(f"{url}/")
    expect(service_row(page, name).get_by_test_id("service-host")).to_have_attribute("data-host", "edge",
                                                                                      timeout=30_000)
    expect(service_row(page, local_name).get_by_test_id("service-host")).to_have_attribute("data-host", "local")
    page.get_by_test_id("host-filter").select_option("edge")
    expect(service_row(page, local_name)).to_have_count(0)
    expect(service_row(page, name)).to_be_visible()
    assert page.url.endswith("/?host=edge")
    shot(page, "11-services-by-host")
    page.goto(f"{url}/?host=local")
    expect(page.get_by_test_id("host-filter")).to_have_value("local", timeout=30_000)
    expect(service_row(page, local_name)).to_be_visible(timeout=30_000)
    expect(service_row(page, name)).to_have_count(0)

    # Removing a host with services: 409 first, then the forced removal in plain words.
    page.goto(f"{url}/hosts/")
    expect(host_row(page, "edge").get_by_test_id("host-services")).to_have_text("1 service", timeout=30_000)
    host_row(page, "edge").get_by_test_id("host-remove").click()
    page.get_by_test_id("confirm-action").click()
    force = page.get_by_test_id("force-remove")
    expect(force).to_contain_text("orphan its services")
    expect(force).to_contain_text("their containers keep running there")
    expect(force.get_by_test_id("host-service-names")).to_have_text(name)
    assert [h["name"] for h in api.get("/api/hosts").json()] == ["local", "edge"]
    shot(page, "12-host-remove-force")
    expect(page.get_by_test_id("confirm-action")).to_have_text("Force: orphan its services and remove")
    page.get_by_test_id("confirm-action").click()
    expect(host_row(page, "edge")).to_have_count(0)
    assert [h["name"] for h in api.get("/api/hosts").json()] == ["local"]
    assert [c["State"] for c in remote_containers(tls_host, name)] == ["running"]  # nothing touched there

    page.goto(f"{url}/")
    orphan = service_row(page, name)
    expect(orphan.get_by_test_id("status-badge")).to_have_attribute("data-status", "unknown", timeout=30_000)
    expect(orphan.get_by_test_id("host-state")).to_have_attribute("data-state", "missing")
    sid = next(s["id"] for s in api.get("/api/services").json() if s["name"] == name)
    assert api.delete(f"/api/services/{sid}").status_code == 200


def test_an_ssh_host_key_is_pinned_only_once_confirmed(page: Page, live_server: LiveServer,
                                                       ssh_host: RemoteHost) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    expected = fingerprint(ssh_host.ssh_host_key.public)
    page.goto(f"{url}/hosts/")
    page.get_by_test_id("add-host").click()
    page.fill("#h-name", "shell")
    page.fill("#h-url", ssh_host.ssh_url)
    page.get_by_test_id("host-submit").click()
    expect(page.locator("#h-ssh-key-error")).to_be_visible()
    page.fill("#h-ssh-key", ssh_host.ssh_client_key.private)
    page.get_by_test_id("host-submit").click()

    # Added with nothing pinned: the test dialog opens by itself and shows the key to check.
    pin = page.get_by_test_id("pin-panel")
    expect(pin.get_by_test_id("host-fingerprint")).to_have_text(expected, timeout=60_000)
    expect(page.get_by_test_id("host-test-report")).to_have_attribute("data-ok", "false")
    expect(pin.get_by_test_id("pin-key")).to_be_disabled()
    host = next(h for h in api.get("/api/hosts").json() if h["name"] == "shell")
    assert host["ssh"]["host_key_pinned"] is False and host["state"] == "unreachable"
    shot(page, "13-ssh-confirm-key")
    pin.get_by_test_id("pin-checked").check()
    pin.get_by_test_id("pin-key").click()
    expect(page.get_by_test_id("host-test-report")).to_have_attribute("data-ok", "true", timeout=60_000)
    expect(page.get_by_test_id("pinned-key")).to_contain_text(expected)
    expect(page.get_by_test_id("pin-panel")).to_have_count(0)
    page.get_by_role("button", name="Close").first.click()

    row = host_row(page, "shell")
    expect(row.get_by_test_id("host-state")).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(row.get_by_test_id("host-key")).to_contain_text(expected)
    row.get_by_text("sdmd's public key").click()
    expect(row.get_by_test_id("host-public-key")).to_have_text(" ".join(ssh_host.ssh_client_key.public.split()[:2]))
    assert next(h for h in api.get("/api/hosts").json() if h["name"] == "shell")["ssh"]["host_key_pinned"] is True


def test_a_host_that_dies_shows_unreachable_and_its_services_unknown(page: Page, live_server: LiveServer,
                                                                     fault_host: RemoteHost, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    add_tls_host(api, fault_host, "flaky")
    name = unique_name("flaky")
    assert api.post("/api/services", json=service_body(name, "flaky")).status_code == 201

    page.goto(f"{url}/health/")
    group = page.locator("[data-testid=health-host][data-host=flaky]")
    expect(group).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(group.locator(f"[data-testid=health-service][data-name='{name}']")).to_have_attribute(
        "data-status", "running", timeout=30_000)

    fault_host.kill_dockerd()
    expect(group).to_have_attribute("data-state", "unreachable", timeout=30_000)
    expect(group.get_by_test_id("health-host-error")).to_be_visible()
    expect(group.locator(f"[data-testid=health-service][data-name='{name}']")).to_have_attribute(
        "data-status", "unknown")
    expect(page.locator("[data-testid=health-host][data-host=local]")).to_have_count(1)  # grouped beside it
    shot(page, "14-health-host-down")

    page.goto(f"{url}/")
    row = service_row(page, name)
    expect(row.get_by_test_id("status-badge")).to_have_attribute("data-status", "unknown", timeout=30_000)
    expect(row.get_by_test_id("host-state")).to_have_attribute("data-state", "unreachable")
    expect(row.get_by_test_id("service-host-error")).to_be_visible()

    page.goto(f"{url}/hosts/")
    flaky = host_row(page, "flaky")
    expect(flaky.get_by_test_id("host-state")).to_have_attribute("data-state", "unreachable", timeout=30_000)
    expect(flaky.get_by_test_id("host-error")).to_contain_text("Last error")
    expect(flaky.get_by_test_id("host-since")).to_contain_text("unreachable since")


def test_move_to_host_names_the_volumes_that_stay_behind(page: Page, live_server: LiveServer, tls_host: RemoteHost,
                                                         unique_name, remote_cleanup) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    add_tls_host(api, tls_host, "far")
    name = unique_name("mover")
    remote_cleanup.append((tls_host, name))
    r = api.post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER, "volumes": ["data:/data"]})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]

    page.goto(f"{url}/service/?id={sid}")
    expect(page.get_by_test_id("service-host")).to_have_attribute("data-host", "local", timeout=30_000)
    page.get_by_test_id("move-host").click()
    expect(page.get_by_test_id("move-target")).to_have_value("far")
    page.get_by_test_id("move-check").click()
    plan = page.get_by_test_id("move-plan")
    expect(plan.get_by_test_id("move-volumes")).to_contain_text(f"{name}_data", timeout=60_000)
    assert api.get(f"/api/services/{sid}").json()["host"] == "local"  # the dry run moved nothing
    shot(page, "15-move-plan")
    page.get_by_test_id("move-confirm").click()
    expect(page.get_by_test_id("move-plan")).to_have_count(0, timeout=120_000)
    expect(page.get_by_test_id("service-host")).to_have_attribute("data-host", "far", timeout=30_000)
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", "running", timeout=60_000)
    assert [c["State"] for c in remote_containers(tls_host, name)] == ["running"]
    assert api.delete(f"/api/services/{sid}", params={"volumes": True}).status_code == 200
