"""Fast start: the first queue page comes from the read-only desk; the full desk opens after
it, and anything that writes gets it (docs/tui.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from textual.widgets import DataTable

from tests.functional.conftest import DEMO_NOW
from tui_desk.core.policy import Policy
from tui_desk.services import HelpDesk, ReadOnlyDesk
from tui_desk.store.lite import LiteStore
from tui_desk.tui.app import DeskApp
from tui_desk.tui.screens.queue import QueueScreen
from tui_desk.tui.screens.ticket import TicketScreen


async def _settle(app, pilot) -> None:  # noqa: ANN001
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def _lazy_app(demo_desk: HelpDesk, opened: list[HelpDesk]) -> DeskApp:
    demo_desk.ensure_policy_applied()
    store = LiteStore.open(str(demo_desk.engine.url.database))
    assert store is not None
    lite = ReadOnlyDesk(store, demo_desk.policy, now=lambda: DEMO_NOW, operator="ana")
    assert lite.is_current(escalations=False)

    def open_desk() -> HelpDesk:
        opened.append(demo_desk)
        return demo_desk

    return DeskApp(lite, operator="ana", clock=lambda: DEMO_NOW, live=False, open_desk=open_desk)


async def test_the_first_page_shows_before_the_full_desk_and_it_opens_after(
    demo_desk: HelpDesk,
) -> None:
    opened: list[HelpDesk] = []
    app = _lazy_app(demo_desk, opened)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        lazy_rows = [row.id for row in app.screen.rows]
        assert lazy_rows == [t.id for t in demo_desk.queue(limit=len(lazy_rows))]
        assert app.desk_is_open and opened == [demo_desk]  # opened once, after the page
        assert app.screen.query_one(DataTable).row_count == len(lazy_rows)


async def test_writing_from_a_lazily_started_app_works(demo_desk: HelpDesk) -> None:
    opened: list[HelpDesk] = []
    app = _lazy_app(demo_desk, opened)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        ticket_id = app.screen.rows[0].id
        before = demo_desk.ticket(ticket_id).ticket.version
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("n")
        await _settle(app, pilot)
        await pilot.press(*"checked the logs")
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
    detail = demo_desk.ticket(ticket_id)
    assert detail.ticket.version == before + 1
    assert detail.events[-1].kind == "note" and detail.events[-1].body == "checked the logs"
    assert len(opened) == 1


def test_tui_desk_paints_its_first_page_without_sqlalchemy(
    demo_desk: HelpDesk, default_policy: Policy, tmp_path: Path
) -> None:
    """The real start path (`run_app`) in a fresh process: SQLAlchemy is imported only
    after the first page is on screen."""
    script = textwrap.dedent(
        """
        import sys
        from tui_desk.tui.app import DeskApp

        seen = {}
        open_desk_soon, run = DeskApp.open_desk_soon, DeskApp.run

        def probe(self):
            seen.setdefault("sqlalchemy", "sqlalchemy" in sys.modules)
            seen.setdefault("rows", len(self.screen.rows))
            open_desk_soon(self)
            self.set_timer(0.5, self.exit)

        DeskApp.open_desk_soon = probe
        DeskApp.run = lambda self, **kw: run(self, headless=True, size=(100, 30))
        from tui_desk.cli import main

        main(sys.argv[1:])
        print(seen)
        """
    )
    demo_desk.ensure_policy_applied()
    db = str(demo_desk.engine.url.database)
    done = subprocess.run(
        [sys.executable, "-c", script, "--db", db, "--as", "ana"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(Path(__file__).parents[2]),
            # No terminal here: the app runs on a driver of its own, as under `textual serve`.
            "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver",
        },
        timeout=120,
        check=True,
    )
    assert "{'sqlalchemy': False, 'rows': " in done.stdout, done.stdout + done.stderr
