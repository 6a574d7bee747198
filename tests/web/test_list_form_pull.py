"""The services list's image summary, the new-service form's errors and pulling by image:tag, in a real
browser (issue 18, items 4, 5 and 6)."""

from __future__ import annotations

import secrets
import subprocess

from playwright.sync_api import Page, expect

from tests.support import APP_IMAGE, IMAGE_V1, IMAGE_V2, SLEEPER, wait_until
from tests.web.conftest import LiveServer, log_in, shot


def docker(*args: str) -> None:
    subprocess.run(["docker", *args], check=True, capture_output=True, timeout=60)


def test_the_list_shows_each_image_and_words_an_older_build(page: Page, live_server: LiveServer,
                                                            unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    mixed = unique_name("mixed")
    r = api.post("/api/services", json={"name": mixed, "services": {
        "web": {"image": IMAGE_V1, **SLEEPER},
        "worker": {"image": IMAGE_V2, "command": ["true"], "restart": "no"},
    }})
    assert r.status_code == 201, r.text

    # A tag that moves on to another image after the container started: Docker then lists the container's
    # image as a bare sha256.
    moving = f"{APP_IMAGE}:wfx{secrets.token_hex(3)}"
    docker("tag", IMAGE_V1, moving)
    try:
        older = unique_name("older")
        r = api.post("/api/services", json={"name": older, "image": moving, **SLEEPER})
        assert r.status_code == 201, r.text
        docker("tag", IMAGE_V2, moving)
        wait_until(lambda: any(c["image"].startswith("sha256:") for s in api.get("/api/services").json()
                               if s["name"] == older for c in s["containers"]), what="the tag to move on")

        page.goto(f"{url}/")
        row = page.locator(f"[data-testid=service-row][data-name='{mixed}']")
        groups = row.get_by_test_id("image-group")
        expect(groups).to_have_count(2)
        expect(groups.filter(has_text=IMAGE_V1)).to_contain_text("web")
        expect(groups.filter(has_text=IMAGE_V1)).to_have_attribute("data-state", "running")
        expect(groups.filter(has_text=IMAGE_V2)).to_contain_text("worker")
        expect(groups.filter(has_text=IMAGE_V2)).to_contain_text("stopped")

        old_row = page.locator(f"[data-testid=service-row][data-name='{older}']")
        expect(old_row.get_by_test_id("images")).to_contain_text(f"an older build of {moving} (", timeout=30_000)
        expect(old_row.get_by_test_id("images")).not_to_contain_text("sha256:")
        expect(old_row.get_by_test_id("drift")).to_contain_text("older image")
        shot(page, "18-11-list-images")
    finally:
        subprocess.run(["docker", "rmi", moving], capture_output=True, timeout=60)


def test_the_form_shows_every_error_and_focuses_the_first(page: Page, live_server: LiveServer) -> None:
    url = live_server.url
    log_in(page, url)
    page.goto(f"{url}/services/new/")
    for field in ("name", "image", "ports", "volumes", "environment", "command"):
        assert page.locator(f"#f-{field}").get_attribute("placeholder").startswith("e.g. "), field
    assert page.locator("#f-image").evaluate("e => getComputedStyle(e, '::placeholder').fontStyle") == "italic"
    page.fill("#f-name", "web")
    page.fill("#f-image", IMAGE_V1)
    page.fill("#f-ports", "8080:80\nabc\n0:80")
    page.fill("#f-environment", "GOOD=1\nBADLINE\n1X=2")
    page.get_by_test_id("create-service").click()
    expect(page.locator("#f-ports")).to_be_focused()
    expect(page.locator("#f-ports-error li")).to_have_count(2)
    env = page.locator("#f-environment-error li")
    expect(env).to_have_count(2)
    expect(env.first).to_have_text('line 2: "BADLINE" has no "=": write BADLINE=value (or BADLINE= for an empty value)')
    shot(page, "18-12-form-every-error")
    # Fixing the ports moves the next submit's focus to the environment.
    page.fill("#f-ports", "8080:80")
    page.get_by_test_id("create-service").click()
    expect(page.locator("#f-environment")).to_be_focused()
    expect(page).to_have_url(f"{url}/services/new/")  # nothing was sent


def test_pulling_takes_the_tag_on_the_image_or_in_the_tag_field(page: Page, live_server: LiveServer) -> None:
    url = live_server.url
    log_in(page, url)
    page.goto(f"{url}/images/")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.post_data or "") if r.url.endswith("/api/images/pull") else None)
    page.fill("#img", f"{APP_IMAGE}:1")
    page.fill("#tag", "1")
    page.get_by_test_id("pull").click()
    expect(page.get_by_test_id("pull-status")).to_be_visible(timeout=120_000)
    pulls = page.get_by_test_id("pulls")
    expect(pulls).to_contain_text(f"{APP_IMAGE}:1")
    expect(pulls).not_to_contain_text(f"{APP_IMAGE}:1:1")

    # Two different tags: said on the Tag field, nothing sent.
    page.fill("#tag", "2")
    page.get_by_test_id("pull").click()
    expect(page.locator("#tag-error")).to_have_text("the image already names the tag 1: clear this field, or make it 1")
    expect(page.locator("#tag")).to_be_focused()
    shot(page, "18-13-pull-two-tags")
    assert len(requests) == 1, requests
    page.fill("#tag", "")
    page.get_by_test_id("pull").click()
    expect(page.get_by_test_id("pull-status")).to_have_count(2, timeout=120_000)
    assert len(requests) == 2
