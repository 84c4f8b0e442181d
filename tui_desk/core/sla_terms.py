"""The policy as the SLA clocks read it, resolved once per Policy object: each SLA's
working calendar and targets in working µs, warn thresholds, and the category of every
status. Internal to the SLA computation (`core.sla`)."""

from __future__ import annotations

from dataclasses import dataclass

from tui_desk.core.calendar import US_PER_SECOND, WorkingCalendar
from tui_desk.core.policy import (
    CLOCKS,
    STATUS_CATEGORIES,
    CalendarSpec,
    Policy,
    SlaPolicy,
    StatusCategory,
)


@dataclass(frozen=True, slots=True)
class SlaTerms:
    """An SLA policy with its calendar and targets in working µs (None: no target)."""

    policy: SlaPolicy
    calendar: WorkingCalendar
    targets_us: dict[tuple[str, str], int | None]  # (priority, clock) -> µs
    warn_before_us: int | None
    warn_thresholds_us: dict[tuple[str, str], int]  # (priority, clock) -> of its target

    def target_us(self, priority: str, clock: str) -> int | None:
        return self.targets_us.get((priority, clock))

    def warn_threshold_us(self, window_us: int) -> int:
        """Working µs of a window (the target) after which a clock warns; `before` wins."""
        if self.warn_before_us is not None:
            return max(0, window_us - self.warn_before_us)
        fraction = self.policy.warn_at.fraction
        return window_us if fraction is None else round(window_us * fraction)


class SlaContext:
    """What `compute_sla` needs from a policy, looked up once per Policy object."""

    __slots__ = ("policy", "categories", "slas", "fallback")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.categories: dict[str, StatusCategory] = {
            status: category
            for category in STATUS_CATEGORIES
            for status in getattr(policy.statuses, category)
        }
        self.slas: dict[str, SlaTerms] = {}
        for name, sla in policy.sla.items():
            spec = policy.calendars.get(sla.calendar)
            if spec is not None:
                self.slas[name] = _sla_terms(sla, WorkingCalendar.for_spec(spec))
        default = self.slas.get(policy.desk.default_sla or "")
        self.fallback = default.calendar if default else elapsed_calendar(policy.desk.timezone)


def _sla_terms(sla: SlaPolicy, calendar: WorkingCalendar) -> SlaTerms:
    targets: dict[tuple[str, str], int | None] = {}
    for priority, per_clock in sla.targets.items():
        for clock in CLOCKS:
            target = per_clock.get(clock)
            targets[priority, clock] = (
                None if target is None else calendar.to_seconds(target) * US_PER_SECOND
            )
    before = sla.warn_at.before
    before_us = None if before is None else calendar.to_seconds(before) * US_PER_SECOND
    terms = SlaTerms(sla, calendar, targets, before_us, {})
    terms.warn_thresholds_us.update(
        (key, terms.warn_threshold_us(target_us))
        for key, target_us in targets.items()
        if target_us is not None
    )
    return terms


def elapsed_calendar(zone: str) -> WorkingCalendar:
    return WorkingCalendar.for_spec(CalendarSpec(name="elapsed", timezone=zone, always=True))


# Resolved contexts of recent policies, by identity (a Policy holds dicts: it has no hash).
# Kept for bench/sla_bench.py: building the context on every call takes `compute_sla` of a
# 50-ticket screen from 836 to 1,266 µs and `running_deadlines` from 6.0 to 15.6 µs per
# ticket (a store recompute), measured 2026-12-02.
_CONTEXTS: dict[int, SlaContext] = {}


def sla_context(policy: Policy) -> SlaContext:
    """The resolved context of a policy (a few recent policies are kept, by identity)."""
    context = _CONTEXTS.get(id(policy))
    if context is None or context.policy is not policy:
        if len(_CONTEXTS) >= 8:
            _CONTEXTS.clear()  # atomic, unlike evicting one entry while workers read
        context = _CONTEXTS[id(policy)] = SlaContext(policy)
    return context
