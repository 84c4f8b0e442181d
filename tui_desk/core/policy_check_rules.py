"""Reading [[rules]], [escalation] (its notifier and levels) and [keys], and `Validator`,
which reads a whole parsed policy into the model, table by table, collecting every problem
(SPEC §2, §5)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tui_desk.core.bindings import BINDING_IDS
from tui_desk.core.durations import Duration, format_duration_spec
from tui_desk.core.policy import (
    Desk,
    Escalation,
    EscalationLevel,
    Policy,
    Rule,
)
from tui_desk.core.policy_check import TOP_LEVEL_HINTS
from tui_desk.core.policy_check_sla import SlaChecks
from tui_desk.core.policy_schema import (
    LEVEL_ACTIONS,
    RULE_ACTIONS,
    RULE_CONDITIONS,
    TOP_KEYS,
    keys_of,
)
from tui_desk.core.policy_toml import Key
from tui_desk.core.policy_values import (
    NOTIFY_PLACEHOLDERS,
    PLACEHOLDER,
    SAFE_NOTIFY_FORM,
    SHELL_TAIL,
    did_you_mean,
    embedded_placeholders,
    format_escalation_at,
    parse_escalation_at,
    placeholders_run_as_code,
    show_value,
)


class Validator(SlaChecks):
    """Reads a parsed policy into the model, reporting every problem on the way."""

    def run(self, raw: dict[str, Any]) -> Policy:
        self.unknown_keys(raw, (), TOP_KEYS, elsewhere=TOP_LEVEL_HINTS)
        desk = self.desk(raw.get("desk"))
        statuses = self.statuses(raw.get("statuses"))
        priorities = self.priorities_section(raw.get("priorities"))
        calendars = self.calendars(raw.get("calendars"))
        slas = self.slas(raw.get("sla"))
        default_sla = self.default_sla(raw.get("desk"))
        escalation = self.escalation(raw.get("escalation"))
        if not self.trusted:
            self.targets_within_reach(slas, escalation.levels)
        return Policy(
            desk=Desk(**desk, default_sla=default_sla),
            statuses=statuses,
            priorities=priorities,
            calendars=calendars,
            sla=slas,
            plans=self.plans(raw.get("plans")),
            rules=self.rules(raw.get("rules")),
            escalation=escalation,
            keys=self.keys(raw.get("keys")),
        )

    # -- [[rules]] ------------------------------------------------------------------------

    def rules(self, value: Any) -> tuple[Rule, ...]:
        if value is None:
            return ()
        key: Key = ("rules",)
        if not isinstance(value, list):
            self.add(
                key,
                f"expected a list of rules, got {show_value(value)}",
                "write each rule as its own [[rules]] table",
            )
            return ()
        rules = []
        for index, item in enumerate(value):
            table = self.table(
                item, (*key, index), hint="write each rule as its own [[rules]] table"
            )
            if table is not None:
                rules.append(self.rule(index, table, (*key, index)))
        return tuple(rules)

    def rule(self, index: int, table: dict[str, Any], key: Key) -> Rule:
        unknown = self.unknown_keys(table, key, keys_of("rules"))
        name = table.get("name", f"rule {index + 1}")
        actions = self.actions(table.get("set", {}), (*key, "set"), RULE_ACTIONS)
        rule = Rule(
            name=self.text(name, (*key, "name"), example="outage keywords") or "",
            when=self.conditions(table.get("when", {}), (*key, "when")),
            set={
                action: tuple(value) if isinstance(value, list) else value
                for action, value in actions.items()
            },
            stop=self.boolean(table.get("stop", False), (*key, "stop")),
        )
        if not unknown and not table.get("set") and table.get("stop") is not True:
            self.add(
                key,
                f"the rule {show_value(name)} does nothing",
                'give it an action, set = { priority = "high" }, or stop = true',
            )
        return rule

    def conditions(self, value: Any, key: Key) -> dict[str, tuple[str, ...]]:
        table = self.table(
            value, key, hint='write it like when = { subject_contains = ["outage"] }'
        )
        if table is None:
            return {}
        self.unknown_keys(table, key, RULE_CONDITIONS)
        conditions = {}
        for condition in RULE_CONDITIONS:
            if condition in table:
                values = self.texts(table[condition], (*key, condition)) or []
                self.address_shape(condition, values, (*key, condition))
                conditions[condition] = tuple(values)
        return conditions

    def address_shape(self, condition: str, values: list[str], key: Key) -> None:
        for index, text in enumerate(values):
            if condition == "from_domain" and "@" in text:
                self.add(
                    (*key, index),
                    f"{show_value(text)} is an address, not a domain",
                    f'use from_domain = ["{text.rsplit("@", 1)[-1]}"] or from_address = ["{text}"]',
                )
            elif condition == "from_address" and "@" not in text:
                self.add(
                    (*key, index),
                    f"{show_value(text)} is not an email address",
                    f'use from_domain = ["{text}"] to match a whole domain',
                )

    def actions(self, value: Any, key: Key, allowed: Sequence[str]) -> dict[str, Any]:
        """A rule's or escalation level's `set` table."""
        table = self.table(value, key, hint='write it like set = { priority = "urgent" }')
        if table is None:
            return {}
        self.unknown_keys(table, key, allowed)
        actions: dict[str, Any] = {}
        for action in allowed:
            if action not in table:
                continue
            raw, where = table[action], (*key, action)
            if action == "priority":
                actions[action] = self.reference(
                    raw, where, self.priorities, kind="priority", plural="priorities"
                )
            elif action == "sla":
                actions[action] = self.reference(
                    raw, where, self.sla_names, kind="SLA policy", plural="SLA policies"
                )
            elif action == "tags":
                actions[action] = self.texts(raw, where)
            else:
                actions[action] = self.text(raw, where)
        return actions

    # -- [escalation] ---------------------------------------------------------------------

    def escalation(self, value: Any) -> Escalation:
        key: Key = ("escalation",)
        if value is None:
            return Escalation()
        table = self.table(value, key) or {}
        self.unknown_keys(table, key, keys_of("escalation"))
        command = None
        if "notify_command" in table:
            command = self.notify_command(table["notify_command"], (*key, "notify_command"))
        levels = self.levels(table.get("levels", []), (*key, "levels"))
        return Escalation(notify_command=tuple(command) if command else None, levels=levels)

    def notify_command(self, value: Any, key: Key) -> list[str] | None:
        hint = 'an argv list, never a shell line: notify_command = ["notify-send", "{title}", "{body}"]'
        if isinstance(value, str):
            self.add(key, f"expected a list of arguments, got {show_value(value)}", hint)
            return None
        argv = self.texts(value, key)
        if argv is None:
            return None
        for index, argument in enumerate(argv):
            for placeholder in PLACEHOLDER.findall(argument):
                if placeholder not in NOTIFY_PLACEHOLDERS:
                    self.add(
                        (*key, index),
                        f"unknown placeholder {{{placeholder}}}",
                        did_you_mean(placeholder, NOTIFY_PLACEHOLDERS, braces=True)
                        or "placeholders: "
                        + ", ".join(f"{{{name}}}" for name in NOTIFY_PLACEHOLDERS),
                    )
        self.placeholders_as_arguments(argv, key)
        return argv

    def placeholders_as_arguments(self, argv: list[str], key: Key) -> None:
        """A placeholder is a whole argument, never part of one, and never the code that a
        well-known program runs (see `policy_values.SAFE_NOTIFY_FORM`)."""
        for index, argument in enumerate(argv):
            names = embedded_placeholders(argument)
            if names:
                own = ", ".join(json.dumps(f"{{{name}}}") for name in dict.fromkeys(names))
                self.add(
                    (*key, index),
                    f"{show_value(argument)} has a placeholder inside it: a program may run that "
                    "text as code, and a ticket's subject or body would run as a command",
                    f"give each placeholder an argument of its own ({own}); to build text from "
                    f"them, let a shell do it with positional arguments: {SAFE_NOTIFY_FORM}",
                )
        for index, program in placeholders_run_as_code(argv):
            if program in SHELL_TAIL:
                hint = (
                    f"{program} hands its arguments to a shell: call a script there that "
                    "takes no text from the ticket"
                )
                if SHELL_TAIL[program]:
                    hint = (
                        f"use {program} {SHELL_TAIL[program][0]}, which runs them without a "
                        f"shell, or a shell with positional arguments: {SAFE_NOTIFY_FORM}"
                    )
            else:
                hint = (
                    "pass each placeholder as an argument of its own and refer to it from "
                    f"the code, e.g. {SAFE_NOTIFY_FORM}"
                )
            self.add(
                (*key, index),
                f"{show_value(argv[index])} is code run by {program} with a placeholder inside it: "
                "a ticket's subject or body would run as a command",
                hint,
            )

    def levels(self, value: Any, key: Key) -> tuple[EscalationLevel, ...]:
        if not isinstance(value, list):
            self.add(
                key,
                f"expected a list of levels, got {show_value(value)}",
                "write each level as its own [[escalation.levels]] table",
            )
            return ()
        levels: list[EscalationLevel] = []
        reached: list[_Reached] = []  # for the ordering check
        for index, item in enumerate(value):
            where = (*key, index)
            table = self.table(
                item, where, hint="write each level as its own [[escalation.levels]] table"
            )
            if table is None:
                continue
            level, valid_at = self.level(table, where, [entry.name for entry in levels])
            levels.append(level)
            if valid_at:
                reached.append(_Reached(where, level.name, level.at, level.after))
        if not self.trusted:
            self.levels_reached_in_order(reached)
        return tuple(levels)

    def level(
        self, table: dict[str, Any], key: Key, earlier_names: list[str]
    ) -> tuple[EscalationLevel, bool]:
        """The level, and whether its `at` is valid."""
        self.unknown_keys(table, key, keys_of("escalation.levels"))
        name = None
        if "name" in table:
            name = self.text(table["name"], (*key, "name"), example="lead")
            if name is not None and name in earlier_names:
                self.add(
                    (*key, "name"),
                    f"two escalation levels are named {show_value(name)}",
                    "give each level its own name",
                )
        else:
            self.add((*key, "name"), "required: the level's name", None)
        at: tuple[Literal["warning", "breach"], Duration] | None = None
        if "at" in table:
            at = self.check((*key, "at"), parse_escalation_at, table["at"])
        else:
            self.add(
                (*key, "at"),
                "required: when the level is reached",
                'write at = "warning", "breach" or "breach+2h"',
            )
        kind, after = at or ("breach", Duration())
        notify = self.texts(table.get("notify", []), (*key, "notify"), allow_empty=True) or []
        level = EscalationLevel(
            name=name or "",
            at=kind,
            after=after,
            notify=tuple(notify),
            set=self.actions(table.get("set", {}), (*key, "set"), LEVEL_ACTIONS),
        )
        return level, at is not None

    def levels_reached_in_order(self, reached: list[_Reached]) -> None:
        """A level can never fire when a level listed after it is reached no later.

        A ticket's level is the highest level reached by any clock, so such an earlier level
        is superseded the instant it is reached (or before). "1d" is compared using each SLA
        calendar's day length; a level is only reported when that holds on all of them.
        """
        day_lengths = {
            self.day_seconds[c] for c in self.sla_calendars.values() if c in self.day_seconds
        }
        day_lengths = day_lengths or {86_400}
        for later_index, later in enumerate(reached):
            for earlier in reached[:later_index]:
                if all(later.reach(seconds) <= earlier.reach(seconds) for seconds in day_lengths):
                    uses_days = bool(later.after.days or earlier.after.days)
                    self.add(
                        (*later.key, "at"),
                        f"{show_value(later.shown)} is not later than {show_value(earlier.shown)} "
                        f"of level {show_value(earlier.name)} listed before it, so "
                        f"{show_value(earlier.name)} could never fire"
                        f"{_day_note(day_lengths) if uses_days else ''}",
                        "levels are reached in the order listed: give each a later `at` than "
                        'the one before, e.g. "warning", "breach", "breach+4h", "breach+1d"',
                    )
                    break

    # -- [keys] ---------------------------------------------------------------------------

    def keys(self, value: Any) -> dict[str, str]:
        """[keys]: BINDING_ID = "KEY" for the ids the TUI declares (`core.bindings`)."""
        if value is None:
            return {}
        key: Key = ("keys",)
        table = self.table(value, key, hint='write it like [keys] with reply = "r"') or {}
        keys = {}
        for binding, keystroke in table.items():
            if not binding.strip():
                self.add((*key, binding), "a binding id must not be empty")
                continue
            if binding not in BINDING_IDS:
                self.add(
                    (*key, binding),
                    f"unknown binding id {show_value(binding)}",
                    did_you_mean(binding, BINDING_IDS)
                    or "the TUI's help screen (?) lists the binding ids",
                )
                continue
            text = self.text(keystroke, (*key, binding), example="ctrl+r")
            if text is not None:
                keys[binding] = text
        return keys


@dataclass(frozen=True)
class _Reached:
    """An escalation level with a valid `at`, for the ordering check."""

    key: Key
    name: str
    at: Literal["warning", "breach"]
    after: Duration

    @property
    def shown(self) -> str:
        return format_escalation_at(self.at, self.after)

    def reach(self, day_seconds: int) -> int:
        """Order of thresholds: warning (-1) < breach (0) < breach+X (X seconds)."""
        return -1 if self.at == "warning" else self.after.to_seconds(day_seconds)


def _day_note(day_lengths: set[int]) -> str:
    if len(day_lengths) != 1:
        return ""
    (seconds,) = day_lengths
    return f' ("1d" is {format_duration_spec(Duration(seconds=seconds))} of working time here)'
