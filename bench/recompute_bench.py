"""Prints the time to recompute the cached clocks of N tickets from their events in the
store (what a policy change costs), and the work of one screen of rows.
Budget: 100k open tickets < 5 s; 50 rows' clocks < 2 ms.

    python bench/recompute_bench.py [N]     # reuses /tmp/tui-desk-bench-N.sqlite3 and
                                            # /tmp/tui-desk-bench-open-N.sqlite3

The demo store is mostly solved tickets, whose clocks are all stopped; the open-ticket
store copies the demo's open tickets (ids shifted) until there are N, to time the budget's
case. "one process" lines turn the worker processes off.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from _stores import demo_store

from tui_desk.core.policy_load import default_policy_text, parse_policy_text
from tui_desk.core.sla import advance_sla, compute_sla
from tui_desk.services import HelpDesk, QueueFilter
from tui_desk.store.engine import open_store, write_session

OPEN = ("active", "paused")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    policy = parse_policy_text(default_policy_text(), "default")
    desk = HelpDesk(open_store(str(demo_store(count)), create=True), policy)
    ids = [t.id for t in desk.queue(QueueFilter(categories=(*OPEN, "solved", "void")))]
    done, elapsed = timed(desk.recompute_tickets, ids)
    print(f"recompute from the store: {done} tickets (all of them, open or not) in {elapsed:.2f} s")
    _, elapsed = timed(one_process, desk, ids)
    print(f"  the same in one process: {elapsed:.2f} s")
    opened, elapsed = timed(desk.recompute_all)
    print(f"recompute_all (open tickets only): {opened} tickets in {elapsed:.2f} s")

    open_desk = HelpDesk(open_store(str(open_tickets_store(count)), create=True), policy)
    open_ids = [t.id for t in open_desk.queue(QueueFilter(categories=OPEN))]
    clear_cache(open_desk)
    done, elapsed = timed(open_desk.recompute_tickets, open_ids)
    print(f"recompute {done} open tickets, every cached figure rewritten: {elapsed:.2f} s")
    clear_cache(open_desk)
    _, elapsed = timed(one_process, open_desk, open_ids)
    print(f"  the same in one process: {elapsed:.2f} s")

    rows = desk.queue(limit=50)
    histories = desk.histories([r.id for r in rows])
    now = desk.now()
    samples = []
    for _ in range(200):
        started = time.perf_counter()
        for row in rows:
            compute_sla(policy, histories[row.id], now)
        samples.append((time.perf_counter() - started) * 1000)
    print(f"clocks of one screen (50 rows): median {statistics.median(samples):.2f} ms")
    # What the countdown does each second: advance each row's clocks of the last second.
    last = {row.id: compute_sla(policy, histories[row.id], now) for row in rows}
    samples = []
    for second in range(1, 201):
        later = now + timedelta(seconds=second)
        started = time.perf_counter()
        for row in rows:
            last[row.id] = advance_sla(
                policy, histories[row.id], last[row.id], later - timedelta(seconds=1), later
            )
        samples.append((time.perf_counter() - started) * 1000)
    print(f"  one second later, advanced (the tick): median {statistics.median(samples):.2f} ms")


def timed(function, *args):  # noqa: ANN001, ANN201
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def one_process(desk: HelpDesk, ids: list[int]) -> int:
    with write_session(desk.engine) as session:
        return desk._recompute(session, ids, parallel=False)


def clear_cache(desk: HelpDesk) -> None:
    """Empty the cached figures, so that the next recompute writes every one of them."""
    with write_session(desk.engine) as session:
        session.connection().exec_driver_sql(
            "UPDATE ticket SET due_first_response = NULL, due_next_response = NULL, "
            "due_resolution = NULL, next_deadline = NULL, next_warning = NULL"
        )


def open_tickets_store(count: int) -> Path:
    """The demo store plus copies of its open tickets and their events, `count` open in all."""
    path = Path(f"/tmp/tui-desk-bench-open-{count}.sqlite3")
    if path.exists():
        return path
    partial = path.with_name(path.name + ".part")
    partial.unlink(missing_ok=True)
    source, target = sqlite3.connect(demo_store(count)), sqlite3.connect(partial)
    with closing(source), closing(target):
        source.backup(target)
    with closing(sqlite3.connect(partial)) as conn, conn:
        placeholders = ",".join("?" * len(OPEN))
        open_ids = [
            row[0]
            for row in conn.execute(
                f"SELECT id FROM ticket WHERE status_category IN ({placeholders}) ORDER BY id",
                OPEN,
            )
        ]
        ticket_shift = conn.execute("SELECT max(id) FROM ticket").fetchone()[0]
        event_shift = conn.execute("SELECT max(id) FROM event").fetchone()[0]
        ticket_columns = _columns(conn, "ticket", {"id": "id + :t", "external_id": "NULL"})
        event_columns = _columns(conn, "event", {"id": "id + :e", "ticket_id": "ticket_id + :t"})
        conn.execute("CREATE TEMP TABLE copied (id INTEGER PRIMARY KEY)")
        missing, copy = count - len(open_ids), 1
        while missing > 0:
            chunk = open_ids[:missing]
            conn.execute("DELETE FROM copied")
            conn.executemany("INSERT INTO copied VALUES (?)", [(i,) for i in chunk])
            shifts = {"t": copy * ticket_shift, "e": copy * event_shift}
            conn.execute(
                f"INSERT INTO ticket ({ticket_columns[0]}) SELECT {ticket_columns[1]} "
                "FROM ticket WHERE id IN (SELECT id FROM copied)",
                shifts,
            )
            conn.execute(
                f"INSERT INTO event ({event_columns[0]}) SELECT {event_columns[1]} "
                "FROM event WHERE ticket_id IN (SELECT id FROM copied)",
                shifts,
            )
            missing -= len(chunk)
            copy += 1
    partial.rename(path)
    return path


def _columns(conn: sqlite3.Connection, table: str, values: dict[str, str]) -> tuple[str, str]:
    """(column list, select list) copying a table's rows with some columns computed."""
    names = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    return ", ".join(names), ", ".join(values.get(name, name) for name in names)


if __name__ == "__main__":
    main()
