"""The command line (SPEC §7): argument parsing and output only; the work is in services.

Heavy imports (the store, Textual) happen inside the commands that need them so that
`tui-desk --help` and the TUI's first paint stay fast.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from tui_desk import __version__
from tui_desk.core.durations import COUNTDOWN_UNIT
from tui_desk.core.roles import DEFAULT_ROLE, ROLES
from tui_desk.core.text import escape_json, visible, visible_line
from tui_desk.paths import Locations, locate

if TYPE_CHECKING:
    from tui_desk.core.policy import Policy
    from tui_desk.services import DeskBase, HelpDesk, TicketDetail, TicketSummary

log = logging.getLogger("tui_desk")


class UsageError(Exception):
    """Bad input caught by the CLI itself: exit 2."""

    exit_code = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one readable line and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


# ----------------------------------------------------------------------------------------
# JSON shapes (SPEC §7)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary_json(ticket: TicketSummary) -> dict[str, Any]:
    return ticket.to_json()


def detail_json(detail: TicketDetail, *, with_events: bool = True) -> dict[str, Any]:
    out = summary_json(detail.ticket)
    out["sla"] = {name: clock.to_json() for name, clock in detail.sla.clocks.items()}
    out["next_deadline"] = iso(detail.sla.next_deadline)
    out["escalation"] = escalation_json(detail)
    if with_events:
        out["events"] = [
            {"at": iso(e.at), "kind": e.kind, "author": e.author, "body": e.body, "data": e.data}
            for e in detail.events
        ]
    return out


def escalation_json(detail: TicketDetail) -> dict[str, Any]:
    """The ticket's `escalation` block: level and name from the ticket, since when and
    whether it is acknowledged from its log; solved and void tickets are never escalated."""
    from tui_desk.core.escalation import NOT_ESCALATING, recorded_escalation

    ticket = detail.ticket
    if ticket.escalation_level == 0 or ticket.status_category in NOT_ESCALATING:
        return {"level": 0, "name": None, "since": None, "acknowledged": False}
    record = recorded_escalation(detail.events)
    return {
        "level": ticket.escalation_level,
        "name": ticket.escalation_name,
        "since": iso(record.since),
        "acknowledged": record.acknowledged and record.level == ticket.escalation_level,
    }


def emit_json(value: Any) -> None:
    """Machine output: UTF-8 JSON in which every character a terminal would obey (C1,
    bidi, DEL; `json.dumps` already escapes C0) is a \\uXXXX escape — the same data."""
    sys.stdout.write(escape_json(json.dumps(value, ensure_ascii=False, indent=2)) + "\n")


# ----------------------------------------------------------------------------------------
# Context shared by the commands


class Context:
    """Global options resolved lazily: the policy and the store open only when needed."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.json: bool = args.json
        self.locations: Locations = locate(args.policy, args.db)
        self._policy: Policy | None = None
        self._desk: HelpDesk | None = None

    @property
    def policy(self) -> Policy:
        if self._policy is None:
            from tui_desk.caches.policy import load_policy_cached, parse_policy_cached
            from tui_desk.core.policy import default_policy_text

            if self.locations.policy_exists:
                self._policy = load_policy_cached(self.locations.policy)
            elif self.locations.policy_source != "default":
                raise UsageError(
                    f"no policy file at {self.locations.policy} ({self.locations.policy_source}); "
                    "create one with: tui-desk policy init PATH"
                )
            else:
                self._policy = parse_policy_cached(
                    default_policy_text(), "<embedded default policy>"
                )
            from tui_desk.caches.holidays import install_holiday_cache

            install_holiday_cache()
        return self._policy

    def now(self) -> datetime | None:
        text = self.args.now or os.environ.get("TUI_DESK_NOW")
        if not text:
            return None
        from tui_desk.services import parse_instant

        return parse_instant(text, self.policy.desk.timezone)

    @property
    def desk(self) -> HelpDesk:
        """The full desk on an existing store (only init and demo create one). A missing
        store is said first, then the policy is loaded, so a bad policy fails before the
        store is opened for writing."""
        if self._desk is None:
            from tui_desk.services import HelpDesk
            from tui_desk.store.engine import open_store
            from tui_desk.store.lite import inspect_store, no_store, sqlite_file

            store_file = sqlite_file(self.locations.db)
            if store_file is not None and inspect_store(store_file) is None:
                raise no_store(store_file)
            policy = self.policy
            fixed = self.now()
            engine = open_store(self.locations.db)
            self._desk = HelpDesk(
                engine,
                policy,
                now=(lambda: fixed) if fixed else None,
                operator=self.args.global_as,
            )
            self._desk.ensure_policy_applied()
            if not self.writes:
                self._catch_up_escalations(self._desk)
        return self._desk

    @property
    def writes(self) -> bool:
        """Whether the command changes data. Its escalation catch-up waits until it has
        succeeded, so that a command refused for bad input (exit 2, 3 or 4) writes nothing."""
        func = getattr(self.args, "func", None)
        if func is cmd_ticket:
            return bool(self.args.action != "show")
        # `escalation ack` answers the escalations themselves: it catches up first.
        return func in (cmd_operator, cmd_customer, cmd_contract)

    def finish(self) -> None:
        """After a data-changing command succeeded: the escalation catch-up it deferred."""
        if self.writes and self._desk is not None:
            self._catch_up_escalations(self._desk)

    @property
    def reader(self) -> DeskBase:
        """A desk for a command that only reads. On an up-to-date SQLite store it reads
        through `sqlite3` alone, skipping SQLAlchemy's import (half a second on a slow
        machine); when the policy changed or an escalation is due, the full desk opens and
        brings the store up to date first."""
        if self._desk is None:
            from tui_desk.services.base import ReadOnlyDesk
            from tui_desk.store.lite import LiteStore

            store = LiteStore.open(str(self.locations.db))
            if store is not None:
                fixed = self.now()
                lite = ReadOnlyDesk(
                    store,
                    self.policy,
                    now=(lambda: fixed) if fixed else None,
                    operator=self.args.global_as,
                )
                if lite.is_current():
                    return lite
        return self.desk

    def _catch_up_escalations(self, desk: HelpDesk) -> None:
        """Record the escalations due since the store was last used (SPEC §5). Writes
        nothing to stdout (`--json` stays pure) and never fails the command itself.

        Skipped for a command that writes at an explicit `--at`: it is filling in history,
        and a pass at today's instant would escalate what the next backfilled event (a reply
        at 10:20) disproves. The next command without `--at` catches up.
        """
        from tui_desk.services import run_escalation_pass

        if getattr(self.args, "at", None) is not None:
            return
        try:
            report = run_escalation_pass(desk)
        except Exception as exc:
            if self.args.debug:
                raise
            sys.stderr.write(f"tui-desk: warning: the escalation pass failed: {exc}\n")
            return
        for warning in report.warnings:
            sys.stderr.write(f"tui-desk: warning: {warning}\n")


def read_body(text: str | None) -> str | None:
    """`--body -` reads standard input, which must be UTF-8; on a terminal it first says
    what it waits for."""
    if text != "-":
        return text
    if sys.stdin.isatty():
        sys.stderr.write("tui-desk: reading the body from standard input; end with Ctrl-D\n")
        sys.stderr.flush()
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:  # already text (an embedding program replaced sys.stdin)
        return sys.stdin.read()
    data = raw.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"standard input is not valid UTF-8 (byte {exc.start + 1}); "
            "convert it first, e.g. with: iconv -f latin1 -t utf-8"
        ) from None


# ----------------------------------------------------------------------------------------
# Commands


def cmd_tui(ctx: Context) -> int:
    from tui_desk.tui.app import run_app

    return run_app(
        ctx.locations,
        policy=ctx.policy,
        db=ctx.locations.db,
        now=ctx.now(),
        operator=ctx.args.global_as,
    )


def cmd_demo(ctx: Context) -> int:
    """A new store filled with generated data. Demo never writes into an existing desk: it
    refuses a store that already exists, so `init` then `demo` cannot mix the two."""
    import tempfile

    from tui_desk.demo import generate_demo
    from tui_desk.store.engine import StoreExists, open_store

    args = ctx.args
    if args.tickets < 0:
        raise UsageError("--tickets must be 0 or more")
    policy = ctx.policy
    now = ctx.now()
    folder = None
    if ctx.locations.db_source != "default":
        db = ctx.locations.db
    else:
        folder = tempfile.mkdtemp(prefix="tui-desk-demo-")
        db = str(Path(folder) / "demo.sqlite3")
    try:
        engine = open_store(db, new=True)
    except StoreExists:
        raise UsageError(
            f"{db} already holds a desk; demo fills only a new store "
            "(name a new file with --db, or leave --db out for a temporary one)"
        ) from None
    try:
        stats = generate_demo(engine, policy, tickets=args.tickets, seed=args.seed, now=now)
    except BaseException:
        engine.dispose()
        _remove_sqlite_store(db, folder)  # half a demo is no store: a failure leaves nothing
        raise
    engine.dispose()
    if ctx.json:
        emit_json({"db": db, **stats})
    else:
        print(
            f"demo store: {db} ({stats['tickets']} tickets, {stats['events']} events)",
            file=sys.stderr,
        )
    if args.no_open:
        return 0
    from tui_desk.demo import OPERATORS
    from tui_desk.tui.app import run_app

    # The demo opens as its lead operator, without asking (--as picks another).
    lead = next(name for name, role in OPERATORS if role == "lead")
    return run_app(
        ctx.locations, policy=policy, db=db, now=now, operator=ctx.args.global_as or lead
    )


def _remove_sqlite_store(db: str, folder: str | None) -> None:
    import shutil

    from tui_desk.store.lite import sqlite_file

    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    path = sqlite_file(db)
    if path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def cmd_init(ctx: Context) -> int:
    """Write the default policy (if there is none) and create the store. A policy that
    exists is validated first; if the store cannot be made, a policy written by this
    command is removed again: a failing init leaves nothing behind."""
    from tui_desk.store.engine import StoreExists, open_store
    from tui_desk.store.lite import inspect_store, sqlite_file

    store_file = sqlite_file(ctx.locations.db)
    if store_file is not None:
        inspect_store(store_file)  # another program's file or a damaged store: stop here
    policy_path = ctx.locations.policy
    if policy_path.exists():
        _ = ctx.policy
    created_policy = _write_default_policy(policy_path)
    try:
        try:
            open_store(ctx.locations.db, new=True).dispose()
            created_store = True
        except StoreExists:
            created_store = False
        _ = ctx.desk  # the policy applied, escalations caught up
    except BaseException:
        if created_policy:
            policy_path.unlink(missing_ok=True)
        raise
    out = {
        "policy": str(policy_path),
        "policy_created": created_policy,
        "db": ctx.locations.db,
        "db_created": created_store,
    }
    if ctx.json:
        emit_json(out)
    else:
        verb = "wrote" if created_policy else "kept existing"
        print(f"{verb} policy {policy_path}")
        print(f"{'created' if created_store else 'kept existing'} store {ctx.locations.db}")
    return 0


def _write_default_policy(path: Path) -> bool:
    """The documented default policy at `path`, 0600; False (nothing written) when a file
    is already there."""
    from tui_desk.core.policy_load import default_policy_text
    from tui_desk.files import write_private

    try:
        write_private(path, default_policy_text().encode("utf-8"), overwrite=False)
    except FileExistsError:
        return False
    return True


def cmd_locate(ctx: Context) -> int:
    """Where things are; it opens nothing, so it also answers for a store not made yet."""
    from tui_desk.store.lite import StoreError, inspect_store, sqlite_file

    loc = ctx.locations
    store_file = sqlite_file(loc.db)
    try:
        missing = store_file is not None and inspect_store(store_file) is None
    except StoreError:
        missing = False  # there is a file; the commands that open it say what is wrong
    out = {
        "policy": str(loc.policy),
        "policy_source": loc.policy_source
        if loc.policy_exists
        else f"{loc.policy_source} (missing: the embedded default is used)",
        "db": loc.db,
        "db_source": loc.db_source
        if not missing
        else f"{loc.db_source} (missing: run tui-desk init)",
        "log": str(loc.log_dir / "tui-desk.log"),
    }
    if ctx.json:
        emit_json(out)
    else:
        for key in ("policy", "db", "log"):
            source = out.get(f"{key}_source")
            print(f"{key:7} {out[key]}" + (f"  ({source})" if source else ""))
    return 0


def cmd_policy(ctx: Context) -> int:
    from tui_desk.core.policy_load import effective_policy_toml, load_policy

    action = ctx.args.action
    path = Path(ctx.args.path) if ctx.args.path else None
    if action == "init":
        target = path or ctx.locations.policy
        if not _write_default_policy(target):
            raise UsageError(f"{target} already exists; tui-desk never overwrites a policy file")
        if ctx.json:
            emit_json({"policy": str(target), "policy_created": True})
        else:
            print(f"wrote {target}")
        return 0
    policy = load_policy(path) if path else ctx.policy
    if action == "check":
        where = path or (
            ctx.locations.policy if ctx.locations.policy_exists else "embedded default"
        )
        if ctx.json:
            emit_json({"valid": True, "path": str(where)})
        else:
            print(f"{where}: valid")
        return 0
    if ctx.json:
        emit_json(policy.effective)
    else:
        sys.stdout.write(effective_policy_toml(policy))
    return 0


def cmd_operator(ctx: Context) -> int:
    operator = ctx.desk.add_operator(ctx.args.name, ctx.args.role)
    if ctx.json:
        emit_json({"id": operator.id, "name": operator.name, "role": operator.role})
    else:
        print(f"added operator {operator.name} ({operator.role}) as #{operator.id}")
    return 0


def cmd_customer(ctx: Context) -> int:
    customer = ctx.desk.add_customer(ctx.args.name, ctx.args.domain, ctx.args.email)
    if ctx.json:
        emit_json(
            {
                "id": customer.id,
                "name": customer.name,
                "domains": [d.lower() for d in ctx.args.domain],
            }
        )
    else:
        domains = ", ".join(d.lower() for d in ctx.args.domain)
        print(
            f"added customer {customer.name} as #{customer.id}"
            + (f" (domains: {domains})" if domains else "")
        )
    return 0


def cmd_contract(ctx: Context) -> int:
    a = ctx.args
    contract = ctx.desk.add_contract(a.customer, a.plan, a.start, a.end, a.product)
    if ctx.json:
        emit_json(
            {
                "id": contract.id,
                "customer_id": contract.customer_id,
                "plan": contract.plan,
                "product": contract.product,
                "start": contract.start.isoformat(),
                "end": contract.end.isoformat() if contract.end else None,
            }
        )
    else:
        until = f"to {contract.end}" if contract.end else "open-ended"
        product = f", product {contract.product}" if contract.product else ""
        print(
            f"added contract #{contract.id}: {a.customer} on plan {contract.plan}{product}, "
            f"from {contract.start} {until}"
        )
    return 0


def _print_ticket(ctx: Context, detail: TicketDetail) -> None:
    if ctx.json:
        emit_json(detail_json(detail))
        return
    t = detail.ticket
    print(visible_line(f"#{t.id} {t.subject}"))
    print(
        visible_line(
            f"  {t.status} · {t.priority} · {t.channel} · {t.contact}"
            + (f" ({t.customer})" if t.customer else "")
            + f" · version {t.version}"
        )
    )
    print(
        visible_line(
            f"  assignee {t.assignee or '—'} · tags {', '.join(t.tags) or '—'} · plan {t.plan or '—'} · SLA {t.sla_policy or 'none'}"
            + (" · over quota" if t.over_quota else "")
            + (" · billable" if t.billable else "")
        )
    )
    for name, clock in detail.sla.clocks.items():
        if clock.state == "none":
            continue
        due = iso(clock.due) if clock.due else "—"
        print(f"  {name:15} {clock.state:9} due {due} {clock.countdown}")
    from tui_desk.services.event_text import describe_event

    for event in detail.events:
        author = f" ({visible_line(event.author)})" if event.author else ""
        print(f"  {iso(event.at)} {visible_line(describe_event(event))}{author}")
        if event.kind in ("customer_message", "reply", "note", "merge"):
            # A body's own lines are indented under its event: never posing as another event.
            for line in visible(event.body or "").strip().splitlines():
                print(f"      {line}".rstrip())


def cmd_ticket(ctx: Context) -> int:
    a = ctx.args
    action = a.action
    body = read_body(getattr(a, "body", None))  # before the store opens: bad input writes nothing
    desk = ctx.desk
    if action == "new":
        detail = desk.create_ticket(
            a.from_, a.subject, body, a.priority, a.product, a.channel or "email", a.at
        )
        if ctx.json:
            emit_json(detail_json(detail))
        else:
            print(detail.ticket.id)
        return 0
    if action == "show":
        _print_ticket(ctx, desk.ticket(a.id))
        return 0
    seen = a.if_version  # every write on an existing ticket: only at the version seen
    handlers: dict[str, Callable[[], TicketDetail]] = {
        "reply": lambda: desk.reply(a.id, body or "", a.status, a.as_, a.at, expected_version=seen),
        "note": lambda: desk.note(a.id, body or "", a.as_, a.at, expected_version=seen),
        "message": lambda: desk.customer_message(a.id, body or "", a.at, expected_version=seen),
        "set": lambda: desk.set_fields(
            a.id,
            a.status,
            a.priority,
            a.assignee,
            a.tag,
            a.untag,
            a.due_resolution,
            a.as_,
            a.at,
            expected_version=seen,
        ),
        "csat": lambda: desk.csat(a.id, a.score, a.comment, a.at, expected_version=seen),
        "merge": lambda: _merge(ctx),
    }
    detail = handlers[action]()
    if ctx.json:
        emit_json(detail_json(detail))
    else:
        t = detail.ticket
        done = f"merged into #{a.into}" if action == "merge" else _DONE[action]
        print(f"#{t.id} {done}; status {t.status}, version {t.version}")
    return 0


_DONE = {
    "reply": "reply sent",
    "note": "note added",
    "message": "customer message added",
    "set": "changed",
    "csat": "CSAT recorded",
}


def _merge(ctx: Context) -> TicketDetail:
    """`ticket merge ID --into TARGET`: prints the merged ticket (now `merged`)."""
    from tui_desk.services.merge import merge

    a = ctx.args
    return merge(ctx.desk, a.id, a.into, a.as_, a.at, a.if_version).source


def cmd_queue(ctx: Context) -> int:
    from tui_desk.services import QueueFilter

    a = ctx.args
    desk = ctx.desk
    for status in a.status:
        desk.check_status(status)
    now = desk.now()
    rows = desk.queue_with_clocks(QueueFilter(statuses=tuple(a.status)), limit=a.limit, now=now)
    if ctx.json:
        out = []
        for t, sla in rows:
            item = summary_json(t)
            item["sla"] = {name: clock.to_json() for name, clock in sla.clocks.items()}
            item["next_deadline"] = iso(sla.next_deadline)
            item["escalation"] = {"level": t.escalation_level, "name": t.escalation_name}
            out.append(item)
        emit_json(out)
        return 0
    if not rows:
        wanted = f"with status {' or '.join(a.status)}" if a.status else "in the queue"
        print(f"no tickets {wanted}")
        return 0
    print(f"{'ID':<7} {'STATUS':8} {'PRIORITY':8} {'NEXT DUE':>9}  SUBJECT")
    for t, sla in rows:
        leading = sla.leading_clock  # remaining working time, as the TUI's columns show it
        left = sla.clocks[leading].countdown if leading else "—"
        print(f"#{t.id:<6} {t.status:8} {t.priority:8} {left:>9}  {visible_line(t.subject)[:60]}")
    return 0


def cmd_quota(ctx: Context) -> int:
    """Every contract's quota standing at now (SPEC §4.4, §7)."""
    from rich.cells import cell_len

    from tui_desk.services.quota import (
        expiry_text,
        format_day,
        period_text,
        quota_overview,
        until_text,
        usage_text,
    )

    desk = ctx.reader
    now = desk.now()
    quotas = quota_overview(desk, now)
    if ctx.json:
        emit_json([q.to_json() for q in quotas])
        return 0
    if not quotas:
        print("no contracts (add one with: tui-desk contract add CUSTOMER --plan P --start DATE)")
        return 0
    tz = ctx.policy.desk.timezone
    header = ("CUSTOMER", "PLAN", "PRODUCT", "PERIOD", "USED", "LEFT", "OVER", "BILL")
    header += ("RESETS", "RUNS OUT", "CONTRACT")
    rows = [header]
    for q in quotas:
        runs_out = q.forecast_exhausted_at
        rows.append(
            (
                visible_line(q.customer),
                q.plan,
                q.product or "—",
                period_text(q, tz, now),
                usage_text(q),
                "—" if q.remaining is None else str(q.remaining),
                str(q.over_quota),
                str(q.billable),
                until_text(q.resets_at, now),
                format_day(runs_out, tz, now) if runs_out else "—",
                expiry_text(q, tz, now),
            )
        )
    # Terminal cells, not characters: customer names may be CJK.
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        cells = (c + " " * (w - cell_len(c)) for c, w in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0


def cmd_escalations(ctx: Context) -> int:
    """Escalated tickets, highest level first, then longest overdue; and those about to
    escalate (SPEC §5, §7)."""
    from tui_desk.services import UPCOMING_WINDOWS, escalation_overview

    desk = ctx.desk
    overview = escalation_overview(desk, desk.now())
    if ctx.json:
        emit_json([row.to_json() for row in overview.escalated])
        return 0
    if not overview.escalated:
        print("no escalated tickets")
    for row in overview.escalated:
        ack = f"ack {row.acknowledged_by}" if row.acknowledged else "NOT ACKNOWLEDGED"
        # The causing clock's countdown: remaining working time, negative when overdue.
        print(
            visible_line(
                f"L{row.level} {row.name or '':10} #{row.ticket_id:<6} {(row.clock or '—'):15} "
                f"{row.countdown:>9}  since {iso(row.since)}  {row.assignee or '—':10} {ack}  "
                f"{visible_line(row.subject)[:50]}"
            )
        )
    for window, label in UPCOMING_WINDOWS:
        rows = overview.upcoming_in(window)
        if rows:
            print(f"about to escalate {label}:")
        for up in rows:
            print(
                visible_line(
                    f"  #{up.ticket_id:<6} → L{up.level} {up.name:10} {up.clock:15} "
                    f"at {iso(up.at)}  {up.assignee or '—':10} {visible_line(up.subject)[:50]}"
                )
            )
    print(f"{overview.unacknowledged} of {len(overview.escalated)} not acknowledged")
    return 0


def cmd_escalation(ctx: Context) -> int:
    """`escalation ack ID`: an operator acknowledges the ticket's escalation (SPEC §5)."""
    from tui_desk.services import acknowledge

    done = acknowledge(ctx.desk, ctx.args.id, ctx.args.as_ or ctx.args.global_as)
    if ctx.json:
        emit_json(
            {
                "ticket": done.ticket_id,
                "level": done.level,
                "name": done.name,
                "acknowledged": True,
                "by": done.by,
                "at": iso(done.at),
            }
        )
    else:
        print(f"#{done.ticket_id} {done.name} acknowledged by {done.by}")
    return 0


def cmd_backup(ctx: Context) -> int:
    """A verified copy of the store (SPEC §9). Reads the store only: no policy needed, no
    escalation pass, nothing written but DEST."""
    from tui_desk.store.engine import backup_sqlite
    from tui_desk.store.lite import StoreError, inspect_store, sqlite_file

    source = sqlite_file(ctx.locations.db)
    if source is None:
        raise UsageError("backup copies SQLite stores only; use pg_dump for PostgreSQL")
    if inspect_store(source) is None:
        raise StoreError(f"no store at {source}; nothing to back up")
    dest = Path(ctx.args.dest).expanduser()
    if dest.is_dir():
        dest = dest / f"desk-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.sqlite3"
    if dest.resolve() == source:
        raise UsageError(f"{dest} is the store itself; choose another file")
    try:
        size = backup_sqlite(source, dest, overwrite=ctx.args.force)
    except FileExistsError:
        raise UsageError(
            f"{dest} exists; choose a new file name, or add --force to replace it"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot write {dest}: {exc.strerror}; choose a folder you can write to"
        ) from exc
    if ctx.json:
        emit_json({"path": str(dest), "size": size, "verified": True})
    else:
        print(f"backup written to {dest} ({size:,} bytes, integrity verified)")
    return 0


# ----------------------------------------------------------------------------------------
# Parser


MAX_ID = 2**63 - 1  # the largest row id a store can hold
MAX_DEMO_TICKETS = 10_000_000  # ten times the largest desk the benchmarks measure


def _whole_number(what: str, low: int, high: int = MAX_ID) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, else a one-line usage error."""

    def parse(text: str) -> int:
        shown = text if len(text) <= 30 else text[:27] + "…"
        try:
            value = int(text.strip(), 10)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{what} is a whole number from {low} to {high}, not {shown!r}"
            )
        return value

    parse.__name__ = what
    return parse


TICKET_ID = _whole_number("a ticket id", 1)
VERSION = _whole_number("a version", 1)
INSTANT_HELP = (
    "ISO 8601, e.g. 2026-11-16T10:00+01:00 or ...Z; without an offset it means the "
    "desk's timezone; years 1970-2199"
)
DAY_HELP = "a day as YYYY-MM-DD"
ID_HELP = "the ticket's number"


def _policy_names(argv: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The names `--help` offers for --plan, --priority and --status: from the effective
    policy when it loads, else nothing (the commands themselves check against it)."""
    if not any(arg in ("-h", "--help") for arg in argv):
        return {}
    try:
        probe = OneLineParser(add_help=False)
        _add_global_options(probe, top=True)
        known, _rest = probe.parse_known_args(list(argv))
        policy = Context(known).policy
    except Exception:  # help must show whatever the policy's state
        return {}
    return {
        "plan": tuple(policy.plans),
        "priority": policy.priorities.order,
        "status": policy.statuses.all,
    }


def _one_of(names: dict[str, tuple[str, ...]], key: str, plural: str) -> str:
    known = names.get(key)
    if known:
        return f"one of the policy's {plural}: {', '.join(known)}"
    return f"one of the policy's {plural} (tui-desk policy show lists them)"


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """SPEC §7's global options. On a command's own parser they default to SUPPRESS, so
    `tui-desk queue --json` = `tui-desk --json queue`, and a value given after the command
    wins over one given before it."""

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    taken = parser._option_string_actions  # noqa: SLF001 - a command's own --as stays its own
    parser.add_argument(
        "--db",
        default=default(None),
        metavar="PATH|URL",
        help="store path or URL (default: $TUI_DESK_DB or the user data dir)",
    )
    parser.add_argument(
        "--policy",
        default=default(None),
        metavar="PATH",
        help="policy file (default: $TUI_DESK_POLICY or the user config dir)",
    )
    parser.add_argument(
        "--now",
        default=default(None),
        metavar="ISO",
        help="evaluate 'now' as this instant (default: $TUI_DESK_NOW or the clock); "
        + INSTANT_HELP,
    )
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="machine-readable output"
    )
    parser.add_argument(
        "--debug", action="store_true", default=default(False), help="show tracebacks"
    )
    if "--as" not in taken:
        parser.add_argument(
            "--as",
            dest="global_as",
            default=default(None),
            metavar="OPERATOR",
            help="who you are (default: $TUI_DESK_OPERATOR)",
        )


def _command_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every parser below `parser`, commands and their actions."""
    for action in parser._actions:  # noqa: SLF001 - argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for child in dict.fromkeys(action.choices.values()):
                yield child
                yield from _command_parsers(child)


def build_parser(names: dict[str, tuple[str, ...]] | None = None) -> OneLineParser:
    """The whole command line; `names` (from `_policy_names`) only enrich the help."""
    names = names or {}
    plan_help = _one_of(names, "plan", "plans")
    priority_help = _one_of(names, "priority", "priorities")
    status_help = _one_of(names, "status", "statuses")
    as_help = "who acts (default: --as before the command, $TUI_DESK_OPERATOR or the only operator)"
    channel_help = "how it came in: a word such as email, phone, chat or web (default email)"
    parser = OneLineParser(
        prog="tui-desk",
        description="A keyboard-driven helpdesk in the terminal. With no command, opens the TUI. "
        "The options above the commands may also follow the command.",
    )
    _add_global_options(parser, top=True)
    parser.add_argument("--version", action="version", version=f"tui-desk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)

    demo = sub.add_parser("demo", help="fill a store with generated data and open the TUI on it")
    demo.add_argument(
        "--tickets",
        type=_whole_number("the number of tickets", 0, MAX_DEMO_TICKETS),
        default=400,
        metavar="N",
        help=f"how many tickets, 0 to {MAX_DEMO_TICKETS:,} (default 400)",
    )
    demo.add_argument(
        "--seed", type=_whole_number("the seed", 0), default=7, help="random seed (default 7)"
    )
    demo.add_argument("--no-open", action="store_true", help="only fill the store")
    demo.set_defaults(func=cmd_demo)

    sub.add_parser("init", help="create the store and the default policy file").set_defaults(
        func=cmd_init
    )
    sub.add_parser("locate", help="print the policy, store and log paths").set_defaults(
        func=cmd_locate
    )

    policy = sub.add_parser("policy", help="check, show or write the policy file")
    policy.add_argument("action", choices=["check", "show", "init"])
    policy.add_argument("path", nargs="?")
    policy.set_defaults(func=cmd_policy)

    operator = sub.add_parser("operator", help="manage operators")
    op_sub = operator.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    op_add = op_sub.add_parser("add", help="add an operator")
    op_add.add_argument("name")
    op_add.add_argument(
        "--role",
        default=DEFAULT_ROLE,
        choices=list(ROLES),
        help="; ".join(f"{role}: {what}" for role, what in ROLES.items())
        + f" (default {DEFAULT_ROLE})",
    )
    operator.set_defaults(func=cmd_operator)

    customer = sub.add_parser("customer", help="manage customers")
    cu_sub = customer.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    cu_add = cu_sub.add_parser("add", help="add a customer")
    cu_add.add_argument("name")
    cu_add.add_argument(
        "--domain", action="append", default=[], help="an email domain such as acme.io (repeat)"
    )
    cu_add.add_argument(
        "--email", action="append", default=[], help="a contact's email address (repeat)"
    )
    customer.set_defaults(func=cmd_customer)

    contract = sub.add_parser("contract", help="manage contracts")
    co_sub = contract.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    co_add = co_sub.add_parser("add", help="bind a customer to a plan")
    co_add.add_argument("customer", help="the customer's name")
    co_add.add_argument("--plan", required=True, help=plan_help)
    co_add.add_argument("--start", required=True, metavar="YYYY-MM-DD", help=DAY_HELP)
    co_add.add_argument(
        "--end", metavar="YYYY-MM-DD", help=DAY_HELP + ", the last day (default: open-ended)"
    )
    co_add.add_argument("--product", help="limit the contract to one product")
    contract.set_defaults(func=cmd_contract)

    ticket = sub.add_parser("ticket", help="create, change and show tickets")
    t_sub = ticket.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    new = t_sub.add_parser("new", help="a new ticket from a customer; prints its id")
    new.add_argument("--from", dest="from_", required=True, metavar="EMAIL")
    new.add_argument("--subject", required=True)
    new.add_argument("--body", help="text, or - for standard input")
    new.add_argument("--priority", help=priority_help + " (default: the policy's rules)")
    new.add_argument("--product")
    new.add_argument("--channel", metavar="CHANNEL", help=channel_help)
    new.add_argument("--at", metavar="ISO", help="when it arrived: " + INSTANT_HELP)
    if_version_help = "write only if the ticket is still at this version (else exit 4)"
    for name, helptext in (
        ("reply", "a public reply"),
        ("note", "an internal note"),
        ("message", "a customer message"),
    ):
        p = t_sub.add_parser(name, help=helptext)
        p.add_argument("id", type=TICKET_ID, help=ID_HELP)
        p.add_argument("--body", required=True, help="text, or - for standard input")
        if name == "reply":
            p.add_argument("--status", help=status_help + " (set after the reply)")
        if name != "message":
            p.add_argument("--as", dest="as_", metavar="OPERATOR", help=as_help)
        p.add_argument("--at", metavar="ISO", help=INSTANT_HELP)
        p.add_argument("--if-version", type=VERSION, metavar="N", help=if_version_help)
    tset = t_sub.add_parser("set", help="change status, priority, assignee, tags or due date")
    tset.add_argument("id", type=TICKET_ID, help=ID_HELP)
    tset.add_argument("--status", help=status_help)
    tset.add_argument("--priority", help=priority_help)
    tset.add_argument("--assignee", metavar="OPERATOR", help="an operator's name")
    tset.add_argument("--tag", action="append", default=[], help="add a tag (repeat)")
    tset.add_argument("--untag", action="append", default=[], help="remove a tag (repeat)")
    tset.add_argument(
        "--due-resolution",
        dest="due_resolution",
        metavar="ISO|auto",
        help="a fixed resolution due instant (" + INSTANT_HELP + "), or auto for the SLA's",
    )
    tset.add_argument("--as", dest="as_", metavar="OPERATOR", help=as_help)
    tset.add_argument("--at", metavar="ISO", help=INSTANT_HELP)
    tset.add_argument("--if-version", type=VERSION, metavar="N", help=if_version_help)
    csat = t_sub.add_parser("csat", help="record a satisfaction score (1-5)")
    csat.add_argument("id", type=TICKET_ID, help=ID_HELP)
    csat.add_argument("score", type=_whole_number("a CSAT score", 1, 5), metavar="SCORE")
    csat.add_argument("--comment")
    csat.add_argument("--at", metavar="ISO", help=INSTANT_HELP)
    csat.add_argument("--if-version", type=VERSION, metavar="N", help=if_version_help)
    tmerge = t_sub.add_parser(
        "merge",
        help="merge a duplicate into another ticket (its thread is copied there)",
        description="Merge ticket ID into TARGET: TARGET gets a copy of ID's thread, both "
        "get a link, ID becomes 'merged' (void: its quota credit goes back). Refused into "
        "itself or into a void ticket.",
    )
    tmerge.add_argument("id", type=TICKET_ID, help=ID_HELP)
    tmerge.add_argument("--into", type=TICKET_ID, required=True, metavar="TARGET")
    tmerge.add_argument("--as", dest="as_", metavar="OPERATOR", help=as_help)
    tmerge.add_argument("--at", metavar="ISO", help=INSTANT_HELP)
    tmerge.add_argument("--if-version", type=VERSION, metavar="N", help=if_version_help)
    show = t_sub.add_parser(
        "show", help="a ticket with its clocks and log", description=COUNTDOWN_UNIT
    )
    show.add_argument("id", type=TICKET_ID, help=ID_HELP)
    ticket.set_defaults(func=cmd_ticket)

    queue = sub.add_parser(
        "queue",
        help="open tickets in the TUI's queue order",
        description="Open tickets in the TUI's queue order, each with its next deadline's "
        "countdown. " + COUNTDOWN_UNIT,
    )
    queue.add_argument("--status", action="append", default=[], help=status_help + " (repeat)")
    queue.add_argument(
        "--limit", type=_whole_number("the limit", 1), metavar="N", help="at most N tickets"
    )
    queue.set_defaults(func=cmd_queue)

    quota = sub.add_parser("quota", help="each contract's quota: used, left, resets, runs out")
    quota.set_defaults(func=cmd_quota)

    escalations = sub.add_parser(
        "escalations",
        help="escalated tickets and those about to escalate",
        description="Escalated tickets with the countdown of the clock that escalated them, "
        "and those about to escalate. " + COUNTDOWN_UNIT,
    )
    escalations.set_defaults(func=cmd_escalations)

    escalation = sub.add_parser("escalation", help="acknowledge a ticket's escalation")
    es_sub = escalation.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    es_ack = es_sub.add_parser("ack", help="acknowledge: you are on it")
    es_ack.add_argument("id", type=TICKET_ID, help=ID_HELP)
    es_ack.add_argument("--as", dest="as_", metavar="OPERATOR", help=as_help)
    escalation.set_defaults(func=cmd_escalation)

    backup = sub.add_parser("backup", help="a consistent, verified copy of the store")
    backup.add_argument("dest", help="a new file, or a folder to hold desk-TIMESTAMP.sqlite3")
    backup.add_argument("--force", action="store_true", help="replace DEST if it exists")
    backup.set_defaults(func=cmd_backup)

    for command in _command_parsers(parser):
        _add_global_options(command, top=False)
    return parser


def _log_to_file(folder: Path) -> Path | None:
    """Send the log to `tui-desk.log` in `folder` (0600 in 0700, whatever the umask)."""
    from tui_desk.files import open_private_append

    path = folder / "tui-desk.log"
    try:
        stream = os.fdopen(open_private_append(path), "a", encoding="utf-8")
    except OSError:
        return None
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    return path


def _failure_record(exc: BaseException) -> str:
    """What the log keeps of an unexpected failure without --debug: the exception's type
    and where it was raised; never its message, which may quote tickets or SQL parameters."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"unexpected failure: {type(exc).__module__}.{type(exc).__qualname__} at {where}"


class TerminalSafeOutput(io.TextIOBase):
    """Output with every control and bidi character from user text made visible
    (`tui_desk.core.text.visible`), so that a subject such as "\x1b]0;pwned\x07" cannot
    drive the operator's terminal (SPEC §9). Newlines pass; one-line fields (subjects,
    names) are already on one line when printed."""

    def __init__(self, target: TextIO) -> None:
        self.target = target

    def write(self, text: str) -> int:
        self.target.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def fileno(self) -> int:
        return self.target.fileno()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for position, arg in enumerate(argv, 1):
        if not _is_utf8(arg):
            shown = ascii(arg.encode("utf-8", "surrogateescape"))[1:][:60]
            sys.stderr.write(
                f"tui-desk: error: argument {position} ({shown}) is not valid UTF-8; "
                "pass text in UTF-8 (e.g. convert it with iconv)\n"
            )
            return 2
    parser = build_parser(_policy_names(argv))
    args = parser.parse_args(argv)
    func: Callable[[Context], int] = getattr(args, "func", cmd_tui)
    opens_tui = func is cmd_tui or (func is cmd_demo and not args.no_open)
    on_terminal = sys.stdin.isatty() and sys.stdout.isatty()
    # `textual serve` and similar hosts bring their own driver instead of a terminal.
    if opens_tui and not on_terminal and not os.environ.get("TEXTUAL_DRIVER"):
        sys.stderr.write(
            "tui-desk: the TUI needs a terminal for its input and output; "
            "from a script use the commands (tui-desk --help)"
            + (" or demo --no-open" if func is cmd_demo else "")
            + "\n"
        )
        return 2
    if func in (cmd_tui, cmd_demo):
        return _run(func, args)
    real_stdout, real_stderr = sys.stdout, sys.stderr
    sys.stderr = TerminalSafeOutput(real_stderr)  # type: ignore[assignment]
    if func is not cmd_policy:  # `policy show` prints the policy file's own text
        sys.stdout = TerminalSafeOutput(real_stdout)  # type: ignore[assignment]
    try:
        return _run(func, args)
    finally:
        sys.stdout, sys.stderr = real_stdout, real_stderr


def _is_utf8(text: str) -> bool:
    """False for an argument the OS handed over as undecodable bytes (surrogate escapes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _run(func: Callable[[Context], int], args: argparse.Namespace) -> int:
    try:
        ctx = Context(args)
        code = func(ctx)
        if code == 0:
            ctx.finish()
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`tui-desk queue | head`): not an error worth a word.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # the one place where every failure becomes an exit code
        return _report_failure(exc, args)


def _as_store_error(exc: Exception) -> Exception:
    """A database failure as the store's one-line error; anything else unchanged."""
    import sqlite3

    from tui_desk.store.lite import damaged, store_error

    if isinstance(exc, sqlite3.Error):
        return store_error(exc)
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.DBAPIError):
        if isinstance(exc, sa_exc.IntegrityError):
            return exc
        return store_error(exc.orig or exc)
    if isinstance(exc, json.JSONDecodeError) and _raised_reading_the_store(exc):
        return damaged(f"a stored value is not valid JSON ({exc.msg})")
    return exc


def _raised_reading_the_store(exc: BaseException) -> bool:
    import traceback

    folders = (f"{os.sep}services{os.sep}", f"{os.sep}store{os.sep}")
    return any(
        "tui_desk" in frame.filename and any(part in frame.filename for part in folders)
        for frame in traceback.extract_tb(exc.__traceback__)
    )


def _report_failure(exc: Exception, args: argparse.Namespace) -> int:
    from tui_desk.core.policy_load import PolicyError
    from tui_desk.paths import log_dir

    if isinstance(exc, PolicyError):
        sys.stderr.write(str(exc).rstrip("\n") + "\n")
        return 2
    exc = _as_store_error(exc)
    code = getattr(exc, "exit_code", None)
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else ""
    if code is not None:
        sys.stderr.write(f"tui-desk: {message}\n")
        return int(code)
    path = _log_to_file(log_dir())
    if args.debug:
        log.error("unexpected failure", exc_info=exc)
        raise exc
    log.error(_failure_record(exc))
    where = f"; details in {path}" if path else ""
    sys.stderr.write(f"tui-desk: unexpected error: {type(exc).__name__}: {message}{where}\n")
    return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
