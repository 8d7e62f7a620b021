"""The layout the README promises: imports flow one way between the
packages, no module imports itself back through others, modules stay small,
and the repo's copy of the wire contract is the shared one."""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# Highest first: a package may import only those after it (README,
# Architecture). `protocol` is the contract in code and imports no app.
ORDER = ["project", "chat", "presence", "accounts", "realtime", "protocol"]
# Outside the order: they use the apps, nothing in the apps uses them.
TOOLS = ["devserver", "bench"]
SMALL = ["realtime", "chat", "presence", "accounts", "protocol"]
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    found = {}
    for package in ORDER + TOOLS:
        for path in (BASE_DIR / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(BASE_DIR).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _parse(path: Path) -> ast.Module:
    # CPython 3.11 can raise "SystemError: AST constructor recursion depth
    # mismatch" when a finalizer runs Python code while ast.parse builds its
    # objects (seen on a loaded machine, after the suite's other tests left
    # garbage behind): keep the collector out of the way, and retry once.
    for attempt in (1, 2):
        gc.disable()
        try:
            return ast.parse(path.read_text(), str(path))
        except SystemError:
            if attempt == 2:
                raise
        finally:
            gc.enable()
    raise AssertionError("unreachable")


def _imports(path: Path, name: str) -> set[str]:
    """Modules of this project that `path` imports, also inside functions
    and under TYPE_CHECKING (a cycle there is still a cycle to read)."""
    tree = _parse(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # `from chat import services` imports the module chat.services.
            found |= {f"{module}.{alias.name}" for alias in node.names}
    tops = set(ORDER + TOOLS)
    return {m for m in found if m.split(".")[0] in tops}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {m for m in _imports(path, name) if m in modules and m != name}
        for name, path in modules.items()
    }


def wrong_arrows(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for name, targets in graph.items():
        source = name.split(".")[0]
        for target in targets:
            top = target.split(".")[0]
            if source in TOOLS or top == source:
                continue
            if top in TOOLS or ORDER.index(top) < ORDER.index(source):
                wrong.append(f"{name} imports {target}")
    return sorted(wrong)


def cycles(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                found.append(" → ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_imports_follow_the_declared_order():
    wrong = wrong_arrows(_graph())
    assert not wrong, f"imports against {' → '.join(ORDER)}:\n" + "\n".join(wrong)


def test_no_import_cycles():
    found = cycles(_graph())
    assert not found, "import cycles:\n" + "\n".join(found)


def test_the_checks_catch_what_they_are_for():
    # The walk sees real imports, relative ones too ...
    graph = _graph()
    assert "chat.services" in graph["chat.api"]
    assert "protocol.wire" in graph["chat.serializers"]
    # ... and each check fails on what it guards against.
    assert wrong_arrows({"presence.api": {"chat.models"}}) == [
        "presence.api imports chat.models"
    ]
    assert wrong_arrows({"realtime.relay": {"bench.seed"}})
    assert not wrong_arrows({"bench.seed": {"chat.models"}})
    assert cycles({"chat.a": {"chat.b"}, "chat.b": {"chat.a"}}) == [
        "chat.a → chat.b → chat.a"
    ]


@pytest.mark.parametrize("package", SMALL)
def test_modules_stay_small(package):
    big = [
        f"{path.relative_to(BASE_DIR)}: {count} lines"
        for path in (BASE_DIR / package).rglob("*.py")
        if "migrations" not in path.parts
        and (count := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_protocol_copy_matches_the_shared_contract():
    shared = BASE_DIR.parent / "shared" / "PROTOCOL.md"
    if not shared.exists():
        pytest.skip("no ../shared/PROTOCOL.md beside this checkout")
    assert (BASE_DIR / "docs" / "PROTOCOL.md").read_text() == shared.read_text(), (
        "docs/PROTOCOL.md differs from ../shared/PROTOCOL.md: copy the shared "
        "contract into the repo"
    )
