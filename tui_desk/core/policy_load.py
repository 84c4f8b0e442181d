"""Loading a policy (SPEC §2): the public entry points that turn a policy file, a TOML text
or a dict into the model, or raise `PolicyError` listing *all* problems at once, each with
its file, line, key path and a fix.

The work is done by: `policy_toml` (reading the file and TOML, with line numbers),
`policy_schema` (the declaration of every key), `policy_values` (the parser of each kind of
value), `policy_check*` (the validator, table by table) and `policy_effective` (the model
written back with every default filled in).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import tomli_w

from tui_desk.core.policy import Policy, default_policy_text
from tui_desk.core.policy_check_rules import Validator
from tui_desk.core.policy_effective import effective_form
from tui_desk.core.policy_toml import (
    MAX_NESTING,
    KeyLines,
    PolicyError,
    PolicyProblem,
    Report,
    read_policy_file,
    read_toml,
)
from tui_desk.core.policy_values import MAX_DURATION, MAX_QUOTA_TICKETS

__all__ = [
    "MAX_DURATION",
    "MAX_NESTING",
    "MAX_QUOTA_TICKETS",
    "PolicyError",
    "PolicyProblem",
    "default_policy_text",
    "effective_policy_toml",
    "load_policy",
    "parse_policy_text",
    "policy_from_effective",
    "read_policy_file",
    "validate",
]

_EFFECTIVE_HEADER = (
    "# tui-desk effective policy: the policy file as read, with every default filled in.\n\n"
)


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read, validate and build the policy file at `path`; raise PolicyError if unusable."""
    return parse_policy_text(read_policy_file(path), str(path))


def parse_policy_text(text: str, path: str = "<policy>") -> Policy:
    """Validate and build a policy from TOML text; raise PolicyError with all problems."""
    text = text.removeprefix("\ufeff")
    policy, problems = _read(read_toml(text, path), path=path, text=text)
    if problems:
        raise PolicyError(problems)
    return policy


def validate(
    raw: dict[str, Any], *, path: str = "<policy>", text: str | None = None
) -> tuple[dict[str, Any], list[PolicyProblem]]:
    """Check a parsed policy against SPEC §2.

    Returns the effective policy (defaults filled in; meaningful only when there are no
    problems) and every problem found, ordered by line. `text` is the TOML the dict came
    from; it is only used to give problems their line numbers.
    """
    policy, problems = _read(raw, path=path, text=text)
    return policy.effective, problems


def policy_from_effective(effective: dict[str, Any]) -> Policy:
    """The model of a policy dict known to be good (a validated policy's effective form,
    or one written in code): read by the same validator, without the checks that ask the
    environment or weigh the whole policy. ValueError if it is not usable."""
    report = Report("<effective policy>", KeyLines(None))
    policy = Validator(report, trusted=True).run(effective)
    if report.problems:
        raise ValueError("\n".join(str(problem) for problem in report.sorted()))
    return dataclasses.replace(policy, effective=effective_form(policy))


def effective_policy_toml(policy: Policy) -> str:
    """The effective policy as TOML (for `tui-desk policy show`); parses back to `policy`."""
    if not policy.effective:
        raise ValueError("this Policy has no effective form; build it with build_policy()")
    return _EFFECTIVE_HEADER + tomli_w.dumps(policy.effective)


def _read(
    raw: dict[str, Any], *, path: str, text: str | None
) -> tuple[Policy, list[PolicyProblem]]:
    """The model and the problems; the model has its effective form only when there are
    none (with problems, some of its values are mere stand-ins)."""
    report = Report(path, KeyLines(text))
    policy = Validator(report).run(raw)
    if report.problems:
        return policy, report.sorted()
    return dataclasses.replace(policy, effective=effective_form(policy)), []
