"""A view's "N of M" comes from the tabs' counts when they are current, else from SQL:
either way it is the number of tickets the view matches now."""

from __future__ import annotations

from tui_desk.services import HelpDesk
from tui_desk.tui.screens.queue import VIEWS, QueueScreen


async def _settle(app, pilot) -> None:  # noqa: ANN001
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_every_view_total_is_what_it_matches(make_app, demo_desk: HelpDesk) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen) and queue._counts is not None
        for round_ in range(2):
            for _ in VIEWS:
                await pilot.press("tab")
                await _settle(app, pilot)
                expected = demo_desk.queue_count(queue.view_filter(queue.view))
                assert queue.total == expected, (round_, queue.view)
            # Another process changes the data: the counts are stale until recounted.
            ticket = demo_desk.queue(limit=1)[0]
            demo_desk.set_fields(ticket.id, status="solved", expected_version=ticket.version)
