"""Issue 11 in a real browser: the service page's "update available" per compose service (asked live of the
real registry), the update dialog's preview (the compose diff of a tag bump, the new digest of a rebuilt
tag), the run through a real `sdmd worker`, and a bump that fails its health gate shown as rolled back."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from sdmd.config import Settings
from tests.support import remove_projects
from tests.updates.support import TaggedRepo
from tests.web.conftest import LiveServer, log_in, shot


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A run's docker calls (pull, recreate, remove the failed image) on a busy shared test machine took
    # longer than the default SDMD_DOCKER_TIMEOUT_SECONDS (5), turning a rollback into an error.
    return settings.model_copy(update={"docker_timeout_seconds": 30.0})


@pytest.fixture
def tagged(name_prefix: str) -> Iterator[Callable[[str], TaggedRepo]]:
    """Test-private repositories on the local registry (127.0.0.1:5000/sdmd-test/<prefix>-...)."""
    made: list[TaggedRepo] = []

    def make(label: str) -> TaggedRepo:
        repo = TaggedRepo(f"{name_prefix}-{label}".lower())
        made.append(repo)
        return repo

    yield make
    remove_projects(name_prefix)  # the containers first, or their images cannot go
    for repo in made:
        repo.cleanup()


def create(live_server: LiveServer, token: str, name: str, text: str) -> str:
    r = live_server.api(token).post(f"/api/services?name={name}", content=text,
                                    headers={"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def service_block(name: str, image: str, policy: str | None) -> str:
    lines = [f"  {name}:", f"    image: {image}  # pinned", "    command: [sleep, '3600']", "    init: true"]
    if policy:
        lines += ["    x-sdmd:", f"      update: {policy}"]
    return "\n".join(lines) + "\n"


def image_row(page: Page, service: str):
    return page.locator(f"[data-testid=updates-panel] [data-testid=image-update][data-services='{service}']")


def test_update_available_previewed_applied_and_then_up_to_date(page: Page, live_server: LiveServer, worker,
                                                                 tagged, unique_name) -> None:
    web = tagged("web")
    for tag in ("1.0.0", "1.0.1", "1.1.0", "2.0.0"):
        web.build(tag)
    cache = tagged("cache")
    cache.build("1")
    name = unique_name("upd")
    text = ("services:\n" + service_block("web", web.ref("1.0.0"), "minor")
            + service_block("cache", cache.ref("1"), None))
    token = log_in(page, live_server.url)
    service_id = create(live_server, token, name, text)
    old_cache_digest = live_server.api(token).get(f"/api/services/{service_id}/updates").json()
    old_cache_digest = next(i for i in old_cache_digest["images"] if i["services"] == ["cache"])["current"]["digest"]
    cache.build("1")  # a new build pushed under the same tag

    page.goto(f"{live_server.url}/service/?id={service_id}")
    web_row, cache_row = image_row(page, "web"), image_row(page, "cache")
    expect(web_row).to_have_attribute("data-status", "update_available", timeout=60_000)
    # minor: 1.0.0 → 1.1.0, never the major 2.0.0
    expect(web_row.get_by_test_id("image-change")).to_have_text("1.0.0 → 1.1.0")
    expect(web_row.get_by_test_id("image-policy")).to_have_text("follows minor versions")
    expect(web_row.get_by_test_id("release-notes")).to_have_attribute(
        "href", "https://github.com/sdmd-test/app/releases/tag/1.1.0")
    expect(cache_row).to_have_attribute("data-status", "update_available")
    expect(cache_row).to_have_attribute("data-change", "digest")
    expect(cache_row.get_by_test_id("image-change")).to_contain_text("new build of 1: sha256:")
    expect(cache_row.get_by_test_id("image-policy")).to_have_text("follows the tag's digest")
    shot(page, "11-01-updates-panel")

    # The dialog shows what will change before anything does: the one-line compose diff, the new digest.
    page.get_by_test_id("review-update").click()
    dialog = page.get_by_test_id("update-dialog")
    diff = dialog.get_by_test_id("diff")
    expect(diff.locator("[data-kind=del]")).to_have_count(1)
    expect(diff.locator("[data-kind=del]")).to_contain_text(f"image: {web.ref('1.0.0')}  # pinned")
    expect(diff.locator("[data-kind=add]")).to_have_count(1)
    expect(diff.locator("[data-kind=add]")).to_contain_text(f"image: {web.ref('1.1.0')}  # pinned")
    digests = dialog.locator("[data-testid=update-change][data-change=digest] [data-testid=update-digests]")
    expect(digests).to_contain_text(old_cache_digest)
    shot(page, "11-02-update-dialog")
    api = live_server.api(token)
    assert web.ref("1.0.0") in api.get(f"/api/services/{service_id}").json()["compose"]  # the preview wrote nothing

    dialog.get_by_test_id("update-confirm").click()
    outcome = dialog.get_by_test_id("update-outcome")
    expect(outcome).to_have_attribute("data-result", "updated", timeout=120_000)
    expect(outcome.get_by_test_id("update-commits")).to_contain_text(re.compile(r"commit [0-9a-f]{7}"))
    shot(page, "11-03-updated")
    compose = api.get(f"/api/services/{service_id}").json()["compose"]
    assert f"image: {web.ref('1.1.0')}  # pinned" in compose
    dialog.get_by_test_id("update-done").click()

    # Asked again after the run: nothing newer within minor, and the rebuilt tag is what runs now.
    expect(web_row).to_have_attribute("data-status", "up_to_date", timeout=60_000)
    expect(cache_row).to_have_attribute("data-status", "up_to_date")
    expect(page.get_by_test_id("review-update")).to_have_count(0)


def test_a_bump_that_fails_its_health_gate_shows_rolled_back_with_the_reason(page: Page, live_server: LiveServer,
                                                                             worker, tagged, unique_name) -> None:
    web = tagged("gate")
    web.build("1.0.0")
    web.build("1.0.1", broken=True)  # exits at once: the health gate fails
    name = unique_name("gate")
    token = log_in(page, live_server.url)
    service_id = create(live_server, token, name, "services:\n" + service_block("web", web.ref("1.0.0"), "patch"))

    page.goto(f"{live_server.url}/service/?id={service_id}")
    row = image_row(page, "web")
    expect(row.get_by_test_id("image-change")).to_have_text("1.0.0 → 1.0.1", timeout=60_000)
    page.get_by_test_id("update-now").click()
    dialog = page.get_by_test_id("update-dialog")
    expect(dialog.get_by_test_id("diff").locator("[data-kind=add]")).to_contain_text(web.ref("1.0.1"))
    dialog.get_by_test_id("update-confirm").click()
    outcome = dialog.get_by_test_id("update-outcome")
    expect(outcome).to_have_attribute("data-result", "rolled_back", timeout=120_000)
    expect(outcome).to_contain_text("Rolled back")
    expect(outcome).to_contain_text("did not pass the health gate")
    expect(outcome.get_by_test_id("update-reason")).not_to_be_empty()
    expect(outcome.get_by_test_id("update-commits")).to_contain_text("reverted by")
    shot(page, "11-04-rolled-back")
    compose = live_server.api(token).get(f"/api/services/{service_id}").json()["compose"]
    assert f"image: {web.ref('1.0.0')}  # pinned" in compose  # the previous file is back
    reason = outcome.get_by_test_id("update-reason").inner_text()
    assert reason.startswith("Reason:") and len(reason) > len("Reason: "), reason


def test_the_policy_editor_previews_and_commits_x_sdmd_without_recreating(page: Page, live_server: LiveServer,
                                                                          tagged, unique_name) -> None:
    web = tagged("pol")
    for tag in ("1.0.0", "1.0.1", "1.1.0"):
        web.build(tag)
    token = log_in(page, live_server.url)
    api = live_server.api(token)
    text = "services:\n" + service_block("web", web.ref("1.0.0"), None)
    service_id = create(live_server, token, unique_name("pol"), text)
    before = [c["id"] for c in api.get(f"/api/services/{service_id}").json()["containers"]]

    page.goto(f"{live_server.url}/service/?id={service_id}")
    row = image_row(page, "web")
    expect(row).to_have_attribute("data-status", "up_to_date", timeout=60_000)
    expect(row.get_by_test_id("image-policy")).to_have_text("follows the tag's digest")

    row.get_by_test_id("edit-policy").click()
    dialog = page.get_by_test_id("policy-dialog")
    # regex without a pattern is refused by sdmd, naming the key; nothing is written.
    dialog.locator("#p-update").select_option("regex")
    dialog.get_by_test_id("policy-preview").click()
    expect(dialog.get_by_test_id("error-panel")).to_contain_text("x-sdmd")
    dialog.locator("#p-update").select_option("minor")
    dialog.locator("#p-exclude").fill("-rc")
    dialog.get_by_test_id("policy-preview").click()
    added = dialog.get_by_test_id("diff").locator("[data-kind=add]")
    expect(added).to_have_count(3)
    expect(added.nth(0)).to_contain_text("x-sdmd:")
    expect(added.nth(1)).to_contain_text("update: minor")
    expect(added.nth(2)).to_contain_text(re.compile(r"exclude: ['\"]?-rc"))
    expect(dialog.get_by_test_id("diff").locator("[data-kind=del]")).to_have_count(0)
    shot(page, "11-07-policy-preview")
    assert "x-sdmd" not in api.get(f"/api/services/{service_id}").json()["compose"]
    dialog.get_by_test_id("policy-save").click()
    expect(dialog).to_have_count(0, timeout=90_000)  # the save applies the file (compose up), recreating nothing

    # Asked again with the new policy: minor finds 1.1.0. The container was not recreated.
    expect(row.get_by_test_id("image-policy")).to_have_text("follows minor versions, not matching -rc", timeout=60_000)
    expect(row.get_by_test_id("image-change")).to_have_text("1.0.0 → 1.1.0")
    service = api.get(f"/api/services/{service_id}").json()
    assert "update: minor" in service["compose"] and f"image: {web.ref('1.0.0')}  # pinned" in service["compose"]
    assert [c["id"] for c in service["containers"]] == before
