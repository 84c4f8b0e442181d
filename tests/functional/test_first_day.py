"""A first day at the desk on small terminals (issue #11, "Screens"): who you are belongs to
the store, counts and times are never cut, the keys are listed desk-first and scroll, `G`
goes to the end at once, escalation groups read in order, what was just written shows,
columns fit their content, and filters and actions say what they did."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import DataTable, Input, TextArea

from tests.functional.small_desk import SMALL_NOW
from tui_desk.services import BadInput, HelpDesk, QueueFilter, escalation_overview
from tui_desk.services.query import apply_query
from tui_desk.tui import state
from tui_desk.tui.app import DeskApp
from tui_desk.tui.screens.escalations import EscalationsScreen
from tui_desk.tui.screens.help import HelpKeys, HelpScreen
from tui_desk.tui.screens.pickers import PickerScreen
from tui_desk.tui.screens.queue import count_text, tab_labels
from tui_desk.tui.screens.ticket import TicketScreen
from tui_desk.tui.widgets.table import DeskTable

from .conftest import DEMO_NOW


async def _settle(pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _column_fits(table: DeskTable, column: str) -> bool:
    """Every cell of `column` is shown whole (no ellipsis, nothing cut)."""
    width = table.columns[next(k for k in table.columns if k.value == column)].width
    return all(cell.cell_len <= width for cell in table.get_column(column))


def _notes(app: DeskApp) -> list[str]:
    """What the app has told the operator in toasts so far."""
    heard: list[str] = []
    notify = app.notify

    def spy(message: str, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        heard.append(str(message))
        notify(message, *args, **kwargs)

    app.notify = spy  # type: ignore[method-assign]
    return heard


# -- 14: who you are belongs to the store --------------------------------------------------


def test_the_operator_picked_on_one_store_is_not_offered_on_another(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    first.touch()
    settings = state.with_operator({}, state.store_key(str(first)), "ana")
    assert state.operator_for(settings, state.store_key(str(first))) == "ana"
    assert state.operator_for(settings, state.store_key(str(second))) is None


async def test_an_operator_the_store_does_not_have_is_never_used(small_desk: HelpDesk) -> None:
    small_desk.default_operator = None
    app = DeskApp(small_desk, operator="zoe", clock=lambda: SMALL_NOW, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        assert app.operator is None
        assert small_desk.default_operator is None
        assert isinstance(app.screen, PickerScreen)  # asked who you are instead
        assert app.screen.options == ["ana", "ben"]


def test_the_demo_opens_as_its_lead_operator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_desk import cli
    from tui_desk.tui import app as app_module

    opened: dict[str, object] = {}
    monkeypatch.setattr(app_module, "run_app", lambda *a, **kw: opened.update(kw) or 0)
    monkeypatch.setenv("TEXTUAL_DRIVER", "headless")  # no terminal needed: run_app is stubbed
    db = tmp_path / "demo.sqlite3"
    assert cli.main(["--db", str(db), "demo", "--tickets", "3"]) == 0
    assert opened["operator"] == "ana"


# -- 15: the tab strip never cuts a count ---------------------------------------------------


def test_tab_counts_are_never_cut_at_80_columns() -> None:
    counts = {"all": 85, "mine": 21, "unassigned": 20, "at_risk": 3, "breached": 46}
    counts |= {"pending": 12, "solved": 314}
    labels = tab_labels(counts, 80)
    assert sum(len(label) + 2 for label in labels.values()) <= 80
    assert labels["solved"].endswith(" 314")
    assert all(label.endswith(f" {counts[key]}") for key, label in labels.items())


def test_large_counts_are_abbreviated_truthfully() -> None:
    assert [count_text(n) for n in (314, 1000, 1250, 12_345, 999_999, 1_234_567)] == [
        "314",
        "1k",
        "1.2k",
        "12k",
        "999k",
        "1.2M",
    ]
    counts = dict.fromkeys(("all", "mine", "unassigned", "at_risk", "breached"), 91_234)
    counts |= {"pending": 12_001, "solved": 1_000_000}
    labels = tab_labels(counts, 80)
    assert sum(len(label) + 2 for label in labels.values()) <= 80
    assert labels["solved"].endswith(" 1M") and labels["all"].endswith(" 91k")


# -- 16: help lists the desk's keys first, grouped, and scrolls ------------------------------


async def test_help_lists_the_desks_keys_first_grouped_and_scrolls_with_j(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        groups = help_screen.groups()
        assert [title for title, _ in groups][:4] == ["Move", "Act", "Views and screens", "App"]
        assert [ident for _, _, ident, _ in groups[0][1]][:2] == ["down", "up"]
        assert all(ident for _, rows in groups[:-1] for _, _, ident, _ in rows)
        keys = help_screen.query_one(HelpKeys)
        assert keys.max_scroll_y > 0
        await pilot.press("j", "j", "j")
        await pilot.pause()
        assert keys.scroll_y == 3
        await pilot.press("pagedown")
        await pilot.pause()
        assert keys.scroll_y > 3


# -- 17: `G` reaches the last row in one press ----------------------------------------------


async def test_bottom_reaches_the_last_ticket_of_the_view_in_one_press(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        queue = app.screen
        queue.show_view("solved")
        await _settle(pilot)
        assert queue.total > queue.page_size + 5, "the demo needs more than a page of solved"
        view = app.desk.queue(queue.current_filter())
        await pilot.press("G")
        await _settle(pilot)
        table = queue.query_one(DataTable)
        assert queue.rows[table.cursor_row].id == view[-1].id
        assert f"{queue.total} of {queue.total}" in str(queue.query_one("#queue-status").render())
        assert len(queue.rows) < queue.total  # only what is needed was loaded
        last = table.get_row(str(view[-1].id))
        assert "…" not in [cell.plain for cell in last]

        # Moving up from there loads the page before, the cursor staying on its ticket.
        table.move_cursor(row=2)
        await _settle(pilot)
        assert queue.rows[table.cursor_row].id == view[queue.first + table.cursor_row].id
        assert [r.id for r in queue.rows] == [t.id for t in view[queue.first :]]
        await pilot.press("g")
        await _settle(pilot)
        assert queue.first == 0 and table.cursor_row == 0
        assert queue.rows[0].id == view[0].id


# -- 18: the escalation view's groups read in order; times fit; acknowledged shows -------


def test_about_to_escalate_groups_follow_the_desks_clock(small_desk: HelpDesk) -> None:
    overview = escalation_overview(small_desk, SMALL_NOW)
    order = ["next_hour", "today", "tomorrow"]
    windows = [row.window for row in overview.upcoming]
    assert windows == sorted(windows, key=order.index)
    assert {"next_hour", "today", "tomorrow"} <= set(windows)
    for row in overview.upcoming:
        if row.window == "next_hour":
            assert (row.at - SMALL_NOW).total_seconds() <= 3600


def test_a_night_away_is_not_the_next_hour(demo_desk: HelpDesk) -> None:
    """At 17:30 in Berlin an office-hours clock with 30 working minutes left escalates the
    next morning: that is tomorrow, not the next hour."""
    evening = DEMO_NOW.replace(hour=16, minute=30)
    overview = escalation_overview(demo_desk, evening)
    assert overview.upcoming, "the demo needs something about to escalate"
    for row in overview.upcoming:
        if row.window == "next_hour":
            assert (row.at - evening).total_seconds() <= 3600


async def test_escalations_at_80_columns_show_acknowledged_and_whole_times(
    make_small_app,  # noqa: ANN001
) -> None:
    app = make_small_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("3")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        escalated = screen.query_one("#escalated-table", DeskTable)
        upcoming = screen.query_one("#upcoming-table", DeskTable)
        assert "ack" in escalated.shown_columns
        for column in ("since", "overdue", "ack"):
            assert _column_fits(escalated, column), column
        assert _column_fits(upcoming, "at")
        await pilot.press("down")  # the unacknowledged L3 ticket
        await pilot.press("e")
        await _settle(pilot)
        cells = escalated.get_row("t4")
        assert cells[escalated.shown_columns.index("ack")].plain == "✓ ana"


# -- 19: what was just written shows ---------------------------------------------------------


async def test_a_note_sent_at_80x24_is_scrolled_into_view(make_small_app) -> None:  # noqa: ANN001
    app = make_small_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        app.open_ticket(1)
        await _settle(pilot)
        thread = app.screen.query_one("#thread")
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(TextArea).text = "Restarted the payment worker.\n" * 6
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert thread.max_scroll_y > 0
        assert thread.scroll_y == thread.max_scroll_y
        last = app.screen.query(".message").last()
        assert "Restarted the payment worker." in str(last.render())


# -- 20: columns sized from content and width; hints and errors that fit ----------------------


async def test_at_200_columns_names_are_whole_and_subjects_get_the_spare_width(
    make_small_app,  # noqa: ANN001
) -> None:
    app = make_small_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await _settle(pilot)
        table = app.screen.query_one(DataTable)
        for column in ("customer", "subject", "assignee", "status", "channel"):
            assert _column_fits(table, column), column


async def test_at_80_columns_no_countdown_is_cut(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        table = app.screen.query_one(DataTable)
        for column in ("first_response", "resolution", "priority", "id"):
            assert _column_fits(table, column), column
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= 80


async def test_the_composer_hint_is_whole_at_80_columns(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        hint = app.screen.query_one("#composer-hint")
        dialog = app.screen.query_one("#composer")
        text = "ctrl+s send · ctrl+e $EDITOR · esc cancel"
        assert dialog.content_region.contains_region(hint.region)
        assert hint.region.width >= len(text)
        assert text in str(hint.render())


async def test_a_long_filter_error_wraps_at_word_boundaries(make_small_app) -> None:  # noqa: ANN001
    app = make_small_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        queue = app.screen
        await pilot.press("slash")
        queue.query_one("#filter", Input).value = "priority:highest"
        await pilot.press("enter")
        await _settle(pilot)
        error = queue.query_one("#queue-error")
        message = str(error.render())
        assert "no priority 'highest'" in message and "one of: urgent, high, normal, low" in message
        lines = error.render_lines(error.region.reset_offset)
        shown = " ".join("".join(s.text for s in line).strip() for line in lines)
        assert error.region.height >= 2
        assert "one of: urgent, high, normal, low" in shown


# -- 21: unknown names are explained; empty views say why; actions say what they did ------


def test_a_filter_on_an_unknown_operator_suggests_the_closest(small_desk: HelpDesk) -> None:
    policy = small_desk.policy
    with pytest.raises(BadInput, match="no operator named 'bem' — did you mean assignee:ben"):
        apply_query(QueueFilter(), "assignee:bem", policy, "ana", small_desk)
    with pytest.raises(BadInput, match="no customer name contains 'nobody'"):
        apply_query(QueueFilter(), "customer:nobody", policy, "ana", small_desk)
    with pytest.raises(BadInput, match="no ticket has the tag 'vip'"):
        apply_query(QueueFilter(), "-tag:vip", policy, "ana", small_desk)
    known = apply_query(QueueFilter(), "assignee:ben customer:acme", policy, "ana", small_desk)
    assert known.assignees == ("ben",) and known.customers == ("acme",)


async def test_a_filter_on_an_unknown_operator_is_explained_in_the_queue(
    make_small_app,  # noqa: ANN001
) -> None:
    app = make_small_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        queue = app.screen
        await pilot.press("slash", *"assignee:bob", "enter")
        await _settle(pilot)
        assert queue.query_one("#filter", Input).display
        assert "no operator named 'bob'" in str(queue.query_one("#queue-error").render())
        assert queue.query_text == ""


async def test_an_empty_view_says_why(make_small_app) -> None:  # noqa: ANN001
    app = make_small_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        queue = app.screen
        queue.apply_filter("assignee:ben priority:urgent")
        await _settle(pilot)
        assert queue.rows == []
        empty = queue.query_one("#queue-empty")
        assert empty.display and not queue.query_one(DataTable).display
        said = str(empty.render())
        assert "No tickets in All open match assignee:ben priority:urgent" in said


async def test_act_then_advance_says_what_was_done_to_which_ticket(make_small_app) -> None:  # noqa: ANN001
    app = make_small_app()
    heard = _notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        queue = app.screen
        first, second = queue.rows[0].id, queue.rows[1].id
        await pilot.press("enter")
        await _settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        picker.query_one("#picker-options").highlighted = picker.options.index("pending")
        await pilot.press("enter")
        await _settle(pilot)
        assert app.screen.ticket_id == second
        assert f"#{first} status → pending — now on #{second}" in heard


# -- 22: the channel, shown and filtered ------------------------------------------------------


def test_the_filter_has_a_channel_key(small_desk: HelpDesk) -> None:
    flt = apply_query(QueueFilter(), "channel:phone", small_desk.policy, "ana", small_desk)
    rows = small_desk.queue(flt)
    assert rows and {row.channel for row in rows} == {"phone"}
    without = apply_query(QueueFilter(), "-channel:email", small_desk.policy, "ana", small_desk)
    assert "email" not in {row.channel for row in small_desk.queue(without)}
    with pytest.raises(BadInput, match="no ticket came in by 'fax'"):
        apply_query(QueueFilter(), "channel:fax", small_desk.policy, "ana", small_desk)


async def test_the_queue_shows_the_channel(make_small_app) -> None:  # noqa: ANN001
    app = make_small_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        table = app.screen.query_one(DataTable)
        assert "channel" in table.shown_columns
        channels = {cell.plain for cell in table.get_column("channel")}
        assert isinstance(next(iter(table.get_column("channel"))), Text)
        assert {"email", "phone", "chat", "web"} <= channels
