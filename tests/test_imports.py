"""sdmd's imports run one way, and each process loads only what it uses.

The graph counts every `import` of an sdmd module, those inside functions too (a lazy import is
still an arrow: it only moves the cost to the first call), but not those under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import sdmd

ROOT = Path(sdmd.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, package: str, modules: set[str]) -> set[str]:
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                # `from sdmd.gitops import hooks` imports the module sdmd.gitops.hooks
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        stack.extend(ast.iter_child_nodes(node))
    return {name for name in found if name in modules}


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}
    modules = set(paths)
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = _imports(ast.parse(path.read_text(), str(path)), package, modules) - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_graph_sees_lazy_imports():
    graph = import_graph()
    # sdmd/app.py imports its routers at the top; sdmd/cli.py imports the app inside `serve`
    assert "sdmd.gitops.router" in graph["sdmd.app"]
    assert "sdmd.app" in graph["sdmd.cli"]


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_within_sdmd():
    assert cycles(import_graph()) == []


def test_schedules_import_updates_never_the_reverse_in_the_job_plumbing():
    graph = import_graph()
    for module in ("sdmd.updates.queue", "sdmd.updates.jobs"):
        assert not {m for m in graph[module] if m.startswith("sdmd.schedules")}, module


def _loaded_after(module: str) -> dict:
    code = ("import importlib, json, sys; importlib.import_module(sys.argv[1]); "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} | "
            "{m for m in sys.modules if m.startswith('sdmd.')})))")
    done = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_the_scheduler_loads_no_api_docker_yaml_editor_or_database():
    loaded = _loaded_after("sdmd.schedules.scheduler")
    assert "rq_scheduler" in loaded
    # the reconcile, which needs the database, and reading the settings run in forked children
    # (sdmd/forked.py)
    assert not loaded & {"fastapi", "starlette", "docker", "python_on_whales", "ruamel", "uvicorn", "sqlalchemy",
                         "pydantic", "pydantic_settings", "sdmd.app", "sdmd.core", "sdmd.config",
                         "sdmd.schedules.sync"}


def test_the_idle_worker_loads_no_api_and_no_job_code():
    loaded = _loaded_after("sdmd.updates.queue")
    assert "rq" in loaded
    assert not loaded & {"fastapi", "starlette", "docker", "python_on_whales", "ruamel", "sqlalchemy",
                         "sdmd.updates.cycle", "sdmd.schedules.jobs"}


def test_the_cli_loads_no_domain_before_a_command_runs():
    loaded = _loaded_after("sdmd.cli")
    assert not {m for m in loaded if m.startswith("sdmd.")} - {"sdmd.cli"}
    assert not loaded & {"pydantic", "fastapi", "sqlalchemy"}
