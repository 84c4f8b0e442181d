"""`tui_desk.services` exports its use cases lazily from one list (its `TYPE_CHECKING`
block): every exported name resolves to the object its module defines, nothing else is
exported, and importing the package for a quick read path loads no database toolkit."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

import tui_desk.services as services

SOURCE = Path(services.__file__)


def type_checking_imports() -> dict[str, str]:
    """What a type checker sees exported: the imports of the `TYPE_CHECKING` block."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1
    return {
        alias.asname or alias.name: statement.module or ""
        for statement in blocks[0].body
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }


def test_the_exports_are_the_names_type_checkers_see() -> None:
    assert services.exports() == type_checking_imports()
    assert services.__all__ == sorted(type_checking_imports())
    assert set(services.__all__) <= set(dir(services))


def test_the_package_keeps_no_second_list_of_names() -> None:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    assigned = [
        ast.unparse(target)
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
    ]
    assert assigned == []


@pytest.mark.parametrize("name", sorted(type_checking_imports()))
def test_every_exported_name_resolves_to_its_modules_object(name: str) -> None:
    home = type_checking_imports()[name]
    assert getattr(services, name) is getattr(import_module(home), name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'HelpDeks'"):
        services.HelpDeks  # noqa: B018


def test_quick_read_paths_import_no_database_toolkit() -> None:
    code = (
        "import sys\n"
        "from tui_desk.services import QueueFilter, ReadOnlyDesk, quota_overview\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
