"""compose.yaml as `docker compose config` (compose's own parser) reads it, with and without the
supabase profile, and .env.example as the list of every setting."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from sdmd.config import Settings
from tests.deploy.stack import REPO

SDMD_IMAGE_SERVICES = {"setup", "sdmd", "worker", "scheduler", "rq-dashboard"}
BASE_SERVICES = SDMD_IMAGE_SERVICES | {"redis"}
SUPABASE_SERVICES = {"supabase-db", "supabase-auth", "supabase-kong"}


def config(tmp_path: Path, env: dict[str, str], *args: str) -> dict:
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    # A clean environment: only the env file decides, whatever the shell running the tests has set.
    clean = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    proc = subprocess.run(
        ["docker", "compose", "-f", str(REPO / "compose.yaml"), "--env-file", str(env_file), *args,
         "config", "--format", "json"],
        capture_output=True, text=True, timeout=60, env={**clean, "SDMD_ENV_FILE": str(env_file)})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def published(cfg: dict) -> dict[str, list[tuple[str, str, int]]]:
    return {name: [(p.get("host_ip", ""), p["published"], p["target"]) for p in svc.get("ports", [])]
            for name, svc in cfg["services"].items() if svc.get("ports")}


def test_default_stack(tmp_path: Path) -> None:
    cfg = config(tmp_path, {"DOCKER_GID": "105"})
    services = cfg["services"]
    assert set(services) == BASE_SERVICES
    # Only the UI is published for people, on loopback; the RQ dashboard is loopback-only too.
    assert published(cfg) == {"sdmd": [("127.0.0.1", "8000", 8000)],
                              "rq-dashboard": [("127.0.0.1", "9181", 9181)]}
    for name in ("sdmd", "worker", "scheduler"):
        svc = services[name]
        mounts = {m["target"]: m for m in svc["volumes"]}
        assert mounts["/var/run/docker.sock"]["source"] == "/var/run/docker.sock"
        assert mounts["/data"] == {"type": "volume", "source": "sdmd-data", "target": "/data", "volume": {}}
        assert mounts["/opt/sdmd/stacks"]["type"] == "bind"
        assert mounts["/opt/sdmd/stacks"]["source"] == "/opt/sdmd/stacks"  # the same path on both sides
        assert svc["group_add"] == ["105"]
        assert svc["environment"]["SDMD_REDIS_URL"] == "redis://redis:6379/0"
        assert svc["environment"]["SDMD_STACKS_DIR"] == "/opt/sdmd/stacks"
        assert svc["environment"]["SDMD_LOG_FORMAT"] == "json"
        assert svc["environment"]["SDMD_TLS_SELF_SIGNED"] == "true"  # HTTPS by default
        assert svc["image"] == "sdmd:latest"
    assert services["sdmd"]["build"]["context"] == str(REPO)
    assert services["sdmd"]["build"]["args"] == {"DOCKER_GID": "105"}
    assert services["sdmd"]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert services["sdmd"]["depends_on"]["supabase-db"]["required"] is False
    assert services["worker"]["depends_on"]["sdmd"]["condition"] == "service_healthy"
    assert services["setup"]["user"] == "0:0"
    assert services["redis"]["image"] == "redis:7-alpine"
    assert set(cfg["volumes"]) >= {"sdmd-data", "redis-data"}


def test_images_ports_and_folders_follow_the_variables(tmp_path: Path) -> None:
    cfg = config(tmp_path, {"SDMD_IMAGE": "registry.example/sdmd:1.2", "SDMD_REDIS_IMAGE": "mirror/redis:7",
                            "SDMD_BIND": "0.0.0.0", "SDMD_PORT": "18000", "SDMD_RQ_DASHBOARD_PORT": "19181",
                            "SDMD_STACKS_DIR": "/srv/stacks", "DOCKER_SOCKET": "/run/user/1000/docker.sock"})
    services = cfg["services"]
    assert {services[n]["image"] for n in SDMD_IMAGE_SERVICES} == {"registry.example/sdmd:1.2"}
    assert services["redis"]["image"] == "mirror/redis:7"
    assert published(cfg) == {"sdmd": [("0.0.0.0", "18000", 8000)],
                              "rq-dashboard": [("127.0.0.1", "19181", 9181)]}
    mounts = {m["target"]: m["source"] for m in services["sdmd"]["volumes"]}
    assert mounts["/srv/stacks"] == "/srv/stacks"
    assert mounts["/var/run/docker.sock"] == "/run/user/1000/docker.sock"


SUPABASE_ENV = {
    "COMPOSE_PROFILES": "supabase", "SDMD_AUTH_MODE": "supabase", "POSTGRES_PASSWORD": "pg-secret",
    "JWT_SECRET": "a-jwt-secret-of-at-least-thirty-two-chars", "ANON_KEY": "anon.jwt", "SERVICE_ROLE_KEY": "svc.jwt",
    "SITE_URL": "https://sdmd.example.org",
    "SDMD_DATABASE_URL": "postgresql+psycopg://postgres:${POSTGRES_PASSWORD}@supabase-db:5432/postgres",
    "SDMD_SUPABASE_URL": "http://supabase-kong:8000", "SDMD_SUPABASE_ANON_KEY": "${ANON_KEY}",
    "SDMD_SUPABASE_JWT_SECRET": "${JWT_SECRET}",
}


@pytest.mark.parametrize("how", ["COMPOSE_PROFILES", "--profile"])
def test_supabase_profile(tmp_path: Path, how: str) -> None:
    env = dict(SUPABASE_ENV)
    args: tuple[str, ...] = ()
    if how == "--profile":
        env.pop("COMPOSE_PROFILES")
        args = ("--profile", "supabase")
    cfg = config(tmp_path, env, *args)
    services = cfg["services"]
    assert set(services) == BASE_SERVICES | SUPABASE_SERVICES
    assert set(published(cfg)) == {"sdmd", "rq-dashboard"}  # Supabase's services stay internal

    auth = services["supabase-auth"]["environment"]
    assert auth["GOTRUE_DISABLE_SIGNUP"] == "true"
    assert auth["GOTRUE_JWT_SECRET"] == SUPABASE_ENV["JWT_SECRET"]
    assert auth["GOTRUE_JWT_AUD"] == "authenticated"
    assert auth["GOTRUE_SITE_URL"] == "https://sdmd.example.org"
    assert auth["GOTRUE_DB_DATABASE_URL"] == "postgres://supabase_auth_admin:pg-secret@supabase-db:5432/postgres"
    db = services["supabase-db"]
    assert db["environment"]["POSTGRES_PASSWORD"] == "pg-secret"
    assert db["environment"]["JWT_SECRET"] == SUPABASE_ENV["JWT_SECRET"]
    assert {m["target"] for m in db["volumes"]} >= {"/var/lib/postgresql/data",
                                                      "/docker-entrypoint-initdb.d/init-scripts/99-roles.sql"}
    kong = services["supabase-kong"]
    assert kong["environment"]["SUPABASE_ANON_KEY"] == "anon.jwt"
    assert kong["environment"]["SUPABASE_SERVICE_KEY"] == "svc.jwt"
    assert services["supabase-auth"]["depends_on"]["supabase-db"]["condition"] == "service_healthy"

    # sdmd gets its database and Auth settings from the env file, interpolated.
    sdmd_env = services["sdmd"]["environment"]
    assert sdmd_env["SDMD_DATABASE_URL"] == "postgresql+psycopg://postgres:pg-secret@supabase-db:5432/postgres"
    assert sdmd_env["SDMD_AUTH_MODE"] == "supabase"
    assert sdmd_env["SDMD_SUPABASE_ANON_KEY"] == "anon.jwt"
    assert sdmd_env["SDMD_SUPABASE_JWT_SECRET"] == SUPABASE_ENV["JWT_SECRET"]
    assert services["sdmd"]["depends_on"]["supabase-db"]["condition"] == "service_healthy"
    assert services["sdmd"]["depends_on"]["supabase-kong"]["condition"] == "service_started"


def test_kong_config_has_no_double_quotes_and_names_only_known_keys() -> None:
    # compose.yaml expands it with a shell echo "..."; a double quote would end the string early.
    text = (REPO / "deploy" / "supabase" / "kong.yml").read_text()
    assert '"' not in text
    assert set(re.findall(r"\$([A-Z_]+)", text)) == {"SUPABASE_ANON_KEY", "SUPABASE_SERVICE_KEY"}


def test_env_example_lists_every_setting(tmp_path: Path) -> None:
    example = (REPO / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    compose_vars = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (REPO / "compose.yaml").read_text()))
    assert compose_vars - listed == set(), "compose.yaml variables missing from .env.example"
    settings = {f"SDMD_{name.upper()}" for name in Settings.model_fields}
    mentioned = set(re.findall(r"\b(SDMD_[A-Z0-9_]+)\b", example))
    assert settings - mentioned == set(), "sdmd settings missing from .env.example"
    # Every setting has a comment: above it, or above the group of settings it is listed with.
    lines = example.splitlines()
    is_setting = [bool(re.match(r"^#? ?[A-Z][A-Z0-9_]+=", line)) for line in lines]
    for i, line in enumerate(lines):
        if is_setting[i]:
            j = i
            while j > 0 and is_setting[j - 1]:
                j -= 1
            above = lines[j - 1] if j > 0 else ""
            assert above.startswith("# ") and not above.startswith("#####"), f"no comment for {line!r}"


def test_env_example_copied_as_is_is_a_valid_configuration(tmp_path: Path) -> None:
    env = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", (REPO / ".env.example").read_text(), flags=re.M))
    cfg = config(tmp_path, env)
    assert set(cfg["services"]) == BASE_SERVICES


def test_supabase_key_generator_signs_both_api_keys_with_the_secret() -> None:
    out = subprocess.run([sys.executable, str(REPO / "deploy" / "supabase" / "keys.py")],
                         capture_output=True, text=True, check=True).stdout
    values = dict(line.split("=", 1) for line in out.splitlines())
    assert set(values) == {"POSTGRES_PASSWORD", "JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY"}
    assert len(values["JWT_SECRET"]) >= 32 and len(values["POSTGRES_PASSWORD"]) >= 24
    for key, role in (("ANON_KEY", "anon"), ("SERVICE_ROLE_KEY", "service_role")):
        claims = jwt.decode(values[key], values["JWT_SECRET"], algorithms=["HS256"])
        assert claims["role"] == role and claims["iss"] == "supabase" and claims["exp"] > claims["iat"]
    again = subprocess.run([sys.executable, str(REPO / "deploy" / "supabase" / "keys.py")],
                           capture_output=True, text=True, check=True).stdout
    assert again != out  # fresh secrets every time, never a shared default
