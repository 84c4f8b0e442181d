"""The layers import only downwards (the layout in README.md): the core is
pure (test_core_is_pure.py); the store knows nothing of the use cases or the faces; the
use cases know nothing of the faces; and the faces (the command line, the TUI, the demo)
write only through the use cases: they never import the store's write paths (ORM rows,
write sessions, bulk inserts), only its openers and plain-sqlite3 reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tui_desk

PACKAGE = Path(tui_desk.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))

# Layer (module prefix) -> modules it must not import, each with the reason.
UI = ("textual", "tui_desk.tui", "tui_desk.cli", "tui_desk.demo", "tui_desk.demo_story")
STORE_WRITES = (
    "tui_desk.store.models",
    "tui_desk.store.bulk",
    "tui_desk.store.engine.write_session",
)
RULES: dict[str, tuple[str, ...]] = {
    "tui_desk.store": ("tui_desk.services", *UI),
    "tui_desk.services": UI,
    "tui_desk.cli": STORE_WRITES,
    "tui_desk.tui": STORE_WRITES,
    "tui_desk.demo": STORE_WRITES,
    "tui_desk.demo_story": STORE_WRITES,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module (and `module.name`) a file imports, anywhere in it (functions and
    `TYPE_CHECKING` blocks too), relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def is_within(module: str, root: str) -> bool:
    return module == root or module.startswith(root + ".")


def layer_of(module: str) -> str | None:
    matches = [layer for layer in RULES if is_within(module, layer)]
    return max(matches, key=len) if matches else None


def test_every_layer_has_modules_to_check() -> None:
    layers = {layer_of(module_name(path)) for path in MODULES}
    assert set(RULES) <= layers


@pytest.mark.parametrize(
    "path",
    [path for path in MODULES if layer_of(module_name(path))],
    ids=lambda path: module_name(path),
)
def test_modules_import_only_downwards(path: Path) -> None:
    layer = layer_of(module_name(path))
    assert layer is not None
    wrong = sorted(
        module
        for module in imported_modules(path)
        if any(is_within(module, forbidden) for forbidden in RULES[layer])
    )
    assert not wrong, f"{module_name(path)} ({layer}) imports {wrong}"
