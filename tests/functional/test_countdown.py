"""The queue's countdowns tick from the clocks of the last tick, and always show what
computing the clocks afresh shows."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable

from tests.functional.conftest import DEMO_NOW
from tui_desk.core.sla import compute_sla
from tui_desk.services import HelpDesk
from tui_desk.tui.app import DeskApp
from tui_desk.tui.screens.queue import CLOCK_COLUMNS
from tui_desk.tui.widgets.clocks import clock_text


async def test_ticks_over_days_match_fresh_clocks(demo_desk: HelpDesk) -> None:
    now = [DEMO_NOW]
    app = DeskApp(demo_desk, operator="ana", clock=lambda: now[0], live=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        queue = app.screen
        table = queue.query_one(DataTable)
        shown = queue.rows[: table.size.height - 1]
        for step in (1, 59, 3600, 6 * 3600, 3 * 86400):
            now[0] += timedelta(seconds=step)
            queue.tick()
            await pilot.pause()
            for ticket in shown:
                fresh = compute_sla(app.policy, queue.histories[ticket.id], now[0])
                row = table.get_row(str(ticket.id))
                for name in CLOCK_COLUMNS:
                    expected = clock_text(fresh.clocks[name])
                    cell = row[table.shown_columns.index(name)]
                    assert (cell.plain, cell.style) == (expected.plain, expected.style)
        states = {c.state for t in shown for c in queue._clocks[t.id][2].clocks.values()}
        assert "breached" in states and "running" not in states  # three days on
