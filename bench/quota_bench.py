"""Prints how long `tui-desk quota --json` takes over 1,000 contracts and 1M tickets
(SPEC §4.4, issue 5). Budget: under 1 s, the real command included.

The store is filled in bulk with SQLAlchemy core (not the services): 1,000 customers with one
contract each on a mix of plans (calendar- and contract-anchored months, weeks, quarters,
terms, unlimited; some ended), 1M tickets over the last two years (2 % void), and a status
event for a fifth of them. Then it times:
1. `quota_overview` in-process at the present, and at a `--now` half a year back (where
   status changes after `now` must be replayed);
2. the real command, `tui-desk --json quota`, in a subprocess (start-up included).

    python bench/quota_bench.py [TICKETS] [CONTRACTS] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tui_desk.core.policy_load import default_policy_text, parse_policy_text
from tui_desk.services import HelpDesk, ReadOnlyDesk
from tui_desk.services.quota import quota_overview
from tui_desk.store.engine import open_store
from tui_desk.store.lite import LiteStore
from tui_desk.store.models import Contact, Contract, Customer, Event, Ticket

NOW = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)
HISTORY_DAYS = 730
CHUNK = 50_000
EXTRA_PLANS = """
[plans.anchored]
sla = "standard"
quota = { tickets = 60, per = "month" }
anchor = "contract"

[plans.weekly]
sla = "standard"
quota = { tickets = 15, per = "week" }

[plans.quarterly]
sla = "standard"
quota = { tickets = 150, per = "quarter" }
anchor = "contract"

[plans.term]
sla = "premium"
quota = { tickets = 900, per = "term" }
"""  # the default policy already has an unlimited "backup" plan
PLANS = ("basic", "standard", "premium", "anchored", "weekly", "quarterly", "term", "backup")


def fill(engine: sa.Engine, tickets: int, contracts: int, rng: random.Random) -> None:
    with engine.begin() as conn:
        _fill_accounts(conn, contracts, rng)
    _fill_tickets(engine, tickets, contracts, rng)
    # Fold the bulk load's write-ahead log into the file now, not in the first timed run.
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _fill_accounts(conn: sa.Connection, contracts: int, rng: random.Random) -> None:
    """One customer per contract, each with one contact."""
    today = NOW.date()
    setup = NOW - timedelta(days=HISTORY_DAYS + 30)
    conn.execute(
        sa.insert(Customer.__table__),  # type: ignore[attr-defined]
        [
            {"id": i, "name": f"Customer {i:04d}", "created_at": setup}
            for i in range(1, contracts + 1)
        ],
    )
    conn.execute(
        sa.insert(Contact.__table__),  # type: ignore[attr-defined]
        [
            {"id": i, "email": f"ops@c{i}.example", "customer_id": i, "created_at": setup}
            for i in range(1, contracts + 1)
        ],
    )
    rows = []
    for i in range(1, contracts + 1):
        start = today - timedelta(days=rng.randint(30, HISTORY_DAYS))
        end: date | None = None
        if rng.random() < 0.1:
            end = today - timedelta(days=rng.randint(0, 25))  # recently ended
        elif rng.random() < 0.3:
            end = today + timedelta(days=rng.randint(1, 400))
        rows.append(
            {
                "id": i,
                "customer_id": i,
                "plan": PLANS[i % len(PLANS)],
                "product": None,
                "start": start,
                "end": end,
                "created_at": setup,
            }
        )
    conn.execute(sa.insert(Contract.__table__), rows)  # type: ignore[attr-defined]


def _fill_tickets(engine: sa.Engine, tickets: int, contracts: int, rng: random.Random) -> None:
    """Tickets over the history, mostly solved, with a status event on some."""
    span = HISTORY_DAYS * 86400
    event_id = 0
    for first in range(1, tickets + 1, CHUNK):
        ticket_rows, event_rows = [], []
        for ticket_id in range(first, min(first + CHUNK, tickets + 1)):
            contract = rng.randint(1, contracts)
            created = NOW - timedelta(seconds=rng.randrange(span))
            roll = rng.random()
            status, category = (
                ("spam", "void")
                if roll < 0.02
                else ("open", "active")
                if roll < 0.1
                else ("solved", "solved")
            )
            over = rng.random() < 0.05
            ticket_rows.append(
                {
                    "id": ticket_id,
                    "subject": "Bench ticket",
                    "status": status,
                    "status_category": category,
                    "priority": "normal",
                    "priority_rank": 2,
                    "channel": "email",
                    "contact_id": contract,
                    "customer_id": contract,
                    "contract_id": contract,
                    "plan": PLANS[contract % len(PLANS)],
                    "sla_policy": "standard",
                    "over_quota": over,
                    "billable": over and rng.random() < 0.5,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if category != "active" and (category == "void" or rng.random() < 0.2):
                event_id += 1
                event_rows.append(
                    {
                        "id": event_id,
                        "ticket_id": ticket_id,
                        "at": min(NOW, created + timedelta(hours=rng.randint(1, 72))),
                        "kind": "status",
                        "author": "ana",
                        "body": None,
                        "data": json.dumps({"from": "open", "to": status}),
                        "recorded_at": created,
                    }
                )
        with engine.begin() as conn:
            conn.execute(sa.insert(Ticket.__table__), ticket_rows)  # type: ignore[attr-defined]
            if event_rows:
                conn.execute(sa.insert(Event.__table__), event_rows)  # type: ignore[attr-defined]


def timed(call, repeat: int) -> list[float]:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def report(label: str, times: list[float]) -> None:
    print(
        f"{label:<46} median {statistics.median(times) * 1000:7.1f} ms"
        f"   min {min(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms   (n={len(times)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickets", nargs="?", type=int, default=1_000_000)
    parser.add_argument("contracts", nargs="?", type=int, default=1_000)
    parser.add_argument("--keep", help="build the store in this folder and keep it")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="quota-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "bench.sqlite3"
    policy_path = folder / "policy.toml"
    policy_path.write_text(default_policy_text() + EXTRA_PLANS, encoding="utf-8")
    policy = parse_policy_text(policy_path.read_text(encoding="utf-8"), str(policy_path))

    engine = open_store(str(db), create=True)
    with engine.connect() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar()
    if existing:
        print(f"reusing {db} ({existing} tickets)")
    else:
        started = time.perf_counter()
        fill(engine, args.tickets, args.contracts, random.Random(5))
        print(
            f"filled {db}: {args.tickets:,} tickets, {args.contracts:,} contracts "
            f"in {time.perf_counter() - started:.1f} s ({db.stat().st_size / 1e6:.0f} MB)"
        )

    desk = HelpDesk(engine, policy, now=lambda: NOW)
    desk.ensure_policy_applied()
    quotas = quota_overview(desk)
    used = sum(q.used for q in quotas)
    print(f"{len(quotas)} contracts, {used:,} credits used in their current periods")
    report("quota_overview (service, now)", timed(lambda: quota_overview(desk), 7))
    past = NOW - timedelta(days=180)
    report(
        "quota_overview (service, --now 180 days back)",
        timed(lambda: quota_overview(desk, past), 5),
    )
    store = LiteStore.open(str(db))
    assert store is not None
    lite = ReadOnlyDesk(store, policy, now=lambda: NOW)
    assert quota_overview(lite) == quotas, "sqlite3 and SQLAlchemy paths disagree"
    report("quota_overview (service on sqlite3 alone, now)", timed(lambda: quota_overview(lite), 7))
    engine.dispose()

    command = [
        sys.executable,
        "-m",
        "tui_desk.cli",
        "--db",
        str(db),
        "--policy",
        str(policy_path),
        "--now",
        NOW.isoformat(),
        "--json",
        "quota",
    ]
    output: list[str] = []

    def run_cli() -> None:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        output.append(done.stdout)

    run_cli()  # warm the OS file cache once (and catch up escalations), as in daily use
    report("tui-desk --json quota (subprocess, whole run)", timed(run_cli, 5))
    assert len(json.loads(output[-1])) == len(quotas)
    # The same run up to the quota call: start-up, imports, policy, store open and checks.
    opening = (
        "import sys; from tui_desk.cli import Context, build_parser; "
        "desk = Context(build_parser().parse_args(sys.argv[1:])).reader; "
        "print('  (read path:', type(desk).__name__ + ')')"
    )
    baseline = [sys.executable, "-c", opening, *command[3:]]
    report(
        "  of which start-up, imports, policy, store",
        timed(lambda: subprocess.run(baseline, check=True), 5),
    )
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
