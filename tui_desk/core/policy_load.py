"""Read and validate the policy file (SPEC §2) and explain every problem in it.

`load_policy` / `parse_policy_text` turn TOML into a `Policy` or raise `PolicyError`
listing *all* problems at once, each with its file, line, key path and a fix. `validate` is
the schema: it returns the *effective* policy (every default filled in) that
`policy.build_policy` consumes and `effective_policy_toml` prints.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import difflib
import functools
import json
import os
import re
import stat
import tomllib
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import tomli_w

from tui_desk.core.durations import Duration, format_duration_spec, parse_duration
from tui_desk.core.policy import (  # default_policy_text is re-exported for callers here
    CLOCKS,
    STATUS_CATEGORIES,
    WEEKDAYS,
    Policy,
    build_policy,
    default_policy_text,
)
from tui_desk.core.text import format_size, parse_size

__all__ = [
    "PolicyError",
    "PolicyProblem",
    "default_policy_text",
    "effective_policy_toml",
    "load_policy",
    "parse_policy_text",
    "read_policy_file",
    "validate",
]

_T = TypeVar("_T")
Key = tuple[str | int, ...]  # a key path; ints index lists and [[arrays of tables]]

# ------------------------------------------------------------------------------------------
# Schema: allowed keys, choices and defaults (SPEC §2)

TOP_KEYS = (
    "desk",
    "statuses",
    "priorities",
    "calendars",
    "sla",
    "plans",
    "rules",
    "escalation",
    "keys",
)
DESK_KEYS = ("name", "timezone", "week_starts", "default_sla", "repeat_window", "max_body_size")
STATUS_KEYS = (*STATUS_CATEGORIES, "initial", "reopen_to")
PRIORITY_KEYS = ("order", "default")
CALENDAR_KEYS = ("timezone", "always", *WEEKDAYS, "holidays", "holiday_country", "day_length")
SLA_KEYS = ("calendar", "warn_at", "resolution_on_reopen", "targets")
PLAN_KEYS = ("sla", "quota", "anchor", "overage", "expiry_warning")
QUOTA_KEYS = ("tickets", "per")
RULE_KEYS = ("name", "when", "set", "stop")
RULE_CONDITIONS = (
    "subject_contains",
    "body_contains",
    "from_domain",
    "from_address",
    "customer",
    "channel",
    "has_tag",
)
RULE_ACTIONS = ("priority", "product", "tags", "assignee", "sla")
ESCALATION_KEYS = ("notify_command", "levels")
LEVEL_KEYS = ("name", "at", "notify", "set")
LEVEL_ACTIONS = ("priority", "assignee", "tags")
NOTIFY_PLACEHOLDERS = ("title", "body", "ticket", "level")

WEEK_STARTS = ("monday", "sunday", "saturday")
REOPEN_MODES = ("resume", "keep")
QUOTA_PERIODS = ("week", "month", "quarter", "year", "term")
ANCHORS = ("calendar", "contract")
OVERAGES = ("no_sla", "billable")

DEFAULT_DESK_NAME = "tui-desk"
DEFAULT_STATUSES: dict[str, Any] = {
    "active": ["new", "open"],
    "paused": ["pending", "on_hold"],
    "solved": ["solved", "closed"],
    "void": ["spam", "merged"],
    "initial": "new",
    "reopen_to": "open",
}
DEFAULT_PRIORITIES: dict[str, Any] = {
    "order": ["urgent", "high", "normal", "low"],
    "default": "normal",
}
DEFAULTS = {
    "week_starts": "monday",
    "repeat_window": "30d",
    "max_body_size": "1MB",
    "warn_at": "75%",
    "resolution_on_reopen": "resume",
    "quota": "unlimited",
    "anchor": "calendar",
    "overage": "no_sla",
}

_EFFECTIVE_HEADER = (
    "# tui-desk effective policy: the policy file as read, with every default filled in.\n\n"
)


# ------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy file, located as precisely as the file allows."""

    path: str  # the policy file as the user named it
    line: int | None  # 1-based; None when the problem has no place (a missing section)
    column: int | None  # 1-based; only known for TOML syntax errors
    key: str  # dotted key path, e.g. sla.standard.targets.high.first_response
    message: str
    hint: str | None = None  # the fix: "did you mean …?", what is allowed

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class PolicyError(Exception):
    """A policy that cannot be used; `problems` lists everything wrong with it."""

    def __init__(self, problems: Iterable[PolicyProblem]) -> None:
        self.problems: list[PolicyProblem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


# ------------------------------------------------------------------------------------------
# Public API


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read, validate and build the policy file at `path`; raise PolicyError if unusable."""
    return parse_policy_text(read_policy_file(path), str(path))


def parse_policy_text(text: str, path: str = "<policy>") -> Policy:
    """Validate and build a policy from TOML text; raise PolicyError with all problems."""
    text = text.removeprefix("\ufeff")
    deepest = _too_deep(text)
    if deepest is not None:
        raise PolicyError([_nesting_problem(text, path, deepest)])
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError([_syntax_problem(error, text, path)]) from None
    except RecursionError:  # nesting that _too_deep's bracket count could not see
        raise PolicyError([_nesting_problem(text, path, 0)]) from None
    effective, problems = validate(raw, path=path, text=text)
    if problems:
        raise PolicyError(problems)
    return build_policy(effective)


def validate(
    raw: dict[str, Any], *, path: str = "<policy>", text: str | None = None
) -> tuple[dict[str, Any], list[PolicyProblem]]:
    """Check a parsed policy against SPEC §2.

    Returns the effective policy (defaults filled in; meaningful only when there are no
    problems) and every problem found, ordered by line. `text` is the TOML the dict came
    from; it is only used to give problems their line numbers.
    """
    report = _Report(path, _KeyLines(text))
    effective = _Validator(report).run(raw)
    return effective, report.sorted()


def effective_policy_toml(policy: Policy) -> str:
    """The effective policy as TOML (for `tui-desk policy show`); parses back to `policy`."""
    if not policy.effective:
        raise ValueError("this Policy has no effective form; build it with build_policy()")
    return _EFFECTIVE_HEADER + tomli_w.dumps(policy.effective)


# ------------------------------------------------------------------------------------------
# File and TOML syntax problems


def read_policy_file(path: str | os.PathLike[str]) -> str:
    """The text of the policy file at `path`, or PolicyError saying why there is none.

    Only a regular file is read. Anything else (a FIFO, a device, a directory) is refused
    from its `stat` before it is opened, and the open itself does not wait for a writer, so
    no path can make a command hang here.
    """
    shown = str(path)
    try:
        kind = _file_kind(os.stat(path).st_mode)
        if kind is None:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
            with os.fdopen(fd, "rb") as handle:  # closes fd on every path
                kind = _file_kind(os.fstat(fd).st_mode)  # the file itself, if it was swapped
                if kind is None:
                    return handle.read().decode("utf-8")
        problem = _file_problem(
            shown, f"not a regular file (it is {kind})", "give the path of a policy .toml file"
        )
    except FileNotFoundError:
        hint = "create it with `tui-desk policy init`"
        problem = _file_problem(shown, "the policy file does not exist", hint)
    except UnicodeDecodeError as error:
        problem = _encoding_problem(shown, error)
    except OSError as error:
        reason = error.strerror or str(error)
        problem = _file_problem(shown, f"cannot read the policy file: {reason}", None)
    raise PolicyError([problem])


def _file_kind(mode: int) -> str | None:
    """None for a regular file, else what the path is, in words."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _too_deep(text: str) -> int | None:
    """The offset where brackets ("[", "{") first nest deeper than MAX_NESTING, if they do.

    Counted before parsing, without recursion, so that no nesting can exhaust the stack of
    the parser. Brackets inside strings and comments do not count.
    """
    depth = offset = 0
    length = len(text)
    while offset < length:
        char = text[offset]
        if char == "#":
            offset = _end_of(text, "\n", offset + 1) - 1
        elif char in "\"'":
            quotes = text[offset : offset + 3] if text.startswith(char * 3, offset) else char
            close = _end_of(text, quotes, offset + len(quotes))
            while char == '"' and close <= length and _escaped(text, close - len(quotes)):
                close = _end_of(text, quotes, close - len(quotes) + 1)
            offset = close - 1
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return offset
        elif char in "]}":
            depth = max(0, depth - 1)
        offset += 1
    return None


def _end_of(text: str, token: str, start: int) -> int:
    """The offset just past the next `token` from `start` (the end of text if none)."""
    found = text.find(token, start)
    return len(text) if found < 0 else found + len(token)


def _nesting_problem(text: str, path: str, offset: int) -> PolicyProblem:
    line = text.count("\n", 0, offset) + 1
    return PolicyProblem(
        path=path,
        line=line,
        column=offset - (text.rfind("\n", 0, offset) + 1) + 1,
        key="",
        message=f"lists and tables are nested more than {MAX_NESTING} deep",
        hint="a policy needs a few levels at most: look for brackets that are never closed",
    )


def _file_problem(path: str, message: str, hint: str | None) -> PolicyProblem:
    return PolicyProblem(path=path, line=None, column=None, key="", message=message, hint=hint)


def _encoding_problem(path: str, error: UnicodeDecodeError) -> PolicyProblem:
    data = error.object if isinstance(error.object, bytes) else b""
    line = data.count(b"\n", 0, error.start) + 1
    column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
    return PolicyProblem(
        path=path,
        line=line,
        column=column,
        key="",
        message="the policy file is not UTF-8 text",
        hint="save it as UTF-8",
    )


_TOMLLIB_ERROR = re.compile(
    r"^(?P<message>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$",
    re.DOTALL,
)

# tomllib's messages, rewritten for people who edit a policy file: (pattern, message, hint).
_SYNTAX_MESSAGES: tuple[tuple[str, str, str | None], ...] = (
    (
        r"Expected '=' after a key in a key/value pair",
        'expected "=" after the key',
        'write key = value, e.g. timezone = "Europe/Berlin"',
    ),
    (
        r"Invalid value",
        "expected a value: text in quotes, a number, true/false, a [list] or an { inline table }",
        'text needs quotes, e.g. first_response = "1h"',
    ),
    (
        r"Invalid statement",
        "expected a key = value pair or a [table] header",
        None,
    ),
    (r"Unclosed array", 'expected "," or "]" to continue or close the list', None),
    (
        r"Unclosed inline table",
        'expected "," or "}" in the inline table',
        "an inline table { … } must be written on one line",
    ),
    (r"Unterminated string", "the text is missing its closing quote", None),
    (
        r"""Expected (?:"'"|'"'|"'''"|'""\"')""",
        "the file ended inside a text: a closing quote is missing",
        "look above for text that was opened with a quote and never closed",
    ),
    (
        r"(?:Illegal|Found invalid) character '\\n'",
        "the text is missing its closing quote before the end of the line",
        'close it on the same line, or use """triple quotes""" for text over several lines',
    ),
    (
        r"Cannot declare (?P<key>.+) twice",
        "the table [{key}] is declared twice",
        "merge the two tables into one",
    ),
    (r"Cannot overwrite a value", "this key is already set", "a key may be set only once"),
    (
        r"Duplicate inline table key '(?P<key>.+)'",
        'the key "{key}" appears twice in this inline table',
        None,
    ),
    (
        r"Expected '\]' at the end of a table declaration",
        'expected "]" to close the table header',
        None,
    ),
    (
        r"Expected '\]\]' at the end of an array declaration",
        'expected "]]" to close the [[array]] header',
        None,
    ),
    (
        r"Expected newline or end of document after a statement",
        "expected the end of the line after the value",
        "put each key = value on a line of its own; comments start with #",
    ),
    (
        r"Invalid initial character for a key part",
        "expected a key name",
        'bare keys use letters, digits, "_" and "-"; put other keys in quotes',
    ),
)


def _syntax_problem(error: tomllib.TOMLDecodeError, text: str, path: str) -> PolicyProblem:
    match = _TOMLLIB_ERROR.match(str(error))
    raw_message = match["message"] if match else str(error)
    if match and match["line"]:
        line, column = int(match["line"]), int(match["column"])
    else:  # "end of document"
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
    message, hint = _explain_syntax(raw_message)
    if raw_message == "Invalid value":
        hint = _unquoted_text_hint(text, line, column) or hint
    if _inside_open_inline_table(text, line, column):
        message = "an inline table { … } must be closed on the line where it starts"
        hint = "write it on one line, or use a [table] with one key per line"
    return PolicyProblem(
        path=path,
        line=line,
        column=column,
        key="",
        message=f"TOML syntax error: {message}",
        hint=hint,
    )


def _explain_syntax(raw_message: str) -> tuple[str, str | None]:
    for pattern, message, hint in _SYNTAX_MESSAGES:
        match = re.fullmatch(pattern, raw_message)
        if match:
            for name, value in match.groupdict().items():
                message = message.replace(f"{{{name}}}", _tomllib_key(value))
            return message, hint
    return raw_message[:1].lower() + raw_message[1:], None


def _inside_open_inline_table(text: str, line: int, column: int) -> bool:
    """Did the error happen at the end of a line that opened an inline table?"""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return False
    before = lines[line - 1][: column - 1].split("#", 1)[0]
    at_end = not lines[line - 1][column - 1 :].split("#", 1)[0].strip()
    return at_end and before.count("{") > before.count("}")


def _unquoted_text_hint(text: str, line: int, column: int) -> str | None:
    """For "Invalid value" at `name = Acme Support`: suggest the quoted text."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    token = lines[line - 1][column - 1 :].split("#", 1)[0].strip().rstrip(",")
    if not re.fullmatch(r"[^\"'\[\]{}=,]+", token):
        return None
    return f"text needs quotes: {json.dumps(token, ensure_ascii=False)}"


def _tomllib_key(text: str) -> str:
    """tomllib names keys as tuple reprs: "('sla', 'standard')" -> "sla.standard"."""
    try:
        parts = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    if isinstance(parts, tuple) and all(isinstance(part, str) for part in parts):
        return _render_key(parts)
    return text


# ------------------------------------------------------------------------------------------
# Where keys are written: tomllib gives no positions, so scan the text for them.

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[^,\]}\n#]*")


class _KeyLines:
    """Line numbers of the key paths written in a TOML text (best effort, never fails)."""

    def __init__(self, text: str | None) -> None:
        self._lines: dict[Key, int] = {}
        if text:
            # Positions are a courtesy: if the scan trips, problems are reported without them.
            with contextlib.suppress(ValueError, IndexError):
                _TomlScanner(text, self._lines).document()

    def line_of(self, key: Key) -> int | None:
        """The line of `key`, else of its nearest written parent."""
        for length in range(len(key), 0, -1):
            line = self._lines.get(key[:length])
            if line is not None:
                return line
        return None


class _TomlScanner:
    """A minimal TOML reader that records on which line each key path first appears.

    It runs only on text tomllib has already accepted, so it can be forgiving.
    """

    def __init__(self, text: str, found: dict[Key, int]) -> None:
        self.src = text
        self.pos = 0
        self.found = found
        self.newlines = [index for index, char in enumerate(text) if char == "\n"]
        self.array_tables: dict[Key, int] = {}  # [[x]] path -> index of its latest entry

    def document(self) -> None:
        table: Key = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.src):
                return
            line = self.line()
            if self.src.startswith("[[", self.pos):
                self.pos += 2
                parts = self.key_parts()
                self.expect("]]")
                parent = self.resolve(parts[:-1]) + (parts[-1],)
                index = self.array_tables.get(parent, -1) + 1
                self.array_tables[parent] = index
                table = (*parent, index)
                self.record(table, line)
            elif self.peek() == "[":
                self.pos += 1
                parts = self.key_parts()
                self.expect("]")
                table = self.resolve(parts)
                self.record(table, line)
            else:
                self.key_value(table)

    def key_value(self, table: Key) -> None:
        key = table + self.key_parts()
        self.record(key, self.line())
        self.expect("=")
        self.value(key)

    def value(self, key: Key) -> None:
        self.skip_blank(newlines=False)
        char = self.peek()
        if char == "[":
            self.array(key)
        elif char == "{":
            self.inline_table(key)
        elif char in "\"'":
            self.string()
        else:
            match = _SCALAR.match(self.src, self.pos)
            if match is None or not match.group().strip():
                raise ValueError("no value")
            self.pos = match.end()

    def array(self, key: Key) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            self.record((*key, index), self.line())
            self.value((*key, index))
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1
                index += 1
            elif self.peek() != "]":
                raise ValueError("unclosed array")

    def inline_table(self, key: Key) -> None:
        self.pos += 1
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.pos += 1
                return
            self.key_value(key)
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise ValueError("unclosed inline table")

    def key_parts(self) -> Key:
        parts: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            if self.peek() in "\"'":
                start = self.pos
                self.string()
                parts.append(tomllib.loads(f"k = {self.src[start : self.pos]}")["k"])
            else:
                match = _BARE_KEY.match(self.src, self.pos)
                if match is None:
                    raise ValueError("no key")
                parts.append(match.group())
                self.pos = match.end()
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return tuple(parts)
            self.pos += 1

    def string(self) -> None:
        src = self.src
        for quotes in ('"""', "'''"):
            if src.startswith(quotes, self.pos):
                close = src.index(quotes, self.pos + 3)
                while quotes == '"""' and _escaped(src, close):
                    close = src.index(quotes, close + 1)
                close += 3
                for _ in range(2):  # up to two quotes may end the content itself
                    if src[close : close + 1] == quotes[0]:
                        close += 1
                self.pos = close
                return
        if src[self.pos] == "'":
            self.pos = src.index("'", self.pos + 1) + 1
            return
        end = self.pos + 1
        while src[end] != '"':
            end += 2 if src[end] == "\\" else 1
        self.pos = end + 1

    def resolve(self, parts: Key) -> Key:
        """A table header's path, with the current index of every [[array]] along it."""
        resolved: list[str | int] = []
        for part in parts:
            resolved.append(part)
            index = self.array_tables.get(tuple(resolved))
            if index is not None:
                resolved.append(index)
        return tuple(resolved)

    def record(self, key: Key, line: int) -> None:
        for length in range(1, len(key) + 1):
            self.found.setdefault(key[:length], line)

    def skip_blank(self, *, newlines: bool) -> None:
        src = self.src
        while self.pos < len(src):
            char = src[self.pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            elif char == "#":
                end = src.find("\n", self.pos)
                self.pos = len(src) if end < 0 else end
            else:
                return

    def expect(self, token: str) -> None:
        self.skip_blank(newlines=False)
        if not self.src.startswith(token, self.pos):
            raise ValueError(f"expected {token}")
        self.pos += len(token)

    def peek(self) -> str:
        return self.src[self.pos] if self.pos < len(self.src) else ""

    def line(self) -> int:
        return bisect_left(self.newlines, self.pos) + 1


def _escaped(src: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and src[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


# ------------------------------------------------------------------------------------------
# Wording: key paths, values, suggestions


def _render_key(key: Iterable[str | int]) -> str:
    """A key path as the user reads it: sla.standard.targets, rules[2].set (1-based)."""
    out = ""
    for part in key:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            text = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out += f".{text}" if out else text
    return out


def _show(value: Any) -> str:
    """A value as it would be written in TOML, shortened."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, dict):
        return "a table"
    elif isinstance(value, list):
        text = "[" + ", ".join(_show(item) for item in value) + "]"
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _quoted(names: Iterable[str]) -> str:
    """'"a", "b" or "c"'."""
    items = [json.dumps(name, ensure_ascii=False) for name in names]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate `word` most likely misspells (ignoring case), if any is close."""
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    if word.lower() in by_lower:
        return by_lower[word.lower()]
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[matches[0]] if matches else None


def _did_you_mean(word: str, candidates: Iterable[str], *, braces: bool = False) -> str | None:
    best = _closest(word, candidates)
    if best is None:
        return None
    return f"did you mean {{{best}}}?" if braces else f'did you mean "{best}"?'


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Bad(Exception):
    """A value that failed a check: the message and the fix, for the caller to report."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class _Report:
    """Collects problems, locating each by its key path."""

    def __init__(self, path: str, lines: _KeyLines) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[PolicyProblem] = []

    def add(self, key: Key, message: str, hint: str | None = None) -> None:
        problem = PolicyProblem(
            path=self.path,
            line=self.lines.line_of(key),
            column=None,
            key=_render_key(key),
            message=message,
            hint=hint,
        )
        if problem not in self.problems:
            self.problems.append(problem)

    def sorted(self) -> list[PolicyProblem]:
        """Problems with no place first (missing sections), then by line, stably."""
        return sorted(self.problems, key=lambda p: (p.line is not None, p.line or 0))


# ------------------------------------------------------------------------------------------
# Value checks (pure; raise _Bad)


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_ONE_OFF_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEARLY_DATE = re.compile(r"^(\d{2})-(\d{2})$")
_ESCALATION_AT = re.compile(r"^\s*(warning|breach)\s*(?:\+\s*(.*?))?\s*$")
_PLACEHOLDER = re.compile(r"\{(\w*)\}")
_DURATION_HINT = 'write it like "45m", "4h", "1h30m" or "2d" (units d, h, m, s; biggest first)'
# The largest quota: far beyond any real plan, small enough for every computation on it.
MAX_QUOTA_TICKETS = 1_000_000
# How deeply tables and lists may nest: the schema needs 4 levels; tomllib itself recurses.
MAX_NESTING = 16
# SPEC §2: no duration or offset beyond 10 years, so that arithmetic on any valid policy
# finishes in bounded time. Counted with "1d" as 24 h (a working day is never longer).
MAX_DURATION = Duration(days=3652)
_MAX_DURATION_SECONDS = MAX_DURATION.to_seconds(86_400)
# A target plus the latest escalation offset must fall within 10 years of calendar time,
# that is within this many whole weeks of the calendar's working hours (10 × 365 days).
_REACH_WEEKS = 521


MAX_BODY_SIZE_BOUNDS = (1_000, 100_000_000)  # 1KB .. 100MB: a message, not an archive


def _body_size_value(value: Any) -> str:
    """desk.max_body_size in canonical spelling ("1000KB" -> "1MB"), or _Bad."""
    low, high = MAX_BODY_SIZE_BOUNDS
    hint = f'a size between {format_size(low)} and {format_size(high)}, e.g. "1MB"'
    if not isinstance(value, str):
        raise _Bad(f"expected a size in quotes, got {_show(value)}", hint)
    try:
        size = parse_size(value)
    except ValueError:
        raise _Bad(f"{_show(value)} is not a size", hint) from None
    if not low <= size <= high:
        raise _Bad(f"{_show(value)} is out of range", hint)
    return format_size(size)


def _duration_value(value: Any) -> Duration:
    """A policy duration, or _Bad saying how to write one."""
    if not isinstance(value, str):
        hint = _DURATION_HINT
        if _is_int(value):
            hint = f'durations are text with a unit: did you mean "{value}m" or "{value}h"?'
        raise _Bad(f"expected a duration in quotes, got {_show(value)}", hint)
    try:
        parsed = parse_duration(value)
    except ValueError as error:
        reason = str(error)
        if "repeats the unit" in reason:
            hint = 'give each unit once, e.g. "1h30m"'
        elif "biggest first" in reason:
            hint = 'write the units biggest first, e.g. "1h30m"'
        else:
            hint = _DURATION_HINT
        raise _Bad(f"{_show(value)} is not a duration", hint) from None
    return _bounded(parsed, value)


def _bounded(duration: Duration, value: Any) -> Duration:
    """`duration` if it is at most MAX_DURATION, else _Bad (every duration and offset)."""
    if duration.to_seconds(86_400) > _MAX_DURATION_SECONDS:
        raise _Bad(
            f"{_show(value)} is longer than 10 years",
            f'durations and offsets may be at most 10 years: "{MAX_DURATION}" or '
            f'"{MAX_DURATION.days * 24}h"',
        )
    return duration


def _span_value(text: str) -> tuple[int, int]:
    """ "09:00-17:30" -> minutes after midnight (start, end); _Bad if not a span."""
    match = _SPAN.match(text)
    if not match:
        raise _Bad(
            f"{_show(text)} is not a span of working hours",
            'write it as "HH:MM-HH:MM", e.g. "09:00-17:30"',
        )
    start = _minute_of_day(int(match[1]), int(match[2]), text)
    end = _minute_of_day(int(match[3]), int(match[4]), text)
    if start == 24 * 60:
        raise _Bad(f"{_show(text)} starts at 24:00", "24:00 may only end a span")
    if end == start:
        raise _Bad(f"{_show(text)} is empty: it starts and ends at the same time")
    if end < start:
        raise _Bad(
            f"{_show(text)} is reversed: it ends before it starts",
            'hours cannot cross midnight: split it into "22:00-24:00" on one day '
            'and "00:00-06:00" on the next',
        )
    return start, end


def _minute_of_day(hours: int, minutes: int, text: str) -> int:
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise _Bad(f"{_show(text)} has a time that does not exist", "times run from 00:00 to 24:00")
    return hours * 60 + minutes


def _format_span(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _holiday_value(value: Any) -> str:
    """A one-off "YYYY-MM-DD" or yearly "MM-DD" holiday in canonical spelling, or _Bad."""
    hint = 'write one-off holidays as "2026-12-24" and yearly ones as "12-24"'
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()  # an unquoted TOML date is fine too
    if not isinstance(value, str):
        raise _Bad(f"expected a date in quotes, got {_show(value)}", hint)
    try:
        if _ONE_OFF_DATE.match(value):
            return date.fromisoformat(value).isoformat()
        yearly = _YEARLY_DATE.match(value)
        if yearly:
            date(2000, int(yearly[1]), int(yearly[2]))  # a leap year, so 02-29 is allowed
            return value
    except ValueError:
        raise _Bad(f"{_show(value)} is not a real date", hint) from None
    raise _Bad(f"{_show(value)} is not a date", hint)


def _warn_at_value(value: Any) -> str:
    """warn_at in canonical spelling: "75%" (0 < share < 100) or a positive duration."""
    hint = (
        'use a share of the target below 100% like "75%", or a time before the deadline like "30m"'
    )
    if isinstance(value, float | int) and not isinstance(value, bool):
        if 0 < value < 1:
            hint = f'did you mean "{value * 100:g}%"?'
        elif 1 <= value < 100:
            hint = f'did you mean "{value:g}%"?'
        raise _Bad(f"expected a share or a duration in quotes, got {_show(value)}", hint)
    if not isinstance(value, str):
        raise _Bad(f"expected a share or a duration in quotes, got {_show(value)}", hint)
    percent = _PERCENT.match(value)
    if percent:
        share = float(percent[1])
        if share >= 100:
            raise _Bad(
                f"{_show(value)} is not below 100%: the clock would never warn before it breaches",
                hint,
            )
        if share <= 0:
            raise _Bad(f"{_show(value)} is not above 0%", hint)
        return f"{share:g}%"
    try:
        before = parse_duration(value)
    except ValueError:
        raise _Bad(
            f'{_show(value)} is neither a share like "75%" nor a duration like "30m"', hint
        ) from None
    if before == Duration():
        raise _Bad(f"{_show(value)} would warn only at the deadline itself", hint)
    return format_duration_spec(_bounded(before, value))


def _escalation_at_value(value: Any) -> tuple[str, Duration | None]:
    """ "warning" | "breach" | "breach+DURATION" -> (canonical text, time after breach).

    The time is None for "warning" (reached before any breach).
    """
    hint = 'write at = "warning", "breach" or "breach+2h" (working time after the breach)'
    if not isinstance(value, str):
        raise _Bad(f"expected text in quotes, got {_show(value)}", hint)
    match = _ESCALATION_AT.match(value)
    if not match:
        raise _Bad(f"{_show(value)} is not warning, breach or breach+DURATION", hint)
    kind, extra = match[1], match[2]
    if extra is None:
        return kind, (None if kind == "warning" else Duration())
    if kind == "warning":
        raise _Bad(
            f"{_show(value)}: only breach takes a +DURATION", 'use "warning", or "breach+DURATION"'
        )
    try:
        after = parse_duration(extra)
    except ValueError:
        raise _Bad(f"{_show(value)}: {_show(extra)} is not a duration", _DURATION_HINT) from None
    if after == Duration():
        raise _Bad(f'{_show(value)} is the same as "breach"', 'write at = "breach"')
    _bounded(after, value)
    return f"breach+{format_duration_spec(after)}", after


def _nominal_day_seconds(calendar: Mapping[str, Any]) -> int:
    """What "1d" means on an effective calendar: day_length, 24h if always, else the most
    common working-weekday length (ties: the longer). DST is ignored; used for ordering."""
    if calendar.get("always"):
        return 86_400
    if "day_length" in calendar:
        return parse_duration(calendar["day_length"]).seconds
    lengths = []
    for day in WEEKDAYS:
        spans = [_span_value(text) for text in calendar.get(day, [])]
        if spans:
            lengths.append(sum(end - start for start, end in spans) * 60)
    if not lengths:
        return 86_400
    counts = Counter(lengths)
    return max(counts, key=lambda length: (counts[length], length))


# notify_command (SPEC §5: the notifier is argv, never a shell). The rule: a placeholder is
# a whole argument or nothing. Text built around a placeholder ("notify-send {title}",
# "--eval=…{title}…") is refused whatever the program, because no list of programs can
# say which of them run such text as code (sh -c, flock -c, script -c, make --eval, awk,
# watch, …). There is no opt-in: every composition has a safe spelling, a shell that gets
# the placeholders as positional arguments (SAFE_NOTIFY_FORM).
SAFE_NOTIFY_FORM = '["sh", "-c", "notify-send \\"$1\\" \\"$2\\"", "sh", "{title}", "{body}"]'
# A second net for a whole-argument placeholder that a well-known program still runs as
# code: the script of a shell's -c (also behind env, sudo, timeout …), the code option of
# an interpreter, and every later argument of a program that joins its arguments into a
# shell line (ssh; watch unless -x/--exec). Best effort by nature; the rule above is the
# guarantee.
_SHELLS = ("sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "busybox")
_CODE_OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    **{shell: ((), "c") for shell in _SHELLS},
    "su": (("--command",), "c"),
    "flock": (("--command",), "c"),
    "script": (("--command",), "c"),
    "python": ((), "c"),
    "perl": ((), "eE"),
    "ruby": ((), "e"),
    "node": (("--eval", "--print"), "ep"),
    "php": (("--run",), "r"),
    "awk": (("--source",), "e"),
    "gawk": (("--source",), "e"),
    "env": (("--split-string",), "S"),  # env -S "sh -c '…'" splits the text into argv
}
# Programs whose every later argument reaches a shell: (program, options that turn it off).
_SHELL_TAIL: dict[str, tuple[str, ...]] = {"ssh": (), "watch": ("-x", "--exec")}


def _program_name(argument: str) -> str:
    """The program an argv element names: "/usr/bin/python3.12" -> "python"."""
    name = argument.rsplit("/", 1)[-1].lower().removesuffix(".exe")
    return re.sub(r"[\d.]+$", "", name) or name


def _placeholders_run_as_code(argv: Sequence[str]) -> list[tuple[int, str]]:
    """(index, program) of each whole-argument placeholder that a well-known program runs
    as shell code or as a program's source."""
    found: list[tuple[int, str]] = []
    for position, argument in enumerate(argv):
        program = _program_name(argument)
        if program in _SHELL_TAIL:
            rest = argv[position + 1 :]
            if not any(option in _SHELL_TAIL[program] for option in rest):
                found.extend(
                    (position + 1 + offset, program)
                    for offset, later in enumerate(rest)
                    if _has_placeholder(later)
                )
            continue
        if program not in _CODE_OPTIONS:
            continue
        long_options, letters = _CODE_OPTIONS[program]
        for index in range(position + 1, len(argv) - 1):
            option = argv[index]
            takes_code = option.lower() in long_options or (
                bool(letters)
                and option.startswith("-")
                and not option.startswith("--")
                and option[-1:] in letters
            )
            code = index + 2 if argv[index + 1] == "--" and index + 2 < len(argv) else index + 1
            if takes_code and _has_placeholder(argv[code]):
                found.append((code, program))
    return sorted(set(found))


def _has_placeholder(argument: str) -> bool:
    return any(name in NOTIFY_PLACEHOLDERS for name in _PLACEHOLDER.findall(argument))


def _embedded_placeholders(argument: str) -> list[str]:
    """The known placeholders in an argument that is more than one placeholder."""
    names = [name for name in _PLACEHOLDER.findall(argument) if name in NOTIFY_PLACEHOLDERS]
    return [] if not names or _PLACEHOLDER.fullmatch(argument) else names


def _nominal_week_seconds(calendar: Mapping[str, Any]) -> int:
    """The working time of an effective calendar's week, DST and holidays ignored."""
    return sum(
        (end - start) * 60
        for day in WEEKDAYS
        for start, end in (_span_value(text) for text in calendar.get(day, []))
    )


@functools.lru_cache(maxsize=256)
def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. a directory name
        return False
    return True


@functools.lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _zone_hint(name: str) -> str:
    zones = _zone_names()
    wanted = name.strip().replace(" ", "_").lower()
    same_city = [zone for zone in zones if zone.lower().rsplit("/", 1)[-1] == wanted]
    best = same_city[0] if same_city else _closest(name.replace(" ", "_"), zones)
    if best is None:
        cities = {zone.rsplit("/", 1)[-1].lower(): zone for zone in zones}
        city = _closest(wanted.rsplit("/", 1)[-1], cities, cutoff=0.8)
        best = cities[city] if city else None
    if best is not None:
        return f'did you mean "{best}"?'
    return 'use an IANA zone name like "Europe/Berlin", "America/New_York" or "UTC"'


@functools.lru_cache(maxsize=1)
def _holiday_countries() -> frozenset[str]:
    import holidays  # imported here: it is only needed when a calendar names a country

    return frozenset(holidays.list_supported_countries())


def _country_hint(code: str) -> str:
    if "-" in code and code.split("-")[0].upper() in _holiday_countries():
        country = code.split("-")[0].upper()
        return (
            f'regional holidays are not supported: use "{country}" and add the '
            "regional days to holidays"
        )
    if code.upper() in _holiday_countries():
        return f'did you mean "{code.upper()}"?'
    by_name = _country_names()
    name = _closest(code.replace(" ", ""), by_name)
    if name is not None:
        return f'did you mean "{by_name[name]}" ({name})?'
    return 'use a two-letter ISO 3166 code like "DE", "US" or "GB"'


def _country_names() -> dict[str, str]:
    try:
        from holidays.registry import COUNTRIES
    except ImportError:
        return {}
    return {entry[0]: entry[1] for entry in COUNTRIES.values()}


# ------------------------------------------------------------------------------------------
# The schema walk


class _Validator:
    """Walks a parsed policy, reporting problems and building the effective dict."""

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.desk_timezone: str | None = None
        self.status_category: dict[str, str] | None = None
        self.priorities: list[str] | None = None
        self.calendar_names: list[str] | None = None
        self.sla_names: list[str] | None = None
        self.day_seconds: dict[str, int] = {}  # by calendar: what "1d" means there
        self.week_seconds: dict[str, int] = {}  # by calendar with hours: working time a week
        self.sla_calendars: dict[str, str] = {}

    def run(self, raw: dict[str, Any]) -> dict[str, Any]:
        self.unknown_keys(raw, (), TOP_KEYS, elsewhere=_TOP_LEVEL_HINTS)
        desk = self.desk(raw.get("desk"))
        statuses = self.statuses(raw.get("statuses"))
        priorities = self.priorities_section(raw.get("priorities"))
        calendars = self.calendars(raw.get("calendars"))
        slas = self.slas(raw.get("sla"))
        self.default_sla(raw.get("desk"), desk)
        escalation = self.escalation(raw.get("escalation"))
        self.targets_within_reach(slas, escalation)
        return {
            "desk": desk,
            "statuses": statuses,
            "priorities": priorities,
            "calendars": calendars,
            "sla": slas,
            "plans": self.plans(raw.get("plans")),
            "rules": self.rules(raw.get("rules")),
            "escalation": escalation,
            "keys": self.keys(raw.get("keys")),
        }

    # -- generic checks -------------------------------------------------------------------

    def add(self, key: Key, message: str, hint: str | None = None) -> None:
        self.report.add(key, message, hint)

    def check(self, key: Key, parse: Callable[[Any], _T], value: Any) -> _T | None:
        """Run a _Bad-raising parser, reporting its problem at `key`; None when bad."""
        try:
            return parse(value)
        except _Bad as bad:
            self.add(key, bad.message, bad.hint)
            return None

    def unknown_keys(
        self,
        table: Mapping[str, Any],
        key: Key,
        allowed: Sequence[str],
        *,
        elsewhere: Mapping[str, str] | None = None,
    ) -> int:
        unknown = [name for name in table if name not in allowed]
        for name in unknown:
            hint = (
                (elsewhere or {}).get(name)
                or _did_you_mean(name, allowed)
                or _misplaced_hint(name, allowed)
                or f"allowed here: {', '.join(allowed)}"
            )
            self.add((*key, name), "unknown key", hint)
        return len(unknown)

    def table(self, value: Any, key: Key, *, hint: str | None = None) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.add(key, f"expected a table, got {_show(value)}", hint)
        return None

    def text(self, value: Any, key: Key, *, example: str = "…") -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, str):
            self.add(key, "must not be empty")
        else:
            self.add(
                key,
                f"expected text in quotes, got {_show(value)}",
                f'write it as {key[-1]} = "{example}"',
            )
        return None

    def texts(self, value: Any, key: Key, *, allow_empty: bool = False) -> list[str] | None:
        """A list of non-empty texts."""
        if isinstance(value, str):
            self.add(
                key, f"expected a list, got {_show(value)}", f"write it as a list: [{_show(value)}]"
            )
            return None
        if not isinstance(value, list):
            self.add(
                key, f"expected a list of texts, got {_show(value)}", 'write it like ["a", "b"]'
            )
            return None
        if not value and not allow_empty:
            self.add(key, "the list is empty", "give at least one value, or leave the key out")
        return [
            item for index, item in enumerate(value) if self.text(item, (*key, index)) is not None
        ]

    def name(self, value: Any, key: Key) -> str | None:
        """A status or priority name: non-empty text without spaces."""
        name = self.text(value, key)
        if name is not None and re.search(r"\s", name):
            self.add(key, f"{_show(name)} contains a space", 'use "_" instead, e.g. "on_hold"')
            return None
        return name

    def names(self, value: Any, key: Key, *, what: str, allow_empty: bool) -> list[str] | None:
        """A list of distinct names; None when it is not a list at all."""
        if not isinstance(value, list):
            hint = f"write it as a list: [{_show(value)}]" if isinstance(value, str) else None
            self.add(key, f"expected a list of {what} names, got {_show(value)}", hint)
            return None
        if not value and not allow_empty:
            self.add(key, f"must list at least one {what}")
        names: list[str] = []
        for index, item in enumerate(value):
            name = self.name(item, (*key, index))
            if name is None:
                continue
            if name in names:
                self.add((*key, index), f"{_show(name)} is listed twice")
                continue
            names.append(name)
        return names

    def boolean(self, value: Any, key: Key) -> bool:
        if isinstance(value, bool):
            return value
        self.add(
            key,
            f"expected true or false, got {_show(value)}",
            f"write {key[-1]} = true or {key[-1]} = false",
        )
        return False

    def choice(self, value: Any, key: Key, choices: Sequence[str]) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        hint = _did_you_mean(value, choices) if isinstance(value, str) else None
        self.add(key, f"{_show(value)} is not one of {_quoted(choices)}", hint)
        return None

    def duration(self, value: Any, key: Key, *, allow_days: bool = True) -> str | None:
        """A positive duration in canonical spelling ("90m" -> "1h30m")."""
        parsed = self.check(key, _duration_value, value)
        if parsed is None:
            return None
        if parsed.days and not allow_days:
            self.add(
                key, f"{_show(value)} uses days here", 'write it in hours and minutes, e.g. "8h"'
            )
            return None
        if parsed == Duration():
            self.add(key, f"{_show(value)} is zero", "give a duration longer than zero")
            return None
        return format_duration_spec(parsed)

    def reference(
        self, value: Any, key: Key, names: Sequence[str] | None, *, kind: str, plural: str
    ) -> str | None:
        """The name of another policy item (calendar, SLA, priority...)."""
        name = self.text(value, key)
        if name is None or names is None or name in names:
            return name
        listing = f"{plural}: {', '.join(names)}" if names else f"no {plural} are defined"
        self.add(key, f"unknown {kind} {_show(name)}", _did_you_mean(name, names) or listing)
        return name

    def zone(self, value: Any, key: Key) -> str | None:
        name = self.text(value, key, example="Europe/Berlin")
        if name is None:
            return None
        if not _zone_exists(name):
            self.add(key, f"unknown time zone {_show(name)}", _zone_hint(name))
            return None
        return name

    def named_tables(self, value: Any, key: Key, *, hint: str) -> dict[str, dict[str, Any]]:
        """A table of named tables ([calendars.NAME], [sla.NAME], [plans.NAME])."""
        table = self.table(value, key, hint=hint)
        if table is None:
            return {}
        named = {}
        for name, item in table.items():
            if not name.strip():
                self.add((*key, name), "a name must not be empty")
            entry = self.table(item, (*key, name), hint=hint)
            if entry is not None:
                named[name] = entry
        return named

    # -- [desk] ---------------------------------------------------------------------------

    def desk(self, value: Any) -> dict[str, Any]:
        key: Key = ("desk",)
        hint = '[desk] needs at least timezone = "Europe/Berlin" (an IANA zone)'
        effective: dict[str, Any] = {
            "name": DEFAULT_DESK_NAME,
            "timezone": "UTC",
            "week_starts": DEFAULTS["week_starts"],
            "repeat_window": DEFAULTS["repeat_window"],
            "max_body_size": DEFAULTS["max_body_size"],
        }
        table = {} if value is None else self.table(value, key, hint=hint)
        if table is None:
            return effective
        self.unknown_keys(table, key, DESK_KEYS)
        if "name" in table:
            effective["name"] = self.text(table["name"], (*key, "name"), example="Acme Support")
        if "timezone" in table:
            self.desk_timezone = self.zone(table["timezone"], (*key, "timezone"))
            effective["timezone"] = self.desk_timezone
        else:
            self.add((*key, "timezone"), "required: the desk's time zone", hint)
        effective["week_starts"] = self.choice(
            table.get("week_starts", DEFAULTS["week_starts"]), (*key, "week_starts"), WEEK_STARTS
        )
        effective["repeat_window"] = self.duration(
            table.get("repeat_window", DEFAULTS["repeat_window"]), (*key, "repeat_window")
        )
        if "max_body_size" in table:
            effective["max_body_size"] = self.check(
                (*key, "max_body_size"), _body_size_value, table["max_body_size"]
            )
        return effective

    def default_sla(self, value: Any, effective_desk: dict[str, Any]) -> None:
        """desk.default_sla, checked once the SLA names are known."""
        if isinstance(value, dict) and "default_sla" in value:
            effective_desk["default_sla"] = self.reference(
                value["default_sla"],
                ("desk", "default_sla"),
                self.sla_names,
                kind="SLA policy",
                plural="SLA policies",
            )

    # -- [statuses], [priorities] ---------------------------------------------------------

    def statuses(self, value: Any) -> dict[str, Any]:
        key: Key = ("statuses",)
        table = {} if value is None else self.table(value, key)
        if table is None:
            return copy.deepcopy(DEFAULT_STATUSES)
        self.unknown_keys(table, key, STATUS_KEYS)
        effective: dict[str, Any] = {}
        category_of: dict[str, str] = {}
        for category in STATUS_CATEGORIES:
            raw = table.get(category, copy.deepcopy(DEFAULT_STATUSES[category]))
            names = self.names(
                raw, (*key, category), what="status", allow_empty=category in ("paused", "void")
            )
            effective[category] = names or []
            for name in names or []:
                if name in category_of:
                    self.add(
                        (*key, category, raw.index(name)),
                        f"status {_show(name)} is in both {category_of[name]} and {category}",
                        "each status belongs to exactly one category: remove it from one of them",
                    )
                else:
                    category_of[name] = category
        self.status_category = category_of
        for field in ("initial", "reopen_to"):
            effective[field] = self.active_status(
                table.get(field, DEFAULT_STATUSES[field]), (*key, field)
            )
        return effective

    def active_status(self, value: Any, key: Key) -> str | None:
        """statuses.initial / reopen_to: a known status whose clocks run (SPEC §3.6)."""
        name = self.name(value, key)
        known = self.status_category
        if name is None or known is None:
            return name
        active = [status for status, category in known.items() if category == "active"]
        if name not in known:
            hint = _did_you_mean(name, known) or f"statuses: {', '.join(known)}"
            self.add(key, f"unknown status {_show(name)}", hint)
        elif known[name] != "active":
            why = (
                "new tickets start their clocks"
                if key[-1] == "initial"
                else "a reopened ticket's clocks run again"
            )
            self.add(
                key,
                f"{_show(name)} is a {known[name]} status; {key[-1]} must be an active one because {why}",
                f"use one of: {', '.join(active)}" if active else None,
            )
        return name

    def priorities_section(self, value: Any) -> dict[str, Any]:
        key: Key = ("priorities",)
        table = {} if value is None else self.table(value, key)
        if table is None:
            return copy.deepcopy(DEFAULT_PRIORITIES)
        self.unknown_keys(table, key, PRIORITY_KEYS)
        order = self.names(
            table.get("order", copy.deepcopy(DEFAULT_PRIORITIES["order"])),
            (*key, "order"),
            what="priority",
            allow_empty=False,
        )
        self.priorities = order
        default = self.reference(
            table.get("default", DEFAULT_PRIORITIES["default"]),
            (*key, "default"),
            order,
            kind="priority",
            plural="priorities",
        )
        return {"order": order or [], "default": default}

    # -- [calendars] ----------------------------------------------------------------------

    def calendars(self, value: Any) -> dict[str, Any]:
        key: Key = ("calendars",)
        hint = 'add e.g. [calendars.office] with mon = ["09:00-17:00"], or [calendars.always] with always = true'
        if not value:
            self.add(key, "no calendar is defined; at least one is required", hint)
            return {}
        tables = self.named_tables(value, key, hint="each calendar is a table: [calendars.NAME]")
        self.calendar_names = list(value) if isinstance(value, dict) else None
        effective = {}
        for name, table in tables.items():
            problems_before = len(self.report.problems)
            effective[name] = self.calendar(table, (*key, name))
            if len(self.report.problems) == problems_before:
                self.day_seconds[name] = _nominal_day_seconds(effective[name])
                if not effective[name]["always"]:
                    self.week_seconds[name] = _nominal_week_seconds(effective[name])
        return effective

    def calendar(self, table: dict[str, Any], key: Key) -> dict[str, Any]:
        self.unknown_keys(table, key, CALENDAR_KEYS, elsewhere=_CALENDAR_HINTS)
        timezone = self.desk_timezone or "UTC"
        if "timezone" in table:
            timezone = self.zone(table["timezone"], (*key, "timezone")) or timezone
        always = self.boolean(table.get("always", False), (*key, "always"))
        if always:
            return self.always_calendar(table, key, timezone)
        effective: dict[str, Any] = {"timezone": timezone, "always": False}
        days_ok = True
        for day in WEEKDAYS:
            spans = self.working_hours(table.get(day, []), (*key, day))
            days_ok = days_ok and spans is not None
            effective[day] = spans or []
        if days_ok and not any(effective[day] for day in WEEKDAYS):
            self.add(
                key,
                "this calendar has no working hours on any day",
                'add hours like mon = ["09:00-17:00"], or set always = true for a 24x7 calendar',
            )
        effective["holidays"] = self.holidays(table.get("holidays", []), (*key, "holidays"))
        if "holiday_country" in table:
            effective["holiday_country"] = self.holiday_country(
                table["holiday_country"], (*key, "holiday_country")
            )
        if "day_length" in table:
            effective["day_length"] = self.day_length(table["day_length"], (*key, "day_length"))
        return effective

    def always_calendar(self, table: dict[str, Any], key: Key, timezone: str) -> dict[str, Any]:
        for name in table:
            if name in (*WEEKDAYS, "holidays", "holiday_country", "day_length"):
                self.add(
                    (*key, name),
                    "an always calendar is 24x7: it has no working hours, holidays or day length",
                    f"remove {name}, or remove always = true to use working hours",
                )
        return {"timezone": timezone, "always": True}

    def working_hours(self, value: Any, key: Key) -> list[str] | None:
        """A day's spans in canonical spelling, sorted; None if any is wrong."""
        if not isinstance(value, list):
            hint = (
                f'write it as a list: {key[-1]} = ["{value}"]' if isinstance(value, str) else None
            )
            self.add(
                key, f'expected a list of hours like ["09:00-17:00"], got {_show(value)}', hint
            )
            return None
        spans: list[tuple[int, int]] = []
        ok = True
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.add(
                    (*key, index), f'expected hours in quotes like "09:00-17:00", got {_show(item)}'
                )
                ok = False
                continue
            span = self.check((*key, index), _span_value, item)
            ok = ok and span is not None
            if span is not None:
                spans.append(span)
        spans.sort()
        for earlier, later in zip(spans, spans[1:], strict=False):
            if later[0] < earlier[1]:
                self.add(
                    key,
                    f'"{_format_span(*earlier)}" and "{_format_span(*later)}" overlap',
                    "a day's working hours may not overlap: merge them or fix the times",
                )
                ok = False
        return [_format_span(*span) for span in spans] if ok else None

    def holidays(self, value: Any, key: Key) -> list[str]:
        if not isinstance(value, list):
            self.add(
                key,
                f"expected a list of dates, got {_show(value)}",
                'write it like holidays = ["2026-12-24", "01-01"]',
            )
            return []
        days = [self.check((*key, index), _holiday_value, item) for index, item in enumerate(value)]
        return [day for day in days if day is not None]

    def holiday_country(self, value: Any, key: Key) -> str | None:
        code = self.text(value, key, example="DE")
        if code is not None and code not in _holiday_countries():
            self.add(
                key,
                f"{_show(code)} is not a country the holidays package knows",
                _country_hint(code),
            )
            return None
        return code

    def day_length(self, value: Any, key: Key) -> str | None:
        length = self.duration(value, key, allow_days=False)
        if length is not None and parse_duration(length).seconds > 86_400:
            self.add(key, f"{_show(value)} is longer than a day", 'use at most "24h"')
            return None
        return length

    # -- [sla] ----------------------------------------------------------------------------

    def slas(self, value: Any) -> dict[str, Any]:
        key: Key = ("sla",)
        hint = 'add e.g. [sla.standard] with calendar = "office" and a [sla.standard.targets] table'
        if not value:
            self.add(key, "no SLA policy is defined; at least one is required", hint)
            return {}
        tables = self.named_tables(value, key, hint="each SLA policy is a table: [sla.NAME]")
        self.sla_names = list(value) if isinstance(value, dict) else None
        return {name: self.sla(name, table, (*key, name)) for name, table in tables.items()}

    def sla(self, name: str, table: dict[str, Any], key: Key) -> dict[str, Any]:
        elsewhere = {
            clock: f'targets are per priority: write it in [sla.{name}.targets] as high = {{ {clock} = "1h" }}'
            for clock in CLOCKS
        }
        self.unknown_keys(table, key, SLA_KEYS, elsewhere=elsewhere)
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
        effective: dict[str, Any] = {
            "calendar": calendar,
            "warn_at": self.check(
                (*key, "warn_at"), _warn_at_value, table.get("warn_at", DEFAULTS["warn_at"])
            ),
            "resolution_on_reopen": self.choice(
                table.get("resolution_on_reopen", DEFAULTS["resolution_on_reopen"]),
                (*key, "resolution_on_reopen"),
                REOPEN_MODES,
            ),
        }
        effective["targets"] = {}
        if "targets" in table:
            effective["targets"] = self.targets(table["targets"], (*key, "targets"))
        else:
            self.add(
                (*key, "targets"),
                "required: the targets per priority",
                f'add [sla.{name}.targets] with e.g. normal = {{ first_response = "4h" }}',
            )
        self.warn_before_targets(effective, key)
        return effective

    def warn_before_targets(self, sla: dict[str, Any], key: Key) -> None:
        """A fixed warn_at (a time before the deadline) must be shorter than every target it
        applies to: otherwise that clock is in warning (and escalates) the moment it starts."""
        warn_at = sla["warn_at"]
        if warn_at is None or warn_at.endswith("%"):
            return
        before = parse_duration(warn_at)
        day = self.day_seconds.get(sla["calendar"] or "")
        too_short = []
        for priority, clocks in sla["targets"].items():
            for clock, text in clocks.items():
                if text is None:
                    continue
                target = parse_duration(text)
                if day is None and (target.days or before.days):
                    continue  # "1d" is unknown without a valid calendar
                if target.to_seconds(day or 0) <= before.to_seconds(day or 0):
                    too_short.append(
                        (target.to_seconds(day or 0), f"{priority}.{clock} = {_show(text)}")
                    )
        if too_short:
            shortest = min(seconds for seconds, _ in too_short)
            self.add(
                (*key, "warn_at"),
                f"{_show(warn_at)} is not shorter than the targets it applies to: "
                + ", ".join(name for _, name in too_short)
                + "; those clocks would be in warning (and escalate) the moment they start",
                f"use a time shorter than {_show(format_duration_spec(Duration(seconds=shortest)))}, "
                'or a share of each target like "75%"',
            )

    def targets_within_reach(self, slas: dict[str, Any], escalation: dict[str, Any]) -> None:
        """Every target plus the latest escalation offset falls within 10 years of calendar
        time on its SLA's calendar (SPEC §2), judged by the calendar's weekly hours: so a
        calendar with a minute of work a week cannot take a "10h" target to the year 2600."""
        offsets = []
        for index, level in enumerate(escalation.get("levels", [])):
            after = _escalation_at_value(level["at"])[1] if level.get("at") else None
            if after:
                offsets.append((after, ("escalation", "levels", index, "at")))
        for name, sla in slas.items():
            calendar = sla.get("calendar") or ""
            week = self.week_seconds.get(calendar)
            if not week:
                continue  # an always calendar (plain elapsed time) or an invalid one
            day = self.day_seconds[calendar]
            reach = _REACH_WEEKS * week
            where = (
                f"more than 10 years of calendar {_show(calendar)} "
                f"({format_duration_spec(Duration(seconds=week))} of working time a week)"
            )
            hint = "give the calendar more working hours, or shorten the durations"
            latest, level_key = max(
                ((after.to_seconds(day), at_key) for after, at_key in offsets),
                default=(0, ()),
            )
            if latest > reach:
                self.add(level_key, f"for SLA policy {_show(name)} this offset needs {where}", hint)
                continue
            for priority, clocks in sla["targets"].items():
                for clock, text in clocks.items():
                    if text is None or parse_duration(text).to_seconds(day) + latest <= reach:
                        continue
                    extra = " plus the latest escalation offset" if latest else ""
                    self.add(
                        ("sla", name, "targets", priority, clock),
                        f"{_show(text)}{extra} needs {where}",
                        hint,
                    )

    def targets(self, value: Any, key: Key) -> dict[str, Any]:
        table = self.table(
            value, key, hint='write one line per priority: high = { first_response = "1h" }'
        )
        if table is None:
            return {}
        effective = {}
        for priority, clocks in table.items():
            effective[priority] = self.priority_targets(priority, clocks, (*key, priority))
        if not any(effective.values()):
            self.add(
                key,
                "no priority has any target: tickets under this SLA would have no clocks",
                'give at least one, e.g. normal = { first_response = "4h" }',
            )
        return effective

    def priority_targets(self, priority: str, value: Any, key: Key) -> dict[str, Any]:
        if self.priorities is not None and priority not in self.priorities:
            if priority in CLOCKS:
                hint = f'targets are per priority: write high = {{ {priority} = "1h" }}'
            else:
                hint = (
                    _did_you_mean(priority, self.priorities)
                    or _misplaced_hint(priority, CLOCKS)
                    or f"priorities: {', '.join(self.priorities)}"
                )
            self.add(key, f"unknown priority {_show(priority)}", hint)
            if not isinstance(value, dict):
                return {}  # a stray key, not a priority: one problem is enough
        table = self.table(
            value, key, hint='write it like { first_response = "1h", resolution = "8h" }'
        )
        if table is None:
            return {}
        self.unknown_keys(table, key, CLOCKS)
        effective = {
            clock: self.duration(table[clock], (*key, clock)) for clock in CLOCKS if clock in table
        }
        if "next_response" in table and "first_response" not in table:
            self.add(
                (*key, "next_response"),
                "a next_response target needs a first_response target",
                f"next_response starts only after the first response is met: add first_response to {priority}",
            )
        return effective

    # -- [plans] --------------------------------------------------------------------------

    def plans(self, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        key: Key = ("plans",)
        tables = self.named_tables(value, key, hint="each plan is a table: [plans.NAME]")
        return {name: self.plan(table, (*key, name)) for name, table in tables.items()}

    def plan(self, table: dict[str, Any], key: Key) -> dict[str, Any]:
        self.unknown_keys(table, key, PLAN_KEYS)
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
        effective: dict[str, Any] = {
            "sla": sla,
            "quota": self.quota(table.get("quota", DEFAULTS["quota"]), (*key, "quota")),
            "anchor": self.choice(
                table.get("anchor", DEFAULTS["anchor"]), (*key, "anchor"), ANCHORS
            ),
            "overage": self.choice(
                table.get("overage", DEFAULTS["overage"]), (*key, "overage"), OVERAGES
            ),
        }
        if "expiry_warning" in table:
            effective["expiry_warning"] = self.duration(
                table["expiry_warning"], (*key, "expiry_warning")
            )
        return effective

    def quota(self, value: Any, key: Key) -> Any:
        hint = 'write quota = "unlimited" or quota = { tickets = 5, per = "month" }'
        if value == "unlimited":
            return "unlimited"
        if _is_int(value):
            self.add(
                key,
                f"expected a table, got {value}",
                f'write quota = {{ tickets = {value}, per = "month" }}',
            )
            return None
        if not isinstance(value, dict):
            self.add(key, f"{_show(value)} is not a quota", hint)
            return None
        self.unknown_keys(value, key, QUOTA_KEYS)
        tickets = value.get("tickets")
        if tickets is None:
            self.add((*key, "tickets"), "required: how many tickets per period", hint)
        elif not _is_int(tickets) or not 0 <= tickets <= MAX_QUOTA_TICKETS:
            self.add(
                (*key, "tickets"),
                f"expected a whole number of tickets from 0 to {MAX_QUOTA_TICKETS:,}, "
                f"got {_show(tickets)}",
                'for no limit write quota = "unlimited"',
            )
        per = None
        if "per" in value:
            per = self.choice(value["per"], (*key, "per"), QUOTA_PERIODS)
        else:
            self.add((*key, "per"), f"required: the period, one of {_quoted(QUOTA_PERIODS)}", hint)
        return {"tickets": tickets, "per": per}

    # -- [[rules]] ------------------------------------------------------------------------

    def rules(self, value: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        key: Key = ("rules",)
        if not isinstance(value, list):
            self.add(
                key,
                f"expected a list of rules, got {_show(value)}",
                "write each rule as its own [[rules]] table",
            )
            return []
        effective = []
        for index, item in enumerate(value):
            table = self.table(
                item, (*key, index), hint="write each rule as its own [[rules]] table"
            )
            if table is not None:
                effective.append(self.rule(index, table, (*key, index)))
        return effective

    def rule(self, index: int, table: dict[str, Any], key: Key) -> dict[str, Any]:
        unknown = self.unknown_keys(table, key, RULE_KEYS)
        name = table.get("name", f"rule {index + 1}")
        effective: dict[str, Any] = {
            "name": self.text(name, (*key, "name"), example="outage keywords"),
            "when": self.conditions(table.get("when", {}), (*key, "when")),
            "set": self.actions(table.get("set", {}), (*key, "set"), RULE_ACTIONS),
            "stop": self.boolean(table.get("stop", False), (*key, "stop")),
        }
        if not unknown and not table.get("set") and table.get("stop") is not True:
            self.add(
                key,
                f"the rule {_show(name)} does nothing",
                'give it an action, set = { priority = "high" }, or stop = true',
            )
        return effective

    def conditions(self, value: Any, key: Key) -> dict[str, list[str]]:
        table = self.table(
            value, key, hint='write it like when = { subject_contains = ["outage"] }'
        )
        if table is None:
            return {}
        self.unknown_keys(table, key, RULE_CONDITIONS)
        effective = {}
        for condition in RULE_CONDITIONS:
            if condition in table:
                values = self.texts(table[condition], (*key, condition)) or []
                self.address_shape(condition, values, (*key, condition))
                effective[condition] = values
        return effective

    def address_shape(self, condition: str, values: list[str], key: Key) -> None:
        for index, text in enumerate(values):
            if condition == "from_domain" and "@" in text:
                self.add(
                    (*key, index),
                    f"{_show(text)} is an address, not a domain",
                    f'use from_domain = ["{text.rsplit("@", 1)[-1]}"] or from_address = ["{text}"]',
                )
            elif condition == "from_address" and "@" not in text:
                self.add(
                    (*key, index),
                    f"{_show(text)} is not an email address",
                    f'use from_domain = ["{text}"] to match a whole domain',
                )

    def actions(self, value: Any, key: Key, allowed: Sequence[str]) -> dict[str, Any]:
        """A rule's or escalation level's `set` table."""
        table = self.table(value, key, hint='write it like set = { priority = "urgent" }')
        if table is None:
            return {}
        self.unknown_keys(table, key, allowed)
        effective: dict[str, Any] = {}
        for action in allowed:
            if action not in table:
                continue
            raw, where = table[action], (*key, action)
            if action == "priority":
                effective[action] = self.reference(
                    raw, where, self.priorities, kind="priority", plural="priorities"
                )
            elif action == "sla":
                effective[action] = self.reference(
                    raw, where, self.sla_names, kind="SLA policy", plural="SLA policies"
                )
            elif action == "tags":
                effective[action] = self.texts(raw, where)
            else:
                effective[action] = self.text(raw, where)
        return effective

    # -- [escalation] ---------------------------------------------------------------------

    def escalation(self, value: Any) -> dict[str, Any]:
        key: Key = ("escalation",)
        if value is None:
            return {"levels": []}
        table = self.table(value, key) or {}
        self.unknown_keys(table, key, ESCALATION_KEYS)
        effective: dict[str, Any] = {}
        if "notify_command" in table:
            effective["notify_command"] = self.notify_command(
                table["notify_command"], (*key, "notify_command")
            )
        effective["levels"] = self.levels(table.get("levels", []), (*key, "levels"))
        return effective

    def notify_command(self, value: Any, key: Key) -> list[str] | None:
        hint = 'an argv list, never a shell line: notify_command = ["notify-send", "{title}", "{body}"]'
        if isinstance(value, str):
            self.add(key, f"expected a list of arguments, got {_show(value)}", hint)
            return None
        argv = self.texts(value, key)
        if argv is None:
            return None
        for index, argument in enumerate(argv):
            for placeholder in _PLACEHOLDER.findall(argument):
                if placeholder not in NOTIFY_PLACEHOLDERS:
                    self.add(
                        (*key, index),
                        f"unknown placeholder {{{placeholder}}}",
                        _did_you_mean(placeholder, NOTIFY_PLACEHOLDERS, braces=True)
                        or "placeholders: "
                        + ", ".join(f"{{{name}}}" for name in NOTIFY_PLACEHOLDERS),
                    )
        for index, argument in enumerate(argv):
            names = _embedded_placeholders(argument)
            if names:
                own = ", ".join(json.dumps(f"{{{name}}}") for name in dict.fromkeys(names))
                self.add(
                    (*key, index),
                    f"{_show(argument)} has a placeholder inside it: a program may run that "
                    "text as code, and a ticket's subject or body would run as a command",
                    f"give each placeholder an argument of its own ({own}); to build text from "
                    f"them, let a shell do it with positional arguments: {SAFE_NOTIFY_FORM}",
                )
        for index, program in _placeholders_run_as_code(argv):
            if program in _SHELL_TAIL:
                hint = (
                    f"{program} hands its arguments to a shell: call a script there that "
                    "takes no text from the ticket"
                )
                if _SHELL_TAIL[program]:
                    hint = (
                        f"use {program} {_SHELL_TAIL[program][0]}, which runs them without a "
                        f"shell, or a shell with positional arguments: {SAFE_NOTIFY_FORM}"
                    )
            else:
                hint = (
                    "pass each placeholder as an argument of its own and refer to it from "
                    f"the code, e.g. {SAFE_NOTIFY_FORM}"
                )
            self.add(
                (*key, index),
                f"{_show(argv[index])} is code run by {program} with a placeholder inside it: "
                "a ticket's subject or body would run as a command",
                hint,
            )
        return argv

    def levels(self, value: Any, key: Key) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            self.add(
                key,
                f"expected a list of levels, got {_show(value)}",
                "write each level as its own [[escalation.levels]] table",
            )
            return []
        effective: list[dict[str, Any]] = []
        reached: list[tuple[Key, str, str, Duration | None]] = []  # for the ordering check
        for index, item in enumerate(value):
            where = (*key, index)
            table = self.table(
                item, where, hint="write each level as its own [[escalation.levels]] table"
            )
            if table is None:
                continue
            level = self.level(table, where, [entry["name"] for entry in effective])
            effective.append(level)
            if level["at"] is not None:
                after = _escalation_at_value(level["at"])[1]
                reached.append((where, level["name"], level["at"], after))
        self.levels_reached_in_order(reached)
        return effective

    def level(self, table: dict[str, Any], key: Key, earlier_names: list[str]) -> dict[str, Any]:
        self.unknown_keys(table, key, LEVEL_KEYS)
        name = None
        if "name" in table:
            name = self.text(table["name"], (*key, "name"), example="lead")
            if name is not None and name in earlier_names:
                self.add(
                    (*key, "name"),
                    f"two escalation levels are named {_show(name)}",
                    "give each level its own name",
                )
        else:
            self.add((*key, "name"), "required: the level's name", None)
        at = None
        if "at" in table:
            threshold = self.check((*key, "at"), _escalation_at_value, table["at"])
            at = None if threshold is None else threshold[0]
        else:
            self.add(
                (*key, "at"),
                "required: when the level is reached",
                'write at = "warning", "breach" or "breach+2h"',
            )
        return {
            "name": name,
            "at": at,
            "notify": self.texts(table.get("notify", []), (*key, "notify"), allow_empty=True) or [],
            "set": self.actions(table.get("set", {}), (*key, "set"), LEVEL_ACTIONS),
        }

    def levels_reached_in_order(self, reached: list[tuple[Key, str, str, Duration | None]]) -> None:
        """A level can never fire when a level listed after it is reached no later.

        A ticket's level is the highest level reached by any clock, so such an earlier level
        is superseded the instant it is reached (or before). "1d" is compared using each SLA
        calendar's day length; a level is only reported when that holds on all of them.
        """
        day_lengths = {
            self.day_seconds[c] for c in self.sla_calendars.values() if c in self.day_seconds
        }
        day_lengths = day_lengths or {86_400}
        for later_index, (key, _, later_at, later_after) in enumerate(reached):
            for _, earlier_name, earlier_at, earlier_after in reached[:later_index]:
                if all(
                    _reach(later_after, seconds) <= _reach(earlier_after, seconds)
                    for seconds in day_lengths
                ):
                    uses_days = any(after and after.days for after in (later_after, earlier_after))
                    self.add(
                        (*key, "at"),
                        f"{_show(later_at)} is not later than {_show(earlier_at)} of level "
                        f"{_show(earlier_name)} listed before it, so {_show(earlier_name)} "
                        f"could never fire{_day_note(day_lengths) if uses_days else ''}",
                        "levels are reached in the order listed: give each a later `at` than "
                        'the one before, e.g. "warning", "breach", "breach+4h", "breach+1d"',
                    )
                    break

    # -- [keys] ---------------------------------------------------------------------------

    def keys(self, value: Any) -> dict[str, str]:
        if value is None:
            return {}
        key: Key = ("keys",)
        table = self.table(value, key, hint='write it like [keys] with reply = "r"') or {}
        effective = {}
        for binding, keystroke in table.items():
            if not binding.strip():
                self.add((*key, binding), "a binding id must not be empty")
                continue
            text = self.text(keystroke, (*key, binding), example="ctrl+r")
            if text is not None:
                effective[binding] = text
        return effective


def _day_note(day_lengths: set[int]) -> str:
    if len(day_lengths) != 1:
        return ""
    (seconds,) = day_lengths
    return f' ("1d" is {format_duration_spec(Duration(seconds=seconds))} of working time here)'


def _reach(after: Duration | None, day_seconds: int) -> int:
    """Order of escalation thresholds: warning (-1) < breach (0) < breach+X (X seconds)."""
    return -1 if after is None else after.to_seconds(day_seconds)


# Where each key belongs, for keys written under the wrong [table] header.
_SECTION_KEYS: tuple[tuple[str, Sequence[str]], ...] = (
    ("[desk]", DESK_KEYS),
    ("[statuses]", STATUS_KEYS),
    ("[priorities]", PRIORITY_KEYS),
    ("[calendars.NAME]", CALENDAR_KEYS),
    ("[sla.NAME]", SLA_KEYS),
    ("[plans.NAME]", PLAN_KEYS),
    ("[[rules]]", RULE_KEYS),
    ("[escalation]", ESCALATION_KEYS),
    ("[[escalation.levels]]", LEVEL_KEYS),
)


def _misplaced_hint(name: str, allowed_here: Sequence[str]) -> str | None:
    """For a key that is valid elsewhere: where to move it.

    In TOML a key belongs to the nearest [table] header above it, so a key added at the
    end of the file lands in the last table.
    """
    homes = [
        section for section, keys in _SECTION_KEYS if name in keys and keys is not allowed_here
    ]
    if not homes or len(homes) > 2:
        return None
    return f"{name} is a key of {' or '.join(homes)}: move it under that header"


_TOP_LEVEL_HINTS = {
    **{name: "this key belongs in [desk]" for name in DESK_KEYS},
    "calendar": "calendars are named tables: [calendars.NAME]",
    "levels": "escalation levels are [[escalation.levels]] tables",
}
_CALENDAR_HINTS = {
    "hours": 'hours are given per weekday: mon = ["09:00-17:00"], tue = …',
    "country": 'did you mean "holiday_country"?',
}
