"""Prints how long `tui-desk demo` takes to generate N tickets and how long the store takes to
recompute every open ticket's clocks (a policy change). Budget: 100k tickets < 30 s; full
recompute of 100k open tickets < 5 s.

    python bench/demo_bench.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tui_desk.core.policy_load import default_policy_text, parse_policy_text
from tui_desk.demo import generate_demo
from tui_desk.services import HelpDesk
from tui_desk.store.engine import open_store


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    policy = parse_policy_text(default_policy_text(), "default")
    with tempfile.TemporaryDirectory() as folder:
        engine = open_store(str(Path(folder) / "bench.sqlite3"))
        started = time.perf_counter()
        stats = generate_demo(engine, policy, tickets=count, seed=1)
        generated = time.perf_counter() - started
        print(f"demo: {stats['tickets']} tickets, {stats['events']} events in {generated:.2f} s")
        desk = HelpDesk(engine, policy)
        started = time.perf_counter()
        recomputed = desk.recompute_all()
        elapsed = time.perf_counter() - started
        print(f"recompute: {recomputed} open tickets from their events in {elapsed:.2f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
