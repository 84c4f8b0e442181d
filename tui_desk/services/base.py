"""What every desk has, light enough to import without the database toolkit: the service
errors, instant parsing, the desk's clock and read transactions (`DeskBase.reading`).

`HelpDesk` (services.desk) adds the use cases that write; `ReadOnlyDesk` serves the quick
read-only paths (`tui-desk quota`, the TUI's first queue page) straight from SQLite, through
the same query functions: bench/quota_bench.py's "`tui-desk --json quota` under 1 s, start-up
included" and bench/tui_bench.py's first queue page are why.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo

from tui_desk.core.policy import Policy, policy_digest
from tui_desk.store.lite import LiteStore, Reader
from tui_desk.store.queries import escalation_due

# The void status a merged ticket gets; only the merge use case sets it (services.merge).
MERGED_STATUS = "merged"


class ServiceError(Exception):
    """A use case refused; `exit_code` follows SPEC §7."""

    exit_code = 1


class BadInput(ServiceError):
    exit_code = 2


class NotFound(ServiceError):
    exit_code = 3


class Conflict(ServiceError):
    exit_code = 4


# The instants and days the desk accepts (`--at`, `--now`, `--due-resolution`, contract
# dates): far enough either way for any real history or contract, near enough that every
# calendar computation stays in range (docs/cli.md).
FIRST_YEAR = 1970
LAST_YEAR = 2199
_RANGE_HINT = f"the desk supports years {FIRST_YEAR} to {LAST_YEAR}"


def parse_instant(text: str, desk_tz: str) -> datetime:
    """ISO 8601 with an offset or Z; a naive value means the desk's zone (SPEC §7)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise BadInput(
            f"{text!r} is not an ISO 8601 instant (e.g. 2026-11-20T09:30+01:00)"
        ) from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise BadInput(f"{text!r} is out of range: {_RANGE_HINT}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(desk_tz))
    return value.astimezone(UTC)


def parse_day(text: str, what: str = "date") -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"{what} {text!r} is not a date; write it as YYYY-MM-DD") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadInput(f"{what} {text!r} is out of range: {_RANGE_HINT}")
    return day


@overload
def utc_text(value: datetime) -> str: ...
@overload
def utc_text(value: datetime | None) -> str | None: ...
def utc_text(value: datetime | None) -> str | None:
    """An instant as the JSON output and messages write it: `2026-11-20T08:30:00Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DeskBase:
    """A policy, a notion of "now" and read transactions on a store."""

    def __init__(
        self,
        policy: Policy,
        now: Callable[[], datetime] | None = None,
        operator: str | None = None,
    ) -> None:
        self.policy = policy
        self._now = now or (lambda: datetime.now(UTC))
        self.default_operator = operator

    def now(self) -> datetime:
        return self._now().astimezone(UTC).replace(microsecond=0)

    def instant(self, text: str | None) -> datetime:
        """`--at` text or now."""
        return self.now() if text is None else parse_instant(text, self.policy.desk.timezone)

    def reading(self) -> AbstractContextManager[Reader]:
        """One read transaction for hand-written SQL (see store.lite)."""
        raise NotImplementedError


class ReadOnlyDesk(DeskBase):
    """A desk on an up-to-date SQLite store that only reads, without SQLAlchemy."""

    def __init__(
        self,
        store: LiteStore,
        policy: Policy,
        now: Callable[[], datetime] | None = None,
        operator: str | None = None,
    ) -> None:
        super().__init__(policy, now, operator)
        self.store = store

    def reading(self) -> AbstractContextManager[Reader]:
        return self.store.reading()

    def is_current(self, *, escalations: bool = True) -> bool:
        """Whether the store needs no writes before it is read: its cached clocks were
        computed under this policy and (when `escalations`) no escalation is due.
        Otherwise the full desk must open first, which recomputes the clocks and records
        the escalations (SPEC §3.6, §5). The TUI leaves escalations to its own watcher."""
        digest = policy_digest(self.policy)
        now = self.now()
        with self.reading() as reader:
            applied = reader.value("SELECT value FROM meta WHERE key = ?", (POLICY_KEY,))
            if applied != digest:
                return False
            if not escalations:
                return True
            due = escalation_due(reader, now, escalation_fingerprint(self.policy), first=True)
        return not due


def escalation_fingerprint(policy: Policy) -> str:
    """A short digest of the effective policy: escalation checks made under another one
    are stale (the TUI reloads the policy file live)."""
    return policy_digest(policy)[:16]


# The meta row naming the policy the cached clocks were computed under.
POLICY_KEY = "policy_fingerprint"
