"""Live policy reload (SPEC §2): a valid change applies at once and every open ticket's
clocks are recomputed; an invalid one keeps the last valid policy and shows the errors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_desk.tui.app import DeskApp

POLL_SECONDS = 2.0


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime, info.st_size


def watch_policy(app: DeskApp) -> None:
    """Poll the policy file's modification time; reload in a worker when it changes."""
    locations = app.locations
    if locations is None or not locations.policy_exists:
        return
    path = locations.policy
    last = {"stamp": _stamp(path)}

    def check() -> None:
        stamp = _stamp(path)
        if stamp is not None and stamp != last["stamp"]:
            last["stamp"] = stamp
            _reload(app, path)

    app.set_interval(POLL_SECONDS, check)


def _reload(app: DeskApp, path: Path) -> None:
    app.run_worker(lambda: _apply(app, path), thread=True, exclusive=True, group="policy-reload")


def _apply(app: DeskApp, path: Path) -> None:
    from tui_desk.core.policy_load import PolicyError, load_policy

    try:
        policy = load_policy(path)
    except PolicyError as exc:
        message = "\n".join(str(p) for p in exc.problems[:6])
        more = len(exc.problems) - 6
        if more > 0:
            message += f"\n… and {more} more (tui-desk policy check)"
        app.call_from_thread(
            app.notify,
            message,
            title="Policy not applied: keeping the last valid one",
            severity="error",
            timeout=15,
        )
        return
    app.set_policy(policy)
    count = app.desk.recompute_all()
    app.call_from_thread(_applied, app, count)


def _applied(app: DeskApp, count: int) -> None:
    app.apply_keymap()
    app.notify(f"Policy reloaded; clocks of {count} open tickets recomputed.")
    queue = app.queue_screen()
    if queue is not None:
        queue.reload()
