"""A whole shift at the keyboard (SPEC §8): filter, open, reply + pending, advance, note,
bulk-assign, search by customer, and a key remapped through the policy's [keys] table."""

from __future__ import annotations

from textual.widgets import DataTable, Input, OptionList, TextArea

from tui_desk.core.policy_load import default_policy_text, parse_policy_text
from tui_desk.services import HelpDesk, QueueFilter
from tui_desk.tui.app import DeskApp
from tui_desk.tui.screens.composer import ComposerScreen
from tui_desk.tui.screens.pickers import PickerScreen
from tui_desk.tui.screens.queue import QueueScreen
from tui_desk.tui.screens.ticket import TicketScreen

from .conftest import DEMO_NOW


async def _settle(app, pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def _pick(pilot, screen: PickerScreen, value: str) -> None:  # noqa: ANN001
    await pilot.pause()  # the picker highlights the current value when it mounts
    options = screen.query_one(OptionList)
    current = options.highlighted or 0
    index = screen.options.index(value)
    keys = ["down"] * (index - current) if index >= current else ["up"] * (current - index)
    await pilot.press(*keys)
    assert options.highlighted == index
    await pilot.press("enter")


async def test_a_shift_at_the_keyboard(make_app) -> None:  # noqa: ANN001
    app: DeskApp = make_app()
    desk = app.desk
    async with app.run_test(size=(140, 40)) as pilot:
        await _settle(app, pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)

        # Filter by tag.
        await pilot.press("slash")
        await pilot.press(*"tag:billing")
        await pilot.press("enter")
        await _settle(app, pilot)
        assert queue.rows and all("billing" in r.tags for r in queue.rows)
        billing_ids = [r.id for r in queue.rows]

        # Open the first, reply and set pending in one action.
        await pilot.press("enter")
        await _settle(app, pilot)
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        first_id = ticket.ticket_id
        await pilot.press("r")
        await pilot.pause()
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        composer.query_one(TextArea).text = "We refunded the charge. [b]Thanks[/b]!"
        composer.query_one("#composer-status").value = "pending"
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        replied = desk.ticket(first_id)
        assert replied.ticket.status == "pending"
        assert [e.kind for e in replied.events][-2:] == ["reply", "status"]
        assert replied.events[-2].body == "We refunded the charge. [b]Thanks[/b]!"

        # Act-then-advance: the next ticket of the view is open now.
        if len(billing_ids) > 1:
            assert isinstance(app.screen, TicketScreen)
            assert app.screen.ticket_id == billing_ids[1]

        # Add a note to it.
        current = app.screen.ticket_id
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(TextArea).text = "Customer called; waiting on finance."
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert desk.ticket(current).events[-1].kind == "note"

        # Back to the queue, clear the filter, bulk-assign three tickets to ben.
        await pilot.press("escape")
        await _settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        queue.apply_filter("assignee:none")
        await _settle(app, pilot)
        targets = [r.id for r in queue.rows[:3]]
        assert len(targets) == 3
        await pilot.press("g", "space", "space", "space")
        assert queue.marked == set(targets)
        await pilot.press("a")
        await pilot.pause()
        await _pick(pilot, app.screen, "ben")
        await _settle(app, pilot)
        assert all(desk.ticket(i).ticket.assignee == "ben" for i in targets)
        assert queue.marked == set()

        # Search by customer.
        await pilot.press("slash")
        filter_box = queue.query_one("#filter", Input)
        filter_box.value = "customer:globex"
        await pilot.press("enter")
        await _settle(app, pilot)
        assert queue.rows and {r.customer for r in queue.rows} == {"Globex"}
        expected = desk.queue_count(QueueFilter(customers=("globex",)))
        assert queue.total == expected


async def test_a_bad_filter_is_explained_and_keeps_the_text(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await _settle(app, pilot)
        queue = app.screen
        await pilot.press("slash")
        await pilot.press(*"stauts:open")
        await pilot.press("enter")
        await _settle(app, pilot)
        box = queue.query_one("#filter", Input)
        assert box.display and box.value == "stauts:open"
        error = str(queue.query_one("#queue-error").render())
        assert "did you mean status:?" in error


async def test_a_key_remapped_in_the_policy_opens_the_composer(demo_desk: HelpDesk) -> None:
    text = default_policy_text().replace('reply = "r"', 'reply = "R"')
    policy = parse_policy_text(text, "remapped.toml")
    demo_desk.policy = policy
    app = DeskApp(demo_desk, operator="ana", clock=lambda: DEMO_NOW, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, ComposerScreen)
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ComposerScreen)


async def test_a_conflicting_change_shows_the_error_and_keeps_the_draft(make_app) -> None:  # noqa: ANN001
    app = make_app()
    desk = app.desk
    target = desk.queue(limit=1)[0].id
    app.advance = False
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_ticket(target)
        await _settle(app, pilot)
        desk.note(target, "someone else was faster", author="ben")  # another operator
        await pilot.press("r")
        await pilot.pause()
        app.screen.query_one(TextArea).text = "my careful answer"
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert [e.body for e in desk.ticket(target).events].count("my careful answer") == 0
        await pilot.press("r")
        await pilot.pause()
        assert app.screen.query_one(TextArea).text == "my careful answer"


async def test_number_keys_and_palette_go_to_a_ticket(make_app) -> None:  # noqa: ANN001
    app = make_app()
    target = app.desk.queue(limit=3)[2].id
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*f"#{target}")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == target
        await pilot.press("1")
        await _settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("2")
        await _settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == target


async def test_views_show_counts_and_switch_with_tab(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await _settle(app, pilot)
        queue = app.screen
        tabs = str(queue.query_one("#view-pending").label)
        pending = app.desk.queue_count(QueueFilter(categories=("paused",)))
        assert tabs == f"Pending {pending}"
        for _ in range(5):
            await pilot.press("tab")
        await _settle(app, pilot)
        assert queue.view == "pending"
        assert {r.status_category for r in queue.rows} == {"paused"}
        table = queue.query_one(DataTable)
        assert table.row_count == min(pending, queue.page_size)


async def test_the_queue_pages_from_sql_as_the_cursor_nears_the_end(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(120, 24)) as pilot:
        await _settle(app, pilot)
        queue = app.screen
        queue.show_view("solved")
        await _settle(app, pilot)
        assert queue.total > queue.page_size, "the demo needs more solved tickets than a page"
        assert len(queue.rows) == queue.page_size
        queue.query_one(DataTable).move_cursor(row=len(queue.rows) - 1)
        await _settle(app, pilot)
        assert len(queue.rows) == min(queue.total, 2 * queue.page_size)
        status = str(queue.query_one("#queue-status").render())
        assert f"of {queue.total}" in status


async def test_another_operators_reply_appears_on_an_open_ticket(demo_desk: HelpDesk) -> None:
    app = DeskApp(demo_desk, operator="ana", clock=lambda: DEMO_NOW, live=True)
    target = demo_desk.queue(limit=1)[0].id
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_ticket(target)
        await _settle(app, pilot)
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        before = len(ticket.query(".message"))
        await pilot.pause(2.3)  # the watcher has taken its first look
        demo_desk.reply(target, "Answered from another terminal", author="ben")
        for _ in range(100):  # the watcher looks every 2 s; allow for a slow machine
            await pilot.pause(0.1)
            if len(ticket.query(".message")) > before:
                break
        assert len(ticket.query(".message")) == before + 1
