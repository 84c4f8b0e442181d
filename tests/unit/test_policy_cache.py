"""Validated policies are cached by their text; anything else is validated again."""

from __future__ import annotations

from pathlib import Path

import pytest

import tui_desk.core.policy_load as policy_load
from tui_desk.caches.policy import load_policy_cached, parse_policy_cached
from tui_desk.core.policy import default_policy_text
from tui_desk.core.policy_load import PolicyError


def test_an_unchanged_policy_is_not_validated_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    first = parse_policy_cached(default_policy_text(), "default")

    def fail(*_args: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(policy_load, "parse_policy_text", fail)
    again = parse_policy_cached(default_policy_text(), "default")
    assert again == first


def test_a_changed_file_is_validated_and_errors_are_never_cached(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(default_policy_text())
    assert load_policy_cached(path).desk.timezone == "Europe/Berlin"
    path.write_text(default_policy_text().replace('"Europe/Berlin"', '"Europe/Berlinn"', 1))
    for _ in range(2):
        with pytest.raises(PolicyError, match="desk.timezone"):
            load_policy_cached(path)


def test_a_corrupt_cache_entry_means_validating_again(isolated_environment: Path) -> None:
    parse_policy_cached(default_policy_text(), "default")
    for entry in isolated_environment.rglob("policy-*.json"):
        entry.write_bytes(b"{not json")
    assert parse_policy_cached(default_policy_text(), "default").desk.name == "Acme Support"


def test_a_change_to_any_module_of_the_policy_rules_invalidates_the_cache() -> None:
    from tui_desk.caches.policy import _validator_stamp

    _validator_stamp.cache_clear()
    stamp = _validator_stamp()
    core = Path(policy_load.__file__).parent
    for module in (*core.glob("policy*.py"), core / "bindings.py"):
        assert f"{module.name}:{module.stat().st_size}:" in stamp, module.name
