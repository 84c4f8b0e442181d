"""Runs the escalation pass while the TUI is open (SPEC §5, §8): once at start (catching up on
what happened while it was closed) and then every `INTERVAL` seconds, in a thread worker;
a new escalation shows a notification and rings the terminal bell once.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from tui_desk.services import PassReport, ReachedLevel, run_escalation_pass

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

INTERVAL = 30.0  # seconds between passes; well inside the pass's catch-up window
FIRST_PASS_DELAY = 1.0  # seconds after the app starts
_SHOWN = 3  # escalations named in one notification


def start_escalation_watch(app: App[Any], interval: float = INTERVAL) -> Timer:
    """Run the pass shortly after start and then every `interval` seconds; returns the timer.

    `app` must have `desk` (a HelpDesk) and `now()` (the app's clock), like `DeskApp`.
    Passes never overlap: a pass still running when the timer fires is left to finish.
    """

    running = threading.Lock()

    def work() -> None:
        try:
            _pass(app)
        finally:
            running.release()

    def run_pass() -> None:
        if running.acquire(blocking=False):
            try:
                app.run_worker(work, thread=True, group="escalation-watch", exit_on_error=False)
            except Exception:
                running.release()
                raise

    # The first pass waits a moment so that it does not compete with the first paint.
    app.set_timer(FIRST_PASS_DELAY, run_pass, name="escalation-catch-up")
    return app.set_interval(interval, run_pass, name="escalation-watch")


def _pass(app: App[Any]) -> None:
    """The worker: the pass itself never raises for notification trouble; anything else
    (the store is locked for longer than its busy timeout…) is shown and retried later."""
    try:
        report = run_escalation_pass(app.desk, app.now())  # type: ignore[attr-defined]
    except Exception as exc:  # a background task must not take the app down
        app.call_from_thread(
            app.notify,
            f"Escalation check failed: {exc}",
            title="Escalations",
            severity="error",
            markup=False,
        )
        return
    if report.reached or report.warnings:
        app.call_from_thread(announce, app, report)


def announce(app: App[Any], report: PassReport) -> None:
    """One notification for the new escalations (and one per warning), one bell."""
    if report.reached:
        app.notify(
            _describe(report.reached),
            title=_title(report),
            severity="warning",
            timeout=10,
            markup=False,
        )
        app.bell()
    for warning in report.warnings:
        app.notify(warning, title="Escalations", severity="error", timeout=15, markup=False)


def _title(report: PassReport) -> str:
    count = len(report.reached)
    if report.summary:
        return f"{count} escalations while tui-desk was closed"
    return "New escalation" if count == 1 else f"{count} new escalations"


def _describe(reached: tuple[ReachedLevel, ...]) -> str:
    """`#12 manager (resolution): Printer on fire`, a few of them, then how many more."""
    newest = sorted(reached, key=lambda r: (-r.level, r.at))
    lines = [
        f"#{r.ticket_id} {r.name} ({(r.clock or 'sla').replace('_', ' ')}): {r.subject}"
        for r in newest[:_SHOWN]
    ]
    if len(newest) > _SHOWN:
        lines.append(f"… and {len(newest) - _SHOWN} more (press 3)")
    return "\n".join(lines)


__all__ = ["INTERVAL", "announce", "start_escalation_watch"]
