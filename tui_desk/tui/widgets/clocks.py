"""How an SLA clock looks in a cell: countdown text coloured by state (SPEC §8)."""

from __future__ import annotations

from rich.text import Text

from tui_desk.core.durations import humanize_seconds
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
PAUSE_MARK = "\u2016"  # ‖ : narrow in every terminal, unlike the ⏸ emoji


def clock_text(clock: Clock) -> Text:
    """`1h 23m`, `−12m` when breached, `‖ 40m` when paused, ✓/✗ when met/missed."""
    state = clock.state
    style = STATE_STYLES.get(state, "")
    if state == "none":
        return Text("—", style=style)
    if state == "met":
        return Text("\u2713", style=style)
    if state == "missed":
        return Text("\u2717", style=style)
    remaining = clock.remaining_seconds or 0
    if state == "paused":
        return Text(f"{PAUSE_MARK} {humanize_seconds(remaining, signed=True)}", style=style)
    return Text(humanize_seconds(remaining, signed=True), style=style)
