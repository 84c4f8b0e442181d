"""Merging a ticket into another (a duplicate request): one transaction, a link both ways.

The source's conversation is copied into the target as one `merge` event whose body is the
transcript, so the target's thread holds everything while the source stays readable as it
was; the source gets a `merge` event naming the target and the void status `merged`, which
gives its quota credit back (SPEC §4.2) and ends its clocks (SPEC §3.3). The copy never
moves the target's clocks: it is a record of what was said, not a new customer message.
docs/tui.md and docs/quotas.md describe it for users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

from tui_desk.services.base import MERGED_STATUS, BadInput
from tui_desk.services.desk import BulkResult, HelpDesk, TicketDetail, each_ticket
from tui_desk.services.listing import EventView
from tui_desk.services.ticket_write import append_event, check_at, claim, load_for_write
from tui_desk.store.engine import write_session

# What of the source's log the transcript carries: the conversation and the notes on it.
TRANSCRIPT_KINDS = {"customer_message": "customer", "reply": "reply", "note": "internal note"}


@dataclass(frozen=True, slots=True)
class Merged:
    """Both tickets after the merge."""

    source: TicketDetail
    target: TicketDetail


def merge(
    desk: HelpDesk,
    ticket_id: int,
    into: int,
    author: str | None = None,
    at: str | None = None,
    expected_version: int | None = None,
) -> Merged:
    """Merge ticket `ticket_id` into ticket `into` (see the module docstring).

    Refused, with nothing written: merging a ticket into itself, a source or target that is
    void (spam, merged already), a policy without a void status `merged`, and a source no
    longer at `expected_version` (Conflict).
    """
    if into == ticket_id:
        raise BadInput(f"ticket #{ticket_id} cannot be merged into itself")
    statuses = desk.policy.statuses
    if MERGED_STATUS not in statuses.void:
        raise BadInput(
            f"the policy has no void status {MERGED_STATUS!r}; add it to [statuses] void "
            "to merge tickets"
        )
    when = desk.instant(at)
    with write_session(desk.engine) as session:
        source = load_for_write(session, ticket_id, expected_version)
        target = load_for_write(session, into, None)
        if source.status_category == "void":
            raise BadInput(f"ticket #{ticket_id} is {source.status} already; nothing to merge")
        if target.status_category == "void":
            raise BadInput(
                f"ticket #{into} is {target.status}; merge into a ticket that is not void"
            )
        who = desk.resolve_operator(session, author)
        check_at(source, when)
        check_at(target, when)
        thread = desk.ticket_log(session, ticket_id)
        # Claimed lowest id first, so two merges crossing each other cannot deadlock.
        for ticket in sorted((source, target), key=lambda t: t.id or 0):
            claim(session, ticket, when)
        append_event(
            session,
            target,
            when,
            "merge",
            who,
            f"Merged from #{ticket_id}: {source.subject}\n\n{transcript(thread)}".rstrip(),
            {"from": ticket_id, "subject": source.subject},
        )
        append_event(
            session,
            source,
            when,
            "merge",
            who,
            f"Merged into #{into}: {target.subject}",
            {"into": into, "subject": target.subject},
        )
        desk.record_status(session, source, MERGED_STATUS, when, who)
        desk.save_change(session, source)
        desk.save_change(session, target)
    return Merged(desk.ticket(ticket_id), desk.ticket(into))


def merge_many(desk: HelpDesk, targets: Sequence[tuple[int, int | None]], into: int) -> BulkResult:
    """Several tickets (id, version seen) into one, each in its own transaction."""
    return each_ticket(
        targets,
        lambda ticket_id, version: merge(desk, ticket_id, into, expected_version=version),
    )


def transcript(events: Sequence[EventView]) -> str:
    """The conversation of a log as plain text, oldest first, one block per message."""
    blocks = []
    for event in events:
        label = TRANSCRIPT_KINDS.get(event.kind)
        if label is None:
            continue
        when = event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        blocks.append(f"— {when} · {label} · {event.author or '—'}\n{(event.body or '').strip()}")
    return "\n\n".join(blocks)
