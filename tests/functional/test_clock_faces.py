"""One countdown text for a clock on every face (SPEC §3.5): the CLI's queue, `ticket show`
and `escalations`, the TUI's queue rows and escalation view; and merging from the status
picker (SPEC §4.2)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from tui_desk.cli import main
from tui_desk.core.durations import COUNTDOWN_UNIT
from tui_desk.services import HelpDesk, escalation_overview
from tui_desk.tui.app import DeskApp
from tui_desk.tui.screens.escalations import EscalationsScreen
from tui_desk.tui.screens.prompt import PromptScreen
from tui_desk.tui.screens.queue import CLOCK_COLUMNS, QueueScreen
from tui_desk.tui.screens.ticket import TicketScreen

from .conftest import DEMO_NOW
from .test_shift import _pick, _settle


@pytest.fixture
def cli(demo_desk: HelpDesk, capsys: pytest.CaptureFixture[str]):
    """`tui-desk --now DEMO_NOW ARGS` on the demo store; returns its output lines."""
    database = demo_desk.engine.url.database or ""

    def _run(*args: str) -> list[str]:
        assert main(["--db", database, "--now", DEMO_NOW.isoformat(), *args]) == 0
        return capsys.readouterr().out.splitlines()

    return _run


def _line(lines: list[str], ticket_id: int, *, with_word: str | None = None) -> str:
    """The one line naming ticket `ticket_id` (and `with_word`, if given)."""
    (found,) = [
        line
        for line in lines
        if f"#{ticket_id}" in line.split() and (with_word is None or with_word in line.split())
    ]
    return found


async def test_every_face_prints_the_same_countdown_for_a_clock(
    make_app, demo_desk: HelpDesk, cli
) -> None:  # noqa: ANN001
    # The command line first: a running app holds the standard output.
    queue_lines = cli("queue")
    escalation_lines = cli("escalations")
    show = {t.id: cli("ticket", "show", str(t.id)) for t in demo_desk.queue()}
    app: DeskApp = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await _settle(app, pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        table = queue.query_one(DataTable)
        shown = [row.id for row in queue.rows]
        assert len(shown) >= 20
        multi_day = 0
        for ticket_id in shown:
            sla = demo_desk.ticket(ticket_id).sla
            show_lines = show[ticket_id]
            for name in CLOCK_COLUMNS:
                text = sla.clocks[name].countdown
                assert table.get_cell(str(ticket_id), name).plain == text
                if sla.clocks[name].state != "none":
                    (clock_line,) = [x for x in show_lines if x.split()[0:1] == [name]]
                    assert clock_line.endswith(f" {text}")
                multi_day += "d " in text
            leading = sla.leading_clock
            if leading is not None:
                assert f" {sla.clocks[leading].countdown} " in _line(queue_lines, ticket_id)
        assert multi_day  # days of the calendar's working length appear somewhere

        await pilot.press("3")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        escalated_table = screen.query_one("#escalated-table", DataTable)
        overview = escalation_overview(demo_desk, DEMO_NOW)
        assert overview.escalated
        for row in overview.escalated:
            assert row.clock is not None
            text = demo_desk.ticket(row.ticket_id).sla.clocks[row.clock].countdown
            assert row.countdown == text
            assert escalated_table.get_cell(f"t{row.ticket_id}", "overdue").plain == text
            assert f" {text}  since " in _line(escalation_lines, row.ticket_id, with_word="since")


async def test_choosing_merged_in_the_status_picker_asks_for_the_target(
    make_app, demo_desk: HelpDesk
) -> None:  # noqa: ANN001
    app: DeskApp = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await _settle(app, pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        source, target = queue.rows[0].id, queue.rows[1].id
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == source
        await pilot.press("s")
        await _pick(pilot, app.screen, "merged")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        assert f"#{source}" in prompt.title_text
        prompt.query_one(Input).value = f"#{target}"
        await pilot.press("enter")
        await _settle(app, pilot)
    merged = demo_desk.ticket(source)
    assert merged.ticket.status == "merged"
    assert [e.kind for e in merged.events][-2:] == ["merge", "status"]
    copy = [e for e in demo_desk.ticket(target).events if e.kind == "merge"]
    assert [e.data["from"] for e in copy] == [source]


async def test_the_help_and_the_command_line_help_name_the_countdown_unit(
    make_app, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: ANN001
    for command in (["queue"], ["escalations"], ["ticket", "show"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        assert "1d is that calendar's working day" in " ".join(capsys.readouterr().out.split())
    app: DeskApp = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        texts = [str(widget.render()) for widget in app.screen.query(Static)]
        assert COUNTDOWN_UNIT in texts
