"""Snapshots of the key screens at 120×40 and 80×24 (frozen clock, fixed demo data, UTC).

Update after an intended change with: pytest tests/functional/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

SIZES = [(120, 40), (80, 24)]


async def _settle(pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_queue_screen(snap_compare, make_app, size) -> None:  # noqa: ANN001
    assert snap_compare(make_app(), terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ticket_screen(snap_compare, make_app, size) -> None:  # noqa: ANN001
    app = make_app()
    busy = max(app.desk.queue(limit=50), key=lambda t: t.version).id

    async def open_busy_ticket(pilot) -> None:  # noqa: ANN001
        await _settle(pilot)
        pilot.app.open_ticket(busy)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_busy_ticket)
