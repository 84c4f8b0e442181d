"""The one rule for user text on a terminal (issue #10, SPEC §9): control and bidi characters
are made visible, never sent; subjects, names and tags are one line of visible text."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import BODIES, NAMES, SUBJECTS, TAGS, UNDECODABLE, forbidden_in
from tui_desk.core.text import (
    escape_json,
    format_size,
    in_place,
    parse_size,
    single_line,
    visible,
    visible_line,
)

CORPUS = (*SUBJECTS, *NAMES, *BODIES, *TAGS, UNDECODABLE)
# Any code point at all, the forbidden ones made likely.
any_text = st.text(
    st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from("\x1b\x07\x9b\x85\u202e\u2066\t\r\n\x7f\u2028\udc9b"),
    )
)


def _is_shown_as_is(char: str) -> bool:
    """A character the rule leaves alone: not a control, not bidi, not a surrogate."""
    return not forbidden_in(char) and char not in "\n\t\u2028\u2029"


@pytest.mark.parametrize("text", CORPUS)
def test_hostile_corpus_leaves_nothing_a_terminal_would_obey(text: str) -> None:
    assert forbidden_in(visible(text).replace("\n", "")) == []
    assert forbidden_in(visible_line(text)) == []
    assert "\n" not in visible_line(text)


def test_escape_is_shown_as_its_control_picture_and_c1_and_bidi_by_name() -> None:
    assert visible_line("\x1b[2J") == "\u241b[2J"
    assert visible_line("\x9b31m") == "\u27e8U+009B\u27e931m"
    assert visible_line("\u202eevil") == "\u27e8U+202E\u27e9evil"
    assert visible("a\x7fb") == "a\u2421b"


def test_bodies_keep_their_lines_and_expand_tabs() -> None:
    assert visible("one\r\ntwo\nthree") == "one\ntwo\nthree"
    assert visible("a\tb\nab\tc") == "a       b\nab      c"
    assert visible("lone\rreturn") == "lone\u240dreturn"


def test_one_line_text_never_breaks_a_line() -> None:
    assert visible_line("Login\nfails\r\n#999 forged") == "Login fails  #999 forged"
    assert visible_line("a\u2028b\u2029c\x85d") == "a b c d"


@given(any_text)
def test_shown_text_never_holds_a_forbidden_character(text: str) -> None:
    assert forbidden_in(visible(text).replace("\n", "")) == []
    assert forbidden_in(visible_line(text)) == []
    assert "\n" not in visible_line(text)


@given(any_text)
def test_shown_text_keeps_every_visible_character_in_order(text: str) -> None:
    kept = "".join(c for c in text if _is_shown_as_is(c))
    for shown in (visible(text), visible_line(text)):
        it = iter(shown)
        assert all(c in it for c in kept)  # a subsequence: nothing visible lost or moved


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"))))
def test_clean_text_is_shown_unchanged(text: str) -> None:
    text = "".join(c for c in text if _is_shown_as_is(c))
    assert visible(text) == text
    assert visible_line(text) == text


@given(any_text)
def test_stored_one_line_form_is_one_line_of_visible_text(text: str) -> None:
    line = single_line(text)
    assert forbidden_in(line) == []
    assert "\n" not in line and line == line.strip() and "  " not in line
    assert single_line(line) == line
    assert visible_line(line) == line


@given(any_text)
def test_in_place_form_keeps_every_column_and_shows_nothing_forbidden(text: str) -> None:
    shown = in_place(text)
    assert len(shown) == len(text) and forbidden_in(shown) == []
    assert all(a == b for a, b in zip(text, shown, strict=True) if _is_shown_as_is(a))


def test_stored_one_line_form_drops_controls_and_keeps_the_words() -> None:
    assert single_line(SUBJECTS[0]) == "[2J[H[41mX"
    assert single_line("  Login\nfails\t now ") == "Login fails now"
    assert single_line("vip\x07") == "vip"
    assert single_line("\u202eevil") == "evil"


@given(st.recursive(any_text, lambda inner: st.lists(inner) | st.dictionaries(any_text, inner)))
def test_json_output_is_the_same_data_with_nothing_a_terminal_would_obey(value: object) -> None:
    document = escape_json(json.dumps(value, ensure_ascii=False, indent=2))
    assert forbidden_in(document.replace("\n", "")) == []
    assert json.loads(document) == value


def test_sizes_read_in_decimal_and_binary_units() -> None:
    assert parse_size("1MB") == 1_000_000
    assert parse_size("512 KB") == 512_000
    assert parse_size("2MiB") == 2 * 1024 * 1024
    assert parse_size("1000") == 1000
    assert format_size(1_000_000) == "1MB"
    assert format_size(1_500) == "1500B"
    with pytest.raises(ValueError):
        parse_size("lots")
