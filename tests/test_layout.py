"""The README's layout table, enforced: which room may import which, core's inner arrows, and where SQL lives.

The rules are read from README.md's "Layout" table (its "may import" column), so the map and the check
cannot drift apart: a new room needs a row there and an `__init__` docstring saying what it may import.
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SKIP_DIRS = {"docs", "config", "test-artifacts", "build", "dist", "var"}
# Names that build SQL; a room outside core that needs them needs a function in core/store instead.
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "func", "and_", "or_", "exists", "literal_column",
                "case", "union", "union_all", "outerjoin", "join", "bindparam", "Table", "MetaData"}
# The one name from core.store.schema the rest of the code may use: it is a clock, not a table.
SCHEMA_OUTSIDE_CORE = {"utcnow"}
UNRESTRICTED_ROOMS = {"tests", "benchmarks"}
THIS = sys.modules[__name__]


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str          # absolute dotted module, e.g. "core.store.posts"
    names: tuple[str, ...]  # the names taken from it (`from m import a, b`), empty for `import m`


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def layout_rows() -> dict[str, str]:
    """README's layout table: folder (without slashes, dotted for core's sub-rooms) -> "may import" cell."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`([\w/]+)/`", cells[0]) if len(cells) == 3 else None
        if match:
            rows[match.group(1).replace("/", ".")] = cells[2]
    assert rows, "README.md has no Layout table with a `may import` column"
    return rows


def rooms() -> list[str]:
    """Top-level folders holding Python code."""
    found = []
    for path in sorted(ROOT.iterdir()):
        if (path.is_dir() and not path.name.startswith((".", "_")) and path.name not in SKIP_DIRS
                and not path.name.endswith(".egg-info") and any(path.rglob("*.py"))):
            found.append(path.name)
    return found


def core_subrooms() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "core").glob("*/__init__.py"))


def core_root_modules() -> set[str]:
    return {p.stem for p in (ROOT / "core").glob("*.py") if p.stem != "__init__"}


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports(path: Path) -> list[Import]:
    """Every import in a file, at any depth (function-level imports count too), made absolute."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append(Import(path, node.lineno, module, tuple(alias.name for alias in node.names)))
    return found


def targets(imp: Import) -> list[str]:
    """The modules an import reaches: `from core import vocabulary` reaches core.vocabulary."""
    if imp.names and imp.module in {"core", *(f"core.{s}" for s in core_subrooms())}:
        return [f"{imp.module}.{name}" for name in imp.names]
    return [imp.module]


def _where(imp: Import) -> str:
    return f"{_relative(imp.path)}:{imp.line}"


# --- the README table itself ---------------------------------------------------------------------------


def test_every_room_has_a_row_in_the_readme_layout_table():
    missing = [room for room in rooms() if room not in layout_rows()]
    assert not missing, (
        f"rule 'every room is on the map': {missing} hold Python code but have no row in README.md's Layout "
        "table; add one saying what the room holds and what it may import"
    )
    missing_sub = [s for s in core_subrooms() if f"core.{s}" not in layout_rows()]
    assert not missing_sub, f"rule 'every sub-room of core is on the map': core/{missing_sub}/ have no README row"


@pytest.mark.parametrize("package", [
    *(room for room in rooms() if room not in UNRESTRICTED_ROOMS), *(f"core/{s}" for s in core_subrooms()),
])
def test_every_room_says_what_it_may_import(package):
    init = ROOT / package / "__init__.py"
    assert init.exists(), f"rule 'a room is a package with a docstring': {package}/ has no __init__.py"
    docstring = ast.get_docstring(_tree(init)) or ""
    assert re.search(r"may import", docstring, re.IGNORECASE), (
        f"rule 'a room says what it holds and what it may import': {package}/__init__.py's docstring "
        f"does not say what it may import (write 'May import: …')"
    )


# --- the arrows -----------------------------------------------------------------------------------------


def allowed_rooms(room: str) -> set[str] | None:
    """What README's "may import" cell allows a top-level room; None for no restriction (or no row yet:
    test_every_room_has_a_row_in_the_readme_layout_table reports that)."""
    cell = layout_rows().get(room)
    if cell is None or room in UNRESTRICTED_ROOMS or "everything" in cell:
        return None
    if "nothing of ours" in cell:
        return {room}
    return {room, *(name.split(".")[0] for name in re.findall(r"`([\w.]+)`", cell))}


def test_rooms_import_only_what_the_readme_allows():
    ours = set(rooms())
    problems = []
    for room in rooms():
        allowed = allowed_rooms(room)
        if allowed is None:
            continue
        for path in python_files(ROOT / room):
            for imp in imports(path):
                top = imp.module.split(".")[0]
                if top in ours and top not in allowed:
                    problems.append(
                        f"{_where(imp)} imports {imp.module}: rule 'README layout: {room}/ may import "
                        f"{layout_rows()[room] or 'anything'}' (rooms never import their siblings)"
                    )
    assert not problems, "\n".join(problems)


def allowed_in_core(sub: str | None) -> set[str]:
    """Sub-rooms of core that `core/<sub>/` may import (None: a root module, which may use only root modules)."""
    if sub is None:
        return set()
    cell = layout_rows()[f"core.{sub}"]
    return {sub, *(name.split(".")[1] for name in re.findall(r"`(core\.\w+)`", cell))}


def test_core_arrows_point_down_only():
    """analytics → ingest → store → config; the root modules (vocabulary, post, matching, mail) serve all."""
    roots, subs = core_root_modules(), set(core_subrooms())
    problems = []
    for path in python_files(ROOT / "core"):
        parts = path.relative_to(ROOT / "core").parts
        sub = parts[0] if len(parts) > 1 else None
        if path == ROOT / "core" / "__init__.py":
            continue
        allowed = allowed_in_core(sub)
        for imp in imports(path):
            for target in targets(imp):
                bits = target.split(".")
                if bits[0] != "core" or len(bits) < 2:
                    continue
                if bits[1] in subs and bits[1] not in allowed:
                    rule = (f"README layout: core/{sub}/ may import {layout_rows()[f'core.{sub}']}" if sub
                            else "core's root modules serve every sub-room and import none of them")
                    problems.append(f"{_where(imp)} imports {target}: rule '{rule}' (arrows point down only: "
                                    "analytics → ingest → store → config)")
                elif bits[1] not in subs and bits[1] not in roots:
                    problems.append(f"{_where(imp)} imports {target}, which does not exist in core")
    assert not problems, "\n".join(problems)


# --- SQL lives in core ----------------------------------------------------------------------------------


def _sql_problems(path: Path) -> list[str]:
    problems = []
    aliases = set()
    for imp in imports(path):
        if imp.module == "core.store.schema" and set(imp.names) - SCHEMA_OUTSIDE_CORE:
            problems.append(f"{_where(imp)} imports tables from core.store.schema: rule 'all SQL on our tables "
                            "lives in core/store (writes, lookups) or core/analytics (figures)'")
        if imp.module.split(".")[0] != "sqlalchemy":
            continue
        builders = set(imp.names) & SQL_BUILDERS
        if builders or imp.module.startswith(("sqlalchemy.sql", "sqlalchemy.dialects")):
            problems.append(f"{_where(imp)} imports {sorted(builders) or imp.module} from sqlalchemy: rule 'no SQL "
                            "outside core: add a function to core/store and call it' (Connection and Engine are fine)")
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            aliases |= {alias.asname or alias.name for alias in node.names if alias.name == "sqlalchemy"}
    for node in ast.walk(_tree(path)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr in SQL_BUILDERS):
            problems.append(f"{_relative(path)}:{node.lineno} uses sqlalchemy.{node.attr}: rule 'no SQL outside core'")
    return problems


def test_no_sql_outside_core():
    problems = []
    for room in rooms():
        if room == "core" or room in UNRESTRICTED_ROOMS:
            continue
        for path in python_files(ROOT / room):
            problems += _sql_problems(path)
    assert not problems, "\n".join(problems)


# --- the checker checks ---------------------------------------------------------------------------------


def test_the_checks_catch_a_sibling_import_and_sql(monkeypatch):
    """A rule that cannot fail proves nothing: a sibling import and a select outside core are caught."""
    fake = ROOT / "api" / "_layout_probe.py"
    monkeypatch.setattr(
        THIS, "python_files",
        lambda folder: [fake] if folder == ROOT / "api" else [],
    )
    source = "from dashboard.routes import router\nfrom sqlalchemy import select\nimport sqlalchemy as sa\nsa.text('1')\n"
    _tree.cache_clear()
    monkeypatch.setattr(THIS, "_tree", lambda path: ast.parse(source))
    with pytest.raises(AssertionError, match="rule 'README layout: api/ may import"):
        test_rooms_import_only_what_the_readme_allows()
    with pytest.raises(AssertionError, match=r"rule 'no SQL outside core(.|\n)*sqlalchemy.text"):
        test_no_sql_outside_core()


def test_the_core_check_catches_an_upward_arrow(monkeypatch):
    fake = ROOT / "core" / "store" / "_layout_probe.py"
    monkeypatch.setattr(THIS, "python_files", lambda folder: [fake])
    monkeypatch.setattr(THIS, "_tree",
                        lambda path: ast.parse("from core.analytics.summary import summary\n"))
    with pytest.raises(AssertionError, match=r"rule 'README layout: core/store/ may import `core.config`"):
        test_core_arrows_point_down_only()


# --- no cycles ------------------------------------------------------------------------------------------


def _module_graph() -> dict[str, set[str]]:
    """module -> the modules of ours it imports, at any depth of the file (a deferred import is still an arrow)."""
    modules = {module_name(path): path for room in rooms() for path in python_files(ROOT / room)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for imp in imports(path):
            for target in [imp.module, *(f"{imp.module}.{n}" for n in imp.names)]:
                if target in modules and target != name and not modules[target].name == "__init__.py":
                    edges.add(target)
        graph[name] = edges
    return graph


def test_no_import_cycles():
    graph = _module_graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "rule 'imports run one way, also inside a room': " + "; ".join(" -> ".join(c) for c in cycles)
