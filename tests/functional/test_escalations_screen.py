"""The Escalations screen as an operator drives it (SPEC §5, §8): what is on fire, highest
level first; `e` acknowledges and the header's count drops; enter opens; `a` assigns; a new
escalation while the app is open notifies and rings the bell once."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, OptionList

from tests.functional.conftest import DEMO_NOW
from tui_desk.services import escalation_overview
from tui_desk.tui.escalation_watch import FIRST_PASS_DELAY, start_escalation_watch
from tui_desk.tui.screens.escalations import EscalationsScreen
from tui_desk.tui.screens.pickers import PickerScreen
from tui_desk.tui.screens.ticket import TicketScreen


async def _settle(app, pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def _open_escalations(app, pilot) -> EscalationsScreen:  # noqa: ANN001
    await _settle(app, pilot)
    screen = EscalationsScreen()
    app.push_screen(screen)
    await _settle(app, pilot)
    return screen


def _ticket_keys(table: DataTable) -> list[str]:  # type: ignore[type-arg]
    keys = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]
    return [key for key in keys if key and key[0] in "tu" and key[1:].isdigit()]


def _put_cursor_on(table: DataTable, key: str) -> None:  # type: ignore[type-arg]
    table.move_cursor(row=table.get_row_index(key))


async def test_escalated_tickets_are_listed_highest_level_first_then_longest_overdue(
    make_app,  # noqa: ANN001
) -> None:
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open_escalations(app, pilot)
        expected = escalation_overview(app.desk, DEMO_NOW)
        assert expected.escalated, "the demo has escalated tickets"
        table = screen.query_one("#escalated-table", DataTable)
        assert _ticket_keys(table) == [f"t{row.ticket_id}" for row in expected.escalated]
        levels = [row.level for row in expected.escalated]
        assert levels == sorted(levels, reverse=True)
        for level in set(levels):
            overdue = [r.overdue_seconds or 0 for r in expected.escalated if r.level == level]
            assert overdue == sorted(overdue, reverse=True)
        headings = [
            table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)
        ]
        assert [h for h in headings if h.startswith("level-")] == [
            f"level-{level}" for level in sorted(set(levels), reverse=True)
        ]


async def test_the_demo_has_every_level_acknowledged_and_not(make_app) -> None:  # noqa: ANN001
    app = make_app()
    overview = escalation_overview(app.desk, DEMO_NOW)
    assert {row.level for row in overview.escalated} == {1, 2, 3}
    assert {row.acknowledged for row in overview.escalated} == {True, False}


async def test_e_acknowledges_and_the_unacknowledged_count_in_the_header_drops(
    make_app,  # noqa: ANN001
) -> None:
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open_escalations(app, pilot)
        before = screen.overview.unacknowledged
        assert f"{before} unacknowledged" in str(screen.query_one("#title-bar").render())
        target = next(row for row in screen.overview.escalated if not row.acknowledged)
        _put_cursor_on(screen.query_one("#escalated-table", DataTable), f"t{target.ticket_id}")
        await pilot.press("e")
        await _settle(app, pilot)
        assert screen.overview.unacknowledged == before - 1
        assert f"{before - 1} unacknowledged" in str(screen.query_one("#title-bar").render())
        row = next(r for r in screen.overview.escalated if r.ticket_id == target.ticket_id)
        assert row.acknowledged and row.acknowledged_by == "ana"


async def test_enter_opens_the_ticket_under_the_cursor(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open_escalations(app, pilot)
        target = screen.overview.escalated[-1].ticket_id
        _put_cursor_on(screen.query_one("#escalated-table", DataTable), f"t{target}")
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == target


async def test_a_assigns_the_ticket_through_the_operator_picker(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open_escalations(app, pilot)
        target = next(row for row in screen.overview.escalated if row.assignee != "ben")
        _put_cursor_on(screen.query_one("#escalated-table", DataTable), f"t{target.ticket_id}")
        await pilot.press("a")
        await _settle(app, pilot)
        assert isinstance(app.screen, PickerScreen)
        options = app.screen.query_one(OptionList)
        await pilot.pause()  # let the picker finish mounting (it highlights the current one)
        options.highlighted = app.screen.options.index("ben")
        await pilot.pause()
        assert options.highlighted == app.screen.options.index("ben")
        await pilot.press("enter")
        await _settle(app, pilot)
        assert app.screen is screen
        assert app.desk.ticket(target.ticket_id).ticket.assignee == "ben"
        row = next(r for r in screen.overview.escalated if r.ticket_id == target.ticket_id)
        assert row.assignee == "ben"


async def test_about_to_escalate_is_grouped_by_next_working_hour_today_tomorrow(
    make_app,  # noqa: ANN001
) -> None:
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open_escalations(app, pilot)
        upcoming = screen.overview.upcoming
        assert upcoming, "the demo has tickets about to escalate"
        table = screen.query_one("#upcoming-table", DataTable)
        keys = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]
        headings = [key for key in keys if key.startswith("w-")]
        order = ["w-next_hour", "w-today", "w-tomorrow"]
        assert headings == [h for h in order if h in headings]
        for row in upcoming:
            assert row.at > DEMO_NOW and row.level > row.current_level
            assert row.window != "next_hour" or row.working_seconds <= 3600


async def test_a_new_escalation_while_open_notifies_and_rings_the_bell_once(
    make_app,  # noqa: ANN001
) -> None:
    app = make_app()
    desk = app.desk
    # Opened 3 h ago, urgent: its first response (premium 15m, office 30m) is long breached.
    created = desk.create_ticket(
        "bo@globex.example",
        "[b]Everything[/b] is down",
        priority="urgent",
        at=(DEMO_NOW - timedelta(hours=3)).isoformat(),
    )
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(140, 40)) as pilot:
        await _settle(app, pilot)
        start_escalation_watch(app, interval=3600)
        await pilot.pause(FIRST_PASS_DELAY + 0.3)
        await _settle(app, pilot)
        assert bells == [1]
        messages = [n.message for n in app._notifications]
        assert any(f"#{created.ticket.id}" in m and "[b]Everything[/b]" in m for m in messages)
        start_escalation_watch(app, interval=3600)  # nothing new: no second bell
        await pilot.pause(FIRST_PASS_DELAY + 0.3)
        await _settle(app, pilot)
        assert bells == [1]
