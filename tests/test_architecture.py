"""The shape of the code, checked: no circle of imports between any two files, and slash commands declared in
cogs only. (The layer contracts themselves run as `lint-imports` in `make test`; see pyproject.toml.)"""

from __future__ import annotations

import ast

import grimp

from tests.conftest import ROOT

PACKAGES = ("bot", "cogs", "db")


def import_cycles() -> list[list[str]]:
    """Every group of modules that import each other in a circle (Tarjan's strongly connected components),
    counting imports made only for type checking too."""
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False)
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return cycles


def test_no_module_imports_itself_through_others():
    assert import_cycles() == []


_DECLARING_DECORATORS = {"command", "context_menu", "hybrid_command", "hybrid_group", "group"}
_DECLARING_BASES = {"GroupCog", "Group"}


def slash_command_declarations() -> list[str]:
    """``file:line`` of every slash command, group or context menu declared outside ``cogs/``."""
    found = []
    for package in ("bot", "db"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    for decorator in node.decorator_list:
                        target = decorator.func if isinstance(decorator, ast.Call) else decorator
                        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and (
                                target.value.id in ("app_commands", "tree", "commands")):
                            names.append(target.attr)
                elif isinstance(node, ast.ClassDef):
                    names = [b.attr for b in node.bases if isinstance(b, ast.Attribute)]
                    names = [n for n in names if n in _DECLARING_BASES]
                if any(n in _DECLARING_DECORATORS | _DECLARING_BASES for n in names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_slash_commands_are_declared_in_cogs_only():
    assert slash_command_declarations() == []


def test_the_checks_can_fail(tmp_path, monkeypatch):
    """Guard: each check finds what it looks for (a planted cycle and a planted command declaration)."""
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "__init__.py").write_text("")
    (planted / "a.py").write_text("from planted import b\n")
    (planted / "b.py").write_text("from planted import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("tests.test_architecture.PACKAGES", ("planted",))
    assert import_cycles() == [["planted.a", "planted.b"]]

    fake_root = tmp_path / "root"
    (fake_root / "bot").mkdir(parents=True)
    (fake_root / "db").mkdir()
    (fake_root / "bot" / "sneaky.py").write_text(
        "from discord import app_commands\n\n\n@app_commands.command(name='x')\nasync def x(i): ...\n")
    monkeypatch.setattr("tests.test_architecture.ROOT", fake_root)
    assert slash_command_declarations() == ["bot/sneaky.py:5"]  # the line of the `def`
