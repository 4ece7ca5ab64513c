"""The package layout is the architecture: each layer imports only from the layers below.

    base (errors, console, process, salt_results, master_url, data, …) < config < estate
        < engine < pipeline, promotion, adopt < cli

`pipeline`, `promotion` and `adopt` never import each other; they meet only in `cli`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "saltline"
LAYERS = {
    "base": 0, "config": 1, "estate": 2, "engine": 3,
    "pipeline": 4, "promotion": 4, "adopt": 4, "cli": 5,
}  # fmt: skip


def layer_of(module: str) -> str:
    """`saltline.engine.images` → engine; `saltline.errors` → base."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    return top if top in LAYERS else "base"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("saltline.")}


def allowed(importer: str, imported: str) -> bool:
    mine, theirs = layer_of(importer), layer_of(imported)
    if mine == theirs:
        return True
    return LAYERS[theirs] < LAYERS[mine]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_from_lower_layers(path: Path) -> None:
    importer = module_name(path)
    wrong = sorted(name for name in imported_modules(path) if not allowed(importer, name))
    assert not wrong, (
        f"{importer} ({layer_of(importer)}) imports from a layer above or beside: {wrong}"
    )


def test_the_rule_catches_a_crossing() -> None:
    assert not allowed("saltline.pipeline.runner", "saltline.promotion.gate")
    assert not allowed("saltline.engine.images", "saltline.pipeline.minion")
    assert not allowed("saltline.config", "saltline.engine.labels")
    assert not allowed("saltline.config.load", "saltline.estate.layout")
    assert not allowed("saltline.estate.layout", "saltline.engine.images")
    assert not allowed("saltline.adopt.discovery", "saltline.pipeline.render")
    assert not allowed("saltline.errors", "saltline.config.model")
    assert allowed("saltline.promotion.fleet", "saltline.engine.images")
    assert allowed("saltline.cli", "saltline.promotion.promote")
