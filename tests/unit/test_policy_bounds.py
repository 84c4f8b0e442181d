"""Hostile or clumsy policies are refused with a located problem, never run (SPEC §2; issue
#10 findings 2, 6, 12 and issue #11.2): durations and offsets at most 10 years, targets
within reach of their calendar, a fixed warn_at shorter than its targets, bounded quotas,
bounded nesting, and no placeholder inside code that a notifier's interpreter runs."""

from __future__ import annotations

import contextlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.test_policy import MINIMAL, line_of, problem_at, problems_of
from tui_desk.cli import main
from tui_desk.core.durations import Duration
from tui_desk.core.policy import default_policy_text
from tui_desk.core.policy_load import (
    MAX_DURATION,
    MAX_QUOTA_TICKETS,
    PolicyError,
    parse_policy_text,
)
from tui_desk.core.quota import QuotaPeriod, forecast_exhaustion
from tui_desk.services.escalation import notify_argv

ALWAYS = (
    MINIMAL.replace('calendar = "office"', 'calendar = "always"')
    + "\n[calendars.always]\nalways = true\n"
)
ESCALATION = '\n[[escalation.levels]]\nname = "lead"\nat = "{at}"\n'

HUGE = "99999999999999999999d"


@pytest.mark.parametrize(
    ("text", "key", "snippet"),
    [
        (
            MINIMAL.replace(
                'normal = { first_response = "4h" }', f'normal = {{ first_response = "{HUGE}" }}'
            ),
            "sla.standard.targets.normal.first_response",
            HUGE,
        ),
        (MINIMAL + ESCALATION.format(at=f"breach+{HUGE}"), "escalation.levels[1].at", HUGE),
        (
            MINIMAL.replace('calendar = "office"', f'calendar = "office"\nwarn_at = "{HUGE}"'),
            "sla.standard.warn_at",
            HUGE,
        ),
        (
            MINIMAL.replace(
                'timezone = "Europe/Berlin"',
                f'timezone = "Europe/Berlin"\nrepeat_window = "{HUGE}"',
                1,
            ),
            "desk.repeat_window",
            HUGE,
        ),
        (
            MINIMAL + '[plans.p]\nsla = "standard"\nexpiry_warning = "87649h"\n',
            "plans.p.expiry_warning",
            "87649h",
        ),
    ],
    ids=["target", "escalation offset", "warn_at", "repeat_window", "expiry_warning"],
)
def test_every_duration_and_offset_beyond_10_years_is_refused_where_it_is_written(
    text: str, key: str, snippet: str
) -> None:
    problem = problem_at(text, key)
    assert problem.line == line_of(text, snippet)
    assert "longer than 10 years" in problem.message and snippet in problem.message
    assert '"3652d"' in (problem.hint or "")


def test_ten_years_exactly_is_a_valid_target_on_an_always_calendar() -> None:
    text = ALWAYS.replace(
        'normal = { first_response = "4h" }', 'normal = { first_response = "3652d" }'
    )
    assert parse_policy_text(text).sla["standard"].targets["normal"].first_response == MAX_DURATION
    assert Duration(days=3652) == MAX_DURATION


SPARSE = """\
[desk]
timezone = "Europe/Berlin"

[calendars.sparse]
mon = ["10:00-10:01"]

[sla.standard]
calendar = "sparse"

[sla.standard.targets]
normal = { first_response = "8h" }
low = { first_response = "10h" }
"""


def test_a_target_beyond_10_years_of_its_calendars_hours_is_refused() -> None:
    problem = problem_at(SPARSE, "sla.standard.targets.low.first_response")
    assert problem.line == line_of(SPARSE, "low =")
    assert 'more than 10 years of calendar "sparse" (1m of working time a week)' in problem.message
    # 8h is 480 weekly minutes: under the 521 weeks of 10 years, so valid.
    assert [p.key for p in problems_of(SPARSE)] == ["sla.standard.targets.low.first_response"]


def test_the_latest_escalation_offset_counts_towards_reach() -> None:
    text = SPARSE.replace('low = { first_response = "10h" }\n', "") + ESCALATION.format(
        at="breach+1h"
    )
    problem = problem_at(text, "sla.standard.targets.normal.first_response")
    assert "plus the latest escalation offset" in problem.message


def test_a_fixed_warn_at_not_shorter_than_a_target_is_refused_and_names_it() -> None:
    text = MINIMAL.replace('calendar = "office"', 'calendar = "office"\nwarn_at = "1h"')
    problem = problem_at(text, "sla.standard.warn_at")
    assert problem.line == line_of(text, "warn_at")
    assert 'high.first_response = "1h"' in problem.message
    assert "normal" not in problem.message and "resolution" not in problem.message
    assert 'shorter than "1h"' in (problem.hint or "")


def test_a_fixed_warn_at_shorter_than_every_target_is_valid() -> None:
    text = MINIMAL.replace('calendar = "office"', 'calendar = "office"\nwarn_at = "59m"')
    assert parse_policy_text(text).sla["standard"].warn_at.before == Duration(seconds=59 * 60)


def test_warn_at_against_day_targets_uses_the_calendars_day_length() -> None:
    # office: Mon and Tue 09-17, so "1d" is 8 working hours; 8h is not shorter than it.
    text = MINIMAL.replace(
        'normal = { first_response = "4h" }', 'normal = { first_response = "1d" }'
    )
    text = text.replace('calendar = "office"', 'calendar = "office"\nwarn_at = "8h"')
    assert 'normal.first_response = "1d"' in problem_at(text, "sla.standard.warn_at").message


def test_the_default_policy_never_warns_a_clock_at_its_start() -> None:
    policy = parse_policy_text(default_policy_text())
    for sla in policy.sla.values():
        assert sla.warn_at.before is None or all(
            target is None or target.to_seconds(86_400) > sla.warn_at.before.to_seconds(86_400)
            for targets in sla.targets.values()
            for target in (targets.first_response, targets.next_response, targets.resolution)
        )


@pytest.mark.parametrize("tickets", [1_000_001, 2_147_483_647, 2**63])
def test_a_quota_beyond_a_million_tickets_is_refused(tickets: int) -> None:
    text = (
        MINIMAL + f'[plans.p]\nsla = "standard"\nquota = {{ tickets = {tickets}, per = "month" }}\n'
    )
    problem = problem_at(text, "plans.p.quota.tickets")
    assert problem.line == line_of(text, "quota =")
    assert "from 0 to 1,000,000" in problem.message


def test_the_largest_quota_gets_a_forecast_without_overflow() -> None:
    # One ticket in a long term: at that pace a million tickets take far beyond any date.
    term = QuotaPeriod(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    now = datetime(2050, 1, 1, tzinfo=UTC)
    assert forecast_exhaustion(1, MAX_QUOTA_TICKETS, term, now) is None
    assert forecast_exhaustion(1, 2, term, now) is None  # 50 more years: after the term


@pytest.mark.parametrize("depth", [17, 600, 5000])
def test_deeply_nested_toml_is_one_located_problem(depth: int) -> None:
    text = MINIMAL + "x = " + "[" * depth + "]" * depth + "\n"
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "x = ")
    assert "nested more than 16 deep" in problem.message


def test_brackets_inside_strings_and_comments_are_not_nesting() -> None:
    text = (
        MINIMAL.replace("[sla.standard]", "# [[[[[[[[[[[[[[[[[[[[[[[[\n[sla.standard]")
        + '[[rules]]\nwhen = { subject_contains = ["[[[[[[[[[[[[[[[[[[[[", \'{{{{{{{{{{{{{{{{{{{{\', """\\"[[[[[[[[[[[[[[[[[[[["""] }\nset = { priority = "high" }\n'
    )
    assert parse_policy_text(text).rules[0].when["subject_contains"][0] == "[" * 20


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes) -> tuple[int, str]:
    path = tmp_path / "policy.toml"
    path.write_bytes(data)
    code = main(["--policy", str(path), "policy", "check"])
    captured = capsys.readouterr()
    return code, captured.err


def test_policy_check_on_deep_nesting_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_environment: Path
) -> None:
    code, err = _check(tmp_path, capsys, ("x = " + "[" * 3000 + "]" * 3000 + "\n").encode())
    assert code == 2 and err.count("\n") == 1 and ":1:" in err


def test_policy_check_on_invalid_utf8_exits_2_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_environment: Path
) -> None:
    code, err = _check(tmp_path, capsys, MINIMAL.encode() + b'[keys]\nreply = "\xff\xfe"\n')
    assert code == 2 and err.count("\n") == 1
    assert f"policy.toml:{MINIMAL.count(chr(10)) + 2}:" in err and "not UTF-8" in err


# ------------------------------------------------------------------------------------------
# notify_command: argv, never a shell (SPEC §5)

SAFE_SHELL = ["sh", "-c", 'printf "%s\\n" "$1" "$2" > "$0.out"', "OUT", "{title}", "{body}"]
REFUSED = [
    ["sh", "-c", "notify-send {title}"],
    ["/bin/sh", "-c", "notify-send '{title}'"],
    ["bash", "-c", 'notify-send "{title}" "{body}"'],
    ["zsh", "-c", "print {body}"],
    ["dash", "-ec", "echo {title}"],
    ["/usr/bin/env", "sh", "-c", "echo {title}"],
    ["env", "-i", "bash", "-lc", "echo {ticket} {title}"],
    ["sudo", "-u", "ops", "sh", "-c", "echo {title}"],
    ["timeout", "5", "sh", "-c", "--", "echo {title}"],
    ["python3", "-c", "import os; os.system('echo {title}')"],
    ["/usr/bin/python3.11", "-Ic", "print('{title}')"],
    ["perl", "-e", "system('echo {title}')"],
    ["perl", "-le", "print qq({title})"],
    ["ruby", "-e", "system('echo {title}')"],
    ["node", "--eval", "console.log(`{title}`)"],
    ["env", "-S", "sh -c 'echo {title}'"],
    ["ssh", "ops@host", "notify", "{title}"],
    # Not interpreters, yet each runs one of its arguments as shell code or as a program:
    ["flock", "/tmp/notify.lock", "-c", "notify-send '{title}' '{body}'"],
    ["script", "-qc", "notify-send {title}", "/dev/null"],
    ["make", "-f", "/dev/null", "--eval=all: ; notify-send '{title}'", "all"],
    ["watch", "-n", "60", "notify-send '{title}'"],
    ["awk", 'BEGIN { system("notify-send {title}") }'],
    ["notify-send", "Ticket {ticket}: {title}"],
    # A whole argument that a program runs as shell code is no safer:
    ["sh", "-c", "{body}"],
    ["watch", "notify-send", "{title}"],
]
ACCEPTED = [
    ["notify-send", "{title}", "{body}"],
    SAFE_SHELL,
    ["python3", "-c", "import sys; print(sys.argv[1:])", "{title}", "{body}"],
    ["perl", "-e", "print @ARGV", "{title}"],
    ["sh", "/usr/local/bin/notify.sh", "{title}", "{body}"],
]


def _with_notifier(argv: list[str]) -> str:
    import json

    return MINIMAL + f"[escalation]\nnotify_command = {json.dumps(argv)}\n"


@pytest.mark.parametrize("argv", REFUSED, ids=lambda argv: " ".join(argv)[:40])
def test_a_placeholder_inside_code_an_interpreter_runs_is_refused(argv: list[str]) -> None:
    text = _with_notifier(argv)
    problems = [p for p in problems_of(text) if p.key.startswith("escalation.notify_command[")]
    assert problems and all(p.line == line_of(text, "notify_command") for p in problems)
    assert all("placeholder inside it" in p.message for p in problems)
    if argv[0] != "ssh":
        assert '["sh", "-c", "notify-send \\"$1\\" \\"$2\\"", "sh", "{title}", "{body}"]' in (
            problems[0].hint or ""
        )


def test_a_placeholder_inside_a_larger_argument_is_refused_whatever_the_program() -> None:
    argv = ["my-notifier", "--flag", "--text=#{ticket} {title}", "{body}"]
    text = _with_notifier(argv)
    problem = problem_at(text, "escalation.notify_command[3]")
    assert problem.line == line_of(text, "notify_command")
    assert str(problem).startswith(f"policy.toml:{problem.line}: escalation.notify_command[3]: ")
    assert '"{ticket}", "{title}"' in (problem.hint or "")
    assert '["sh", "-c", "notify-send \\"$1\\" \\"$2\\"", "sh", "{title}", "{body}"]' in (
        problem.hint or ""
    )


@pytest.mark.parametrize("argv", ACCEPTED, ids=lambda argv: " ".join(argv)[:40])
def test_placeholders_passed_as_their_own_arguments_are_accepted(argv: list[str]) -> None:
    assert parse_policy_text(_with_notifier(argv)).escalation.notify_command == tuple(argv)


def test_watch_running_its_arguments_without_a_shell_is_accepted() -> None:
    argv = ["watch", "--exec", "-n", "60", "notify-send", "{title}"]
    assert parse_policy_text(_with_notifier(argv)).escalation.notify_command == tuple(argv)


def _run_notifier(argv: tuple[str, ...]) -> None:
    """Run a notifier to its end, as the notifier runner does: argv, no shell."""
    with contextlib.suppress(FileNotFoundError):
        subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10, check=False)


def test_a_hostile_subject_never_runs_through_an_accepted_policy(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    subjects = [
        f"$(touch {planted})",
        f"`touch {planted}`",
        f"x; touch {planted}",
        f"x' ; touch {planted} ; '",
        f'x" ; touch {planted} ; "',
        f"x')); import os; os.system('touch {planted}') #",
    ]
    accepted = 0
    for argv in REFUSED + ACCEPTED:
        argv = [part.replace("OUT", str(tmp_path / "safe")) for part in argv]
        try:
            policy = parse_policy_text(_with_notifier(argv))
        except PolicyError:
            continue
        accepted += 1
        command = policy.escalation.notify_command or ()
        for subject in subjects:
            _run_notifier(notify_argv(command, subject, subject, "1", "lead"))
            assert not planted.exists(), (command, subject)
    assert accepted == len(ACCEPTED)
    # The shell form did run, and got each subject as plain text.
    assert (tmp_path / "safe.out").read_text().splitlines() == [subjects[-1]] * 2


def test_the_docs_show_the_safe_shell_form() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "escalation.md").read_text()
    assert '["sh", "-c", "notify-send \\"$1\\" \\"$2\\"", "sh", "{title}", "{body}"]' in docs
