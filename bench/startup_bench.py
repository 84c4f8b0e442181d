"""Prints how long quick commands take from process start to exit: `tui-desk --help` and
the read-only `queue` and `quota` on a store of N demo tickets (plain-sqlite3 paths that
never import SQLAlchemy), best of several runs. These are what a lazy `tui_desk.services`
keeps fast: importing SQLAlchemy alone costs several hundred milliseconds.

    python bench/startup_bench.py [N]      # N tickets, default 2000
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7


def best_of(command: list[str], env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ)
        for name in ("CONFIG", "DATA", "CACHE", "STATE"):
            env[f"XDG_{name}_HOME"] = str(Path(folder) / name.lower())
        env["TUI_DESK_DB"] = str(Path(folder) / "desk.sqlite3")
        tui_desk = [sys.executable, "-m", "tui_desk.cli"]
        demo = [*tui_desk, "demo", "--tickets", str(count), "--no-open"]
        subprocess.run(demo, env=env, check=True, stdout=subprocess.DEVNULL)
        print(
            f"python -c pass                   {best_of([sys.executable, '-c', 'pass'], env) * 1000:6.0f} ms"
        )
        for label, args in (
            ("tui-desk --help", ["--help"]),
            (f"tui-desk queue ({count} tickets)", ["queue"]),
            ("tui-desk quota", ["quota"]),
        ):
            print(f"{label:32} {best_of([*tui_desk, *args], env) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
