"""The running TUI watches its policy file (SPEC §2): valid changes apply live, invalid
ones keep the last valid policy and say why."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui_desk.core.policy_load import default_policy_text, parse_policy_text
from tui_desk.paths import Locations
from tui_desk.services import HelpDesk
from tui_desk.tui.app import DeskApp

from .conftest import DEMO_NOW


async def _wait_for(predicate, pilot, seconds: float = 8.0) -> bool:  # noqa: ANN001
    for _ in range(int(seconds / 0.1)):
        if predicate():
            return True
        await asyncio.sleep(0.1)
        await pilot.pause()
    return predicate()


async def test_a_valid_change_applies_live_and_an_invalid_one_is_refused(
    demo_desk: HelpDesk, tmp_path: Path
) -> None:
    path = tmp_path / "policy.toml"
    text = default_policy_text()
    path.write_text(text)
    demo_desk.policy = parse_policy_text(text, str(path))
    locations = Locations(path, "--policy", "unused", "--db", tmp_path / "log")
    app = DeskApp(demo_desk, operator="ana", clock=lambda: DEMO_NOW, locations=locations)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        path.write_text(text.replace('name = "Acme Support"', 'name = "Renamed Desk"'))
        assert await _wait_for(lambda: app.policy.desk.name == "Renamed Desk", pilot)
        assert await _wait_for(lambda: any("Policy reloaded" in n for n in notes), pilot)

        path.write_text(
            text.replace('timezone = "Europe/Berlin"', 'timezone = "Europe/Berlinn"', 1)
        )
        assert await _wait_for(lambda: any("desk.timezone" in n for n in notes), pilot)
        assert app.policy.desk.name == "Renamed Desk"  # the last valid policy stays
