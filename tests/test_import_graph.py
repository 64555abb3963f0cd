"""The package's import graph: no cycles (function-level imports included, since they only
hide a cycle until the function runs), checkpoint IO never imports the models, and the
framework-free core imports no framework at module level.

Every `import` / `from ... import` statement in `keras_bert/**.py` is read with `ast` and
resolved (relative ones too) to a module of the package; a package's `__init__.py` is the
package itself. `from pkg import name` points at `pkg.name` when that is a module, else at
`pkg`. Importing a submodule also runs its parents' `__init__`, but that is no edge here:
otherwise every package importing its own submodules would be a "cycle".
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = "keras_bert"
FRAMEWORKS = ("tensorflow", "keras", "torch")
# Modules the PyTorch twin and the CLI use without TensorFlow: no framework at import time
# (every checkpoint module: the readers serve the twin too).
FRAMEWORK_FREE = ("keras_bert/config.py",) + tuple(
    sorted(str(p.relative_to(ROOT)) for p in (ROOT / PACKAGE / "checkpoints").glob("*.py"))
)


def module_name(path: pathlib.Path, root: pathlib.Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(root: pathlib.Path = ROOT) -> dict[str, pathlib.Path]:
    return {module_name(p, root): p for p in sorted((root / PACKAGE).rglob("*.py"))}


def imports(path: pathlib.Path, root: pathlib.Path = ROOT):
    """Yields (absolute dotted target, names imported from it, line, at module level?) for every
    import statement of the file, relative imports resolved."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def visit(node, top: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, (), child.lineno, top
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module
                yield target, tuple(a.name for a in child.names), child.lineno, top
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from visit(child, inner)

    yield from visit(tree, True)


def graph(root: pathlib.Path = ROOT) -> dict[str, dict[str, int]]:
    """{module: {imported module of the package: first line}}."""
    modules = all_modules(root)
    edges: dict[str, dict[str, int]] = {m: {} for m in modules}
    for name, path in modules.items():
        for target, names, line, _ in imports(path, root):
            found = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            if not found or len(found) < len(names):
                # `import a.b.c` / `from a.b import attr`: the deepest module of the package named.
                parts = target.split(".")
                while parts and ".".join(parts) not in modules:
                    parts.pop()
                if parts:
                    found.append(".".join(parts))
            for t in found:
                if t != name:
                    edges[name].setdefault(t, line)
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected component (Tarjan)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def strongconnect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(set(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    out = []
    for component in components:
        start = min(component)
        # Breadth-first search back to `start` inside the component: the shortest cycle through it.
        previous, frontier = {start: None}, [start]
        while frontier and start not in [w for v in frontier for w in edges[v]]:
            nxt = []
            for v in frontier:
                for w in sorted(edges[v]):
                    if w in component and w not in previous:
                        previous[w] = v
                        nxt.append(w)
            frontier = nxt
        last = next(v for v in frontier if start in edges[v])
        path = [last]
        while previous[path[-1]] is not None:
            path.append(previous[path[-1]])
        out.append([*reversed(path), start])
    return out


def describe(cycle: list[str], edges) -> str:
    return " -> ".join(f"{a} (line {edges[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_cycle_finder_finds_a_known_cycle():
    edges = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4}}
    assert cycles(edges) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_graph_resolves_relative_and_function_level_imports(tmp_path):
    pkg = tmp_path / PACKAGE / "sub"
    pkg.mkdir(parents=True)
    (tmp_path / PACKAGE / "__init__.py").write_text("")
    (tmp_path / PACKAGE / "top.py").write_text("VALUE = 1\n")
    (pkg / "__init__.py").write_text("from . import a\nfrom .b import thing\n")
    (pkg / "a.py").write_text("import os\nfrom ..top import VALUE\n")
    (pkg / "b.py").write_text("def f():\n    from keras_bert import sub\n    import keras_bert.sub.a\nthing = 1\n")
    edges = graph(tmp_path)
    assert edges["keras_bert.sub"] == {"keras_bert.sub.a": 1, "keras_bert.sub.b": 2}
    assert edges["keras_bert.sub.a"] == {"keras_bert.top": 2}
    assert edges["keras_bert.sub.b"] == {"keras_bert.sub": 2, "keras_bert.sub.a": 3}
    assert cycles(edges) == [["keras_bert.sub", "keras_bert.sub.b", "keras_bert.sub"]]
    tops = {t: top for t, _, _, top in imports(pkg / "b.py", tmp_path)}
    assert tops == {"keras_bert": False, "keras_bert.sub.a": False}


def test_no_import_cycles():
    edges = graph()
    found = cycles(edges)
    assert not found, "import cycle(s):\n" + "\n".join(describe(c, edges) for c in found)


def test_checkpoints_never_import_models():
    offenders = []
    for name, path in all_modules().items():
        if not name.startswith(PACKAGE + ".checkpoints"):
            continue
        for target, names, line, _ in imports(path):
            full = [target] + [f"{target}.{n}" for n in names]
            if any(t == PACKAGE + ".models" or t.startswith(PACKAGE + ".models.") for t in full):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("relpath", FRAMEWORK_FREE)
def test_core_imports_no_framework_at_module_level(relpath):
    path = ROOT / relpath
    offenders = [
        f"{relpath}:{line} imports {target}"
        for target, _, line, top in imports(path)
        if top and target.split(".")[0] in FRAMEWORKS
    ]
    assert not offenders, "\n".join(offenders)
