"""Prints how long `tui-desk demo` takes to generate N tickets and how long the store takes to
recompute every open ticket's clocks (a policy change). Budget: 100k tickets < 30 s; full
recompute of 100k open tickets < 5 s.

    python bench/demo_bench.py [N]

The demo runs in this one process: on a shared two-core machine, worker processes
computing rows beside the generator made it slower, not faster (100k tickets under load,
two rounds: 17.96 and 16.38 s with two workers, 15.16 and 11.97 s without, 2026-12-02).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from tui_desk.core.policy_load import default_policy_text, parse_policy_text
from tui_desk.demo import generate_demo
from tui_desk.services import HelpDesk
from tui_desk.store.engine import open_store


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    policy = parse_policy_text(default_policy_text(), "default")
    with tempfile.TemporaryDirectory() as folder:
        engine = open_store(str(Path(folder) / "bench.sqlite3"), create=True)
        started = time.perf_counter()
        cpu = _cpu_seconds(resource.RUSAGE_SELF)
        stats = generate_demo(engine, policy, tickets=count, seed=1)
        generated = time.perf_counter() - started
        cpu = _cpu_seconds(resource.RUSAGE_SELF) - cpu
        print(
            f"demo: {stats['tickets']} tickets, {stats['events']} events, "
            f"{stats['escalated']} escalated in {generated:.2f} s (CPU {cpu:.2f} s)"
        )
        desk = HelpDesk(engine, policy)
        started = time.perf_counter()
        recomputed = desk.recompute_all()
        elapsed = time.perf_counter() - started
        print(f"recompute: {recomputed} open tickets from their events in {elapsed:.2f} s")
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
