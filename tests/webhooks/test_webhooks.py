"""Deploy webhooks against a real worker, Docker and (for apply) a git remote: the secret URL runs the
service's update or a pull and apply; wrong, rotated and revoked secrets are 404; calls are rate-limited
and audited, each record naming the webhook."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from sdmd.audit.models import AuditEntry
from sdmd.gitops.reconcile import reconcile
from sdmd.webhooks.models import Webhook
from tests.gitops.helpers import containers, git, head, sleeper_yaml
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER


@pytest.fixture
def service(client, unique_name) -> dict:
    response = client.post("/api/services", json={"name": unique_name("hook"), "image": IMAGE_V1, **SLEEPER})
    assert response.status_code == 201, response.text
    return response.json()


def audit(core, action: str) -> list[AuditEntry]:
    with core.db.sessions() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_an_update_webhook_runs_the_update_in_the_worker(client, anonymous_client, core, service, processes):
    processes.worker()
    made = client.post(f"/api/services/{service['id']}/webhooks", json={"mode": "check", "description": "CI"})
    assert made.status_code == 201, made.text
    hook = made.json()
    assert hook["url"] == f"/api/webhooks/{hook['secret']}" and hook["action"] == "update"
    # Only a hash of the secret is stored; listing never shows it.
    with core.db.sessions() as session:
        assert hook["secret"] not in session.get(Webhook, hook["id"]).secret_hash
    assert "secret" not in client.get("/api/webhooks").json()[0]

    called = anonymous_client.post(hook["url"], params={"wait": 60}, json={"ref": "refs/heads/main"})  # no token
    assert called.status_code == 200, called.text
    result = called.json()
    assert result["service_id"] == service["id"] and result["job"]["status"] == "finished"
    assert result["job"]["run"]["result"] == "up_to_date"
    # Without wait the answer comes at once: 202 and the job to poll.
    queued = anonymous_client.post(hook["url"])
    assert queued.status_code == 202
    assert queued.headers["location"] == f"/api/updates/jobs/{queued.json()['job']['job_id']}"
    # Both the trigger and the run it caused name the webhook.
    triggers = audit(core, "webhook.trigger")
    assert [(r.actor_id, r.actor_token_id, r.actor_token_name, r.target_id, r.outcome) for r in triggers] == [
        ("webhook", hook["id"], "CI", service["id"], "ok")] * 2
    run = audit(core, "update.run")[0]
    assert (run.actor_token_id, run.actor_token_name) == (hook["id"], "CI")
    assert client.get(f"/api/services/{service['id']}/webhooks").json()[0]["last_called_at"]


def test_wrong_rotated_and_revoked_secrets_are_all_404(client, anonymous_client, core, service):
    hook = client.post(f"/api/services/{service['id']}/webhooks", json={}).json()
    wrong = anonymous_client.post(f"/api/webhooks/{hook['secret'][:-1]}x")
    assert wrong.status_code == 404 and wrong.json() == {"error": "not found", "details": None}
    rotated = client.post(f"/api/services/{service['id']}/webhooks/{hook['id']}/rotate").json()
    assert rotated["id"] == hook["id"] and rotated["secret"] != hook["secret"] and rotated["rotated_at"]
    assert anonymous_client.post(hook["url"]).json() == wrong.json()  # the old URL is dead at once
    revoked = client.delete(f"/api/services/{service['id']}/webhooks/{hook['id']}")
    assert revoked.status_code == 200
    assert anonymous_client.post(rotated["url"]).json() == wrong.json()
    assert client.get("/api/webhooks").json() == []
    assert client.delete(f"/api/services/{service['id']}/webhooks/{hook['id']}").status_code == 404
    assert [r.action for r in audit(core, "webhook.create") + audit(core, "webhook.rotate") +
            audit(core, "webhook.revoke")] == ["webhook.create", "webhook.rotate", "webhook.revoke"]
    assert audit(core, "webhook.trigger") == []  # unknown secrets are not the audit log's business
    # Management needs a login like the rest of /api; the secret URL is the only public route.
    assert anonymous_client.post(f"/api/services/{service['id']}/webhooks", json={}).status_code == 401
    assert anonymous_client.get("/api/webhooks").status_code == 401


def test_calls_are_rate_limited_per_webhook_and_misses_per_address(client, anonymous_client, core, service):
    hook = client.post(f"/api/services/{service['id']}/webhooks", json={"mode": "check"}).json()
    # No worker: each allowed call answers 503 (and is counted); past SDMD_WEBHOOK_MAX_CALLS (3 here) 429.
    statuses = [anonymous_client.post(hook["url"]).status_code for _ in range(4)]
    assert statuses == [503, 503, 503, 429]
    limited = anonymous_client.post(hook["url"])
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
    assert len(audit(core, "webhook.trigger")) == 3  # throttled calls are not written to the audit log
    core.settings.webhook_max_misses = 5
    misses = [anonymous_client.post(f"/api/webhooks/guess{i}").status_code for i in range(6)]
    assert misses == [404] * 5 + [429]


def test_deleting_the_service_deletes_its_webhooks(client, anonymous_client, core, service):
    hook = client.post(f"/api/services/{service['id']}/webhooks", json={}).json()
    assert client.delete(f"/api/services/{service['id']}").status_code == 200
    with core.db.sessions() as session:
        assert session.get(Webhook, hook["id"]) is None
    assert anonymous_client.post(hook["url"]).status_code == 404


def test_bad_webhook_requests(client, service):
    assert client.post("/api/services/svc_nope/webhooks", json={}).status_code == 404
    for body in ({"action": "deploy"}, {"mode": "later"}, {"description": "x" * 201}):
        assert client.post(f"/api/services/{service['id']}/webhooks", json=body).status_code == 422, body
    assert client.get("/api/webhooks").json() == []


def test_an_apply_webhook_pulls_from_the_git_remote_and_applies(client, anonymous_client, core, tmp_path: Path,
                                                               service):
    """A CI job pushes a change to the stacks repository's remote, then calls the webhook."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    core.settings.git_remote = str(remote)
    assert reconcile(core)["remote"]["state"] == "pushed"  # sdmd's commit of the service is on the remote
    laptop = tmp_path / "laptop"
    subprocess.run(["git", "clone", "-q", str(remote), str(laptop)], check=True, capture_output=True)
    git(laptop, "config", "user.name", "CI")
    git(laptop, "config", "user.email", "ci@example.com")
    name = service["name"]
    (laptop / name / "compose.yaml").write_text(sleeper_yaml(name, image=IMAGE_V2, comment="# from CI\n"))
    git(laptop, "commit", "-qam", "Use app:2")
    git(laptop, "push", "-q", "origin", "HEAD:main")

    hook = client.post(f"/api/services/{service['id']}/webhooks", json={"action": "apply"}).json()
    called = anonymous_client.post(hook["url"])
    assert called.status_code == 200, called.text
    assert called.json()["remote"]["state"] == "pulled" and called.json()["job"] is None
    assert head(core.settings.stacks_dir) == head(laptop)
    assert [c["Image"] for c in containers(name).values()] == [IMAGE_V2]
    assert client.get(f"/api/services/{service['id']}").json()["compose"].startswith("# from CI")
    applied = audit(core, "service.apply")[-1]
    assert (applied.actor_id, applied.actor_token_id) == ("webhook", hook["id"])

    # A remote the local branch has diverged from: nothing is applied, and the caller hears why.
    (laptop / name / "compose.yaml").write_text(sleeper_yaml(name, image=IMAGE_V1, comment="# remote\n"))
    git(laptop, "commit", "-qam", "remote side")
    git(laptop, "push", "-q", "origin", "HEAD:main")
    client.put(f"/api/services/{service['id']}", json={"name": name, "image": IMAGE_V2, **SLEEPER,
                                                       "environment": {"LOCAL": "1"}})
    diverged = anonymous_client.post(hook["url"])
    assert diverged.status_code == 409 and "diverged" in diverged.json()["details"]
    assert [c["Image"] for c in containers(name).values()] == [IMAGE_V2]
