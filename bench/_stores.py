"""Demo stores shared by the bench scripts, generated once and kept in /tmp."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def demo_store(count: int) -> Path:
    """A store filled by `tui-desk demo --tickets COUNT`, reused across runs."""
    path = Path(f"/tmp/tui-desk-bench-{count}.sqlite3")
    if not path.exists():
        command = ["-m", "tui_desk.cli", "--db", str(path), "demo", "--tickets", str(count)]
        subprocess.run([sys.executable, *command, "--no-open"], check=True)
    return path
