"""The package's import graph, read from the source (ast), for the architecture tests."""

from __future__ import annotations

from pathlib import Path


def module_imports(root: Path | None = None) -> dict[str, set[str]]:
    """fhir_discharge's modules and the package modules each imports, anywhere in it (a
    function's import closes a cycle too, when it runs) but under `if TYPE_CHECKING:`.
    Importing `a.b.c` runs `a` and `a.b` first: those count, but for a package that contains
    the importer (it is already running)."""
    import ast

    import fhir_discharge

    root = root or Path(fhir_discharge.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        package = name if is_package else name.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        imported: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")
                base = base[: len(base) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                imported.add(module)
                imported |= {f"{module}.{a.name}" for a in node.names}
        for module in list(imported):
            steps = module.split(".")
            imported |= {
                ".".join(steps[:n])
                for n in range(1, len(steps))
                if not f"{name}.".startswith(".".join(steps[:n]) + ".")
            }
        graph[name] = imported
    return {n: {i for i in imported if i in graph and i != n} for n, imported in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles, each as the path that closes it. Importing `a.b` runs `a` first, so an
    edge to a submodule is an edge to its packages too, except to a package that contains the
    importer (already running)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            found.append([*path[path.index(name) :], name])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return found
