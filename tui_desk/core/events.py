"""Ticket events as plain data: the audit trail every computation is derived from (SPEC §1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

EVENT_KINDS: tuple[str, ...] = (
    "customer_message",
    "reply",
    "note",
    "status",
    "priority",
    "assignee",
    "tags",
    "due",
    "quota",
    "escalation",
    "escalation_ack",
    "csat",
    "merge",
    "attachment",
)


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One row of a ticket's log. `at` is timezone-aware; events are ordered by (at, seq).

    `data` by kind:
      status:   {"from": old, "to": new}
      priority: {"from": old, "to": new}
      assignee: {"from": old, "to": new}
      tags:     {"added": [...], "removed": [...]}
      due:      {"clock": "resolution", "due": ISO string or None}
      quota:    {"over_quota": bool, "billable": bool, "sla": name or None, ...}
      escalation: {"level": n, "name": str, "clock": str, "reached": bool}
      csat:     {"score": 1..5, "comment": str or None}
    """

    at: datetime
    kind: str
    author: str | None = None
    body: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True, slots=True)
class TicketHistory:
    """What the SLA clocks are computed from: the ticket as created, then its events.

    `priority` and `sla` are the values at creation; later `priority` events (and `quota`
    events carrying an "sla" key) change them. `events` is sorted by (at, seq) and starts
    with the opening customer message.
    """

    created_at: datetime
    priority: str
    sla: str | None
    status: str
    events: tuple[TicketEvent, ...]


# One event as the SLA clocks read it: (at in epoch µs, seq, kind, data). A plain tuple on
# purpose: a store recompute builds hundreds of thousands of them.
ClockStep = tuple[int, int, str, Mapping[str, Any]]


class ClockLog(NamedTuple):
    """A ticket's history reduced to what the SLA clocks read (`core.sla.CLOCK_EVENT_KINDS`).

    The lean twin of `TicketHistory` for recomputing many tickets at once: instants are epoch
    µs, and events of other kinds may be left out since they never move a clock. `steps` is
    normally ordered by (at, seq) like `TicketHistory.events` (the clocks sort it stably when
    not); `created_us` is the opening instant, and only the payloads of
    `core.sla.CLOCK_PAYLOAD_KINDS` are read.
    """

    created_us: int
    priority: str
    sla: str | None
    status: str
    steps: Sequence[ClockStep]
