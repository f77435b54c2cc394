"""The layer rule and the installed names, checked on the source (docs/architecture.md says why).

* No import cycles among the project's modules, imports inside functions and ``TYPE_CHECKING`` blocks included.
* Imports run one way, down the layers below: the command line on top, then the scheduler, the pipeline, the
  stages, and the records at the bottom.  Nothing in ``feeds/`` imports ``scheduler/`` except the command line.
* The wheel installs one top-level name, ``seedfeed``.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP = {"feeds": "seedfeed", "scheduler": "seedfeed.scheduler"}

# Lower numbers are lower layers; a module may import its own layer and the layers below it only.
LAYERS = {
    "seedfeed": 0, "seedfeed.models": 0, "seedfeed.records": 0, "seedfeed.errors": 0,
    "seedfeed.config": 1, "seedfeed.urls": 1, "seedfeed.progress": 1, "seedfeed.publish": 1,
    "seedfeed.schedules": 1, "seedfeed.filters": 1,
    "seedfeed.sources": 2, "seedfeed.fetch": 2, "seedfeed.extraction": 2, "seedfeed.state": 2,
    "seedfeed.render": 2, "seedfeed.site": 2, "seedfeed.websub": 2, "seedfeed.check": 2, "seedfeed.serve": 2,
    "seedfeed.targets": 2, "seedfeed.unchanged": 2,
    "seedfeed.pipeline": 3,
    "seedfeed.scheduler": 4, "seedfeed.hosted": 4,
    "seedfeed.cli": 5, "seedfeed.__main__": 5,
}


def module_files() -> dict[str, Path]:
    """Every project module by the dotted name it is installed under."""
    found: dict[str, Path] = {}
    for folder, package in TOP.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def layer_of(module: str) -> int:
    """The layer of the longest prefix of ``module`` named in LAYERS."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise AssertionError(f"{module} has no layer: add it to LAYERS in tests/test_layout.py")


def imports_of(module: str, path: Path, modules: set[str]) -> set[str]:
    """The project modules ``module`` imports, anywhere in its file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # "from pkg import name" imports the module pkg.name when there is one, else pkg itself
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in modules else origin for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in ("feeds", "scheduler"):
                raise AssertionError(f"{path.relative_to(ROOT)} imports {target}: the installed name is seedfeed; "
                                     "use a relative import")
            if target in modules and target != module:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    names = set(files)
    return {module: imports_of(module, path, names) for module, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_imports_run_down_the_layers():
    graph = import_graph()
    upward = [f"{m} (layer {layer_of(m)}) imports {t} (layer {layer_of(t)})"
              for m, targets in sorted(graph.items()) for t in sorted(targets) if layer_of(t) > layer_of(m)]
    assert not upward, "imports that reach up a layer:\n" + "\n".join(upward)


def test_only_the_command_line_imports_the_scheduler():
    graph = import_graph()
    allowed = ("seedfeed.scheduler", "seedfeed.cli", "seedfeed.__main__")
    bad = [f"{m} imports {t}" for m, targets in sorted(graph.items()) for t in sorted(targets)
           if t.startswith("seedfeed.scheduler") and not m.startswith(allowed)]
    assert not bad, "\n".join(bad)


def test_the_checker_sees_a_cycle_and_an_upward_import():
    """The checks above can fail: a made-up graph with a cycle and an upward import is caught."""
    graph = {"seedfeed.models": {"seedfeed.pipeline"}, "seedfeed.pipeline": {"seedfeed.models"}}
    assert cycles(graph) == [["seedfeed.models", "seedfeed.pipeline"]]
    assert layer_of("seedfeed.models") < layer_of("seedfeed.pipeline")
    assert layer_of("seedfeed.render.xml_feeds") == 2 and layer_of("seedfeed.scheduler.daemon") == 4


def test_packages_are_small_and_init_files_hold_no_logic():
    files = module_files()
    top = sorted(m for m, p in files.items() if p.parent == ROOT / "feeds" and p.name != "__init__.py")
    assert len(top) <= 12, f"{len(top)} modules directly in feeds/: {top}"
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in files.values()
            if (n := len(p.read_text().splitlines())) > 400]
    assert not long, "modules over 400 lines: " + ", ".join(long)
    for path in files.values():
        if path.name != "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} needs a docstring saying what the stage does"
        logic = [type(n).__name__ for n in tree.body[1:]
                 if not isinstance(n, ast.ImportFrom | ast.Import)
                 and not (isinstance(n, ast.Assign) and all(isinstance(t, ast.Name) and t.id in ("__all__", "__version__")
                                                            for t in n.targets))]
        assert not logic, f"{path.relative_to(ROOT)} holds {logic}: only re-exports belong in __init__.py"


def test_wheel_installs_only_the_seedfeed_name(tmp_path):
    src = tmp_path / "src"
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name) if src.exists() else (src.mkdir(), shutil.copy(ROOT / name, src / name))
    for folder in TOP:
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    if built.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{built.stderr[-2000:]}")
    (wheel,) = (tmp_path / "dist").glob("seedfeed-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        top_level = {n.split("/")[0] for n in names if ".dist-info/" not in n}
        declared = next(zf.read(n).decode().split() for n in names if n.endswith(".dist-info/top_level.txt"))
        entry_points = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert top_level == {"seedfeed"} and declared == ["seedfeed"]
    assert "seedfeed/__main__.py" in names and "seedfeed/scheduler/daemon.py" in names
    assert "seedfeed/render/xml_feeds.py" in names and "seedfeed/serve/server.py" in names
    assert "seedfeed = seedfeed.cli:main" in entry_points


def test_tests_and_benchmarks_import_the_installed_name():
    """From the repository root ``feeds`` is importable as a folder too; a second copy of every module would
    make monkeypatches and module state silently miss the code under test."""
    bad = []
    for path in sorted([*ROOT.glob("tests/*.py"), *ROOT.glob("bench/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            bad += [f"{path.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names
                    if n.split(".")[0] in ("feeds", "scheduler")]
    assert not bad, "\n".join(bad)
