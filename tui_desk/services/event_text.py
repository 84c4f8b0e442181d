"""Each kind of log event in words (SPEC §1, §7), for the faces that print a ticket's log
(`tui-desk ticket show`). One plain line per event; the caller makes it terminal-safe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui_desk.services.listing import EventView


def _clock(value: Any) -> str:
    return str(value or "sla").replace("_", " ")


def _change(event: EventView) -> str:
    data = event.data
    return f"{event.kind} {data.get('from') or '—'} → {data.get('to') or '—'}"


def _tags(event: EventView) -> str:
    added = [f"+{t}" for t in event.data.get("added", [])]
    removed = [f"-{t}" for t in event.data.get("removed", [])]
    return "tags " + (" ".join(added + removed) or "unchanged")


def _due(event: EventView) -> str:
    due = event.data.get("due")
    clock = _clock(event.data.get("clock", "resolution"))
    return f"{clock} due set to {due}" if due else f"{clock} due back to the SLA's target"


def _quota(event: EventView) -> str:
    data = event.data
    plan = f"plan {data['plan']}" if data.get("plan") else "no plan"
    if not data.get("over_quota"):
        standing = "within quota"
    elif data.get("billable"):
        standing = "over quota, billable"
    else:
        standing = "over quota, no SLA"
    sla = f", SLA {data['sla']}" if data.get("sla") else ""
    return f"quota: {plan}, {standing}{sla}"


def _escalation(event: EventView) -> str:
    data = event.data
    name, clock = data.get("name") or f"level {data.get('level')}", _clock(data.get("clock"))
    if data.get("notification") == "failed":
        return f"escalation {name}: the notification failed"
    if data.get("reached") is False:
        return f"de-escalated from {name} ({clock} met or ticket stopped)"
    return f"escalated to {name} ({clock})"


def _ack(event: EventView) -> str:
    name = event.data.get("name") or f"level {event.data.get('level')}"
    return f"escalation {name} acknowledged"


def _csat(event: EventView) -> str:
    comment = event.data.get("comment")
    return f"CSAT {event.data.get('score')}/5" + (f": {comment}" if comment else "")


def _merge(event: EventView) -> str:
    data = event.data
    if data.get("into") is not None:
        return f"merged into #{data['into']}"
    if data.get("from") is not None:
        return f"merged in from #{data['from']}"
    return "merge" + _fields(data)


def _attachment(event: EventView) -> str:
    name = event.data.get("name") or event.data.get("filename")
    return f"attachment {name}" if name else "attachment" + _fields(event.data)


def _fields(data: dict[str, Any]) -> str:
    """Whatever else a newer event carries, as words rather than JSON."""
    parts = [f"{key.replace('_', ' ')} {value}" for key, value in sorted(data.items())]
    return (": " + ", ".join(parts)) if parts else ""


_MESSAGE_KINDS = {"customer_message": "message", "reply": "reply", "note": "note"}
_DESCRIBE: dict[str, Callable[[EventView], str]] = {
    "status": _change,
    "priority": _change,
    "assignee": _change,
    "tags": _tags,
    "due": _due,
    "quota": _quota,
    "escalation": _escalation,
    "escalation_ack": _ack,
    "csat": _csat,
    "merge": _merge,
    "attachment": _attachment,
}


def describe_event(event: EventView) -> str:
    """`reply`, `status open → pending`, `CSAT 4/5: quick`…; a message's body is not part
    of it (the caller shows it under this line)."""
    if event.kind in _MESSAGE_KINDS:
        return _MESSAGE_KINDS[event.kind]
    describe = _DESCRIBE.get(event.kind)
    return describe(event) if describe else event.kind.replace("_", " ") + _fields(event.data)
