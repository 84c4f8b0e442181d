"""The TUI as a user drives it: queue, ticket, help, quit (SPEC §8)."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList

from tui_desk.tui.screens.help import HelpScreen
from tui_desk.tui.screens.queue import QueueScreen
from tui_desk.tui.screens.ticket import TicketScreen


async def _settle(app, pilot) -> None:  # noqa: ANN001
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_queue_lists_tickets_and_j_k_move_the_cursor(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one(DataTable)
        assert table.row_count > 10
        await pilot.press("j", "j", "j")
        assert table.cursor_row == 3
        await pilot.press("k")
        assert table.cursor_row == 2
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0


async def test_enter_opens_the_ticket_and_escape_comes_back(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        first_id = app.screen.rows[0].id
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == first_id
        assert len(app.screen.query(".message")) >= 1
        await pilot.press("escape")
        await _settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_question_mark_shows_the_keys_of_the_screen(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        actions = {ident for _, rows in app.screen.groups() for _, _, ident, _ in rows}
        assert {"open", "down", "up"} <= actions
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_ctrl_q_quits(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test() as pilot:
        await _settle(app, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_markup_in_a_subject_is_shown_literally(make_app) -> None:  # noqa: ANN001
    app = make_app()
    desk = app.desk
    created = desk.create_ticket("bo@globex.example", "[URGENT] [b]bold[/b]", priority="urgent")
    async with app.run_test(size=(160, 40)) as pilot:
        await _settle(app, pilot)
        table = app.screen.query_one(DataTable)
        row = table.get_row(str(created.ticket.id))
        assert str(row[3]).endswith("[URGENT] [b]bold[/b]")
        app.open_ticket(created.ticket.id)
        await _settle(app, pilot)
        header = str(app.screen.query_one("#ticket-header").render())
        assert "[URGENT] [b]bold[/b]" in header


async def test_setting_pending_with_s_pauses_the_clocks(make_app) -> None:  # noqa: ANN001
    app = make_app()
    desk = app.desk
    created = desk.create_ticket("bo@globex.example", "Please help", priority="high")
    app.advance = False  # stay on the ticket to watch its clocks
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_ticket(created.ticket.id)
        await _settle(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.pause()  # the picker highlights the current status when it mounts
        options = app.screen.query_one(OptionList)
        target = list(desk.policy.statuses.all).index("pending")
        await pilot.press(*(["down"] * (target - (options.highlighted or 0))))
        assert options.highlighted == target
        await pilot.press("enter")
        await _settle(app, pilot)
        detail = desk.ticket(created.ticket.id)
        assert detail.ticket.status == "pending"
        assert detail.sla.clocks["first_response"].state == "paused"
        assert "paused" in str(app.screen.query_one("#ticket-clocks").render())
