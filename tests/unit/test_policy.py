"""The policy file (SPEC §2): the default validates, defaults fill in, and every broken
policy is reported with its place (line, key path) and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui_desk.core.durations import Duration
from tui_desk.core.policy import WarnAt
from tui_desk.core.policy_load import (
    PolicyError,
    PolicyProblem,
    default_policy_text,
    effective_policy_toml,
    load_policy,
    parse_policy_text,
    validate,
)

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """\
[desk]
timezone = "Europe/Berlin"

[calendars.office]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]

[sla.standard]
calendar = "office"

[sla.standard.targets]
high = { first_response = "1h", next_response = "2h", resolution = "8h" }
normal = { first_response = "4h" }
"""


def problems_of(text: str) -> list[PolicyProblem]:
    with pytest.raises(PolicyError) as caught:
        parse_policy_text(text, "policy.toml")
    return caught.value.problems


def problem_at(text: str, key: str) -> PolicyProblem:
    """The one problem reported for `key`."""
    found = [problem for problem in problems_of(text) if problem.key == key]
    assert len(found) == 1, f"expected one problem at {key}, got: {problems_of(text)}"
    return found[0]


def line_of(text: str, snippet: str) -> int:
    """The 1-based line of the first line containing `snippet`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if snippet in line:
            return number
    raise AssertionError(f"{snippet!r} not in text")


# -- the default policy -------------------------------------------------------------------


def test_default_policy_validates_and_builds() -> None:
    policy = parse_policy_text(default_policy_text(), "default_policy.toml")
    assert policy.desk.name == "Acme Support"
    assert policy.desk.timezone == "Europe/Berlin"
    assert policy.desk.default_sla == "standard"
    assert set(policy.plans) == {"basic", "standard", "premium", "backup"}
    assert policy.plans["backup"].quota_tickets is None
    assert policy.plans["basic"].quota_tickets == 5
    assert policy.plans["premium"].quota_tickets == 20
    assert policy.calendars["always"].always
    assert policy.calendars["office"].holiday_country == "DE"
    assert (12, 24) in policy.calendars["office"].yearly_holidays
    assert [level.name for level in policy.escalation.levels] == ["lead", "manager", "executive"]
    assert policy.escalation.levels[1].set == {"priority": "urgent"}
    assert policy.escalation.levels[2].after == Duration(days=1)
    assert policy.escalation.notify_command is None  # no binary called by default


def test_config_policy_is_the_packaged_default() -> None:
    assert load_policy(REPO / "config" / "policy.toml") == parse_policy_text(default_policy_text())


def test_office_calendar_friday_has_a_lunch_break() -> None:
    office = parse_policy_text(default_policy_text()).calendars["office"]
    assert office.week[4] == ((9 * 60, 13 * 60), (14 * 60, 17 * 60))
    assert office.week[5] == office.week[6] == ()


# -- defaults ---------------------------------------------------------------------------


def test_statuses_and_priorities_default_to_the_spec() -> None:
    policy = parse_policy_text(MINIMAL)
    assert policy.statuses.active == ("new", "open")
    assert policy.statuses.paused == ("pending", "on_hold")
    assert policy.statuses.solved == ("solved", "closed")
    assert policy.statuses.void == ("spam", "merged")
    assert (policy.statuses.initial, policy.statuses.reopen_to) == ("new", "open")
    assert policy.priorities.order == ("urgent", "high", "normal", "low")
    assert policy.priorities.default == "normal"


def test_spec_defaults_are_filled_into_the_effective_policy() -> None:
    text = MINIMAL + '[plans.basic]\nsla = "standard"\n'
    policy = parse_policy_text(text)
    effective = policy.effective
    assert effective["desk"]["week_starts"] == "monday"
    assert effective["desk"]["repeat_window"] == "30d"
    assert effective["sla"]["standard"]["warn_at"] == "75%"
    assert effective["sla"]["standard"]["resolution_on_reopen"] == "resume"
    assert effective["plans"]["basic"] == {
        "sla": "standard",
        "quota": "unlimited",
        "anchor": "calendar",
        "overage": "no_sla",
    }
    assert effective["calendars"]["office"]["timezone"] == "Europe/Berlin"  # the desk's
    assert effective["calendars"]["office"]["sun"] == []
    assert effective["rules"] == [] and effective["keys"] == {}
    assert effective["escalation"] == {"levels": []}
    assert policy.sla["standard"].warn_at == WarnAt(fraction=0.75, before=None)
    assert policy.desk.repeat_window == Duration(days=30)


def test_partial_statuses_keep_the_default_for_unnamed_categories() -> None:
    policy = parse_policy_text(MINIMAL + '[statuses]\npaused = ["waiting"]\n')
    assert policy.statuses.paused == ("waiting",)
    assert policy.statuses.active == ("new", "open")


def test_durations_and_hours_are_written_canonically() -> None:
    text = MINIMAL.replace('"4h"', '"90m"').replace(
        'tue = ["09:00-17:00"]', 'tue = ["9:00 - 17:00"]'
    )
    effective = parse_policy_text(text).effective
    assert effective["sla"]["standard"]["targets"]["normal"]["first_response"] == "1h30m"
    assert effective["calendars"]["office"]["tue"] == ["09:00-17:00"]


@pytest.mark.parametrize("text", [MINIMAL, default_policy_text()], ids=["minimal", "default"])
def test_effective_policy_toml_round_trips_to_an_equal_policy(text: str) -> None:
    policy = parse_policy_text(text)
    shown = effective_policy_toml(policy)
    again = parse_policy_text(shown)
    assert again == policy
    assert again.effective == policy.effective


def test_effective_policy_validates_to_itself() -> None:
    effective = parse_policy_text(default_policy_text()).effective
    again, problems = validate(effective)
    assert problems == [] and again == effective


def test_unquoted_toml_dates_are_accepted_as_holidays() -> None:
    text = MINIMAL.replace(
        'tue = ["09:00-17:00"]', 'tue = ["09:00-17:00"]\nholidays = [2026-12-24]'
    )
    assert parse_policy_text(text).effective["calendars"]["office"]["holidays"] == ["2026-12-24"]


def test_warn_at_may_be_a_duration_before_the_deadline() -> None:
    text = MINIMAL.replace('calendar = "office"', 'calendar = "office"\nwarn_at = "30m"')
    assert parse_policy_text(text).sla["standard"].warn_at == WarnAt(
        fraction=None, before=Duration(seconds=1800)
    )


@given(st.integers(min_value=1, max_value=99))
def test_any_warn_at_share_below_100_percent_is_valid(share: int) -> None:
    text = MINIMAL.replace('calendar = "office"', f'calendar = "office"\nwarn_at = "{share}%"')
    assert parse_policy_text(text).sla["standard"].warn_at.fraction == pytest.approx(share / 100)


# -- loading files ----------------------------------------------------------------------


def test_load_policy_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert load_policy(path).desk.timezone == "Europe/Berlin"


def test_a_missing_policy_file_is_a_policy_error_that_says_how_to_create_one(
    tmp_path: Path,
) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "nope.toml")
    (problem,) = caught.value.problems
    assert "does not exist" in problem.message
    assert "policy init" in (problem.hint or "")


# -- broken policies: syntax ------------------------------------------------------------


def test_toml_syntax_error_gives_line_column_and_what_was_expected() -> None:
    text = MINIMAL.replace('timezone = "Europe/Berlin"', "timezone = Europe/Berlin")
    (problem,) = problems_of(text)
    assert (problem.line, problem.column) == (2, 12)
    assert "expected a value" in problem.message
    assert problem.hint == 'text needs quotes: "Europe/Berlin"'
    assert str(problem).startswith("policy.toml:2:12: TOML syntax error:")


def test_a_key_set_twice_is_a_syntax_error_on_the_second_line() -> None:
    text = MINIMAL.replace('timezone = "Europe/Berlin"', 'timezone = "UTC"\ntimezone = "UTC"')
    (problem,) = problems_of(text)
    assert problem.line == 3
    assert "already set" in problem.message


def test_a_multi_line_inline_table_says_it_must_be_on_one_line() -> None:
    text = MINIMAL.replace(
        'normal = { first_response = "4h" }',
        'normal = { first_response = "4h",\n resolution = "8h" }',
    )
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "normal = {")
    assert "inline table" in problem.message


# -- broken policies: schema ------------------------------------------------------------


def test_unknown_key_with_a_typo_suggests_the_right_one() -> None:
    text = MINIMAL.replace('high = { first_response = "1h"', 'high = { first_respons = "1h"')
    problem = problem_at(text, "sla.standard.targets.high.first_respons")
    assert problem.message == "unknown key"
    assert problem.hint == 'did you mean "first_response"?'
    assert problem.line == line_of(text, "high = {")
    assert str(problem) == (
        f"policy.toml:{problem.line}: sla.standard.targets.high.first_respons: unknown key"
        ' — did you mean "first_response"?'
    )


def test_unknown_top_level_key_says_where_it_belongs() -> None:
    # In TOML a key added at the end of the file lands in the last table: here, the targets.
    problem = problem_at(MINIMAL + 'week_starts = "sunday"\n', "sla.standard.targets.week_starts")
    assert problem.message == 'unknown priority "week_starts"'
    assert problem.hint == "week_starts is a key of [desk]: move it under that header"
    problem = problem_at('week_starts = "sunday"\n' + MINIMAL, "week_starts")
    assert (problem.line, problem.hint) == (1, "this key belongs in [desk]")


def test_bad_duration_names_the_key_and_how_to_write_one() -> None:
    text = MINIMAL.replace('resolution = "8h"', 'resolution = "8 hours"')
    problem = problem_at(text, "sla.standard.targets.high.resolution")
    assert problem.message == '"8 hours" is not a duration'
    assert '"1h30m"' in (problem.hint or "")
    assert problem.line == line_of(text, "high = {")


def test_a_number_where_a_duration_belongs_suggests_units() -> None:
    text = MINIMAL.replace('first_response = "4h"', "first_response = 4")
    problem = problem_at(text, "sla.standard.targets.normal.first_response")
    assert problem.hint == 'durations are text with a unit: did you mean "4m" or "4h"?'


def test_unknown_time_zone_suggests_a_close_name() -> None:
    text = MINIMAL.replace('"Europe/Berlin"', '"Europe/Berlinn"')
    problem = problem_at(text, "desk.timezone")
    assert problem.message == 'unknown time zone "Europe/Berlinn"'
    assert problem.hint == 'did you mean "Europe/Berlin"?'
    assert problem.line == 2


def test_a_city_alone_is_completed_to_its_zone() -> None:
    text = MINIMAL.replace('"Europe/Berlin"', '"Tokyo"')
    assert problem_at(text, "desk.timezone").hint == 'did you mean "Asia/Tokyo"?'


def test_status_in_two_categories_is_reported_with_both_names() -> None:
    text = MINIMAL + '[statuses]\nactive = ["new", "open", "pending"]\n'
    problem = problem_at(text, "statuses.paused[1]")
    assert problem.message == 'status "pending" is in both active and paused'
    assert "exactly one category" in (problem.hint or "")


def test_initial_and_reopen_to_must_be_known_active_statuses() -> None:
    text = MINIMAL + '[statuses]\ninitial = "nwe"\nreopen_to = "pending"\n'
    initial = problem_at(text, "statuses.initial")
    assert initial.message == 'unknown status "nwe"'
    assert initial.hint == 'did you mean "new"?'
    reopen = problem_at(text, "statuses.reopen_to")
    assert '"pending" is a paused status' in reopen.message
    assert reopen.hint == "use one of: new, open"


def test_priority_default_must_be_in_the_order() -> None:
    text = MINIMAL + '[priorities]\norder = ["p1", "p2"]\ndefault = "p3"\n'
    problems = {problem.key: problem for problem in problems_of(text)}
    assert problems["priorities.default"].message == 'unknown priority "p3"'
    # The targets name priorities the new order no longer has: reported too.
    assert problems["sla.standard.targets.high"].message == 'unknown priority "high"'


def test_overlapping_hours_on_a_day_are_reported_with_both_spans() -> None:
    text = MINIMAL.replace('mon = ["09:00-17:00"]', 'mon = ["09:00-13:00", "12:00-17:00"]')
    problem = problem_at(text, "calendars.office.mon")
    assert problem.message == '"09:00-13:00" and "12:00-17:00" overlap'
    assert problem.line == line_of(text, "mon =")


def test_reversed_hours_are_reported_with_how_to_cross_midnight() -> None:
    text = MINIMAL.replace('tue = ["09:00-17:00"]', 'tue = ["17:00-09:00"]')
    problem = problem_at(text, "calendars.office.tue[1]")
    assert "reversed" in problem.message
    assert '"22:00-24:00"' in (problem.hint or "")
    assert problem.line == line_of(text, "tue =")


def test_a_malformed_span_says_how_to_write_hours() -> None:
    text = MINIMAL.replace('tue = ["09:00-17:00"]', 'tue = ["9-17"]')
    assert (
        problem_at(text, "calendars.office.tue[1]").hint
        == 'write it as "HH:MM-HH:MM", e.g. "09:00-17:30"'
    )


def test_a_calendar_with_no_working_hours_that_is_not_always_is_reported() -> None:
    text = MINIMAL + '[calendars.empty]\nholidays = ["12-24"]\n'
    problem = problem_at(text, "calendars.empty")
    assert "no working hours" in problem.message
    assert "always = true" in (problem.hint or "")


def test_an_always_calendar_may_not_have_hours() -> None:
    text = MINIMAL + '[calendars.always]\nalways = true\nmon = ["09:00-17:00"]\n'
    problem = problem_at(text, "calendars.always.mon")
    assert "24x7" in problem.message


def test_an_unknown_holiday_country_suggests_its_code() -> None:
    text = MINIMAL.replace(
        'tue = ["09:00-17:00"]', 'tue = ["09:00-17:00"]\nholiday_country = "Germany"'
    )
    problem = problem_at(text, "calendars.office.holiday_country")
    assert problem.message == '"Germany" is not a country the holidays package knows'
    assert problem.hint == 'did you mean "DE" (Germany)?'


def test_unknown_sla_in_a_plan_suggests_a_defined_one() -> None:
    text = MINIMAL + '[plans.gold]\nsla = "standrad"\nquota = { tickets = 5, per = "month" }\n'
    problem = problem_at(text, "plans.gold.sla")
    assert problem.message == 'unknown SLA policy "standrad"'
    assert problem.hint == 'did you mean "standard"?'
    assert problem.line == line_of(text, 'sla = "standrad"')


def test_unknown_name_with_nothing_close_lists_what_is_defined() -> None:
    text = MINIMAL + '[plans.gold]\nsla = "platinum"\n'
    assert problem_at(text, "plans.gold.sla").hint == "SLA policies: standard"


def test_unknown_calendar_in_an_sla_suggests_a_defined_one() -> None:
    text = MINIMAL.replace('calendar = "office"', 'calendar = "ofice"')
    problem = problem_at(text, "sla.standard.calendar")
    assert problem.message == 'unknown calendar "ofice"'
    assert problem.hint == 'did you mean "office"?'


def test_warn_at_100_percent_is_reported() -> None:
    text = MINIMAL.replace('calendar = "office"', 'calendar = "office"\nwarn_at = "100%"')
    problem = problem_at(text, "sla.standard.warn_at")
    assert "not below 100%" in problem.message
    assert '"75%"' in (problem.hint or "")
    assert problem.line == line_of(text, "warn_at")


@pytest.mark.parametrize("value", ['"0%"', '"150%"', "0.75", '"soon"', '"0m"'])
def test_warn_at_must_be_a_share_below_100_percent_or_a_duration(value: str) -> None:
    text = MINIMAL.replace('calendar = "office"', f'calendar = "office"\nwarn_at = {value}')
    problem_at(text, "sla.standard.warn_at")


def test_warn_at_as_a_fraction_suggests_the_percentage() -> None:
    text = MINIMAL.replace('calendar = "office"', 'calendar = "office"\nwarn_at = 0.8')
    assert problem_at(text, "sla.standard.warn_at").hint == 'did you mean "80%"?'


def test_next_response_target_without_first_response_is_reported() -> None:
    text = MINIMAL.replace(
        'normal = { first_response = "4h" }', 'normal = { next_response = "4h" }'
    )
    problem = problem_at(text, "sla.standard.targets.normal.next_response")
    assert problem.message == "a next_response target needs a first_response target"
    assert "add first_response" in (problem.hint or "")


def test_unknown_priority_in_targets_suggests_a_priority() -> None:
    text = MINIMAL.replace("high = {", "hihg = {")
    problem = problem_at(text, "sla.standard.targets.hihg")
    assert problem.message == 'unknown priority "hihg"'
    assert problem.hint == 'did you mean "high"?'
    assert problem.line == line_of(text, "hihg = {")


def test_an_sla_without_targets_is_reported() -> None:
    text = MINIMAL.split("[sla.standard.targets]")[0]
    assert problem_at(text, "sla.standard.targets").message == "required: the targets per priority"


def test_quota_values_are_checked() -> None:
    text = (
        MINIMAL
        + '[plans.gold]\nsla = "standard"\nquota = { tickets = -1, per = "mnth" }\nanchor = "start"\noverage = "bill"\n'
    )
    problems = {problem.key: problem for problem in problems_of(text)}
    assert "from 0 to" in problems["plans.gold.quota.tickets"].message
    assert problems["plans.gold.quota.per"].hint == 'did you mean "month"?'
    assert problems["plans.gold.anchor"].message == '"start" is not one of "calendar" or "contract"'
    assert problems["plans.gold.overage"].hint == 'did you mean "billable"?'


def test_week_starts_and_resolution_on_reopen_take_only_their_values() -> None:
    text = MINIMAL.replace(
        'timezone = "Europe/Berlin"', 'timezone = "Europe/Berlin"\nweek_starts = "friday"'
    )
    text = text.replace(
        'calendar = "office"', 'calendar = "office"\nresolution_on_reopen = "restart"'
    )
    problems = {problem.key for problem in problems_of(text)}
    assert problems == {"desk.week_starts", "sla.standard.resolution_on_reopen"}


def test_rule_conditions_and_actions_are_checked() -> None:
    text = MINIMAL + (
        '[[rules]]\nname = "outage"\n'
        'when = { subject_contain = ["down"], from_domain = ["ops@example.com"] }\n'
        'set = { priority = "urgnt", sla = "gold" }\n'
    )
    problems = {problem.key: problem for problem in problems_of(text)}
    assert problems["rules[1].when.subject_contain"].hint == 'did you mean "subject_contains"?'
    assert (
        problems["rules[1].when.from_domain[1]"].message
        == '"ops@example.com" is an address, not a domain'
    )
    assert problems["rules[1].set.priority"].hint == 'did you mean "urgent"?'
    assert problems["rules[1].set.sla"].message == 'unknown SLA policy "gold"'


def test_a_rule_condition_must_be_a_list() -> None:
    text = MINIMAL + '[[rules]]\nwhen = { channel = "email" }\nset = { tags = ["mail"] }\n'
    assert problem_at(text, "rules[1].when.channel").hint == 'write it as a list: ["email"]'


def test_bad_escalation_at_says_what_is_allowed() -> None:
    text = MINIMAL + '[[escalation.levels]]\nname = "lead"\nat = "breech+1h"\n'
    problem = problem_at(text, "escalation.levels[1].at")
    assert problem.message == '"breech+1h" is not warning, breach or breach+DURATION'
    assert '"breach+2h"' in (problem.hint or "")
    assert problem.line == line_of(text, 'at = "breech')


def test_an_escalation_level_reached_no_later_than_the_next_can_never_fire() -> None:
    text = MINIMAL + (
        '[[escalation.levels]]\nname = "manager"\nat = "breach"\n'
        '[[escalation.levels]]\nname = "lead"\nat = "warning"\n'
    )
    problem = problem_at(text, "escalation.levels[2].at")
    assert 'so "manager" could never fire' in problem.message
    assert "order listed" in (problem.hint or "")
    assert problem.line == line_of(text, 'at = "warning"')


def test_a_day_is_compared_in_the_sla_calendars_working_hours() -> None:
    # The office calendar's day is 8h, so breach+1d is reached together with breach+8h.
    text = MINIMAL + (
        '[[escalation.levels]]\nname = "manager"\nat = "breach+8h"\n'
        '[[escalation.levels]]\nname = "cto"\nat = "breach+1d"\n'
    )
    assert "could never fire" in problem_at(text, "escalation.levels[2].at").message
    later = text.replace('"breach+1d"', '"breach+1d1h"')
    parse_policy_text(later)


def test_two_escalation_levels_with_one_name_are_reported() -> None:
    text = MINIMAL + (
        '[[escalation.levels]]\nname = "lead"\nat = "warning"\n'
        '[[escalation.levels]]\nname = "lead"\nat = "breach"\n'
    )
    assert (
        problem_at(text, "escalation.levels[2].name").message
        == 'two escalation levels are named "lead"'
    )


def test_notify_command_placeholders_are_checked() -> None:
    text = MINIMAL + '[escalation]\nnotify_command = ["notify-send", "{tilte}"]\n'
    assert problem_at(text, "escalation.notify_command[2]").hint == "did you mean {title}?"


def test_key_bindings_must_be_non_empty_text() -> None:
    text = MINIMAL + '[keys]\nreply = ""\nnote = 5\n'
    assert problem_at(text, "keys.reply").message == "must not be empty"
    assert problem_at(text, "keys.note").message == "expected text in quotes, got 5"


def test_required_sections_are_reported_when_missing() -> None:
    problems = {problem.key: problem for problem in problems_of('[desk]\nname = "x"\n')}
    assert set(problems) == {"desk.timezone", "calendars", "sla"}
    assert problems["desk.timezone"].line == 1  # points at [desk]
    assert problems["calendars"].line is None


def test_several_problems_are_reported_at_once_in_file_order() -> None:
    text = (
        MINIMAL.replace('"Europe/Berlin"', '"Mars/Olympus"')
        .replace('mon = ["09:00-17:00"]', 'mon = ["17:00-09:00"]')
        .replace('calendar = "office"', 'calendar = "offce"')
        .replace('resolution = "8h"', 'resolution = "eight"')
    )
    problems = problems_of(text)
    assert [problem.key for problem in problems] == [
        "desk.timezone",
        "calendars.office.mon[1]",
        "sla.standard.calendar",
        "sla.standard.targets.high.resolution",
    ]
    assert [problem.line for problem in problems] == sorted(
        problem.line or 0 for problem in problems
    )


def test_policy_error_prints_one_problem_per_line() -> None:
    text = MINIMAL.replace('calendar = "office"', 'calendar = "offce"\nwarn_at = "100%"')
    with pytest.raises(PolicyError) as caught:
        parse_policy_text(text, "policy.toml")
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("policy.toml:") for line in lines)
