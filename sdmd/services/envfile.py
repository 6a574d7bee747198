"""A stack's `.env` beside its compose.yaml: read it, and replace it the way a compose edit is made.

compose reads `stacks/<name>/.env` to interpolate `${VARIABLES}` in compose.yaml. A new .env is
checked here (syntax, names) and then by `docker compose config` reading the draft, written
atomically with mode 0600, applied with `compose up` (the old file comes back if that fails) and
committed to git. Its values are secrets: they never reach the audit log or a log line, not even
inside an error message compose wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sdmd.audit.log import AuditScope, record
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.docker import DockerGateway
from sdmd.errors import Conflict, InvalidInput, SdmdError
from sdmd.gitops import hooks as gitops
from sdmd.hosts import reader
from sdmd.services import repository as repo
from sdmd.services.definition import content_hash
from sdmd.services.service import gateway_of
from sdmd.services.views import managed as _managed

MAX_ENV_BYTES = 256 * 1024
KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
EMPTY_ETAG = "empty"  # the ETag of a stack without a .env
AUDIT_ACTION = "service.env_update"


@dataclass(frozen=True)
class EnvEntry:
    key: str
    value: str
    line: int


def _unquote_double(body: str) -> str:
    escapes = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), "\\" + m.group(1)), body)


def parse_env(text: str) -> tuple[list[EnvEntry], list[str]]:
    """The entries of a .env as compose reads them, and the problems found (none means valid).

    Problems name lines and keys, never values. Stricter than compose in one place on purpose: a
    line that is only a name (`TOKEN`) makes compose copy that variable from sdmd's own
    environment, which is never what the person meant; it must be written `TOKEN=`.
    """
    entries: list[EnvEntry] = []
    problems: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line.removeprefix("export ").lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep:
            problems.append(f"line {number}: {key[:64]} has no '=' (write {key[:64]}= for an empty value)")
            continue
        if not KEY_RE.match(key):
            problems.append(f"line {number}: {key[:64]!r} is not a variable name (letters, digits and _, "
                            "not starting with a digit)")
            continue
        rest = rest.lstrip()
        quote = rest[:1]
        if quote in ('"', "'"):
            body = rest[1:]
            # A quoted value may go on over several lines until its closing quote.
            pattern = r'^((?:[^"\\]|\\.)*)"(.*)$' if quote == '"' else r"^([^']*)'(.*)$"
            match = re.match(pattern, body, re.S)
            while match is None and i < len(lines):
                body += "\n" + lines[i]
                i += 1
                match = re.match(pattern, body, re.S)
            if match is None:
                problems.append(f"line {number}: the value of {key} has no closing {quote}")
                continue
            value, trailing = match.group(1), match.group(2).strip()
            if trailing and not trailing.startswith("#"):
                problems.append(f"line {number}: unexpected text after the quoted value of {key}")
                continue
            entries.append(EnvEntry(key, _unquote_double(value) if quote == '"' else value, number))
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
            entries.append(EnvEntry(key, value, number))
    return entries, problems


def env_etag(text: str | None) -> str:
    return content_hash(text) if text is not None else EMPTY_ETAG


def _view(service_id: str, name: str, text: str | None, warnings: list[str] | None = None) -> dict[str, Any]:
    entries, _ = parse_env(text or "")
    return {"service_id": service_id, "name": name, "path": f"{name}/.env", "exists": text is not None,
            "content": text or "", "keys": [e.key for e in entries], "etag": env_etag(text),
            "warnings": warnings or []}


def get_env(core: Core, service_id: str) -> dict[str, Any]:
    config = _managed(core, service_id)
    return _view(config.id, config.name, core.stacks.read_env(config.name))


def _key_changes(old: str | None, new: str | None) -> dict[str, list[str]]:
    """What the audit log keeps of an edit: which names were added, removed or changed, never a value."""
    before = {e.key: e.value for e in parse_env(old or "")[0]}
    after = {e.key: e.value for e in parse_env(new or "")[0]}
    return {"added": sorted(after.keys() - before.keys()), "removed": sorted(before.keys() - after.keys()),
            "changed": sorted(k for k in after.keys() & before.keys() if after[k] != before[k])}


def _scrub(text: str | None, *sources: str | None) -> str | None:
    """compose quotes .env values in some of its errors; take every value out before anyone sees it."""
    if not text:
        return text
    values = {e.value for source in sources for e in parse_env(source or "")[0] if len(e.value) >= 3}
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, "[redacted]")
    return text


def update_env(core: Core, service_id: str, *, actor: Actor | None, content: str,
               if_match: str | None = None) -> dict[str, Any]:
    """Replace the stack's .env (empty content removes it), validated, applied and committed.

    The caller gets compose's error as it is (they sent those values, and may read the file anyway);
    the audit record gets it with every value of the old and new file taken out.
    """
    config = _managed(core, service_id)
    name = config.name
    if len(content.encode()) > MAX_ENV_BYTES:
        raise InvalidInput("the .env is too large", f"at most {MAX_ENV_BYTES // 1024} KiB")
    if "\0" in content:
        raise InvalidInput("invalid .env", "the text contains a NUL character")
    new_text: str | None = content if content.strip() else None
    if new_text is not None and not new_text.endswith("\n"):
        new_text += "\n"
    audit = AuditScope(config.id, name, {"file": f"{name}/.env"})
    texts: list[str | None] = [new_text]
    try:
        with core.stacks.locked(name):
            view = _replace_locked(core, config.id, config.host, name, new_text, if_match, actor, audit, texts)
    except BaseException as exc:
        details = getattr(exc, "details", None)
        # The message too: compose's cause in words (sdmd/docker/compose_errors.py) may name a value, e.g.
        # an image reference built from ${TAG}.
        error = {"error": _scrub(getattr(exc, "message", None), *texts) or type(exc).__name__}
        if details:
            error["error_details"] = (_scrub(str(details), *texts) or "")[:2000]
        record(core.db, actor=actor, action=AUDIT_ACTION, outcome="error", target_id=config.id, target_name=name,
               client_addr=actor.client_addr if actor else None, details={**audit.details, **error})
        raise
    record(core.db, actor=actor, action=AUDIT_ACTION, target_id=config.id, target_name=name,
           client_addr=actor.client_addr if actor else None, details=audit.details)
    return view


def _replace_locked(core: Core, service_id: str, host: str, name: str, new_text: str | None, if_match: str | None,
                    actor: Actor | None, audit: AuditScope, texts: list[str | None]) -> dict[str, Any]:
    previous = core.stacks.read_env(name)
    texts.append(previous)
    if if_match is not None and if_match.strip('"') not in (env_etag(previous), "*"):
        raise Conflict("the .env changed meanwhile", "it no longer matches If-Match; reload it")
    if core.stacks.read(name) is None:
        raise Conflict("compose file missing", f"{core.stacks.file(name)} does not exist")
    _, problems = parse_env(new_text or "")
    if problems:
        raise InvalidInput("invalid .env", "\n".join(problems))
    audit.details["keys"] = _key_changes(previous, new_text)
    if new_text == previous:
        return _view(service_id, name, previous)
    gateway = gateway_of(core, host)  # the service's host: 409 when it was removed, 503 when it is down
    audit.details["host"] = host
    gitops.before_change(core, name=name, action="env_update")
    with core.stacks.env_candidate(name, new_text or "") as (project, draft):
        # compose reads the .env here, where it runs, also for a remote host (config contacts no daemon)
        _, warnings = core.docker.compose_config_with_env(project, draft)
    core.stacks.write_env(name, new_text)
    try:
        gateway.compose_up(core.stacks.project(name))
    except SdmdError as exc:
        _restore(core, gateway, name, previous, exc)
        raise
    reader.after_change(core, host, name)
    with core.db.session() as session:
        repo.add_history(session, service_id, status="deployed", event="env_update")
    gitops.after_change(core, name=name, actor=actor, action="env_update", audit=audit, service_id=service_id,
                        title=f"Update .env of service {name}")
    return _view(service_id, name, core.stacks.read_env(name), warnings)


def _restore(core: Core, gateway: DockerGateway, name: str, previous: str | None, exc: SdmdError) -> None:
    core.stacks.write_env(name, previous)
    try:
        gateway.compose_up(core.stacks.project(name))
        exc.details = f"{exc.details}\n(the previous .env was restored and re-applied)"
    except SdmdError as again:
        exc.details = f"{exc.details}\n(restoring the previous .env also failed: {again.details})"
