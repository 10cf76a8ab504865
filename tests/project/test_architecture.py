"""The layering rules, checked by reading the source (ast), not by importing it.

ui → services → engine / bank / store, one way only: only ui/ imports Streamlit, only store/ builds SQL,
engine/ is pure (no store, services or ui), store/ knows nothing of services or ui, bank/ knows nothing of the
engine (the engine reads the bank's schema, never the other way), and ui/ reaches store/ and engine/ only
through services/. The leaf modules vocab.py, clock.py and qtypes.py import nothing else of the package and
every layer may use them. Imports inside functions count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "training_app"

# SQL-building names a service / engine / bank module must not import from sqlalchemy (or sqlmodel's select).
SQL_BUILDERS = {
    "select",
    "delete",
    "update",
    "insert",
    "func",
    "text",
    "case",
    "and_",
    "or_",
    "not_",
    "bindparam",
    "literal",
    "literal_column",
    "cast",
    "extract",
    "exists",
    "union",
    "union_all",
    "table",
    "column",
    "tuple_",
    "*",
}
SQLMODEL_BUILDERS = {"select", "col", "*"}
# Submodules of sqlalchemy that build no SQL and may be imported anywhere.
SQLALCHEMY_ALLOWED = ("sqlalchemy.exc", "sqlalchemy.engine")


@dataclass(frozen=True)
class Imported:
    path: str  # relative to the repository
    line: int
    source: str  # the import statement as written
    modules: tuple[str, ...]  # absolute module names it brings in (for `from m import n`: m and m.n)
    base: str  # the module imported from (absolute)
    names: tuple[str, ...]  # for `from m import a, b`: (a, b); for `import m`: ()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(path: Path) -> list[str]:
    return list(path.parent.relative_to(ROOT).parts)


def imports_of(source: str, path: Path) -> list[Imported]:
    """Every import in the source, relative imports resolved against the file's package."""
    rel = str(path.relative_to(ROOT)) if path.is_absolute() else str(path)
    package = _package_of(path if path.is_absolute() else ROOT / path)
    out = []
    for node in ast.walk(ast.parse(source, filename=rel)):
        text = (ast.get_source_segment(source, node) or "").replace("\n", " ")
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append(Imported(rel, node.lineno, text, (alias.name,), alias.name, ()))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package[: len(package) - (node.level - 1)] if node.level > 1 else list(package)
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = tuple(a.name for a in node.names)
            modules = (base,) + tuple(f"{base}.{n}" for n in names if n != "*")
            out.append(Imported(rel, node.lineno, text, modules, base, names))
    return sorted(out, key=lambda imp: imp.line)


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def streamlit_violations(imp: Imported) -> list[str]:
    return [f"imports streamlit ({m})" for m in imp.modules[:1] if _within(m, "streamlit")]


def sql_violations(imp: Imported) -> list[str]:
    base = imp.base
    if _within(base, "sqlalchemy"):
        if any(_within(base, ok) for ok in SQLALCHEMY_ALLOWED):
            return []
        if not imp.names:  # `import sqlalchemy [as sa]`: sa.select(...) would build SQL
            return [f"imports the module {base} (only {', '.join(SQLALCHEMY_ALLOWED)} are allowed)"]
        bad = sorted(set(imp.names) & SQL_BUILDERS)
        return [f"imports {name} from {base}" for name in bad]
    if _within(base, "sqlmodel"):
        bad = sorted(set(imp.names) & SQLMODEL_BUILDERS)
        return [f"imports {name} from {base}" for name in bad]
    return []


def layer_violations(imp: Imported, forbidden: tuple[str, ...]) -> list[str]:
    return sorted({f"imports {layer}" for m in imp.modules for layer in forbidden if _within(m, layer)})


def _files(*subpackages: str) -> list[Path]:
    roots = [PACKAGE / s for s in subpackages] if subpackages else [PACKAGE]
    return sorted(p for r in roots for p in r.rglob("*.py") if "__pycache__" not in p.parts)


def _report(found: list[tuple[Imported, str]]) -> str:
    return "\n".join(f"{imp.path}:{imp.line}: `{imp.source}` {why}" for imp, why in found)


def _check(files: list[Path], rule) -> list[tuple[Imported, str]]:
    assert files, "no source files found to check"
    found = []
    for path in files:
        for imp in imports_of(path.read_text(encoding="utf-8"), path):
            found.extend((imp, why) for why in rule(imp))
    return found


# --- the rules on the real source -------------------------------------------------------------------------------


def test_only_ui_imports_streamlit():
    """The load generator (training_app/loadtest) speaks Streamlit's wire protocol: it may import the protocol's
    protobuf messages (streamlit.proto) and nothing else of Streamlit."""
    files = [p for p in _files() if not _within(_module_name(p), "training_app.ui")]
    found = [
        (imp, why)
        for imp, why in _check(files, streamlit_violations)
        if not (
            str(imp.path).replace("\\", "/").startswith("training_app/loadtest/")
            and all(_within(m, "streamlit.proto") for m in imp.modules[:1])
        )
    ]
    assert not found, "Streamlit imported outside training_app/ui:\n" + _report(found)


def test_services_engine_and_bank_build_no_sql():
    found = _check(_files("services", "engine", "bank"), sql_violations)
    assert not found, "SQL built outside training_app/store (move the query into a store function):\n" + _report(found)


def test_engine_is_pure():
    forbidden = ("training_app.store", "training_app.services", "training_app.ui")
    found = _check(_files("engine"), lambda imp: layer_violations(imp, forbidden))
    assert not found, "training_app/engine must not import store, services or ui:\n" + _report(found)


def test_store_knows_nothing_of_services_or_ui():
    forbidden = ("training_app.services", "training_app.ui")
    found = _check(_files("store"), lambda imp: layer_violations(imp, forbidden))
    assert not found, "training_app/store must not import services or ui:\n" + _report(found)


# ui/ talks to services/ only. Exceptions, each with its reason, go here (none today); the list may only shrink.
UI_EXCEPTIONS: dict[tuple[str, str], str] = {}


def _ui_rule(imp: Imported) -> list[str]:
    found = layer_violations(imp, ("training_app.store", "training_app.engine", "training_app.bank"))
    return [why for why in found if (imp.path, why.removeprefix("imports ")) not in UI_EXCEPTIONS]


def test_ui_reaches_store_engine_and_bank_only_through_services():
    found = _check(_files("ui"), _ui_rule)
    assert not found, "ui/ must call services (or read vocab, clock, qtypes), not store/engine/bank:\n" + _report(found)


def test_ui_exceptions_are_still_needed():
    """An exception that no longer matches an import is removed from the list (so the list only shrinks)."""
    used = {
        (imp.path, layer)
        for path in _files("ui")
        for imp in imports_of(path.read_text(encoding="utf-8"), path)
        for layer in ("training_app.store", "training_app.engine")
        if any(_within(m, layer) for m in imp.modules)
    }
    assert set(UI_EXCEPTIONS) <= used, sorted(set(UI_EXCEPTIONS) - used)


def test_bank_knows_nothing_of_the_engine_or_above():
    forbidden = ("training_app.engine", "training_app.store", "training_app.services", "training_app.ui")
    found = _check(_files("bank"), lambda imp: layer_violations(imp, forbidden))
    assert not found, "training_app/bank must not import engine, store, services or ui:\n" + _report(found)


def test_leaf_modules_import_nothing_else_of_the_package():
    allowed = {"training_app.vocab", "training_app.clock", "training_app.qtypes", "training_app"}
    leaves = [PACKAGE / "vocab.py", PACKAGE / "clock.py", PACKAGE / "qtypes.py"]

    def rule(imp: Imported) -> list[str]:
        if not _within(imp.base, "training_app"):
            return []
        return [] if imp.base in allowed else [f"imports {imp.base}"]

    found = _check(leaves, rule)
    assert not found, "vocab.py, clock.py and qtypes.py are leaves:\n" + _report(found)


# --- the checker itself catches what it should (so a green run means something) --------------------------------


def _scan(source: str, where: str, rule) -> list[str]:
    path = ROOT / where
    return [f"{imp.path}:{imp.line}: `{imp.source}` {why}" for imp in imports_of(source, path) for why in rule(imp)]


def test_checker_flags_sql_builders_even_inside_functions():
    src = (
        "from sqlalchemy.exc import IntegrityError\n"
        "from sqlalchemy.engine import Engine, make_url\n"
        "from sqlmodel import Session\n"
        "def f(s):\n"
        "    from sqlalchemy import delete, select\n"
        "    return s\n"
        "from sqlmodel import select as sel\n"
        "import sqlalchemy as sa\n"
        "from sqlalchemy.dialects.postgresql import insert\n"
    )
    found = _scan(src, "training_app/services/example.py", sql_violations)
    assert found == [
        "training_app/services/example.py:5: `from sqlalchemy import delete, select` imports delete from sqlalchemy",
        "training_app/services/example.py:5: `from sqlalchemy import delete, select` imports select from sqlalchemy",
        "training_app/services/example.py:7: `from sqlmodel import select as sel` imports select from sqlmodel",
        "training_app/services/example.py:8: `import sqlalchemy as sa` imports the module sqlalchemy "
        "(only sqlalchemy.exc, sqlalchemy.engine are allowed)",
        "training_app/services/example.py:9: `from sqlalchemy.dialects.postgresql import insert` "
        "imports insert from sqlalchemy.dialects.postgresql",
    ]


def test_checker_resolves_relative_imports_of_layers():
    forbidden = ("training_app.store", "training_app.services", "training_app.ui")
    src = (
        "from . import scoring\n"
        "from .deadlines import utcnow\n"
        "from ..store import audit\n"
        "from .. import services\n"
        "from training_app.ui.components import x\n"
        "from ..bank.schema import LETTERS\n"
    )
    found = _scan(src, "training_app/engine/example.py", lambda imp: layer_violations(imp, forbidden))
    assert found == [
        "training_app/engine/example.py:3: `from ..store import audit` imports training_app.store",
        "training_app/engine/example.py:4: `from .. import services` imports training_app.services",
        "training_app/engine/example.py:5: `from training_app.ui.components import x` imports training_app.ui",
    ]
    # In a package's __init__.py, `from .` is the package itself.
    assert (
        _scan(
            "from .models import Person\n",
            "training_app/store/__init__.py",
            lambda imp: layer_violations(imp, ("training_app.services",)),
        )
        == []
    )
    assert _scan(
        "from ..services import common\n",
        "training_app/store/__init__.py",
        lambda imp: layer_violations(imp, ("training_app.services",)),
    ) == ["training_app/store/__init__.py:1: `from ..services import common` imports training_app.services"]


def test_checker_flags_streamlit():
    src = "import json\nimport streamlit as st\nfrom streamlit.testing.v1 import AppTest\nimport streamlit_extras\n"
    assert _scan(src, "training_app/services/example.py", streamlit_violations) == [
        "training_app/services/example.py:2: `import streamlit as st` imports streamlit (streamlit)",
        "training_app/services/example.py:3: `from streamlit.testing.v1 import AppTest` "
        "imports streamlit (streamlit.testing.v1)",
    ]


def test_no_page_script_defines_a_cached_function():
    """A function decorated with st.cache_resource / st.cache_data in a page script is defined again on every run,
    and Streamlit then reads its source to key the cache (a tenth of 完成情况's run): such functions live in
    ui/components, imported once."""
    offenders = []
    for path in sorted((PACKAGE / "ui" / "app_pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for dec in node.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    if isinstance(target, ast.Attribute) and target.attr in {"cache_resource", "cache_data"}:
                        offenders.append(f"{path.name}:{node.lineno} {node.name}")
    assert offenders == []
