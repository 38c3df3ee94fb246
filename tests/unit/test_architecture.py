"""The layering rules of DEVELOPERS.md, checked on the source."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICES = ("chat", "moderation", "returns", "notify")
IO_MODULES = ("grpc", "pymongo", "bson", "nats", "motor", "prilavok.")


def imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_layers_do_no_io():
    for service in SERVICES:
        for path in (ROOT / "services" / service / "domain").rglob("*.py"):
            bad = [n for n in imports(path) if n.startswith(IO_MODULES) or n in ("grpc", "nats", "pymongo")]
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_services_never_import_each_other():
    for service in SERVICES:
        others = tuple(f"services.{o}" for o in SERVICES if o != service)
        for path in (ROOT / "services" / service).rglob("*.py"):
            bad = [n for n in imports(path) if n.startswith(others)]
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_gpl_embedded_server_is_never_imported():
    for path in [*(ROOT / "services").rglob("*.py"), *(ROOT / "prilavok_platform").rglob("*.py")]:
        assert not [n for n in imports(path) if n.lower().startswith("secantus")], path
