"""Prints the time to recompute the cached clocks of N tickets from their events in the
store (what a policy change costs), and the per-second work of one screen of rows.
Budget: 100k tickets < 5 s; 50 rows' clocks < 2 ms.

    python bench/recompute_bench.py [N]     # reuses /tmp/tui-desk-bench-N.sqlite3
"""

from __future__ import annotations

import statistics
import sys
import time

from _stores import demo_store

from tui_desk.core.policy_load import default_policy_text, parse_policy_text
from tui_desk.core.sla import compute_sla
from tui_desk.services import HelpDesk
from tui_desk.store.engine import open_store


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    path = demo_store(count)
    policy = parse_policy_text(default_policy_text(), "default")
    desk = HelpDesk(open_store(str(path)), policy)
    ids = [t.id for t in desk.queue(_all_statuses(desk))]
    started = time.perf_counter()
    done = desk.recompute_tickets(ids)
    elapsed = time.perf_counter() - started
    print(f"recompute from the store: {done} tickets (all of them, open or not) in {elapsed:.2f} s")
    started = time.perf_counter()
    opened = desk.recompute_all()
    print(
        f"recompute_all (open tickets only): {opened} tickets in {time.perf_counter() - started:.2f} s"
    )

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


def _all_statuses(desk: HelpDesk):  # noqa: ANN202
    from tui_desk.services import QueueFilter

    return QueueFilter(categories=("active", "paused", "solved", "void"))


if __name__ == "__main__":
    main()
