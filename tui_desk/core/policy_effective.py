"""The effective policy: the model written back as plain TOML data, every default filled in
and every value in its canonical spelling (SPEC §2). `tui-desk policy show` prints it, the
policy cache stores it, and its digest names the policy that the store's cached clocks were
computed under."""

from __future__ import annotations

from typing import Any

from tui_desk.core.durations import format_duration_spec
from tui_desk.core.policy import (
    CLOCKS,
    STATUS_CATEGORIES,
    WEEKDAYS,
    CalendarSpec,
    Plan,
    Policy,
    SlaPolicy,
)
from tui_desk.core.policy_values import (
    format_escalation_at,
    format_holiday,
    format_span,
    format_warn_at,
)
from tui_desk.core.text import format_size


def effective_form(policy: Policy) -> dict[str, Any]:
    """The effective policy of `policy` as a dict of TOML values."""
    desk = policy.desk
    desk_form: dict[str, Any] = {
        "name": desk.name,
        "timezone": desk.timezone,
        "week_starts": desk.week_starts,
        "repeat_window": format_duration_spec(desk.repeat_window),
        "max_body_size": format_size(desk.max_body_size),
    }
    if desk.default_sla is not None:
        desk_form["default_sla"] = desk.default_sla
    statuses = policy.statuses
    escalation: dict[str, Any] = {}
    if policy.escalation.notify_command is not None:
        escalation["notify_command"] = list(policy.escalation.notify_command)
    escalation["levels"] = [
        {
            "name": level.name,
            "at": format_escalation_at(level.at, level.after),
            "notify": list(level.notify),
            "set": _plain(level.set),
        }
        for level in policy.escalation.levels
    ]
    return {
        "desk": desk_form,
        "statuses": {
            **{category: list(getattr(statuses, category)) for category in STATUS_CATEGORIES},
            "initial": statuses.initial,
            "reopen_to": statuses.reopen_to,
        },
        "priorities": {
            "order": list(policy.priorities.order),
            "default": policy.priorities.default,
        },
        "calendars": {name: _calendar(spec) for name, spec in policy.calendars.items()},
        "sla": {name: _sla(sla) for name, sla in policy.sla.items()},
        "plans": {name: _plan(plan) for name, plan in policy.plans.items()},
        "rules": [
            {
                "name": rule.name,
                "when": _plain(rule.when),
                "set": _plain(rule.set),
                "stop": rule.stop,
            }
            for rule in policy.rules
        ],
        "escalation": escalation,
        "keys": dict(policy.keys),
    }


def _calendar(spec: CalendarSpec) -> dict[str, Any]:
    if spec.always:
        return {"timezone": spec.timezone, "always": True}
    form: dict[str, Any] = {"timezone": spec.timezone, "always": False}
    for day, spans in zip(WEEKDAYS, spec.week, strict=True):
        form[day] = [format_span(start, end) for start, end in spans]
    # Yearly days first, then one-off dates, each in date order (the order of the default
    # policy, so that its effective form, and digest, are what they always were).
    form["holidays"] = [format_holiday(day) for day in sorted(spec.yearly_holidays)] + [
        format_holiday(day) for day in sorted(spec.holidays)
    ]
    if spec.holiday_country is not None:
        form["holiday_country"] = spec.holiday_country
    if spec.day_length is not None:
        form["day_length"] = format_duration_spec(spec.day_length)
    return form


def _sla(sla: SlaPolicy) -> dict[str, Any]:
    return {
        "calendar": sla.calendar,
        "warn_at": format_warn_at(sla.warn_at),
        "resolution_on_reopen": sla.resolution_on_reopen,
        "targets": {
            priority: {
                clock: format_duration_spec(duration)
                for clock in CLOCKS
                if (duration := targets.get(clock)) is not None
            }
            for priority, targets in sla.targets.items()
        },
    }


def _plan(plan: Plan) -> dict[str, Any]:
    quota: Any = "unlimited"
    if plan.quota_tickets is not None:
        quota = {"tickets": plan.quota_tickets, "per": plan.quota_per}
    form: dict[str, Any] = {
        "sla": plan.sla,
        "quota": quota,
        "anchor": plan.anchor,
        "overage": plan.overage,
    }
    if plan.expiry_warning is not None:
        form["expiry_warning"] = format_duration_spec(plan.expiry_warning)
    return form


def _plain(table: dict[str, Any]) -> dict[str, Any]:
    """A model table with tuples as lists, as TOML holds them."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in table.items()}
