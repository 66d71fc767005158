"""The package's import graph has no cycle, and the layers point one way: the API layer and
the archive know nothing of configuration or the flow, and nothing below the front doors reads
the process environment."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pipecat_build

PACKAGE = Path(pipecat_build.__file__).parent
NAME = "pipecat_build"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module of the package that `path` imports, at any depth of its code (a deferred
    import inside a function still makes a cycle when it runs)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith(NAME):
                yield target
                for alias in node.names:  # `from . import cleaners` imports a module
                    yield f"{target}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith(NAME))


def graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        # A module's own packages are initialised before it runs: importing them is no cycle.
        edges[name] = {
            t for t in _imports(path) if t in modules and t != name and not name.startswith(t + ".")
        }
    # Importing a.b.c runs a/__init__ and a/b/__init__ too.
    for name in list(edges):
        for target in list(edges[name]):
            parts = target.split(".")
            for i in range(2, len(parts)):
                parent = ".".join(parts[:i])
                if parent in modules and parent != name and not name.startswith(parent + "."):
                    edges[name].add(parent)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_there_is_no_import_cycle() -> None:
    assert find_cycle(graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    """The check above can fail: a planted cycle is found."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def _reaches(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_api_layer_and_the_archive_know_nothing_of_configuration_or_the_flow() -> None:
    edges = graph()
    above = ("pipecat_build.config", "pipecat_build.flow", "pipecat_build.job")
    for name in edges:
        if name.startswith(("pipecat_build.api", "pipecat_build.archive", "pipecat_build.models")):
            reached = {m for m in _reaches(edges, name) if m.startswith(above)}
            assert reached == set(), f"{name} reaches {sorted(reached)}"


_ENV_READERS = ("environ", "environb", "getenv", "getenvb")


def test_nothing_below_the_front_doors_reads_the_process_environment() -> None:
    readers = []
    for path in PACKAGE.rglob("*.py"):
        if "entry" in path.relative_to(PACKAGE).parts or path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in _ENV_READERS
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and any(alias.name in _ENV_READERS for alias in node.names)
            ):
                readers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert readers == []
