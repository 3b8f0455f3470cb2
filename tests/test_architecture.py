"""The package edges: which of our packages may import which. A new edge fails here, so it is
a decision someone writes down (docs/architecture.md) rather than a drift.

Contract modules are the seams of docs/architecture.md: ``testgen.manifest`` (the test package)
and ``omr.results`` (a read sheet); ``common`` is a leaf every package may use. The simulator
(``omr.sim``) is a test instrument: it may use the reader and draw blank sheets, but the reader
never imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("common", "testgen", "omr", "scoring")
# package (longest prefix wins) -> module prefixes of *other* packages it may import
ALLOWED: dict[str, tuple[str, ...]] = {
    "common": (),
    "testgen": ("common",),
    "omr": ("common", "testgen.manifest"),
    "omr.sim": ("common", "omr", "testgen.manifest", "testgen.sheet"),
    "omr.cli": ("common", "omr"),
    "scoring": ("common", "testgen.manifest", "omr.results"),
}
# within a package: module prefixes it must not import
FORBIDDEN_INSIDE: dict[str, tuple[str, ...]] = {"omr": ("omr.sim",), "omr.sim": (), "omr.cli": ()}


def _modules(root: Path = ROOT) -> list[tuple[str, Path]]:
    out = []
    for package in OURS:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            out.append((".".join(p for p in parts if p != "__init__"), path))
    return out


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.split(".")[0] in OURS}


def _rule(module: str, table: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    keys = [k for k in table if module == k or module.startswith(k + ".")]
    return table[max(keys, key=len)] if keys else None


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def edge_violations(root: Path = ROOT) -> list[str]:
    problems = []
    for module, path in _modules(root):
        top = module.split(".")[0]
        allowed = _rule(module, ALLOWED) or ()
        forbidden = _rule(module, FORBIDDEN_INSIDE) or ()
        for imported in sorted(_imports(path)):
            if imported.split(".")[0] == top:
                if _within(imported, forbidden):
                    problems.append(f"{module} imports {imported}")
            elif not _within(imported, allowed):
                problems.append(f"{module} imports {imported}")
    return problems


def test_no_new_package_edge() -> None:
    assert edge_violations() == []


def test_the_rule_catches_new_edges(tmp_path: Path) -> None:
    # the check itself must be able to fail: plant three edges it must refuse
    planted = {
        "omr/read.py": "from omr.sim.run import simulate\n",
        "common/roster.py": "from testgen.spec import Department\n",
        "scoring/merge.py": "import testgen.planner\n",
        "omr/cli.py": "from omr.sim.run import simulate_package\n",  # allowed
    }
    for name, text in planted.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert edge_violations(tmp_path) == [
        "common.roster imports testgen.spec",
        "omr.read imports omr.sim.run",
        "scoring.merge imports testgen.planner",
    ]


@pytest.mark.parametrize("package", ["omr", "scoring"])
def test_products_do_not_import_the_test_kit(package: str) -> None:
    for module, path in _modules():
        if module.startswith(package):
            text = path.read_text(encoding="utf-8")
            assert "testkit" not in text and "import tests" not in text, module
