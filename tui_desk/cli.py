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
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from tui_desk import __version__
from tui_desk.core.durations import COUNTDOWN_UNIT
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
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "customer": ticket.customer,
        "contact": ticket.contact,
        "assignee": ticket.assignee,
        "tags": list(ticket.tags),
        "product": ticket.product,
        "contract_id": ticket.contract_id,
        "plan": ticket.plan,
        "sla_policy": ticket.sla_policy,
        "over_quota": ticket.over_quota,
        "billable": ticket.billable,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "version": ticket.version,
    }


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
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


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
            from tui_desk.core.policy import default_policy_text
            from tui_desk.policy_cache import load_policy_cached, parse_policy_cached

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
            from tui_desk.holiday_cache import install_holiday_cache

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
        if self._desk is None:
            from tui_desk.services import HelpDesk
            from tui_desk.store.engine import open_store

            fixed = self.now()
            engine = open_store(self.locations.db)
            self._desk = HelpDesk(
                engine,
                self.policy,
                now=(lambda: fixed) if fixed else None,
                operator=self.args.global_as,
            )
            self._desk.ensure_policy_applied()
            self._catch_up_escalations(self._desk)
        return self._desk

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
    """`--body -` reads standard input."""
    if text == "-":
        return sys.stdin.read()
    return text


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
    import tempfile

    from tui_desk.demo import generate_demo

    args = ctx.args
    if args.tickets < 0:
        raise UsageError("--tickets must be 0 or more")
    db = ctx.args.db or os.environ.get("TUI_DESK_DB")
    if not db:
        folder = tempfile.mkdtemp(prefix="tui-desk-demo-")
        db = str(Path(folder) / "demo.sqlite3")
    from tui_desk.store.engine import open_store

    engine = open_store(db)
    stats = generate_demo(engine, ctx.policy, tickets=args.tickets, seed=args.seed, now=ctx.now())
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
    from tui_desk.tui.app import run_app

    return run_app(
        ctx.locations, policy=ctx.policy, db=db, now=ctx.now(), operator=ctx.args.global_as
    )


def cmd_init(ctx: Context) -> int:
    created_policy = _write_default_policy(ctx.locations.policy)
    _ = ctx.desk  # opening creates and migrates the store
    out = {
        "policy": str(ctx.locations.policy),
        "policy_created": created_policy,
        "db": ctx.locations.db,
    }
    if ctx.json:
        emit_json(out)
    else:
        verb = "wrote" if created_policy else "kept existing"
        print(f"{verb} policy {ctx.locations.policy}")
        print(f"store ready at {ctx.locations.db}")
    return 0


def _write_default_policy(path: Path) -> bool:
    from tui_desk.core.policy_load import default_policy_text

    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(default_policy_text())
    return True


def cmd_locate(ctx: Context) -> int:
    loc = ctx.locations
    out = {
        "policy": str(loc.policy),
        "policy_source": loc.policy_source
        if loc.policy_exists
        else f"{loc.policy_source} (missing: the embedded default is used)",
        "db": loc.db,
        "db_source": loc.db_source,
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
    sys.stdout.write(effective_policy_toml(policy))
    return 0


def cmd_operator(ctx: Context) -> int:
    operator = ctx.desk.add_operator(ctx.args.name, ctx.args.role)
    if ctx.json:
        emit_json({"id": operator.id, "name": operator.name, "role": operator.role})
    else:
        print(operator.id)
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
        print(customer.id)
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
        print(contract.id)
    return 0


def _print_ticket(ctx: Context, detail: TicketDetail) -> None:
    if ctx.json:
        emit_json(detail_json(detail))
        return
    t = detail.ticket
    print(f"#{t.id} {t.subject}")
    print(
        f"  {t.status} · {t.priority} · {t.channel} · {t.contact}"
        + (f" ({t.customer})" if t.customer else "")
    )
    print(
        f"  assignee {t.assignee or '—'} · tags {', '.join(t.tags) or '—'} · plan {t.plan or '—'} · SLA {t.sla_policy or 'none'}"
        + (" · over quota" if t.over_quota else "")
        + (" · billable" if t.billable else "")
    )
    for name, clock in detail.sla.clocks.items():
        if clock.state == "none":
            continue
        due = iso(clock.due) if clock.due else "—"
        print(f"  {name:15} {clock.state:9} due {due} {clock.countdown}")
    for event in detail.events:
        body = f": {event.body.strip()}" if event.body and event.body.strip() else ""
        extra = (
            "" if body else (f" {json.dumps(event.data, ensure_ascii=False)}" if event.data else "")
        )
        print(f"  {iso(event.at)} {event.kind} {event.author or ''}{body}{extra}")


def cmd_ticket(ctx: Context) -> int:
    a = ctx.args
    desk = ctx.desk
    action = a.action
    if action == "new":
        detail = desk.create_ticket(
            a.from_, a.subject, read_body(a.body), a.priority, a.product, a.channel or "email", a.at
        )
        if ctx.json:
            emit_json(detail_json(detail))
        else:
            print(detail.ticket.id)
        return 0
    if action == "show":
        _print_ticket(ctx, desk.ticket(a.id))
        return 0
    handlers: dict[str, Callable[[], TicketDetail]] = {
        "reply": lambda: desk.reply(a.id, read_body(a.body) or "", a.status, a.as_, a.at),
        "note": lambda: desk.note(a.id, read_body(a.body) or "", a.as_, a.at),
        "message": lambda: desk.customer_message(a.id, read_body(a.body) or "", a.at),
        "set": lambda: desk.set_fields(
            a.id, a.status, a.priority, a.assignee, a.tag, a.untag, a.due_resolution, a.as_, a.at
        ),
        "csat": lambda: desk.csat(a.id, a.score, a.comment, a.at),
        "merge": lambda: _merge(ctx),
    }
    detail = handlers[action]()
    if ctx.json:
        emit_json(detail_json(detail))
    else:
        print(f"#{detail.ticket.id} {detail.ticket.status}")
    return 0


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
    for t, sla in rows:
        leading = sla.leading_clock  # remaining working time, as the TUI's columns show it
        left = sla.clocks[leading].countdown if leading else "—"
        print(f"#{t.id:<6} {t.status:8} {t.priority:7} {left:>8}  {t.subject[:60]}")
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
                q.customer,
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
    if ctx.json or ctx.args.json_here:
        emit_json([row.to_json() for row in overview.escalated])
        return 0
    if not overview.escalated:
        print("no escalated tickets")
    for row in overview.escalated:
        ack = f"ack {row.acknowledged_by}" if row.acknowledged else "NOT ACKNOWLEDGED"
        # The causing clock's countdown: remaining working time, negative when overdue.
        print(
            f"L{row.level} {row.name or '':10} #{row.ticket_id:<6} {(row.clock or '—'):15} "
            f"{row.countdown:>9}  since {iso(row.since)}  {row.assignee or '—':10} {ack}  "
            f"{row.subject[:50]}"
        )
    for window, label in UPCOMING_WINDOWS:
        rows = overview.upcoming_in(window)
        if rows:
            print(f"about to escalate {label}:")
        for up in rows:
            print(
                f"  #{up.ticket_id:<6} → L{up.level} {up.name:10} {up.clock:15} at {iso(up.at)}  "
                f"{up.assignee or '—':10} {up.subject[:50]}"
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
    from tui_desk.store.engine import copy_store

    dest = Path(ctx.args.dest).expanduser()
    if dest.is_dir():
        dest = dest / f"desk-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.sqlite3"
    if dest.exists():
        raise UsageError(f"{dest} exists; choose a new file name")
    copy_store(ctx.desk.engine, dest)
    print(dest)
    return 0


# ----------------------------------------------------------------------------------------
# Parser


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="tui-desk",
        description="A keyboard-driven helpdesk in the terminal. With no command, opens the TUI.",
    )
    parser.add_argument(
        "--db", help="store path or URL (default: $TUI_DESK_DB or the user data dir)"
    )
    parser.add_argument(
        "--policy", help="policy file (default: $TUI_DESK_POLICY or the user config dir)"
    )
    parser.add_argument(
        "--now", help="evaluate 'now' as this ISO instant (default: $TUI_DESK_NOW or the clock)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument(
        "--as",
        dest="global_as",
        metavar="OPERATOR",
        help="who you are (default: $TUI_DESK_OPERATOR)",
    )
    parser.add_argument("--version", action="version", version=f"tui-desk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)

    demo = sub.add_parser("demo", help="fill a store with generated data and open the TUI on it")
    demo.add_argument("--tickets", type=int, default=400, help="how many tickets (default 400)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
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
    op_add.add_argument("--role", default="agent")
    operator.set_defaults(func=cmd_operator)

    customer = sub.add_parser("customer", help="manage customers")
    cu_sub = customer.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    cu_add = cu_sub.add_parser("add", help="add a customer")
    cu_add.add_argument("name")
    cu_add.add_argument("--domain", action="append", default=[])
    cu_add.add_argument("--email", action="append", default=[])
    customer.set_defaults(func=cmd_customer)

    contract = sub.add_parser("contract", help="manage contracts")
    co_sub = contract.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    co_add = co_sub.add_parser("add", help="bind a customer to a plan")
    co_add.add_argument("customer")
    co_add.add_argument("--plan", required=True)
    co_add.add_argument("--start", required=True)
    co_add.add_argument("--end")
    co_add.add_argument("--product")
    contract.set_defaults(func=cmd_contract)

    ticket = sub.add_parser("ticket", help="create, change and show tickets")
    t_sub = ticket.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    new = t_sub.add_parser("new", help="a new ticket from a customer; prints its id")
    new.add_argument("--from", dest="from_", required=True, metavar="EMAIL")
    new.add_argument("--subject", required=True)
    new.add_argument("--body", help="text, or - for standard input")
    new.add_argument("--priority")
    new.add_argument("--product")
    new.add_argument("--channel")
    new.add_argument("--at")
    for name, helptext in (
        ("reply", "a public reply"),
        ("note", "an internal note"),
        ("message", "a customer message"),
    ):
        p = t_sub.add_parser(name, help=helptext)
        p.add_argument("id", type=int)
        p.add_argument("--body", required=True, help="text, or - for standard input")
        if name == "reply":
            p.add_argument("--status")
        if name != "message":
            p.add_argument("--as", dest="as_", metavar="OPERATOR")
        p.add_argument("--at")
    tset = t_sub.add_parser("set", help="change status, priority, assignee, tags or due date")
    tset.add_argument("id", type=int)
    tset.add_argument("--status")
    tset.add_argument("--priority")
    tset.add_argument("--assignee")
    tset.add_argument("--tag", action="append", default=[])
    tset.add_argument("--untag", action="append", default=[])
    tset.add_argument("--due-resolution", dest="due_resolution")
    tset.add_argument("--as", dest="as_", metavar="OPERATOR")
    tset.add_argument("--at")
    csat = t_sub.add_parser("csat", help="record a satisfaction score (1-5)")
    csat.add_argument("id", type=int)
    csat.add_argument("score", type=int)
    csat.add_argument("--comment")
    csat.add_argument("--at")
    tmerge = t_sub.add_parser(
        "merge",
        help="merge a duplicate into another ticket (its thread is copied there)",
        description="Merge ticket ID into TARGET: TARGET gets a copy of ID's thread, both "
        "get a link, ID becomes 'merged' (void: its quota credit goes back). Refused into "
        "itself or into a void ticket.",
    )
    tmerge.add_argument("id", type=int)
    tmerge.add_argument("--into", type=int, required=True, metavar="TARGET")
    tmerge.add_argument("--as", dest="as_", metavar="OPERATOR")
    tmerge.add_argument("--at")
    tmerge.add_argument(
        "--if-version",
        dest="if_version",
        type=int,
        metavar="N",
        help="only if ID is still at version N (else exit 4)",
    )
    show = t_sub.add_parser(
        "show", help="a ticket with its clocks and log", description=COUNTDOWN_UNIT
    )
    show.add_argument("id", type=int)
    ticket.set_defaults(func=cmd_ticket)

    queue = sub.add_parser(
        "queue",
        help="open tickets in the TUI's queue order",
        description="Open tickets in the TUI's queue order, each with its next deadline's "
        "countdown. " + COUNTDOWN_UNIT,
    )
    queue.add_argument("--status", action="append", default=[])
    queue.add_argument("--limit", type=int)
    queue.set_defaults(func=cmd_queue)

    quota = sub.add_parser("quota", help="each contract's quota: used, left, resets, runs out")
    quota.set_defaults(func=cmd_quota)

    escalations = sub.add_parser(
        "escalations",
        help="escalated tickets and those about to escalate",
        description="Escalated tickets with the countdown of the clock that escalated them, "
        "and those about to escalate. " + COUNTDOWN_UNIT,
    )
    escalations.add_argument(
        "--json", dest="json_here", action="store_true", help="machine-readable output"
    )
    escalations.set_defaults(func=cmd_escalations)

    escalation = sub.add_parser("escalation", help="acknowledge a ticket's escalation")
    es_sub = escalation.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    es_ack = es_sub.add_parser("ack", help="acknowledge: you are on it")
    es_ack.add_argument("id", type=int)
    es_ack.add_argument("--as", dest="as_", metavar="OPERATOR")
    escalation.set_defaults(func=cmd_escalation)

    backup = sub.add_parser("backup", help="a consistent copy of the store")
    backup.add_argument("dest")
    backup.set_defaults(func=cmd_backup)
    return parser


def _log_to_file(loc: Locations) -> Path | None:
    try:
        loc.log_dir.mkdir(parents=True, exist_ok=True)
        path = loc.log_dir / "tui-desk.log"
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        return path
    except OSError:
        return None


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


class TerminalSafeOutput(io.TextIOBase):
    """Human output with control characters from user text replaced, so that a subject
    such as "\x1b]0;pwned\x07" cannot drive the operator's terminal (SPEC §9)."""

    def __init__(self, target: TextIO) -> None:
        self.target = target

    def write(self, text: str) -> int:
        self.target.write(_CONTROL.sub("\ufffd", text))
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def fileno(self) -> int:
        return self.target.fileno()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[Context], int] = getattr(args, "func", cmd_tui)
    if args.json or func in (cmd_tui, cmd_demo, cmd_policy):
        return _run(func, args)
    real_stdout = sys.stdout
    sys.stdout = TerminalSafeOutput(real_stdout)  # type: ignore[assignment]
    try:
        return _run(func, args)
    finally:
        sys.stdout = real_stdout


def _run(func: Callable[[Context], int], args: argparse.Namespace) -> int:
    try:
        ctx = Context(args)
        return func(ctx)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`tui-desk queue | head`): not an error worth a word.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # the one place where every failure becomes an exit code
        return _report_failure(exc, args)


def _report_failure(exc: Exception, args: argparse.Namespace) -> int:
    from tui_desk.core.policy_load import PolicyError

    code = getattr(exc, "exit_code", None)
    if isinstance(exc, PolicyError):
        sys.stderr.write(str(exc).rstrip("\n") + "\n")
        return 2
    if code is not None:
        sys.stderr.write(f"tui-desk: {exc}\n")
        return int(code)
    from tui_desk.store.lite import StoreError

    if isinstance(exc, StoreError):
        sys.stderr.write(f"tui-desk: {exc}\n")
        return 1
    if args.debug:
        raise exc
    path = _log_to_file(locate(args.policy, args.db))
    log.exception("unexpected failure")
    where = f"; details in {path}" if path else ""
    sys.stderr.write(f"tui-desk: unexpected error: {type(exc).__name__}: {exc}{where}\n")
    return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
