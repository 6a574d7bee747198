"""Issue 18's pages in a real browser against a real sdmd, Docker and git: a service's history with diffs
and restore, the .env editor with masked values, images (remove, prune with a preview), health,
GitOps, and settings (users, about). Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import re
import shutil
import subprocess

from playwright.sync_api import Page, expect

from tests.support import APP_IMAGE, IMAGE_V1, SLEEPER, docker_api
from tests.web.conftest import LiveServer, log_in, shot


def toast(page: Page, text: str):
    return page.get_by_test_id("toast").filter(has_text=text)


def _git(stacks, *args: str) -> str:
    return subprocess.run(["git", "-C", str(stacks), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_history_shows_diffs_and_restores_a_version(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    name = unique_name("hist")
    r = api.post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    for mode in ("blue", "green"):
        assert api.put(f"/api/services/{sid}", json={"name": name, "image": IMAGE_V1, **SLEEPER,
                                                      "environment": {"MODE": mode}}).status_code == 200
    stacks = live_server.core.settings.stacks_dir
    first = _git(stacks, "log", "--format=%H", "--", f"{name}/").splitlines()[-1]

    page.goto(f"{url}/service/?id={sid}&tab=history")
    commits = page.get_by_test_id("commit")
    expect(commits).to_have_count(3)
    expect(commits.first).to_contain_text("current")
    # The newest change: MODE went from blue to green, line by line.
    commits.first.get_by_role("button").first.click()
    diff = page.get_by_test_id("file-diff").first
    expect(diff).to_have_attribute("data-path", "compose.yaml")
    expect(diff.locator("[data-kind=del]")).to_contain_text("MODE: blue")
    expect(diff.locator("[data-kind=add]")).to_contain_text("MODE: green")
    expect(page.get_by_test_id("restore-version")).to_have_count(0)  # the current version
    shot(page, "18-history-diff")

    # The first version: its file, then restore it.
    oldest = page.locator(f"[data-testid=commit][data-commit='{first}']")
    oldest.get_by_role("button").first.click()
    oldest.get_by_test_id("view-file").click()
    expect(oldest.get_by_test_id("file-at-version")).to_contain_text(IMAGE_V1)
    expect(oldest.get_by_test_id("file-at-version")).not_to_contain_text("MODE")
    oldest.get_by_test_id("restore-version").click()
    page.get_by_test_id("confirm-action").click()
    expect(toast(page, f"Restored {first[:7]}")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("commit")).to_have_count(4)
    expect(page.get_by_test_id("commit").first).to_contain_text(f"Restore service {name} to {first[:7]}")
    shot(page, "19-history-restored")
    assert "MODE" not in api.get(f"/api/services/{sid}").json()["compose"]
    assert _git(stacks, "show", "-s", "--format=%s") == f"Restore service {name} to {first[:7]}"


def test_env_editor_masks_values_saves_and_applies(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    name = unique_name("envui")
    compose = (f"services:\n  app:\n    image: {APP_IMAGE}:${{TAG:-1}}\n    command: [sleep, '3600']\n    init: true\n"
               "    environment:\n      GREETING: ${GREETING:-none}\n")
    r = api.post("/api/services", params={"name": name}, content=compose, headers={"content-type": "application/yaml"})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    secret = "correct-horse-42"

    page.goto(f"{url}/service/?id={sid}")
    page.get_by_test_id("tab-env").click()
    panel = page.get_by_test_id("env-panel")
    expect(panel).to_contain_text("no file yet")
    # compose.yaml's variables are offered; the one added is masked once "Show values" is off.
    panel.get_by_role("button", name="Add GREETING").click()
    row = panel.locator("[data-testid=env-row][data-key=GREETING]")
    row.get_by_test_id("env-value").fill(secret)
    row.get_by_role("button", name="Hide the value of GREETING").click()
    expect(row.get_by_test_id("env-value")).to_have_attribute("type", "password")
    expect(panel.get_by_test_id("env-dirty")).to_be_visible()
    # A bad name blocks saving with a reason.
    panel.get_by_test_id("env-add").click()
    panel.get_by_test_id("env-key").last.fill("9LIVES")
    expect(panel).to_contain_text("letters, digits and _, not starting with a digit")
    expect(panel.get_by_test_id("env-save")).to_be_disabled()
    panel.get_by_role("button", name="Remove 9LIVES").click()
    shot(page, "20-env-masked")
    panel.get_by_test_id("env-save").click()
    expect(toast(page, "Saved and applied the .env")).to_be_visible(timeout=60_000)
    expect(panel.get_by_test_id("env-dirty")).to_have_count(0)

    # Saved, applied and committed: the container got the value; the page never shows it unasked.
    env = live_server.core.settings.stacks_dir / name / ".env"
    assert env.read_text() == f"GREETING={secret}\n"
    api_docker = docker_api()
    try:
        [c] = api_docker.containers(filters={"label": f"com.docker.compose.project={name}"})
        assert f"GREETING={secret}" in api_docker.inspect_container(c["Id"])["Config"]["Env"]
    finally:
        api_docker.close()
    page.reload()
    page.get_by_test_id("tab-env").click()
    value = page.locator("[data-testid=env-row][data-key=GREETING]").get_by_test_id("env-value")
    expect(value).to_have_attribute("type", "password")
    assert secret not in page.locator("body").inner_text()
    page.get_by_test_id("env-reveal").click()
    expect(value).to_have_attribute("type", "text")
    expect(value).to_have_value(secret)
    # As text: a bare name is refused before it reaches the server.
    page.get_by_test_id("env-mode").click()
    page.get_by_test_id("env-text").fill(f"GREETING={secret}\nSDMD_ADMIN_PASSWORD\n")
    expect(page.get_by_test_id("env-panel")).to_contain_text("line 2: SDMD_ADMIN_PASSWORD has no '='")
    expect(page.get_by_test_id("env-save")).to_be_disabled()


def test_images_remove_and_prune_with_a_preview(page: Page, live_server: LiveServer, unique_name, make_image,
                                                name_prefix) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    repo = f"sdmd-test-local/{name_prefix}"
    used = make_image(repo, "used")
    spare = make_image(repo, "spare")
    dangling = make_image(repo, "x")
    make_image(repo, "x")  # takes the tag: the previous one is dangling now
    name = unique_name("imgui")
    assert api.post("/api/services", json={"name": name, "image": f"{repo}:used", **SLEEPER}).status_code == 201

    page.get_by_role("link", name="Images").first.click()
    page.wait_for_url(f"{url}/images/")
    used_row = page.locator(f"[data-testid=image-row][data-id='{used}']")
    expect(used_row).to_contain_text(f"{repo}:used")
    expect(used_row.get_by_role("link", name=name)).to_have_attribute("href", re.compile(r"/service/\?id=svc_"))
    expect(used_row.get_by_test_id("remove-image")).to_be_disabled()
    expect(page.locator(f"[data-testid=image-row][data-id='{dangling}']")).to_contain_text("dangling")
    page.get_by_label("Filter images").fill(name_prefix)
    shot(page, "21-images")

    # Remove one unused image, confirmed.
    page.locator(f"[data-testid=image-row][data-id='{spare}']").get_by_test_id("remove-image").click()
    page.get_by_test_id("confirm-action").click()
    expect(toast(page, f"Removed {repo}:spare")).to_be_visible(timeout=30_000)
    expect(page.locator(f"[data-testid=image-row][data-id='{spare}']")).to_have_count(0)

    # Prune: the preview lists the dangling one (among anyone's); only what stays ticked goes.
    page.get_by_test_id("prune-open").click()
    dialog = page.get_by_test_id("prune-dialog")
    item = dialog.locator(f"[data-testid=prune-item][data-id='{dangling}']")
    expect(item).to_be_visible(timeout=30_000)
    dialog.get_by_test_id("prune-none").click()
    expect(dialog.get_by_test_id("prune-confirm")).to_be_disabled()
    item.get_by_role("checkbox").check()
    expect(dialog.get_by_test_id("prune-summary")).to_contain_text("1 of")
    shot(page, "22-images-prune")
    dialog.get_by_test_id("prune-confirm").click()
    expect(toast(page, "Removed 1 image")).to_be_visible(timeout=30_000)
    ids = {i["id"] for i in api.get("/api/images").json()["images"]}
    assert dangling not in ids and used in ids


def test_health_page_puts_troubled_containers_first(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("sick")
    r = live_server.api(token).post("/api/services", json={"name": name, "services": {
        "ok": {"image": IMAGE_V1, **SLEEPER},
        "sick": {"image": IMAGE_V1, **SLEEPER, "healthcheck": {"test": ["CMD", "false"], "interval": "1s",
                                                                "retries": 1, "timeout": "1s"}},
    }})
    assert r.status_code == 201, r.text
    page.get_by_role("link", name="Health").first.click()
    page.wait_for_url(f"{url}/health/")
    troubled = page.get_by_test_id("troubled-containers")
    expect(troubled.locator("[data-testid=health-row][data-problem=unhealthy]").filter(has_text=name)).to_be_visible(
        timeout=60_000)
    expect(page.get_by_test_id("health-problems")).to_contain_text("need")
    expect(page.get_by_test_id("other-containers").locator("[data-testid=health-row]").filter(has_text=f"{name} / ok")
           ).to_be_visible()
    expect(page.get_by_test_id("count-health-unhealthy")).not_to_contain_text("0")
    shot(page, "23-health")


def test_gitops_page_reconciles_and_offers_the_actions(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    stacks = live_server.core.settings.stacks_dir
    gone, broken = unique_name("gone"), unique_name("broken")
    r = api.post("/api/services", json={"name": gone, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    shutil.rmtree(stacks / gone)  # deleted by hand: the service becomes orphaned
    (stacks / broken).mkdir()
    (stacks / broken / "compose.yaml").write_text("services:\n  app:\n    imagee: nope\n")

    page.get_by_role("link", name="GitOps").first.click()
    page.wait_for_url(f"{url}/gitops/")
    expect(page.get_by_test_id("branch")).to_have_text("main")
    expect(page.get_by_test_id("remote-state")).to_have_text("no remote")
    page.get_by_test_id("reconcile-now").click()
    expect(toast(page, "Round done")).to_be_visible(timeout=60_000)
    last = page.get_by_test_id("last-round")
    expect(last.get_by_test_id("round-errors").first).to_contain_text(broken)
    expect(last.get_by_test_id("round-errors").first).to_contain_text("imagee")
    orphan = page.locator(f"[data-testid=stack-state][data-name='{gone}']")
    expect(orphan).to_contain_text("orphaned")
    expect(page.locator(f"[data-testid=stack-state][data-name='{broken}']")).to_contain_text("error")
    expect(page.get_by_test_id("recent-commits")).to_contain_text(f"Remove {gone}")
    shot(page, "24-gitops")

    # The orphan's action takes its containers down, after typing its name.
    orphan.get_by_test_id("stack-delete").click()
    page.get_by_test_id("confirm-name").fill(gone)
    page.get_by_test_id("confirm-action").click()
    expect(toast(page, f"Deleted {gone}")).to_be_visible(timeout=60_000)
    expect(page.locator(f"[data-testid=stack-state][data-name='{gone}']")).to_have_count(0)
    assert all(s["name"] != gone for s in api.get("/api/services").json())


def test_settings_users_and_about(page: Page, live_server: LiveServer) -> None:
    url = live_server.url
    log_in(page, url)
    page.get_by_role("link", name="Settings").first.click()
    page.wait_for_url(f"{url}/settings/")
    expect(page.get_by_role("navigation", name="Settings")).to_contain_text("Users")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Users").click()
    page.wait_for_url(f"{url}/settings/users/")
    me = page.locator("[data-testid=user-row][data-email='tester@example.com']")
    expect(me).to_contain_text("you")
    expect(me.get_by_test_id("remove-user")).to_be_disabled()

    # Add a user without a password: one is generated, shown once, and works.
    page.get_by_test_id("add-user").click()
    page.get_by_test_id("add-user-submit").click()
    expect(page.get_by_test_id("add-user-form")).to_contain_text("a name is required")
    page.fill("#u-email", "ops@example.com")
    page.get_by_test_id("add-user-submit").click()
    password = page.get_by_test_id("generated-password").inner_text(timeout=30_000)
    assert len(password) >= 16
    shot(page, "25-settings-user-added")
    page.get_by_role("button", name="Done").click()
    login = live_server.api("none").post("/auth/login", json={"username": "ops@example.com", "password": password})
    assert login.status_code == 200, login.text

    # Reset it to a chosen one, then remove the user.
    ops = page.locator("[data-testid=user-row][data-email='ops@example.com']")
    ops.get_by_test_id("reset-password").click()
    page.fill("#u-password", "short")
    page.get_by_test_id("reset-user-submit").click()
    expect(page.get_by_test_id("reset-user-form")).to_contain_text("at least 8 characters")
    page.fill("#u-password", "a chosen password")
    page.get_by_test_id("reset-user-submit").click()
    expect(toast(page, "New password for ops@example.com")).to_be_visible()
    assert live_server.api("none").post("/auth/login", json={"username": "ops@example.com",
                                                              "password": "a chosen password"}).status_code == 200
    ops.get_by_test_id("remove-user").click()
    page.get_by_test_id("confirm-action").click()
    expect(toast(page, "Removed ops@example.com")).to_be_visible()
    expect(page.get_by_test_id("user-row")).to_have_count(1)
    shot(page, "26-settings-users")

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="About").click()
    page.wait_for_url(f"{url}/settings/about/")
    expect(page.get_by_test_id("about-version")).to_have_text(re.compile(r"^\d+\.\d+"))
    expect(page.get_by_test_id("about-docker")).to_contain_text("API")
    expect(page.get_by_test_id("docs-link")).to_have_attribute("href", "/docs")
    expect(page.get_by_test_id("rq-link")).to_have_attribute("href", "http://127.0.0.1:9181")
    shot(page, "27-settings-about")
    assert page.title() == "About · Settings · sdmd"
