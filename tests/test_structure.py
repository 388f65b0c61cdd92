"""The shape of the code the reviewers asked for (issue 16, "Structure"): no view module
imports another. What several views draw (the reader's regions, the claim panel, its POST
skeleton) lives in ``annotations/reader.py``, which views, live updates and exports share."""

import ast
from pathlib import Path

import annotations.views

VIEWS = Path(annotations.views.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against its package."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = ["annotations", "views"]
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # ``from annotations.views import claims`` imports a view module too.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_no_view_module_imports_another():
    view_modules = {f"annotations.views.{path.stem}" for path in VIEWS.glob("*.py")}
    view_modules.discard("annotations.views.__init__")
    assert len(view_modules) > 10
    crossings = {
        path.name: sorted(imported_modules(path) & (view_modules | {"annotations.views"}))
        for path in sorted(VIEWS.glob("*.py"))
    }
    assert {name: found for name, found in crossings.items() if found} == {}


def test_the_import_check_sees_every_form_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import annotations.views.claims\n"
        "from annotations.views.articles import render_workspace\n"
        "from annotations.views import citations\n"
        "from . import jobs\n"
        "from .search import search_page\n"
    )
    assert {
        "annotations.views.claims",
        "annotations.views.articles",
        "annotations.views.citations",
        "annotations.views.jobs",
        "annotations.views.search",
    } <= imported_modules(sample)
