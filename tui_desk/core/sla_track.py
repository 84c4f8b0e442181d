"""One clock's accrual in working positions of its calendar: the active runs clipped to
the clock's window and the open-ended tail, from which elapsed time and due instants are
read. Internal to the SLA computation (`core.sla`)."""

from __future__ import annotations

from tui_desk.core.calendar import WorkingCalendar
from tui_desk.core.sla_timeline import Timeline


class Track:
    """The working time one clock accrued: closed active runs, then an open-ended tail.

    The tail starts where time would keep counting if nothing changed: the start of the
    current active run (running clocks), now (paused ones) or the stop (stopped ones). It
    is what lets a paused or met clock show the deadline it would have.
    """

    __slots__ = (
        "calendar",
        "runs",
        "tail_us",
        "tail_pos",
        "running",
        "start_us",
        "stop_us",
        "since_us",
        "manual_due_us",
    )

    def __init__(
        self,
        calendar: WorkingCalendar,
        runs: list[tuple[int, int]],
        tail_us: int,
        running: bool,
        start_us: int,
        stop_us: int | None,
        since_us: int,
    ) -> None:
        position = calendar.position
        self.calendar = calendar
        self.runs = [(start, end, position(start), position(end)) for start, end in runs]
        self.tail_us = tail_us
        self.tail_pos = position(tail_us)
        self.running = running
        self.start_us = start_us
        self.stop_us = stop_us
        self.since_us = since_us
        self.manual_due_us: int | None = None  # set when a manual due rules the clock

    def elapsed_at(self, moment_us: int) -> int:
        """Working µs accrued by `moment_us` (the tail counts for instants after it)."""
        accrued = 0
        for start, end, start_pos, end_pos in self.runs:
            if moment_us <= start:
                return accrued
            if moment_us < end:
                return accrued + self.calendar.position(moment_us) - start_pos
            accrued += end_pos - start_pos
        if moment_us <= self.tail_us:
            return accrued
        return accrued + self.calendar.position(moment_us) - self.tail_pos

    def instant_at_elapsed(self, amount_us: int) -> int:
        """The earliest instant at which the clock has accrued `amount_us` of working time."""
        if amount_us <= 0:
            return self.start_us
        accrued = 0
        for _start, _end, start_pos, end_pos in self.runs:
            if amount_us <= accrued + end_pos - start_pos:
                return self.calendar.instant_at(start_pos + amount_us - accrued)
            accrued += end_pos - start_pos
        return self.calendar.instant_at(self.tail_pos + amount_us - accrued)


def clip_track(
    calendar: WorkingCalendar,
    timeline: Timeline,
    start_us: int,
    stop_us: int | None,
    since_us: int,
) -> Track:
    """Clip the ticket's active periods to one clock's [start, stop or now] window."""
    end_us = stop_us if stop_us is not None else timeline.now_us
    runs = [
        (max(run_start, start_us), min(run_end, end_us))
        for run_start, run_end in timeline.active_runs
        if run_end > start_us and run_start < end_us
    ]
    active_since = timeline.active_since
    running = stop_us is None and active_since is not None
    if running:
        assert active_since is not None
        tail_us = max(active_since, start_us)
    else:
        if active_since is not None and active_since < end_us:
            runs.append((max(active_since, start_us), end_us))
        tail_us = end_us
    return Track(calendar, runs, tail_us, running, start_us, stop_us, since_us)
