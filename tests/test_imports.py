"""No import cycles between our modules, and the server starts without the terminal client.

For cycles every import counts — at module level, inside functions (lazy) and under
`TYPE_CHECKING` — because a cycle only type checking sees still ties two modules together.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package_folders() -> dict[str, Path]:
    """Import name → folder, as the wheel maps them (pyproject's `package-dir`)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping = pyproject["tool"]["setuptools"]["package-dir"]
    return {package: ROOT / folder for package, folder in mapping.items()}


def module_files() -> dict[str, Path]:
    modules = {}
    for package, folder in package_folders().items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((package, *parts))] = path
    return modules


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `module` imports (the parent packages Python loads on the way
    are not counted: they are not imports the code chose)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in known else target)
    return found & known


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for imported in sorted(graph[module]):
            if (cycle := visit(imported)) is not None:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        if (cycle := visit(module)) is not None:
            return cycle
    return None


def test_no_module_imports_itself_through_others():
    modules = module_files()
    graph = {name: imports_of(name, path, set(modules)) for name, path in modules.items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_a_cycle_is_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_relative_and_lazy_imports():
    modules = module_files()
    server = "ollama_lsp.server"
    assert f"{server}.server" in imports_of(f"{server}.cli", modules[f"{server}.cli"], set(modules))
    commands = imports_of(f"{server}.server", modules[f"{server}.server"], set(modules))
    assert f"{server}.commands.chat" in commands


def test_the_server_starts_without_the_terminal_client():
    """`ollama-lsp` is both; only `chat` and `generate` import the client (start-up time)."""
    check = (
        "import sys, ollama_lsp.server.cli, ollama_lsp.server.server; "
        "ollama_lsp.server.server.create_server(); "
        "sys.exit(any(name.startswith(('ollama_lsp.terminal', 'pygls.client')) "
        "for name in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", check], timeout=60).returncode == 0
