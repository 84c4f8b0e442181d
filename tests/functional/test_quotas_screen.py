"""The Plans & quotas screen as a user drives it (SPEC §4.4, §8), on the fixed demo store."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui_desk.services import quota_overview
from tui_desk.tui.screens.quotas import QuotasScreen


async def _settle(app, pilot) -> None:  # noqa: ANN001
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _open(app, pilot) -> QuotasScreen:  # noqa: ANN001
    await _settle(app, pilot)
    screen = QuotasScreen()
    await app.push_screen(screen)
    await _settle(app, pilot)
    return screen


def _cell(table: DataTable, row: int, column: str) -> Text:
    value = table.get_row_at(row)[table.shown_columns.index(column)]
    assert isinstance(value, Text)
    return value


async def test_one_row_per_contract_with_bars_and_level_colours(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(180, 40)) as pilot:
        screen = await _open(app, pilot)
        table = screen.query_one(DataTable)
        expected = quota_overview(app.desk, app.now())
        assert table.row_count == len(expected) >= 5
        by_customer = {(q.customer, q.product): index for index, q in enumerate(screen.rows)}
        globex = by_customer[("Globex", None)]
        used = _cell(table, globex, "used")
        assert "█" in used.plain and "/20" in used.plain
        assert "yellow" in str(used.style)  # ≥ 80 %: the demo's near-limit customer
        over = _cell(table, by_customer[("Initech", None)], "used")
        assert "red" in str(over.style)  # over its quota
        expired = by_customer[("Wayne Enterprises", None)]
        assert str(_cell(table, expired, "customer").style) == "dim"
        assert _cell(table, expired, "expiry").plain.startswith("expired")
        # Two product contracts of one customer are two rows.
        assert ("Acme Corp", None) in by_customer and ("Acme Corp", "securevault") in by_customer


async def test_default_order_puts_the_fullest_first_and_expired_last(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(180, 40)) as pilot:
        screen = await _open(app, pilot)
        shares = [q.share or 0.0 for q in screen.rows if q.level != "expired"]
        assert shares == sorted(shares, reverse=True)
        assert screen.rows[-1].level == "expired"


async def test_o_sorts_by_the_next_column_and_O_reverses(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(180, 40)) as pilot:
        screen = await _open(app, pilot)
        assert screen.sort_column == "used"
        await pilot.press("o")  # the next column: Left
        assert screen.sort_column == "remaining"
        lefts = [q.remaining for q in screen.rows if q.remaining is not None]
        assert lefts == sorted(lefts)
        await pilot.press("O")
        lefts = [q.remaining for q in screen.rows if q.remaining is not None]
        assert lefts == sorted(lefts, reverse=True)
        label = str(screen.query_one(DataTable).columns[_key(screen, "remaining")].label)
        assert label.endswith("▼")


def _key(screen: QuotasScreen, column: str):  # noqa: ANN202
    table = screen.query_one(DataTable)
    return next(key for key in table.columns if key.value == column)


async def test_clicking_a_header_sorts_by_that_column(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(180, 40)) as pilot:
        screen = await _open(app, pilot)
        table = screen.query_one(DataTable)
        table.post_message(DataTable.HeaderSelected(table, _key(screen, "customer"), 0, Text("")))
        await _settle(app, pilot)
        names = [q.customer.casefold() for q in screen.rows]
        assert screen.sort_column == "customer" and names == sorted(names)
        table.post_message(DataTable.HeaderSelected(table, _key(screen, "customer"), 0, Text("")))
        await _settle(app, pilot)
        assert [q.customer.casefold() for q in screen.rows] == sorted(names, reverse=True)


async def test_enter_opens_that_customers_tickets_in_the_queue(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(180, 40)) as pilot:
        shown: list[str] = []
        app.show_customer_queue = shown.append  # the app's own is tested with the queue
        screen = await _open(app, pilot)
        target = next(i for i, q in enumerate(screen.rows) if q.customer == "Globex")
        screen.query_one(DataTable).move_cursor(row=target)
        await pilot.press("enter")
        await pilot.pause()
        assert shown == ["Globex"]


async def test_a_new_ticket_updates_the_panel(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(180, 40)) as pilot:
        screen = await _open(app, pilot)
        before = next(q for q in screen.rows if q.customer == "Globex" and q.product is None)
        app.desk.create_ticket("bo@globex.example", "Another question")
        screen.check_for_changes()  # what the 2 s timer does when the app is live
        await _settle(app, pilot)
        after = next(q for q in screen.rows if q.customer == "Globex" and q.product is None)
        assert after.used == before.used + 1


async def test_customer_names_are_not_markup(make_app) -> None:  # noqa: ANN001
    app = make_app()
    desk = app.desk
    desk.add_customer("[b]Bold[/b] Ltd", domains=["bold.example"])
    desk.add_contract("[b]Bold[/b] Ltd", "basic", "2026-01-01")
    async with app.run_test(size=(180, 40)) as pilot:
        screen = await _open(app, pilot)
        table = screen.query_one(DataTable)
        row = next(i for i, q in enumerate(screen.rows) if q.customer.startswith("[b]"))
        assert _cell(table, row, "customer").plain == "[b]Bold[/b] Ltd"


async def test_help_lists_the_sort_keys(make_app) -> None:  # noqa: ANN001
    from tui_desk.tui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(180, 40)) as pilot:
        await _open(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {ident for _, rows in app.screen.groups() for _, _, ident, _ in rows}
        assert {"sort", "sort_reverse", "open"} <= ids
