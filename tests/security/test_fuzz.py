"""Bad (and good) input for every operation, generated from the OpenAPI schema by schemathesis against the
real app (ASGI, real Docker, a private Redis, SQLite): no 5xx, no status or body the schema does not
document, no request the schema accepts refused as invalid input, and no schema-violating request accepted.

Left out on purpose, because valid random input there would touch the world outside this test:
POST/PUT /api/services and POST /api/images/pull (random image references: pulls from remote registries),
POST /api/services/adopt (would take over another compose project on this shared engine), and
POST /auth/logout (would end the fuzzer's own session). Their validation is tested in their domains.
Fuzzed but kept inside the test (`_harmless`): image prunes are previews, registry credentials are not
verified over the network; a "require 2FA" the fuzzer switches on is switched off again after each case.
Where valid input depends on more than a schema can say (a PEM certificate that parses, a key that fits the
certificate, an Apprise URL whose plugin takes it, a log window whose `until` is not before its `since`),
a schema-valid request may get 422, but only with the error that names that check (BEYOND_THE_SCHEMA); any
other refusal of valid input still fails.
The run is bounded: MAX_EXAMPLES per operation and mode (STREAM_EXAMPLES for an event stream), no shrinking,
no stateful phase, and an event stream is read for STREAM_SECONDS or up to its first event (its status,
content type and framing are what there is to check; reading on would only wait, on a quiet engine the whole
10 s request timeout per case). The operations are dealt into SHARDS tests, so the suite's workers share them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sdmd.app import create_app
from sdmd.auth.identity import CLI
from sdmd.config import Settings
from sdmd.core import Core
from tests.schedules.conftest import redis_socket, redis_url  # noqa: F401 (fixtures)
from tests.support_auth import TEST_EMAIL, ensure_user

MAX_EXAMPLES = 30
STREAM_EXAMPLES = 8  # each waits up to STREAM_SECONDS for a first event (GET /api/stats sends its first at 2 s)
STREAM_SECONDS = 1.5
SHARDS = 3
HOST_MATERIAL = {"invalid host URL", "invalid TLS material", "invalid SSH key", "invalid host material",
                 "TLS material required", "SSH key required", "invalid labels", "invalid host"}
BEYOND_THE_SCHEMA = {
    ("POST", "/api/hosts"): HOST_MATERIAL,
    ("PUT", "/api/hosts/{host_id}"): HOST_MATERIAL,
    ("POST", "/api/notifications/channels"): {"invalid notification URL"},
    ("PUT", "/api/notifications/channels/{channel_id}"): {"invalid notification URL"},
    ("GET", "/api/services/{service_id}/logs"): {"invalid time range"},  # until before since
}
EXCLUDED = [("POST", "/api/services"), ("PUT", "/api/services/{service_id}"), ("POST", "/api/images/pull"),
            ("POST", "/api/services/adopt"), ("POST", "/auth/logout")]


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    return sqlite_database_url


@pytest.fixture
def settings_(tmp_path: Path, database_url: str, redis_url: str) -> Settings:  # noqa: F811
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    redis_url=redis_url, gitops_watch=False, update_wait_seconds=0)


@pytest.fixture
def core(settings_: Settings) -> Iterator[Core]:
    core = Core(settings_)
    settings_.ensure_dirs()
    core.db.migrate()
    yield core
    core.close()


def _harmless(case):
    """Valid input that would reach beyond this test is turned aside: a prune only ever previews (this engine
    is shared, its unused images are not ours), and registry credentials are stored unverified (verifying
    asks a registry on the network, whose answer, 502 when unreachable, is not sdmd's to fuzz). Only a value
    the schema allows is replaced, so a negative case stays exactly as invalid as it was generated."""
    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return case
    if case.operation.path == "/api/images/prune" and body.get("dry_run") is False:
        body["dry_run"] = True
    if case.operation.path.startswith("/api/registries") and body.get("verify", True) is True:
        body["verify"] = False
    return case


def _run(operation, mode: GenerationMode, headers: dict[str, str], after_case, statuses: Counter) -> None:
    refusals = BEYOND_THE_SCHEMA.get((operation.method.upper(), operation.path)) \
        if mode is GenerationMode.POSITIVE else None
    answers = operation.definition.raw.get("responses", {}).get("200", {}).get("content", {})
    stream = "text/event-stream" in answers
    call = {"headers": headers, **({"timeout": STREAM_SECONDS} if stream else {})}

    @given(case=operation.as_strategy(generation_mode=mode).map(_harmless))
    @settings(max_examples=STREAM_EXAMPLES if stream else MAX_EXAMPLES, deadline=None,
              suppress_health_check=list(HealthCheck),
              derandomize=True, phases=[Phase.explicit, Phase.generate], database=None)
    def run(case) -> None:
        try:
            if refusals is None:
                response = case.call_and_validate(**call)
            else:
                response = case.call_and_validate(**call, excluded_checks=[positive_data_acceptance])
                if response.status_code in (400, 422):
                    assert response.json()["error"] in refusals, f"valid input refused: {response.text}"
            statuses[response.status_code] += 1
        finally:
            after_case()

    try:
        run()
    except Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:
            raise  # nothing to get wrong (no parameters, no body) is fine; nothing valid to send is not


def _fuzzed(schema) -> list:
    """Every operation the fuzzer sends to, in a stable order."""
    operations = [result.ok() for result in schema.get_all_operations()]
    kept = [op for op in operations if (op.method.upper(), op.path) not in EXCLUDED]
    return sorted(kept, key=lambda op: (op.path, op.method.upper()))


def test_the_fuzzer_reaches_the_whole_api(core: Core):
    # The shards below take every SHARDS-th of these; a schema that lost its operations would pass them.
    assert len(_fuzzed(schemathesis.openapi.from_asgi("/openapi.json", create_app(core=core)))) >= 60


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_operation_answers_within_its_schema(core: Core, shard: int):
    ensure_user(core)
    token = core.auth.issue_local_session(email=TEST_EMAIL)["access_token"]
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(core=core))
    # The Bearer token is the test's to give (below); generating or dropping it is ignored_auth's job.
    schema.config.generation.update(with_security_parameters=False)
    schema.config.max_stream_events = 1
    headers = {"Authorization": f"Bearer {token}"}

    def keep_the_session_usable() -> None:
        # PUT /api/security/settings may switch "require 2FA" on; the fuzzer's session has no second factor,
        # and every later operation would only ever answer 403.
        if core.auth.policy.require_mfa():
            core.auth.policy.set_require_mfa(False, actor=CLI)

    failures, tested = [], []
    seconds: dict[str, float] = {}
    statuses: dict[str, Counter] = {}
    for operation in _fuzzed(schema)[shard::SHARDS]:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            tested.append((operation.label, mode.value))
            started = time.monotonic()
            try:
                _run(operation, mode, headers, keep_the_session_usable,
                     statuses.setdefault(operation.label, Counter()))
            except (Exception, BaseExceptionGroup) as exc:  # one report for all, not only the first failure
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
            seconds[f"{operation.label} ({mode.value})"] = time.monotonic() - started
    total = sum(statuses.values(), Counter())
    print(f"\nschemathesis: {len(statuses)} operations, {total.total()} cases; statuses {dict(sorted(total.items()))}")
    slowest = sorted(seconds.items(), key=lambda kv: -kv[1])[:8]
    print("slowest: " + ", ".join(f"{label} {took:.1f} s" for label, took in slowest))
    assert len(tested) >= 2 * 60 // SHARDS
    assert not failures, "\n\n".join(failures)
    # The fuzzer's session stayed usable throughout: every operation got past authentication at least once.
    locked_out = [label for label, seen in statuses.items() if set(seen) <= {401, 403}]
    assert not locked_out, f"only 401/403 answers for {locked_out}"
