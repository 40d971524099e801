"""The layer contract of the ``onpace`` package.

Top-level packages sit in layers and import only downward::

    4  api  web  cli          interfaces: they never import one another
    3  services  notify  examples  library
    2  engine  store  kpi     kpi: the KPI rules, pure functions over definitions and the calendar
    1  catalog
    0  errors  config  fileio  calendar   errors imports nothing from onpace; the others may import errors

A module may import from its own package and from any lower layer. Imports
between two packages of the same layer are forbidden unless listed in
``SAME_LAYER_ALLOWED``. The root ``onpace/__init__.py`` sits below everything:
any module may import it (``from onpace import __version__``), and it imports
nothing from onpace, so ``import onpace`` stays cheap and cycle-free.

Every import counts: ``import onpace.x``, ``from onpace.x import y``, relative
imports, imports inside functions or under ``if TYPE_CHECKING:``, and
``importlib.import_module("onpace.x")`` with a literal name. A top-level module
or package missing from ``LAYERS`` fails the test: give it a layer here.
Packages in ``LAYERS`` that do not exist yet are skipped.

No cycles, between packages or inside one: the modules of one top-level
package (``catalog``, ``services``...) never import one another in a cycle,
counting every import as above, those under ``if TYPE_CHECKING:`` included. A
cycle that only type hints close still ties the modules together (neither can
be read or moved alone), and it fails at import the day a hint is needed at run
time. ``from onpace.catalog import models`` imports the module ``models``, not
the package's ``__init__``; a name the ``__init__`` defines is an import of it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = "onpace"
SRC = Path(__file__).resolve().parents[1] / "src"

LAYERS: dict[str, int] = {
    "errors": 0,
    "config": 0,
    "calendar": 0,  # period arithmetic: grains, weeks, fiscal years, names of periods, days
    "fileio": 0,  # definition files written under a cross-process lock, replaced atomically
    "catalog": 1,
    "kpi": 2,
    "engine": 2,
    "store": 2,
    "services": 3,
    "notify": 3,
    "examples": 3,
    "library": 3,  # the built-in KPI library (onpace library, onpace init --template)
    "importers": 3,  # definitions of other tools (dbt's Semantic Layer) as onpace's: onpace import dbt
    "api": 4,
    "web": 4,
    "cli": 4,
    "server": 5,  # the ASGI app: the API and the web pages together
    "__main__": 5,  # `python -m onpace`: starts the CLI
}
INTERFACES = frozenset({"api", "web", "cli"})
# (importer, imported) pairs allowed inside one layer; the reverse stays forbidden.
SAME_LAYER_ALLOWED = frozenset(
    {
        ("config", "errors"),
        ("fileio", "errors"),
        ("calendar", "errors"),
        ("services", "notify"),  # alerts and reports are sent through the channels
        ("library", "examples"),  # `onpace init --template` generates the demo company's data
        ("examples", "services"),  # `onpace demo` refreshes its project and adds the team's notes
    }
)
ROOT = "<root>"  # onpace/__init__.py


@dataclass(frozen=True)
class Import:
    """``module`` (in ``path`` at ``line``) imports ``target`` (absolute dotted name)."""

    module: str
    path: Path
    line: int
    target: str

    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Scan:
    modules: tuple[str, ...]
    units: frozenset[str]  # top-level modules and packages found, besides the root
    imports: tuple[Import, ...]
    errors: tuple[str, ...]  # imports that could not be resolved


def module_name(path: Path, src: Path) -> tuple[str, bool]:
    """Dotted module name of ``path`` under ``src`` and whether it is a package ``__init__``."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str | None:
    """Absolute name of ``from <level dots><name> import ...`` written in ``module``.

    None when the import climbs above the top-level package.
    """
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 >= len(base):
        return None
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([name] if name else [])])


def _imported_names(node: ast.AST, module: str, is_package: bool, package: str) -> Iterable[tuple[str | None, int]]:
    """Absolute names imported by one AST node (None for a relative import that cannot be resolved)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, node.lineno
    elif isinstance(node, ast.ImportFrom):
        base = resolve_relative(module, is_package, node.level, node.module) if node.level else node.module
        if base is None:
            yield None, node.lineno
            return
        yield base, node.lineno
        # `from onpace import engine` / `from . import x` import submodules by name
        for alias in node.names:
            if alias.name != "*":
                yield f"{base}.{alias.name}", node.lineno
    elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.split(".")[0] == package:
            yield first.value, node.lineno


def _is_import_module(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module" and isinstance(func.value, ast.Name) and func.value.id == "importlib"
    return isinstance(func, ast.Name) and func.id == "import_module"


def scan(src: Path, package: str = PACKAGE) -> Scan:
    """Every import of ``package``'s own modules, in every module under ``src/package``."""
    root = src / package
    modules: list[str] = []
    units: set[str] = set()
    imports: list[Import] = []
    errors: list[str] = []
    for child in root.iterdir():
        if child.is_dir() and (child / "__init__.py").exists():
            units.add(child.name)
        elif child.suffix == ".py" and child.stem != "__init__":
            units.add(child.stem)
    for path in sorted(root.rglob("*.py")):
        module, is_package = module_name(path, src)
        modules.append(module)
        shown = path.relative_to(src.parent) if src.parent in path.parents else path
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for name, line in _imported_names(node, module, is_package, package):
                if name is None:
                    errors.append(f"{shown}:{line}: relative import climbs above the '{package}' package")
                elif name == package or name.startswith(package + "."):
                    imports.append(Import(module, shown, line, name))
    return Scan(tuple(modules), frozenset(units), tuple(imports), tuple(errors))


def unit_of(name: str, units: Iterable[str]) -> str:
    """The top-level package or module (or ROOT) that dotted ``name`` belongs to."""
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in units:
        return parts[1]
    return ROOT


def _dependencies(found: Scan, layers: Mapping[str, int]) -> Iterable[tuple[Import, str, str]]:
    known = found.units | set(layers)
    seen: set[tuple[str, int, str, str]] = set()
    for imp in found.imports:
        src, dst = unit_of(imp.module, known), unit_of(imp.target, known)
        key = (imp.module, imp.line, src, dst)
        if src != dst and key not in seen:
            seen.add(key)
            yield imp, src, dst


def unknown_units(found: Scan, layers: Mapping[str, int]) -> list[str]:
    return sorted(found.units - set(layers))


def layer_violations(
    found: Scan,
    layers: Mapping[str, int] = LAYERS,
    same_layer_allowed: frozenset[tuple[str, str]] = SAME_LAYER_ALLOWED,
    interfaces: frozenset[str] = INTERFACES,
) -> list[str]:
    """One message per import that breaks the layer contract."""
    problems = list(found.errors)
    for imp, src, dst in _dependencies(found, layers):
        if src == ROOT:
            problems.append(
                f"{imp.where()}: {PACKAGE}/__init__.py imports {imp.target}; the root package imports nothing from {PACKAGE}"
            )
            continue
        if dst == ROOT or src not in layers or dst not in layers:
            continue  # packages without a layer are reported by unknown_units
        if layers[dst] > layers[src]:
            problems.append(
                f"{imp.where()}: {imp.module} imports {imp.target}: upward import "
                f"(layer {layers[src]} '{src}' -> layer {layers[dst]} '{dst}')"
            )
        elif layers[dst] == layers[src] and (src, dst) not in same_layer_allowed:
            if src in interfaces and dst in interfaces:
                why = "interfaces never import one another"
            else:
                why = f"'{src}' and '{dst}' are both in layer {layers[src]}"
            problems.append(f"{imp.where()}: {imp.module} imports {imp.target}: {why}")
    return problems


def package_graph(found: Scan, layers: Mapping[str, int] = LAYERS) -> dict[str, dict[str, Import]]:
    """Top-level package -> packages it imports, each with one example import."""
    graph: dict[str, dict[str, Import]] = defaultdict(dict)
    for imp, src, dst in _dependencies(found, layers):
        graph[src].setdefault(dst, imp)
    return graph


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    nodes = set(graph) | {n for targets in graph.values() for n in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return sorted(components)


def cycle_messages(found: Scan, layers: Mapping[str, int] = LAYERS) -> list[str]:
    graph = package_graph(found, layers)
    messages = []
    for component in find_cycles(graph):
        edges = [
            f"{src} -> {dst} ({imp.where()})"
            for src in component
            for dst, imp in sorted(graph[src].items())
            if dst in component
        ]
        messages.append(f"import cycle between {', '.join(component)}: " + "; ".join(edges))
    return messages


@cache
def _real_scan() -> Scan:
    return scan(SRC)


# ---------------------------------------------------------------- the contract


def test_the_package_is_scanned() -> None:
    found = _real_scan()
    assert f"{PACKAGE}.errors" in found.modules, f"no {PACKAGE} modules under {SRC}"


def test_every_top_level_package_has_a_layer() -> None:
    missing = unknown_units(_real_scan(), LAYERS)
    assert not missing, f"give these a layer in LAYERS ({__file__}): {', '.join(missing)}"


def test_no_upward_or_cross_interface_imports() -> None:
    problems = layer_violations(_real_scan())
    assert not problems, "layer contract broken:\n" + "\n".join(problems)


def test_no_import_cycles_between_packages() -> None:
    cycles = cycle_messages(_real_scan())
    assert not cycles, "\n".join(cycles)


def module_graph(found: Scan) -> dict[str, dict[str, Import]]:
    """Module -> the modules of its own top-level package it imports, each with one example import."""
    modules = set(found.modules)
    names_on_line: dict[tuple[str, int], set[str]] = defaultdict(set)
    for imp in found.imports:
        names_on_line[(imp.module, imp.line)].add(imp.target)

    def module_of(name: str) -> str | None:  # the longest prefix of ``name`` that is a module
        parts = name.split(".")
        while parts and ".".join(parts) not in modules:
            parts.pop()
        return ".".join(parts) or None

    graph: dict[str, dict[str, Import]] = defaultdict(dict)
    for imp in found.imports:
        if any(other.startswith(imp.target + ".") for other in names_on_line[(imp.module, imp.line)]):
            continue  # the package a ``from`` names: its names below say which module each is from
        dst = module_of(imp.target)
        if dst is not None and dst != imp.module and dst.split(".")[:2] == imp.module.split(".")[:2]:
            graph[imp.module].setdefault(dst, imp)
    return graph


def module_cycle_messages(found: Scan) -> list[str]:
    graph = module_graph(found)
    messages = []
    for component in find_cycles(graph):
        package = component[0].split(".")[1]
        edges = [
            f"{src} -> {dst} ({imp.where()})"
            for src in component
            for dst, imp in sorted(graph[src].items())
            if dst in component
        ]
        messages.append(f"import cycle inside '{package}': " + "; ".join(edges))
    return messages


def test_no_import_cycles_inside_a_package() -> None:
    cycles = module_cycle_messages(_real_scan())
    assert not cycles, "\n".join(cycles)


def test_checker_finds_cycles_inside_a_package(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write_tree(
        src,
        {
            "onpace/__init__.py": "",
            "onpace/catalog/__init__.py": "from .project import Project\n",
            "onpace/catalog/models.py": "",
            # project -> validate at run time, validate -> project for type hints only: still a cycle
            "onpace/catalog/project.py": "def load():\n    from onpace.catalog.validate import check\n",
            "onpace/catalog/validate.py": (
                "from typing import TYPE_CHECKING\nfrom onpace.catalog import models\n"
                "if TYPE_CHECKING:\n    from onpace.catalog.project import Project\n"
            ),
            # a submodule imported through its package is no import of the package's __init__
            "onpace/catalog/display.py": "from onpace.catalog import models, project\n",
            "onpace/engine/__init__.py": "from onpace.engine.engine import Engine\n",
            "onpace/engine/engine.py": "from onpace.engine.check import check\n",
            "onpace/engine/check.py": "from onpace.engine import Engine\n",  # a name the __init__ defines
        },
    )
    assert module_cycle_messages(scan(src)) == [
        "import cycle inside 'catalog': onpace.catalog.project -> onpace.catalog.validate "
        "(src/onpace/catalog/project.py:2); onpace.catalog.validate -> onpace.catalog.project "
        "(src/onpace/catalog/validate.py:4)",
        "import cycle inside 'engine': onpace.engine -> onpace.engine.engine (src/onpace/engine/__init__.py:1); "
        "onpace.engine.check -> onpace.engine (src/onpace/engine/check.py:1); "
        "onpace.engine.engine -> onpace.engine.check (src/onpace/engine/engine.py:1)",
    ]


def test_the_contract_table_is_consistent() -> None:
    for src, dst in SAME_LAYER_ALLOWED:
        assert LAYERS[src] == LAYERS[dst], (src, dst)
        assert (dst, src) not in SAME_LAYER_ALLOWED, f"{src} and {dst} may not import each other both ways"
        assert not (src in INTERFACES and dst in INTERFACES)
    assert INTERFACES.issubset(LAYERS)


# ----------------------------------------------------------------- the checker


def _write_tree(src: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# the fake tree's picture: kpi one layer below engine, so that kpi -> engine is upward
FAKE_LAYERS = {**LAYERS, "kpi": 1}


@pytest.fixture
def fake_src(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    _write_tree(
        src,
        {
            "onpace/__init__.py": '__version__ = "0"\n',
            "onpace/errors.py": "",
            "onpace/config.py": "from onpace.errors import x\n",
            "onpace/catalog/__init__.py": "from . import models\nfrom .models import M\n",
            "onpace/catalog/models.py": "from onpace import __version__\nfrom ..errors import E\n",
            "onpace/kpi/__init__.py": "",
            "onpace/kpi/pace.py": ("def f():\n    from onpace.engine import Engine\n    return Engine\n"),
            "onpace/engine/__init__.py": "import onpace.catalog.models\nfrom onpace import kpi\n",
            "onpace/engine/query.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import onpace.store.models as m\n"
            ),
            "onpace/store/__init__.py": "",
            "onpace/store/models.py": "import importlib\nimportlib.import_module('onpace.services.refresh')\n",
            "onpace/services/__init__.py": "from onpace.notify import email\n",
            "onpace/notify/__init__.py": "from onpace import services\n",
            "onpace/api/__init__.py": "",
            "onpace/cli/__init__.py": "",
            "onpace/cli/main.py": "from ..api import app\nfrom ...outside import x\n",
            "onpace/plugins.py": "",
        },
    )
    return src


def test_checker_reports_each_kind_of_violation(fake_src: Path) -> None:
    problems = "\n".join(layer_violations(scan(fake_src), FAKE_LAYERS))

    # kpi -> engine inside a function: upward
    assert "src/onpace/kpi/pace.py:2: onpace.kpi.pace imports onpace.engine: upward import" in problems
    # engine -> store under TYPE_CHECKING: same layer
    assert (
        "src/onpace/engine/query.py:3: onpace.engine.query imports onpace.store.models: 'engine' and 'store'"
        in problems
    )
    # store -> services through importlib: upward
    assert "src/onpace/store/models.py:2: onpace.store.models imports onpace.services.refresh: upward" in problems
    # notify -> services: same layer, only services -> notify is allowed
    assert "src/onpace/notify/__init__.py:1: onpace.notify imports onpace.services: 'notify' and 'services'" in problems
    # cli -> api through a relative import
    assert (
        "src/onpace/cli/main.py:1: onpace.cli.main imports onpace.api: interfaces never import one another" in problems
    )
    # a relative import that leaves the package
    assert "src/onpace/cli/main.py:2: relative import climbs above the 'onpace' package" in problems


def test_checker_accepts_downward_and_allowed_imports(fake_src: Path) -> None:
    problems = "\n".join(layer_violations(scan(fake_src), FAKE_LAYERS))
    for fine in (
        "onpace/config.py",  # config -> errors
        "onpace/catalog/__init__.py",  # inside its own package
        "onpace/catalog/models.py",  # root and errors (relative)
        "onpace/engine/__init__.py",  # catalog, kpi
        "onpace/services/__init__.py",  # services -> notify
    ):
        assert fine not in problems


def test_checker_reports_the_root_package_importing_a_subpackage(fake_src: Path) -> None:
    (fake_src / "onpace/__init__.py").write_text("from onpace.engine import Engine\n", encoding="utf-8")
    problems = layer_violations(scan(fake_src))
    assert any(p.startswith("src/onpace/__init__.py:1:") and "root package imports nothing" in p for p in problems)


def test_checker_lists_packages_without_a_layer(fake_src: Path) -> None:
    assert unknown_units(scan(fake_src), LAYERS) == ["plugins"]


def test_checker_finds_cycles(fake_src: Path) -> None:
    messages = cycle_messages(scan(fake_src))
    assert messages == [
        "import cycle between engine, kpi: engine -> kpi (src/onpace/engine/__init__.py:2); "
        "kpi -> engine (src/onpace/kpi/pace.py:2)",
        "import cycle between notify, services: notify -> services (src/onpace/notify/__init__.py:1); "
        "services -> notify (src/onpace/services/__init__.py:1)",
    ]


def test_find_cycles_on_a_plain_graph() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": ["e"]}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": ["b"], "b": []}) == []


@pytest.mark.parametrize(
    ("module", "is_package", "level", "name", "expected"),
    [
        ("onpace.engine.query", False, 1, "plan", "onpace.engine.plan"),
        ("onpace.engine.query", False, 1, None, "onpace.engine"),
        ("onpace.engine.query", False, 2, "catalog", "onpace.catalog"),
        ("onpace.engine", True, 1, "plan", "onpace.engine.plan"),
        ("onpace.engine", True, 2, None, "onpace"),
        ("onpace.engine", True, 3, None, None),
        ("onpace.errors", False, 2, None, None),
    ],
)
def test_resolve_relative(module: str, is_package: bool, level: int, name: str | None, expected: str | None) -> None:
    assert resolve_relative(module, is_package, level, name) == expected


# ------------------------------------------------------- what interfaces may touch


def test_interfaces_call_services_not_the_store_or_engine_internals() -> None:
    """The interfaces (``api``, ``web``, ``cli`` and ``server.py``) read and write through services.

    The rule, checked on every module of the interfaces (every import counts, as above):

    - no ``.session(...)`` call: an interface never opens a store session (nor any other
      object's ``session`` method: there is no need for one), a service function reads for it;
    - of ``onpace.store``, only ``Store`` from ``onpace.store.db``: the type of the store an
      interface opens or receives (``Store.for_project``, the API's ``StoreDep``) and hands to
      services, for wiring only; no repository module, no store model, no store helper;
    - of ``onpace.engine``, only the package's public API (``from onpace.engine import Engine,
      Query, partial_periods``: what its ``__init__`` exports), never one of its modules
      (``onpace.engine.check``, ``onpace.engine.result``...): a service wraps what an
      interface needs from inside the engine.
    """
    interfaces = {"api", "web", "cli", "server"}
    engine_modules = {
        p.stem if p.suffix == ".py" else p.name
        for p in (SRC / PACKAGE / "engine").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    store_allowed = {f"{PACKAGE}.store.db", f"{PACKAGE}.store.db.Store"}
    problems = []
    found = _real_scan()
    for imp in found.imports:
        if unit_of(imp.module, found.units) not in interfaces:
            continue
        parts = imp.target.split(".")
        if parts[1:2] == ["store"] and imp.target not in store_allowed:
            problems.append(f"{imp.where()}: {imp.module} imports {imp.target}: only Store, from onpace.store.db")
        if parts[1:2] == ["engine"] and len(parts) > 2 and parts[2] in engine_modules:
            problems.append(f"{imp.where()}: {imp.module} imports {imp.target}: an engine module, not its public API")
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        module, _ = module_name(path, SRC)
        if unit_of(module, found.units) not in interfaces:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "session":
                shown = path.relative_to(SRC.parent)
                problems.append(f"{shown}:{node.lineno}: {module} opens a store session: call a service instead")
    assert {unit_of(m, found.units) for m in found.modules} >= interfaces, "an interface was not scanned"
    assert not problems, "interfaces reach past the services:\n" + "\n".join(problems)
