"""What one Docker event says about a container, beside what Docker's listing shows: pure functions, no I/O.

The host watcher (sdmd/hosts/watcher.py) applies them to the events it reads from /events.
"""

from __future__ import annotations

from typing import Any

from sdmd.docker.gateway import PROJECT_LABEL

# A tag that moves (pull, tag, untag, rmi) changes the `Image` /containers/json shows for the containers
# of the old image (the name becomes its id) without any container event: such an event re-lists.
IMAGE_MOVES = {"pull", "tag", "untag", "delete", "load", "import"}
# Events that change nothing /containers/json shows (healthchecks alone make exec_* events all the time).
QUIET_ACTIONS = {"attach", "detach", "resize", "top", "export", "copy", "archive-path", "extract-to-dir", "commit"}


def moves_an_image(event: dict[str, Any]) -> bool:
    return event.get("Type") == "image" and event.get("Action") in IMAGE_MOVES


def changes_the_listing(event: dict[str, Any]) -> bool:
    """A compose container's event that may change what /containers/json shows of it."""
    action = event.get("Action") or ""
    return (event.get("Type", "container") == "container" and PROJECT_LABEL in attributes(event)
            and action not in QUIET_ACTIONS and not action.startswith("exec_"))


def project_of(container: dict[str, Any] | None, event: dict[str, Any] | None) -> str | None:
    if container is not None:
        return (container.get("Labels") or {}).get(PROJECT_LABEL)
    return (((event or {}).get("Actor") or {}).get("Attributes") or {}).get(PROJECT_LABEL)


def with_exit_code(event: dict[str, Any], earlier: dict[str, Any] | None) -> dict[str, Any]:
    """A `stop` after a `die` of the same batch: keep the die's exit code (stop events carry none)."""
    if earlier is None or event.get("Action") != "stop":
        return event
    code = attributes(earlier).get("exitCode")
    if code is None or "exitCode" in attributes(event):
        return event
    actor = dict(event.get("Actor") or {})
    actor["Attributes"] = {**attributes(event), "exitCode": code}
    return {**event, "Actor": actor}


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    return (event.get("Actor") or {}).get("Attributes") or {}


def implied(event: dict[str, Any], container: dict[str, Any]) -> dict[str, Any] | None:
    """The listing entry as `event` says it is now, when `container` (Docker's listing) does not show it
    yet; None when the listing already agrees. Only what the event itself proves is changed: `die`
    and `stop` mean the process ended (exited, with the die's exit code); `pause`/`unpause`; a new
    health status. Docker's own entry replaces this as soon as its listing catches up."""
    action = event.get("Action") or ""
    state, status = container.get("State"), container.get("Status") or ""
    if action in ("die", "stop"):
        if state not in ("running", "paused"):
            return None
        code = attributes(event).get("exitCode")
        text = f"Exited ({code}) Less than a second ago" if code not in (None, "") else "Exited"
        return {**container, "State": "exited", "Status": text}
    if action == "pause":
        if state != "running":
            return None
        return {**container, "State": "paused", "Status": f"{status} (Paused)"}
    if action == "unpause":
        if state != "paused":
            return None
        return {**container, "State": "running", "Status": status.replace(" (Paused)", "")}
    if action.startswith("health_status:"):
        word = action.split(":", 1)[1].strip()
        wanted = "(health: starting)" if word == "starting" else f"({word})"
        if state != "running" or health(container) == wanted:
            return None
        base = status
        for old in ("(healthy)", "(unhealthy)", "(health: starting)"):
            base = base.replace(f" {old}", "").replace(old, "")
        return {**container, "Status": f"{base} {wanted}".strip()}
    return None


def differs(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a resync should report a change: the state, the status text aside ("Up 5 minutes")."""
    keys = ("State", "Image", "ImageID", "Names", "Labels")
    return any(before.get(k) != after.get(k) for k in keys) or health(before) != health(after)


def health(c: dict[str, Any]) -> str | None:
    status = (c.get("Status") or "").lower()
    for word in ("(healthy)", "(unhealthy)", "(health: starting)"):
        if word in status:
            return word
    return None
