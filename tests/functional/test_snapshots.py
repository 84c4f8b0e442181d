"""Snapshots of every screen at 120×40 and 80×24, on the small fixed desk (its own policy,
a frozen clock, UTC), so that they move only when a screen does.

Update after an intended change with: pytest tests/functional/test_snapshots.py --snapshot-update
and look at the SVGs under __snapshots__.
"""

from __future__ import annotations

import pytest

SIZES = [(120, 40), (80, 24)]
sizes = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


async def _settle(pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _pressing(*keys: str):  # noqa: ANN202
    async def run_before(pilot) -> None:  # noqa: ANN001
        await _settle(pilot)
        for key in keys:
            await pilot.press(key)
            await _settle(pilot)

    return run_before


@sizes
def test_queue_screen(snap_compare, make_small_app, size) -> None:  # noqa: ANN001
    assert snap_compare(make_small_app(), terminal_size=size, run_before=_pressing())


@sizes
def test_ticket_screen(snap_compare, make_small_app, size) -> None:  # noqa: ANN001
    app = make_small_app()

    async def open_first_ticket(pilot) -> None:  # noqa: ANN001
        await _settle(pilot)
        pilot.app.open_ticket(1)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_first_ticket)


@sizes
def test_escalations_screen(snap_compare, make_small_app, size) -> None:  # noqa: ANN001
    assert snap_compare(make_small_app(), terminal_size=size, run_before=_pressing("3"))


@sizes
def test_quotas_screen(snap_compare, make_small_app, size) -> None:  # noqa: ANN001
    assert snap_compare(make_small_app(), terminal_size=size, run_before=_pressing("4"))


@sizes
def test_help_screen(snap_compare, make_small_app, size) -> None:  # noqa: ANN001
    assert snap_compare(make_small_app(), terminal_size=size, run_before=_pressing("question_mark"))
