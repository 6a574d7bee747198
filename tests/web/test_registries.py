"""Settings → Registries in a real browser, against a second local registry that requires a login
(htpasswd over TLS, tests/updates/private_registry.py): a refused password named in the dialog and
nothing stored, the write-only secret, replace, save without testing, remove; and the service page
asking that registry with the stored credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from sdmd.config import Settings
from tests.support import remove_projects
from tests.updates.private_registry import PrivateRegistry, private_registry_fixture
from tests.updates.support import TaggedRepo
from tests.web.conftest import LiveServer, log_in, shot
from tests.web.test_updates import create, image_row, service_block

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The daemon's digest check against this registry verifies a bcrypt htpasswd on every request: on a
    # busy test machine that alone took 3-6 s, beyond the default SDMD_DOCKER_TIMEOUT_SECONDS (5).
    return settings.model_copy(update={"docker_timeout_seconds": 30.0})


@pytest.fixture
def private() -> Iterator[PrivateRegistry]:
    yield from private_registry_fixture()


@pytest.fixture
def private_repo(private: PrivateRegistry, name_prefix: str) -> Iterator[TaggedRepo]:
    repo = TaggedRepo(f"{name_prefix}-priv".lower(), registry=private.host, docker_config=private.docker_config)
    yield repo
    remove_projects(name_prefix)
    repo.cleanup(verify=str(private.ca_file), auth=(private.username, private.password))


def fill_credentials(page: Page, *, user: str | None = None, secret: str, server: str | None = None) -> None:
    form = page.get_by_test_id("registry-form")
    if server is not None:
        form.locator("#r-server").fill(server)
    if user is not None:
        form.locator("#r-username").fill(user)
    form.locator("#r-secret").fill(secret)


def test_registries_add_test_replace_remove(page: Page, live_server: LiveServer, private: PrivateRegistry,
                                            private_repo: TaggedRepo, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    private_repo.build("1.0.0")
    private_repo.build("1.0.1")
    service_id = create(live_server, token, unique_name("priv"),
                        "services:\n" + service_block("app", private_repo.ref("1.0.0"), "patch"))

    # Without credentials the service page says which registry refused.
    page.goto(f"{url}/service/?id={service_id}")
    row = image_row(page, "app")
    expect(row).to_have_attribute("data-status", "error", timeout=60_000)
    expect(row.get_by_test_id("image-reason")).to_contain_text(private.host)

    page.goto(f"{url}/settings/")
    page.get_by_test_id("settings-sections").get_by_role("link", name="Registries").click()
    page.wait_for_url(f"{url}/settings/registries/")
    expect(page.get_by_test_id("no-registries")).to_be_visible()

    # A wrong password: the registry is asked, its refusal is named, nothing is stored.
    page.get_by_test_id("add-registry").click()
    secret = page.locator("#r-secret")
    expect(secret).to_have_attribute("type", "password")
    fill_credentials(page, server=f"https://{private.host}/", user=private.username, secret="not-the-password")
    page.get_by_test_id("registry-submit").click()
    detail = page.get_by_test_id("registry-error-detail")
    expect(detail).to_contain_text(f"{private.host} refused user {private.username}")
    shot(page, "11-05-registry-refused")
    assert api.get("/api/registries").json() == []

    # The right one: tested and stored; the list shows the server (the URL reduced to it) and the user.
    secret.fill(private.password)
    page.get_by_test_id("registry-submit").click()
    expect(page.get_by_test_id("registry-form")).to_have_count(0)
    entry = page.locator(f"[data-testid=registry-row][data-server='{private.host}']")
    expect(entry.get_by_test_id("registry-user")).to_have_text(private.username)
    assert private.password not in page.content()
    shot(page, "11-06-registries")

    # Replace: the user is filled in, the secret never is; a refused one changes nothing.
    entry.get_by_test_id("edit-registry").click()
    expect(page.locator("#r-username")).to_have_value(private.username)
    expect(page.locator("#r-secret")).to_have_value("")
    fill_credentials(page, user="someone-else", secret="wrong")
    page.get_by_test_id("registry-submit").click()
    expect(page.get_by_test_id("registry-error-detail")).to_contain_text(f"{private.host} refused user someone-else")
    assert api.get(f"/api/registries/{private.host}").json()["username"] == private.username
    fill_credentials(page, user=private.username, secret=private.password)
    page.get_by_label("Access token").check()
    page.get_by_test_id("registry-submit").click()
    expect(page.get_by_test_id("registry-form")).to_have_count(0)
    expect(entry).to_contain_text("token")
    assert api.get(f"/api/registries/{private.host}").json()["secret_kind"] == "token"

    # The stored credentials are what the service page's check uses now.
    page.goto(f"{url}/service/?id={service_id}")
    expect(row).to_have_attribute("data-status", "update_available", timeout=60_000)
    expect(row.get_by_test_id("image-change")).to_have_text("1.0.0 → 1.0.1")

    # Save without testing: a registry sdmd cannot reach is stored as given (its host only).
    page.goto(f"{url}/settings/registries/")
    page.get_by_test_id("add-registry").click()
    fill_credentials(page, server="https://registry.example.invalid:5443/", user="deploy", secret="s3cret-unused")
    page.get_by_test_id("registry-verify").uncheck()
    expect(page.get_by_test_id("registry-submit")).to_have_text("Save without testing")
    page.get_by_test_id("registry-submit").click()
    unchecked = page.locator("[data-testid=registry-row][data-server='registry.example.invalid:5443']")
    expect(unchecked).to_be_visible()

    # Remove, after confirming.
    unchecked.get_by_test_id("remove-registry").click()
    page.get_by_test_id("confirm-action").click()
    expect(unchecked).to_have_count(0)
    assert [r["server"] for r in api.get("/api/registries").json()] == [private.host]
