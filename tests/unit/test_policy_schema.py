"""One declaration of the policy schema (issue #12): regional holidays, [keys] ids checked
against the TUI's bindings, docs/policy.md's key tables generated from the declaration, the
model built from already-parsed values, and modules small enough to read."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

from tests.unit.test_policy import MINIMAL, line_of, problem_at
from tui_desk.core.bindings import BINDING_IDS
from tui_desk.core.policy import build_policy, default_policy_text
from tui_desk.core.policy_load import parse_policy_text
from tui_desk.core.policy_schema import REQUIRED, SETTINGS, keys_of, with_key_tables

REPO = Path(__file__).resolve().parents[2]


def _with_country(code: str) -> str:
    return MINIMAL.replace(
        'tue = ["09:00-17:00"]', f'tue = ["09:00-17:00"]\nholiday_country = "{code}"'
    )


@pytest.mark.parametrize("code", ["DE-BY", "US-CA", "DE"])
def test_a_holiday_country_may_name_a_region(code: str) -> None:
    assert parse_policy_text(_with_country(code)).calendars["office"].holiday_country == code


def test_an_unknown_region_is_refused_with_the_closest_one() -> None:
    text = _with_country("DE-BYY")
    problem = problem_at(text, "calendars.office.holiday_country")
    assert problem.line == line_of(text, "holiday_country")
    assert "not a region of DE" in problem.message
    assert problem.hint == 'did you mean "DE-BY"?'


def test_a_misspelt_binding_id_is_refused_with_did_you_mean() -> None:
    text = MINIMAL + '[keys]\nreply = "R"\nrely = "x"\n'
    problem = problem_at(text, "keys.rely")
    assert problem.line == line_of(text, "rely")
    assert "unknown binding id" in problem.message
    assert problem.hint == 'did you mean "reply"?'


def test_known_binding_ids_are_accepted() -> None:
    text = MINIMAL + '[keys]\nreply = "R"\nscreen_quotas = "5"\n'
    assert parse_policy_text(text).keys == {"reply": "R", "screen_quotas": "5"}


def test_the_binding_ids_a_policy_may_remap_are_those_the_tui_declares() -> None:
    from textual.binding import Binding

    import tui_desk.tui

    declared: set[str] = set()
    for module_info in pkgutil.walk_packages(tui_desk.tui.__path__, "tui_desk.tui."):
        module = importlib.import_module(module_info.name)
        for item in vars(module).values():
            if inspect.isclass(item) and item.__module__ == module.__name__:
                bindings = item.__dict__.get("BINDINGS", [])
                declared |= {b.id for b in bindings if isinstance(b, Binding) and b.id}
    assert sorted(BINDING_IDS) == sorted(declared)


def test_the_key_tables_of_the_policy_reference_are_the_declaration() -> None:
    doc = (REPO / "docs" / "policy.md").read_text(encoding="utf-8")
    for table in {setting.table for setting in SETTINGS}:
        assert f"<!-- keys of {table}: generated" in doc, table
    assert with_key_tables(doc) == doc, (
        "docs/policy.md's key tables differ from tui_desk/core/policy_schema.py; regenerate "
        "them with with_key_tables()"
    )


def test_every_declared_default_is_the_one_the_policy_gets() -> None:
    effective = parse_policy_text(MINIMAL + '[plans.p]\nsla = "standard"\n').effective
    sections = {
        "desk": effective["desk"],
        "statuses": effective["statuses"],
        "priorities": effective["priorities"],
        "sla.NAME": effective["sla"]["standard"],
        "plans.NAME": effective["plans"]["p"],
    }
    checked = 0
    for setting in SETTINGS:
        plain = setting.default is not REQUIRED and setting.default is not None
        if setting.table in sections and plain and setting.shown is None:
            assert sections[setting.table][setting.name] == setting.default, setting
            checked += 1
    assert checked == 17


def test_the_model_is_rebuilt_from_its_effective_form() -> None:
    policy = parse_policy_text(default_policy_text())
    assert build_policy(policy.effective) == policy
    assert build_policy(policy.effective).effective == policy.effective


def test_the_declaration_lists_the_keys_each_table_allows() -> None:
    assert keys_of("plans.NAME") == ("sla", "quota", "anchor", "overage", "expiry_warning")
    assert "mon" in keys_of("calendars.NAME") and "sun" in keys_of("calendars.NAME")


def test_no_policy_module_is_over_600_lines() -> None:
    core = REPO / "tui_desk" / "core"
    sizes = {path.name: len(path.read_text().splitlines()) for path in core.glob("policy*.py")}
    assert sizes and max(sizes.values()) <= 600, sizes
