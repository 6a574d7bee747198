"""Moving a service to another host: what stays behind, said before anything is done.

A move is `compose down` on the old host and `compose up` on the new one. Named volumes are data on
the old host's disk: they are neither copied nor removed, so the API refuses a move unless the
caller confirms it, and names those volumes (and bind-mounted paths, which are paths on whichever
host runs the service) in the refusal and in `POST /api/services/{id}/move {"dry_run": true}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sdmd.errors import Conflict
from sdmd.services.definition import parse_yaml, plain


def named_volumes(project: str, text: str | None) -> list[str]:
    """The Docker names of the file's named volumes (compose's <project>_<key>, or `name:`)."""
    if not text:
        return []
    try:
        doc = plain(parse_yaml(text))
    except Exception:
        return []
    names = []
    for key, spec in (doc.get("volumes") or {}).items():
        spec = spec if isinstance(spec, Mapping) else {}
        names.append(str(spec.get("name") or f"{project}_{key}"))
    return sorted(names)


def bind_mounts(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        doc = plain(parse_yaml(text))
    except Exception:
        return []
    found: set[str] = set()
    for spec in (doc.get("services") or {}).values():
        for vol in (spec or {}).get("volumes") or [] if isinstance(spec, Mapping) else []:
            source = None
            if isinstance(vol, str) and ":" in vol:
                source = vol.split(":", 1)[0]
            elif isinstance(vol, Mapping) and vol.get("type") == "bind":
                source = vol.get("source")
            if source and source.startswith((".", "/", "~")):
                found.add(source)
    return sorted(found)


def plan(source: str, target: str, project: str, text: str | None) -> dict[str, Any]:
    volumes = named_volumes(project, text)
    mounts = bind_mounts(text)
    parts = [f"moving {project} from host {source} to {target} runs `compose down` on {source} and "
             f"`compose up` on {target}"]
    if volumes:
        parts.append(f"named volumes stay on {source} and start empty on {target}: {', '.join(volumes)}")
    if mounts:
        parts.append(f"bind mounts refer to paths on {target} from then on: {', '.join(mounts)}")
    return {"service": project, "from_host": source, "to_host": target, "volumes": volumes, "bind_mounts": mounts,
            "warning": "; ".join(parts)}


def require_confirmation(move_plan: dict[str, Any], confirmed: bool) -> None:
    if not confirmed:
        raise Conflict("moving a service needs confirmation",
                       f"{move_plan['warning']}. Send the request again with confirm_move=true "
                       "(or POST /api/services/{id}/move with confirm: true).")
