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


FRAMEWORKS = ("nameko", "pymongo", "bson", "marshmallow", "kombu", "eventlet", "werkzeug", "jinja2")
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())


def _imports_under(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for line, name in imported_names(tree):
            yield f"{path.relative_to(ROOT)}:{line}", name


def test_domain_cores_import_no_framework():
    found = [f"{where}: {name}" for service in SERVICES
             for where, name in _imports_under(ROOT / "services" / service / "domain")
             if name.split(".")[0] in FRAMEWORKS]
    assert found == [], "\n".join(found)


def _crossing(service: str, name: str) -> bool:
    """An import of another service's code. The gateway may read the services' request
    schemas (its OpenAPI is generated from them), never their domain or handlers."""
    parts = name.split(".")
    if parts[0] != "services" or len(parts) < 2 or parts[1] == service:
        return False
    return not (service == "gateway" and parts[2:3] == ["schemas"])


def test_no_service_imports_another():
    found = [f"{where}: {name}" for service in SERVICES
             for where, name in _imports_under(ROOT / "services" / service)
             if _crossing(service, name)]
    assert found == [], "\n".join(found)


def test_the_gateway_reaches_other_services_only_over_rpc_and_their_schemas():
    route_refs = []
    from services.gateway.routes import all_routes
    for route in all_routes():
        if route.schema:
            module = route.schema.partition(":")[0]
            route_refs.append(module)
    assert route_refs and all(m.startswith("services.") and m.endswith(".schemas") for m in route_refs)


def test_the_rules_can_fail():
    assert _crossing("units", "services.study.domain")
    assert _crossing("gateway", "services.units.domain.commands")
    assert not _crossing("gateway", "services.units.schemas")
    assert not _crossing("units", "services.units.domain")
