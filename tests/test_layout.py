"""The layout the README's "Where things are" describes: one folder per feature, the
project's own files apart, modules of a readable size, and imports that point one way
(grids <- governance <- disputes, services) with no cycle between modules or features."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("grids", "governance", "disputes", "services")
# An app may import only the apps before it in this order.
ALLOWED_APPS = {
    "grids": {"grids"},
    "governance": {"grids", "governance"},
    "disputes": {"grids", "governance", "disputes"},
    "services": {"grids", "governance", "services"},
}
# What may sit in an app's top folder besides its feature folders.
TOP_LEVEL = {
    "grids": {"__init__.py", "apps.py", "admin.py", "access.py", "pii.py", "photos.py"},
    # The Django project's own files live at the top of governance.
    "governance": {
        "__init__.py",
        "apps.py",
        "admin.py",
        "settings.py",
        "urls.py",
        "celery.py",
        "wsgi.py",
        "asgi.py",
        "env.py",
        "middleware.py",
        "views.py",
        "context_processors.py",
        "gunicorn.conf.py",
    },
    "disputes": {"__init__.py", "apps.py", "admin.py"},
    "services": {"__init__.py", "apps.py", "admin.py"},
}
# Folders of an app that are not features: Django's, and shared code below the features.
NOT_FEATURES = {"migrations", "management", "models", "shared", "__pycache__"}
# Modules every feature of an app may use: they sit below the features.
SHARED = ("access", "pii", "photos", "models", "shared")
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


@cache
def _imports(module: str) -> set[str]:
    """Project modules that `module` imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: the project imports absolutely, so paths can be searched for"
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module or ""]
        else:
            continue
        for name in names:
            # `from package import module` names the module; otherwise the nearest known module.
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def _feature(module: str) -> str | None:
    """The feature folder a module belongs to (grids.roster.jobs -> grids.roster), if any."""
    parts = module.split(".")
    if len(parts) >= 2 and (ROOT / parts[0] / parts[1]).is_dir() and parts[1] not in NOT_FEATURES:
        return f"{parts[0]}.{parts[1]}"
    return None


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_module_map_is_not_empty():
    assert {"grids.access", "grids.tree.models", "governance.events.views", "grids.roster.jobs"} <= set(MODULES)
    assert "grids.tree.models" in _imports("grids.residents.models")
    assert _feature("grids.roster.jobs") == "grids.roster" and _feature("grids.access") is None


@pytest.mark.parametrize("app", APPS)
def test_app_top_folder_holds_only_its_own_files(app):
    files = {p.name for p in (ROOT / app).iterdir() if p.is_file() and p.suffix == ".py"}
    assert files - TOP_LEVEL[app] == set(), f"move these into a feature folder of {app}/"


def test_no_module_is_named_after_a_feature_with_a_prefix():
    offenders = []
    for app in APPS:
        features = {p.name for p in (ROOT / app).iterdir() if p.is_dir() and p.name not in NOT_FEATURES}
        prefixes = {f.removesuffix("s") + "_" for f in features} | {f + "_" for f in features}
        offenders += [
            str(path.relative_to(ROOT)) for path in (ROOT / app).rglob("*.py") if path.stem.startswith(tuple(prefixes))
        ]
    assert offenders == []


def test_no_module_is_over_800_lines():
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_apps_import_only_the_apps_below_them():
    wrong = [
        f"{module} imports {target}"
        for module in MODULES
        for target in _imports(module)
        if target.split(".")[0] not in ALLOWED_APPS[module.split(".")[0]]
    ]
    assert wrong == []


def test_no_import_cycle_between_modules():
    assert _cycle({module: _imports(module) for module in MODULES}) is None


def test_no_import_cycle_between_features():
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        source = _feature(module)
        if source:
            graph.setdefault(source, set()).update(t for t in map(_feature, _imports(module)) if t and t != source)
    assert _cycle(graph) is None


def test_shared_code_does_not_reach_up_into_features():
    """access, pii, photos and shared/ may use the app's models, never a feature's other modules."""
    wrong = []
    for module in MODULES:
        app, _, rest = module.partition(".")
        if rest.split(".")[0] not in SHARED or rest.startswith("models"):
            continue
        wrong += [f"{module} imports {t}" for t in _imports(module) if _feature(t) and not t.endswith(".models")]
    assert wrong == []
