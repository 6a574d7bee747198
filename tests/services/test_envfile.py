"""A stack's .env edited through the API: validated by compose with the new file, applied, committed,
audited without values; bad input changes nothing; a failed apply brings the old file back."""

from __future__ import annotations

import stat
import subprocess

import pytest
import sqlalchemy as sa

from sdmd.audit.models import AuditEntry
from sdmd.services.envfile import parse_env
from tests.support import APP_IMAGE, REGISTRY, docker_api

COMPOSE = """services:
  app:
    image: {repo}:${{TAG:-1}}
    command: ["sleep", "3600"]
    init: true
    stop_grace_period: ${{GRACE:-1s}}
    environment:
      GREETING: ${{GREETING:-none}}
"""


def _git(stacks, *args: str) -> str:
    return subprocess.run(["git", "-C", str(stacks), *args], capture_output=True, text=True, check=True).stdout.strip()


def _audits(core, action: str) -> list[AuditEntry]:
    with core.db.sessions() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _env_of_container(name: str) -> dict[str, str]:
    api = docker_api()
    try:
        [c] = api.containers(filters={"label": f"com.docker.compose.project={name}"})
        env = api.inspect_container(c["Id"])["Config"]["Env"]
        return dict(e.split("=", 1) for e in env)
    finally:
        api.close()


@pytest.fixture
def stack(client, unique_name):
    name = unique_name("env")
    r = client.post("/api/services", params={"name": name}, content=COMPOSE.format(repo=APP_IMAGE),
                    headers={"content-type": "application/yaml"})
    assert r.status_code == 201, r.text
    return r.json()["id"], name


def test_read_write_apply_commit_and_audit_without_values(client, core, stack):
    sid, name = stack
    stacks = core.settings.stacks_dir
    r = client.get(f"/api/services/{sid}/env")
    assert r.status_code == 200
    assert r.json() | {"etag": "x"} == {"service_id": sid, "name": name, "path": f"{name}/.env", "exists": False,
                                        "content": "", "keys": [], "etag": "x", "warnings": []}
    etag = r.headers["ETag"]
    commits = int(_git(stacks, "rev-list", "--count", "HEAD"))

    secret = "s3cr3t-hunter2"
    text = f"# the greeting\nGREETING={secret}\nexport TAG=2\n"
    r = client.put(f"/api/services/{sid}/env", json={"content": text}, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["exists"] is True and body["keys"] == ["GREETING", "TAG"] and body["content"] == text
    assert r.headers["ETag"] == f'"{body["etag"]}"' != etag
    path = stacks / name / ".env"
    assert path.read_text() == text and stat.S_IMODE(path.stat().st_mode) == 0o600
    # Applied: the container was recreated with the interpolated values.
    env = _env_of_container(name)
    assert env["GREETING"] == secret
    assert client.get(f"/api/services/{sid}").json()["containers"][0]["image"] == f"{APP_IMAGE}:2"
    assert client.get(f"/api/services/{sid}/drift").json()["drifted"] is False
    # Committed like a compose edit, by the user.
    assert int(_git(stacks, "rev-list", "--count", "HEAD")) == commits + 1
    assert _git(stacks, "show", "-s", "--format=%s") == f"Update .env of service {name}"
    assert _git(stacks, "show", "--name-only", "--format=") == f"{name}/.env"
    [audit] = _audits(core, "service.env_update")
    assert audit.outcome == "ok" and audit.target_id == sid
    assert audit.details["keys"] == {"added": ["GREETING", "TAG"], "removed": [], "changed": []}
    assert audit.details["commit"] == _git(stacks, "rev-parse", "HEAD")
    assert secret not in str(audit.details)

    # A stale If-Match is refused; the same text again is a no-op (no commit, nothing recreated).
    r = client.put(f"/api/services/{sid}/env", json={"content": "GREETING=x\n"}, headers={"If-Match": etag})
    assert r.status_code == 409 and path.read_text() == text
    r = client.put(f"/api/services/{sid}/env", json={"content": text}, headers={"If-Match": body["etag"]})
    assert r.status_code == 200 and int(_git(stacks, "rev-list", "--count", "HEAD")) == commits + 1

    # Empty content removes the file (and the defaults apply again).
    r = client.put(f"/api/services/{sid}/env", json={"content": ""})
    assert r.status_code == 200 and r.json()["exists"] is False and not path.exists()
    assert _env_of_container(name)["GREETING"] == "none"
    assert _audits(core, "service.env_update")[-1].details["keys"]["removed"] == ["GREETING", "TAG"]


@pytest.mark.parametrize(("content", "says"), [
    ("GREETING=ok\nSDMD_ADMIN_PASSWORD\n", "line 2: SDMD_ADMIN_PASSWORD has no '='"),
    ("1ABC=x\n", "is not a variable name"),
    ('GREETING="never closed\n', "has no closing \""),
    ("GREETING='a' trailing\n", "unexpected text after the quoted value"),
])
def test_bad_lines_are_refused_and_nothing_changes(client, core, stack, content, says):
    sid, name = stack
    before = _git(core.settings.stacks_dir, "rev-parse", "HEAD")
    r = client.put(f"/api/services/{sid}/env", json={"content": content})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid .env" and says in r.json()["details"]
    assert not (core.settings.stacks_dir / name / ".env").exists()
    assert _git(core.settings.stacks_dir, "rev-parse", "HEAD") == before
    assert _audits(core, "service.env_update")[-1].outcome == "error"


def test_compose_refusal_is_scrubbed_and_a_failed_apply_restores_the_old_file(client, core, stack):
    sid, name = stack
    stacks = core.settings.stacks_dir
    path = stacks / name / ".env"
    assert client.put(f"/api/services/{sid}/env", json={"content": "GREETING=first\n"}).status_code == 200
    container_before = _env_of_container(name)
    head = _git(stacks, "rev-parse", "HEAD")

    # compose refuses the stack with this .env (not a duration): nothing is written, nothing recreated,
    # and compose's message, which quotes the value, reaches the audit record without it.
    r = client.put(f"/api/services/{sid}/env", json={"content": "GREETING=first\nGRACE=soon-ish\n"})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid compose file" and "invalid duration" in r.json()["details"]
    assert path.read_text() == "GREETING=first\n"
    refused = _audits(core, "service.env_update")[-1]
    assert refused.outcome == "error" and "soon-ish" not in str(refused.details)
    assert refused.details["keys"] == {"added": ["GRACE"], "removed": [], "changed": []}

    # `up` fails on a reference compose passes on (spaces in the tag): the person sees compose's message
    # with the value in it (they sent it); the audit record never holds it.
    bad_tag = "Has Spaces-and-secret"
    r = client.put(f"/api/services/{sid}/env", json={"content": f"TAG='{bad_tag}'\n"})
    assert r.status_code == 422, r.text
    assert bad_tag in r.json()["details"] and "previous .env was restored" in r.json()["details"]
    refused = _audits(core, "service.env_update")[-1]
    assert refused.outcome == "error" and bad_tag not in str(refused.details)
    assert "[redacted]" in refused.details["error_details"]
    assert path.read_text() == "GREETING=first\n"

    # compose accepts it, but `up` fails (the tag does not exist): the old .env is back and applied.
    r = client.put(f"/api/services/{sid}/env", json={"content": "GREETING=second\nTAG=no-such-tag-9\n"})
    assert r.status_code in (404, 422), r.text
    assert "previous .env was restored" in r.json()["details"]
    assert path.read_text() == "GREETING=first\n"
    assert _env_of_container(name)["GREETING"] == container_before["GREETING"] == "first"
    assert _git(stacks, "rev-parse", "HEAD") == head and _git(stacks, "status", "--porcelain") == ""
    assert REGISTRY in APP_IMAGE  # the missing tag was looked up on the local registry only


def test_unmanaged_and_unknown_services(client):
    assert client.get("/api/services/svc_nope/env").status_code == 404
    assert client.put("/api/services/svc_nope/env", json={"content": "A=1"}).status_code == 404
    assert client.put("/api/services/svc_nope/env", json={"content": "A=1", "extra": 1}).status_code == 422


def test_parse_env_matches_composes_reading():
    entries, problems = parse_env('A=1\n# c\n\nexport B = two words # note\nC="x\\ny $$"\nD=\'lit $X\'\n'
                                  'E="multi\nline"\nF=\n')
    assert problems == []
    assert [(e.key, e.value) for e in entries] == [("A", "1"), ("B", "two words"), ("C", "x\ny $$"),
                                                   ("D", "lit $X"), ("E", "multi\nline"), ("F", "")]
