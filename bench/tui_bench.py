"""Prints the TUI's figures on a large store (issue budgets in parentheses):
first queue page from process start (< 1.0 s), cursor move repaint (< 50 ms), view switch
(< 150 ms), one countdown tick of the visible rows (< 50 ms), peak RSS (< 200 MB).

Interactive figures are CPU time of the process per action (main thread and workers): the
pilot's own press-and-wait costs ~70 ms of mostly idle wall time per key, which would
swamp the work being measured. Its CPU floor on an empty app (~3 ms) is printed too.

    python bench/tui_bench.py [N]      # N tickets, default 100000; the store is cached in /tmp
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from _stores import demo_store  # bench/ is the script directory

CHILD = textwrap.dedent(
    """
    import os, sys, time

    start = float(os.environ["BENCH_SPAWNED_AT"])
    from tui_desk.tui.app import DeskApp

    # `tui-desk --db PATH` as a user runs it (cli.main -> run_app), headless; the page is
    # on screen when the queue asks for the full desk, which it does after its refresh.
    open_desk_soon, run = DeskApp.open_desk_soon, DeskApp.run

    def painted(self):
        if not hasattr(self, "bench_painted"):
            self.bench_painted = time.time() - start
            self.exit()
        open_desk_soon(self)

    DeskApp.open_desk_soon = painted
    DeskApp.run = lambda self, **kw: (run(self, headless=True, size=(120, 40)), print(
        f"{self.bench_painted:.3f}"))
    from tui_desk.cli import main

    main(["--db", sys.argv[1], "--as", "ana"])
    """
)


def first_page(path: Path, runs: int = 5) -> list[float]:
    out = []
    for _ in range(runs):
        # A headless driver stands in for the terminal the TUI otherwise insists on.
        env = dict(
            os.environ,
            BENCH_SPAWNED_AT=repr(time.time()),
            TEXTUAL_DRIVER="textual.drivers.headless_driver:HeadlessDriver",
        )
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        out.append(float(result.stdout.strip().splitlines()[-1]))
    return out


async def interactive(path: Path) -> dict[str, list[float]]:
    from tui_desk.cli import Context, build_parser
    from tui_desk.services import HelpDesk
    from tui_desk.store.engine import open_store
    from tui_desk.tui.app import DeskApp

    ctx = Context(build_parser().parse_args(["--db", str(path)]))
    desk = HelpDesk(open_store(str(path), create=True), ctx.policy, operator="ana")
    app = DeskApp(desk, operator="ana", live=False)
    figures: dict[str, list[float]] = {"floor": [], "cursor": [], "view": [], "tick": []}
    clock = time.process_time
    async with app.run_test(size=(120, 40)) as pilot:
        while not getattr(app.screen, "rows", None):
            await asyncio.sleep(0.01)
        await app.workers.wait_for_complete()
        queue = app.screen
        for _ in range(20):
            started = clock()
            await pilot.press("f12")  # bound to nothing: the pilot's own cost
            await pilot.pause()
            figures["floor"].append(clock() - started)
        for _ in range(40):
            started = clock()
            await pilot.press("j")
            await pilot.pause()
            figures["cursor"].append(clock() - started)
        for _ in range(14):
            started = clock()
            await pilot.press("tab")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            figures["view"].append(clock() - started)
        for _ in range(20):
            started = clock()
            queue.tick()
            await pilot.pause()
            figures["tick"].append(clock() - started)
    return figures


def describe(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"median {statistics.median(ms):7.1f} ms   max {ms[-1]:7.1f} ms   (n={len(ms)})"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    path = demo_store(count)
    print(f"store: {path} ({count} tickets)")
    print(f"first queue page from process start: {describe(first_page(path))}")
    figures = asyncio.run(interactive(path))
    print(f"pilot key press alone (CPU floor):   {describe(figures['floor'])}")
    print(f"cursor move + repaint (CPU):         {describe(figures['cursor'])}")
    print(f"view switch, query + repaint (CPU):  {describe(figures['view'])}")
    print(f"countdown tick of visible rows (CPU):{describe(figures['tick'])}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the interactive run:     {rss:.0f} MB")


if __name__ == "__main__":
    main()
