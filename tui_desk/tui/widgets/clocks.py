"""How an SLA clock looks in a cell: its countdown text coloured by state (SPEC §8).

The text itself is `Clock.countdown`, the one the CLI prints too (SPEC §3.5).
"""

from __future__ import annotations

from rich.text import Text

from tui_desk.core.sla import Clock

STATE_STYLES = {
    "none": "dim",
    "running": "green",
    "warning": "bold yellow",
    "breached": "bold red",
    "paused": "cyan",
    "met": "green",
    "missed": "red",
}


def clock_text(clock: Clock) -> Text:
    """`1h 23m`, `−12m` when breached, `‖ 40m` when paused, ✓/✗ when met/missed."""
    return Text(clock.countdown, style=STATE_STYLES.get(clock.state, ""))
