"""shared/ is a library: nothing in it imports a service, the composition root (assembly)
or the tests, statically or through importlib by name."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ABOVE_THE_LIBRARY = ("services", "assembly", "tests", "bench")


def imported_names(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "attr", None) or getattr(func, "id", None)
            if name in ("import_module", "__import__"):
                yield node.lineno, "importlib:" + ast.unparse(node.args[0]) if node.args else "importlib"


def test_shared_imports_nothing_above_it():
    found = []
    for path in sorted((ROOT / "shared").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for line, name in imported_names(tree):
            if name.startswith("importlib") or name.split(".")[0] in ABOVE_THE_LIBRARY:
                found.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert found == [], "\n".join(found)


def test_the_check_finds_an_import_of_a_service():
    tree = ast.parse("def f():\n    from services.units.service import UnitsService\n"
                     "importlib.import_module(f'services.{x}.projections')\n")
    names = [name for _line, name in imported_names(tree)]
    assert "services.units.service" in names and any(n.startswith("importlib:") for n in names)
