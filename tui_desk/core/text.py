"""User text on a terminal: the one rule that keeps a customer's characters from driving the
operator's terminal, and the one-line form that subjects, names and tags are stored in.

Forbidden on a terminal are the C0 controls, DEL, the C1 controls (U+0080–U+009F, which
some terminals obey like ESC sequences), the bidirectional embeddings, overrides and
isolates (U+202A–U+202E, U+2066–U+2069, which reorder what the eye reads) and lone
surrogates (what undecodable bytes become; no terminal can show them). They are never
sent: each is shown as a visible stand-in instead — a control picture (␛ for ESC, ␡ for
DEL) or a marker naming the code point (⟨U+202E⟩). Multi-line text keeps its newlines
(a CR LF pair is a newline) and expands its tabs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

TAB_SIZE = 8

# Everything a terminal must never receive from user text, as one character class.
_FORBIDDEN_CLASS = "\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_FORBIDDEN = re.compile(f"[{_FORBIDDEN_CLASS}]")
# Line and paragraph breaks and tabs: each is a space in one-line text.
_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"
_ONE_LINE = re.compile(f"[{_FORBIDDEN_CLASS}\u2028\u2029]")
# In JSON, C0 controls are already escaped by `json.dumps`; the rest of the class is not.
_FORBIDDEN_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def stand_in(char: str) -> str:
    """The visible stand-in for a forbidden character: a control picture or a marker."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 CONTROL PICTURES: ␀ … ␟ (␛ for ESC)
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\u27e8U+{code:04X}\u27e9"  # ⟨U+009B⟩, ⟨U+202E⟩


def replacements(text: str, *, one_line: bool) -> Iterator[tuple[int, str, bool]]:
    """Every character of `text` that may not be shown as itself, in order, as
    `(index, replacement, is_stand_in)`. The rule, character by character: in one line,
    every line break or tab is a space; in multi-line text a newline stays and the CR of a
    CR LF pair goes; everything else forbidden is its stand-in (tabs of multi-line text
    are expanded before this rule applies)."""
    pattern = _ONE_LINE if one_line else _FORBIDDEN
    for match in pattern.finditer(text):
        char, index = match.group(), match.start()
        if one_line and char in _BREAKS:
            yield index, " ", False
        elif one_line:
            yield index, stand_in(char), True
        elif char == "\r" and text[index + 1 : index + 2] == "\n":
            yield index, "", False
        elif char != "\n":
            yield index, stand_in(char), True


def needs_care(text: str, *, one_line: bool) -> bool:
    """Whether `text` holds anything the rule changes."""
    return next(replacements(text, one_line=one_line), None) is not None


def expand_tabs(text: str) -> str:
    """Tabs of multi-line text as spaces to the next multiple of TAB_SIZE, line by line."""
    if "\t" not in text:
        return text
    return "\n".join(line.expandtabs(TAB_SIZE) for line in text.split("\n"))


def visible_pieces(text: str, *, one_line: bool = False) -> Iterator[tuple[str, bool]]:
    """`text` as pieces `(piece, is_stand_in)` none of which holds a forbidden character:
    multi-line text has its tabs expanded, then `replacements` applies."""
    if not one_line:
        text = expand_tabs(text)
    start = 0
    for index, replacement, is_stand_in in replacements(text, one_line=one_line):
        if index > start:
            yield text[start:index], False
        if replacement:
            yield replacement, is_stand_in
        start = index + 1
    if start < len(text):
        yield text[start:], False


def visible(text: str) -> str:
    """Multi-line user text (a body) as a terminal may show it."""
    if not needs_care(text, one_line=False):
        return text
    return "".join(piece for piece, _ in visible_pieces(text))


def visible_line(text: str) -> str:
    """One-line user text (a subject, name, tag) as a terminal may show it: never a
    line break, so it cannot pose as another row."""
    if not needs_care(text, one_line=True):
        return text
    return "".join(piece for piece, _ in visible_pieces(text, one_line=True))


def in_place(text: str) -> str:
    """`text` with each forbidden character replaced by ONE visible character — its control
    picture, or U+FFFD for C1, bidi and surrogates — so that every other character keeps
    its column. For editing areas, where the cursor must stay on the character it is on."""
    return text.translate(_IN_PLACE)


_IN_PLACE = {
    **{code: 0x2400 + code for code in range(0x20)},
    0x7F: 0x2421,
    **{code: 0xFFFD for code in range(0x80, 0xA0)},
    **{code: 0xFFFD for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
    **{code: 0xFFFD for code in range(0xD800, 0xE000)},
}


def single_line(text: str) -> str:
    """The stored form of a subject, name or tag: one line of visible text.

    Every run of whitespace (newlines and tabs included) is one space, the ends are
    trimmed, and every other forbidden character is dropped; what was visible stays.
    """
    spaced = "".join(" " if char in _BREAKS else char for char in text)
    return " ".join(_ONE_LINE.sub("", spaced).split())


def escape_json(document: str) -> str:
    """A JSON document with every forbidden character inside its strings written as a
    \\uXXXX escape: the same data, but nothing a terminal would obey."""
    return _FORBIDDEN_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def parse_size(value: str) -> int:
    """A size in bytes from text like "1MB", "512KB", "2 MiB" or "1000" (decimal units:
    1 KB = 1000 bytes; binary ones spelled KiB, MiB, GiB). ValueError when malformed."""
    match = _SIZE.fullmatch(value.strip())
    if match is None:
        raise ValueError(f'{value!r} is not a size like "1MB" or "512KB"')
    number, unit = match.groups()
    return int(number) * _SIZE_UNITS[unit.upper()]


def human_size(size: int) -> str:
    """`size` bytes for a person to read: "1.2 MB", "640 KB", "12 bytes"."""
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} byte{'s' if size != 1 else ''}"


def format_size(size: int) -> str:
    """`size` bytes in the largest decimal unit that divides it ("1MB", "1500KB")."""
    for unit in ("GB", "MB", "KB"):
        if size % _SIZE_UNITS[unit] == 0 and size >= _SIZE_UNITS[unit]:
            return f"{size // _SIZE_UNITS[unit]}{unit}"
    return f"{size}B"


_SIZE = re.compile(r"(\d{1,12})\s*((?:[KMG]i?)?B?)", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1,
    "B": 1,
    "K": 1000,
    "KB": 1000,
    "M": 1000**2,
    "MB": 1000**2,
    "G": 1000**3,
    "GB": 1000**3,
    "KI": 1024,
    "KIB": 1024,
    "MI": 1024**2,
    "MIB": 1024**2,
    "GI": 1024**3,
    "GIB": 1024**3,
}
