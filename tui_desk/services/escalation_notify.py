"""Telling people about escalations (SPEC §5): `notify_command` started once per level
reached, or once for all the levels reached while nothing ran (catch-up), never through a
shell; a notifier that fails is an event on each ticket it was about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tui_desk.notifier import NotifierJob, start_notifiers
from tui_desk.paths import log_dir
from tui_desk.services.ticket_write import event_row
from tui_desk.store.models import Event, table

if TYPE_CHECKING:
    from tui_desk.services.desk import HelpDesk
    from tui_desk.services.escalation_pass import ReachedLevel

AUTHOR = "escalation"  # author of the events the pass writes (like "system" for quota)
# Levels reached longer ago than this when a pass starts were reached while nothing ran:
# more than one of them makes one summary notification instead of one each.
CATCH_UP_WINDOW = timedelta(minutes=5)
NOTIFY_TIMEOUT_SECONDS = 10.0
SUMMARY_LINES = 20
_E = table(Event)
_PLACEHOLDER = re.compile(r"\{(title|body|ticket|level)\}")


@dataclass(frozen=True, slots=True)
class _Message:
    title: str
    body: str
    ticket: str
    level: str
    about: tuple[ReachedLevel, ...]


def send_notifications(
    desk: HelpDesk, reached: list[ReachedLevel], now: datetime
) -> tuple[int, bool, list[tuple[str, list[ReachedLevel]]]]:
    """Start `notify_command` once per level reached, or once for all the levels reached
    while nothing ran (catch-up), in the background (tui_desk.notifier): the pass never
    waits for a notifier. Returns (notifications started, summary sent, failures to start);
    a notifier that fails later is logged and recorded by the runner."""
    policy = desk.policy
    command = policy.escalation.notify_command
    assert command
    zone = ZoneInfo(policy.desk.timezone)
    cutoff = now - CATCH_UP_WINDOW
    missed = [r for r in reached if r.at < cutoff]
    messages: list[_Message] = []
    summary = len(missed) > 1
    if summary:
        messages.append(_summary_message(missed, zone))
        singles = [r for r in reached if r.at >= cutoff]
    else:
        singles = reached
    messages += [_single_message(r, zone) for r in singles]
    jobs = [
        NotifierJob(
            notify_argv(command, m.title, m.body, m.ticket, m.level),
            tuple(about_level(r) for r in m.about),
        )
        for m in messages
    ]
    errors = start_notifiers(
        jobs,
        db_url=desk.engine.url.render_as_string(hide_password=False),
        at=desk.now(),
        log_file=log_dir() / "tui-desk.log",
        timeout=NOTIFY_TIMEOUT_SECONDS,
    )
    failures: list[tuple[str, list[ReachedLevel]]] = []
    for message, error in zip(messages, errors, strict=True):
        if error is not None:
            tickets = ", ".join(f"#{r.ticket_id}" for r in message.about[:5])
            more = f" and {len(message.about) - 5} more" if len(message.about) > 5 else ""
            failures.append(
                (f"notify_command failed for {tickets}{more}: {error}", list(message.about))
            )
    return len(messages) - len(failures), summary, failures


def notify_argv(
    command: Sequence[str], title: str, body: str, ticket: str, level: str
) -> tuple[str, ...]:
    """The notifier's argv: the placeholders replaced inside each argument in one pass (text
    brought in by a placeholder is never expanded again); never a shell."""
    values = {"title": title, "body": body, "ticket": ticket, "level": level}
    return tuple(_PLACEHOLDER.sub(lambda m: values[m.group(1)], part) for part in command)


def about_level(reached: ReachedLevel) -> dict[str, Any]:
    """What a failed notification records about a level event it was about."""
    return {key: getattr(reached, key) for key in ABOUT_KEYS}


ABOUT_KEYS = ("ticket_id", "level", "name", "clock")


def _clock_label(clock: str | None) -> str:
    return (clock or "sla").replace("_", " ")


def _single_message(reached: ReachedLevel, zone: ZoneInfo) -> _Message:
    when = reached.at.astimezone(zone).strftime("%a %d %b %H:%M")
    lines = [
        f"#{reached.ticket_id} {reached.subject}",
        f"{_clock_label(reached.clock)} reached level {reached.name} at {when}",
        f"assignee: {reached.assignee or 'nobody'}",
    ]
    if reached.notify:
        lines.append(f"notify: {', '.join(reached.notify)}")
    return _Message(
        title=f"Escalation {reached.name}: #{reached.ticket_id}",
        body="\n".join(lines),
        ticket=str(reached.ticket_id),
        level=reached.name,
        about=(reached,),
    )


def _summary_message(missed: list[ReachedLevel], zone: ZoneInfo) -> _Message:
    ordered = sorted(missed, key=lambda r: (r.at, r.ticket_id, r.level))
    tickets = list(dict.fromkeys(r.ticket_id for r in ordered))
    lines = [
        f"#{r.ticket_id} {r.name} ({_clock_label(r.clock)}) at "
        f"{r.at.astimezone(zone).strftime('%a %d %b %H:%M')}: {r.subject}"
        for r in ordered[:SUMMARY_LINES]
    ]
    if len(ordered) > SUMMARY_LINES:
        lines.append(f"… and {len(ordered) - SUMMARY_LINES} more")
    top = max(ordered, key=lambda r: r.level)
    return _Message(
        title=f"{len(ordered)} escalations on {len(tickets)} tickets while tui-desk was closed",
        body="\n".join(lines),
        ticket=",".join(str(t) for t in tickets),
        level=top.name,
        about=tuple(ordered),
    )


def record_notification_failures(
    engine: sa.Engine, about: Sequence[dict[str, Any]], at: datetime
) -> int:
    """A failed notification is an event on each ticket it was about (SPEC §5); `about`
    holds `ticket_id`, `level`, `name` and `clock` of each level event notified."""
    recorded_at = datetime.now(UTC)
    rows = [
        event_row(
            a["ticket_id"],
            at,
            "escalation",
            AUTHOR,
            None,
            {"level": a["level"], "name": a["name"], "clock": a["clock"], "notification": "failed"},
            recorded_at,
        )
        for a in about
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(sa.insert(_E), rows)
    return len(rows)
