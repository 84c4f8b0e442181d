"""Reading [sla.NAME] (targets per priority) and [plans.NAME] (quotas) into the model, and
the checks that weigh targets against their calendar: a fixed warn_at shorter than every
target, and every target plus the latest escalation offset within 10 years of calendar
time (SPEC §2)."""

from __future__ import annotations

from typing import Any, Literal, cast

from tui_desk.core.durations import Duration, format_duration_spec
from tui_desk.core.policy import EscalationLevel, Plan, SlaPolicy, Targets, WarnAt
from tui_desk.core.policy_check import misplaced_hint
from tui_desk.core.policy_check_tables import TableChecks
from tui_desk.core.policy_schema import (
    ANCHORS,
    CLOCKS,
    OVERAGES,
    QUOTA_KEYS,
    QUOTA_PERIODS,
    REOPEN_MODES,
    default,
    keys_of,
)
from tui_desk.core.policy_toml import Key
from tui_desk.core.policy_values import (
    MAX_QUOTA_TICKETS,
    REACH_WEEKS,
    did_you_mean,
    format_warn_at,
    is_int,
    parse_warn_at,
    quoted,
    show_value,
)


class SlaChecks(TableChecks):
    """[sla.NAME] and [plans.NAME]."""

    # -- [sla] ----------------------------------------------------------------------------

    def slas(self, value: Any) -> dict[str, SlaPolicy]:
        key: Key = ("sla",)
        hint = 'add e.g. [sla.standard] with calendar = "office" and a [sla.standard.targets] table'
        if not value:
            self.add(key, "no SLA policy is defined; at least one is required", hint)
            return {}
        tables = self.named_tables(value, key, hint="each SLA policy is a table: [sla.NAME]")
        self.sla_names = list(value) if isinstance(value, dict) else None
        return {name: self.sla(name, table, (*key, name)) for name, table in tables.items()}

    def sla(self, name: str, table: dict[str, Any], key: Key) -> SlaPolicy:
        elsewhere = {
            clock: f'targets are per priority: write it in [sla.{name}.targets] as high = {{ {clock} = "1h" }}'
            for clock in CLOCKS
        }
        self.unknown_keys(table, key, keys_of("sla.NAME"), elsewhere=elsewhere)
        calendar = None
        if "calendar" in table:
            calendar = self.reference(
                table["calendar"],
                (*key, "calendar"),
                self.calendar_names,
                kind="calendar",
                plural="calendars",
            )
        else:
            self.add(
                (*key, "calendar"),
                "required: the calendar whose working time the clocks count",
                None,
            )
        if calendar is not None:
            self.sla_calendars[name] = calendar
        warn_at = self.check(
            (*key, "warn_at"), parse_warn_at, table.get("warn_at", default("sla.NAME", "warn_at"))
        )
        reopen = self.choice(
            table.get("resolution_on_reopen", default("sla.NAME", "resolution_on_reopen")),
            (*key, "resolution_on_reopen"),
            REOPEN_MODES,
        )
        targets: dict[str, Targets] = {}
        if "targets" in table:
            targets = self.targets(table["targets"], (*key, "targets"))
        else:
            self.add(
                (*key, "targets"),
                "required: the targets per priority",
                f'add [sla.{name}.targets] with e.g. normal = {{ first_response = "4h" }}',
            )
        if warn_at is not None and not self.trusted:
            self.warn_before_targets(warn_at, calendar, targets, key)
        return SlaPolicy(
            name=name,
            calendar=calendar or "",
            warn_at=warn_at or WarnAt(fraction=None, before=None),
            resolution_on_reopen=cast(Literal["resume", "keep"], reopen or "resume"),
            targets=targets,
        )

    def warn_before_targets(
        self, warn_at: WarnAt, calendar: str | None, targets: dict[str, Targets], key: Key
    ) -> None:
        """A fixed warn_at (a time before the deadline) must be shorter than every target it
        applies to: otherwise that clock is in warning (and escalates) the moment it starts."""
        before = warn_at.before
        if before is None:
            return
        day = self.day_seconds.get(calendar or "")
        too_short = []
        for priority, clocks in targets.items():
            for clock in CLOCKS:
                target = clocks.get(clock)
                if target is None:
                    continue
                if day is None and (target.days or before.days):
                    continue  # "1d" is unknown without a valid calendar
                if target.to_seconds(day or 0) <= before.to_seconds(day or 0):
                    too_short.append(
                        (
                            target.to_seconds(day or 0),
                            f"{priority}.{clock} = {show_value(str(target))}",
                        )
                    )
        if too_short:
            shortest = min(seconds for seconds, _ in too_short)
            shown = show_value(format_warn_at(warn_at))
            self.add(
                (*key, "warn_at"),
                f"{shown} is not shorter than the targets it applies to: "
                + ", ".join(name for _, name in too_short)
                + "; those clocks would be in warning (and escalate) the moment they start",
                f"use a time shorter than {show_value(format_duration_spec(Duration(seconds=shortest)))}, "
                'or a share of each target like "75%"',
            )

    def targets_within_reach(
        self, slas: dict[str, SlaPolicy], levels: tuple[EscalationLevel, ...]
    ) -> None:
        """Every target plus the latest escalation offset falls within 10 years of calendar
        time on its SLA's calendar (SPEC §2), judged by the calendar's weekly hours: so a
        calendar with a minute of work a week cannot take a "10h" target to the year 2600."""
        offsets = [
            (level.after, ("escalation", "levels", index, "at"))
            for index, level in enumerate(levels)
            if level.after != Duration()
        ]
        for name, sla in slas.items():
            week = self.week_seconds.get(sla.calendar)
            if not week:
                continue  # an always calendar (plain elapsed time) or an invalid one
            day = self.day_seconds[sla.calendar]
            reach = REACH_WEEKS * week
            where = (
                f"more than 10 years of calendar {show_value(sla.calendar)} "
                f"({format_duration_spec(Duration(seconds=week))} of working time a week)"
            )
            hint = "give the calendar more working hours, or shorten the durations"
            latest, level_key = max(
                ((after.to_seconds(day), at_key) for after, at_key in offsets),
                default=(0, ()),
            )
            if latest > reach:
                self.add(
                    level_key, f"for SLA policy {show_value(name)} this offset needs {where}", hint
                )
                continue
            for priority, clocks in sla.targets.items():
                for clock in CLOCKS:
                    target = clocks.get(clock)
                    if target is None or target.to_seconds(day) + latest <= reach:
                        continue
                    extra = " plus the latest escalation offset" if latest else ""
                    self.add(
                        ("sla", name, "targets", priority, clock),
                        f"{show_value(str(target))}{extra} needs {where}",
                        hint,
                    )

    def targets(self, value: Any, key: Key) -> dict[str, Targets]:
        table = self.table(
            value, key, hint='write one line per priority: high = { first_response = "1h" }'
        )
        if table is None:
            return {}
        targets = {
            priority: self.priority_targets(priority, clocks, (*key, priority))
            for priority, clocks in table.items()
        }
        written = (
            isinstance(clocks, dict) and any(clock in clocks for clock in CLOCKS)
            for clocks in table.values()
        )
        if not any(written):
            self.add(
                key,
                "no priority has any target: tickets under this SLA would have no clocks",
                'give at least one, e.g. normal = { first_response = "4h" }',
            )
        return targets

    def priority_targets(self, priority: str, value: Any, key: Key) -> Targets:
        if self.priorities is not None and priority not in self.priorities:
            if priority in CLOCKS:
                hint = f'targets are per priority: write high = {{ {priority} = "1h" }}'
            else:
                hint = (
                    did_you_mean(priority, self.priorities)
                    or misplaced_hint(priority, CLOCKS)
                    or f"priorities: {', '.join(self.priorities)}"
                )
            self.add(key, f"unknown priority {show_value(priority)}", hint)
            if not isinstance(value, dict):
                return Targets()  # a stray key, not a priority: one problem is enough
        table = self.table(
            value, key, hint='write it like { first_response = "1h", resolution = "8h" }'
        )
        if table is None:
            return Targets()
        self.unknown_keys(table, key, CLOCKS)
        clocks = {
            clock: self.duration(table[clock], (*key, clock)) for clock in CLOCKS if clock in table
        }
        if "next_response" in table and "first_response" not in table:
            self.add(
                (*key, "next_response"),
                "a next_response target needs a first_response target",
                f"next_response starts only after the first response is met: add first_response to {priority}",
            )
        return Targets(**clocks)

    # -- [plans] --------------------------------------------------------------------------

    def plans(self, value: Any) -> dict[str, Plan]:
        if value is None:
            return {}
        key: Key = ("plans",)
        tables = self.named_tables(value, key, hint="each plan is a table: [plans.NAME]")
        return {name: self.plan(name, table, (*key, name)) for name, table in tables.items()}

    def plan(self, name: str, table: dict[str, Any], key: Key) -> Plan:
        self.unknown_keys(table, key, keys_of("plans.NAME"))
        sla = None
        if "sla" in table:
            sla = self.reference(
                table["sla"],
                (*key, "sla"),
                self.sla_names,
                kind="SLA policy",
                plural="SLA policies",
            )
        else:
            self.add((*key, "sla"), "required: the SLA policy of this plan", None)
        tickets, per = self.quota(
            table.get("quota", default("plans.NAME", "quota")), (*key, "quota")
        )
        anchor = self.choice(
            table.get("anchor", default("plans.NAME", "anchor")), (*key, "anchor"), ANCHORS
        )
        overage = self.choice(
            table.get("overage", default("plans.NAME", "overage")), (*key, "overage"), OVERAGES
        )
        expiry = None
        if "expiry_warning" in table:
            expiry = self.duration(table["expiry_warning"], (*key, "expiry_warning"))
        return Plan(
            name=name,
            sla=sla or "",
            quota_tickets=tickets,
            quota_per=per,
            anchor=cast(Literal["calendar", "contract"], anchor or "calendar"),
            overage=cast(Literal["no_sla", "billable"], overage or "no_sla"),
            expiry_warning=expiry,
        )

    def quota(self, value: Any, key: Key) -> tuple[int | None, str | None]:
        """(tickets, period); (None, None) for "unlimited"."""
        hint = 'write quota = "unlimited" or quota = { tickets = 5, per = "month" }'
        if value == "unlimited":
            return None, None
        if is_int(value):
            self.add(
                key,
                f"expected a table, got {value}",
                f'write quota = {{ tickets = {value}, per = "month" }}',
            )
            return None, None
        if not isinstance(value, dict):
            self.add(key, f"{show_value(value)} is not a quota", hint)
            return None, None
        self.unknown_keys(value, key, QUOTA_KEYS)
        tickets = value.get("tickets")
        if tickets is None:
            self.add((*key, "tickets"), "required: how many tickets per period", hint)
        elif not is_int(tickets) or not 0 <= tickets <= MAX_QUOTA_TICKETS:
            self.add(
                (*key, "tickets"),
                f"expected a whole number of tickets from 0 to {MAX_QUOTA_TICKETS:,}, "
                f"got {show_value(tickets)}",
                'for no limit write quota = "unlimited"',
            )
            tickets = None
        per = None
        if "per" in value:
            per = self.choice(value["per"], (*key, "per"), QUOTA_PERIODS)
        else:
            self.add((*key, "per"), f"required: the period, one of {quoted(QUOTA_PERIODS)}", hint)
        return tickets, per
