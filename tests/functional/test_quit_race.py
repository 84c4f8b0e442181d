"""Quitting is final: a key typed right after `q` (say `s`) opens nothing."""

from __future__ import annotations

from tui_desk.tui.screens.pickers import PickerScreen


async def test_a_key_typed_after_quit_opens_nothing(make_app) -> None:  # noqa: ANN001
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        app.exit()
        app.push_screen(PickerScreen("Set status", ["open", "pending"]))
    assert app.return_code == 0
