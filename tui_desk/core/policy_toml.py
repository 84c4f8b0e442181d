"""The policy file as TOML text: reading it (a regular file only), parsing it, and locating
every key path on its line, so that each problem can name file:line:key (SPEC §2).

`PolicyProblem` / `PolicyError` are the problems every policy module reports; `Report`
collects them by key path. Syntax errors are rewritten in the words of someone editing a
policy file.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import stat
import tomllib
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Key = tuple[str | int, ...]  # a key path; ints index lists and [[arrays of tables]]

# How deeply tables and lists may nest: the schema needs 4 levels; tomllib itself recurses.
MAX_NESTING = 16


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


def read_toml(text: str, path: str) -> dict[str, Any]:
    """The TOML document in `text`, or PolicyError with its one syntax problem."""
    deepest = _too_deep(text)
    if deepest is not None:
        raise PolicyError([_nesting_problem(text, path, deepest)])
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError([_syntax_problem(error, text, path)]) from None
    except RecursionError:  # nesting that _too_deep's bracket count could not see
        raise PolicyError([_nesting_problem(text, path, 0)]) from None


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
        return render_key(parts)
    return text


# ------------------------------------------------------------------------------------------
# Where keys are written: tomllib gives no positions, so scan the text for them.

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[^,\]}\n#]*")


class KeyLines:
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
# Key paths as the user reads them


def render_key(key: Iterable[str | int]) -> str:
    """A key path as the user reads it: sla.standard.targets, rules[2].set (1-based)."""
    out = ""
    for part in key:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            text = part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out += f".{text}" if out else text
    return out


class Report:
    """Collects problems, locating each by its key path."""

    def __init__(self, path: str, lines: KeyLines) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[PolicyProblem] = []

    def add(self, key: Key, message: str, hint: str | None = None) -> None:
        problem = PolicyProblem(
            path=self.path,
            line=self.lines.line_of(key),
            column=None,
            key=render_key(key),
            message=message,
            hint=hint,
        )
        if problem not in self.problems:
            self.problems.append(problem)

    def sorted(self) -> list[PolicyProblem]:
        """Problems with no place first (missing sections), then by line, stably."""
        return sorted(self.problems, key=lambda p: (p.line is not None, p.line or 0))
