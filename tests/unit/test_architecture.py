"""The layering rules, checked on the source: domain is plain Python (also transitively), entry
points depend on ports not concrete adapters, services never import each other, the GPL server
is never imported, and functions stay short enough to read."""
import ast
import json
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICES = ("chat", "moderation", "returns", "notify")
# Libraries that do I/O or crypto: a domain must load none of them, directly or through another module.
FORBIDDEN_IN_DOMAIN = ("grpc", "pymongo", "bson", "nats", "jwt", "cryptography", "motor", "yaml", "google.protobuf")
MAX_FUNCTION_LINES = 60
LONG_FUNCTION_MARK = "long-function:"  # a comment with this mark, right above the def, says why


def imports(path: pathlib.Path) -> set[str]:
    """Every module a file imports; `from a.b import c` counts as both 'a.b' and 'a.b.c'."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _starts(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("service", SERVICES)
def test_domain_imports_no_io_library_directly(service):
    for path in (ROOT / "services" / service / "domain").rglob("*.py"):
        bad = [n for n in imports(path) if _starts(n, FORBIDDEN_IN_DOMAIN) or n.startswith("prilavok.")
               or n == "prilavok_platform.auth"]
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("service", SERVICES)
def test_importing_a_domain_loads_no_io_library_transitively(service):
    package = ROOT / "services" / service / "domain"
    modules = sorted(
        "services." + service + ".domain" + ("" if p.stem == "__init__" else "." + p.stem)
        for p in package.glob("*.py")
    )
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    bad = sorted({m.split(".")[0] for m in loaded if _starts(m, FORBIDDEN_IN_DOMAIN)})
    assert not bad, f"importing services.{service}.domain loads {bad}"


@pytest.mark.parametrize("service", SERVICES)
def test_entrypoints_depend_on_ports_not_concrete_adapters(service):
    # Protobuf <-> domain translation (adapters.protos) is the only adapter an entry point may use.
    allowed = {f"services.{service}.adapters.protos"}
    for path in (ROOT / "services" / service / "entrypoints").rglob("*.py"):
        package = f"services.{service}.adapters"
        names = imports(path)
        # 'from services.x.adapters import protos' names the package too; judge the full names.
        bad = [n for n in names if n.startswith(package + ".") and not _starts(n, tuple(allowed))
               and not any(other.startswith(n + ".") for other in names)]
        bad += [n for n in imports(path) if _starts(n, ("pymongo", "bson", "motor"))]
        assert not bad, f"{path.relative_to(ROOT)} imports concrete adapters {bad}"


@pytest.mark.parametrize("service", SERVICES)
def test_repositories_and_servicers_do_not_authorize(service):
    """Who may do what is decided in domain/access.py only."""
    for layer in ("adapters", "entrypoints"):
        for path in (ROOT / "services" / service / layer).rglob("*.py"):
            text = path.read_text()
            found = [needle for needle in ("require_role(", "PermissionDenied(", "is_staff") if needle in text]
            # Decisions by role (`x.role is Role.SELLER`, `role in (...)`) are access rules too.
            found += re.findall(r"\brole\s+(?:is|in|==|!=)\s", text)
            assert not found, f"{path.relative_to(ROOT)} decides by role ({found}); move it to domain/access.py"


def test_services_never_import_each_other():
    for service in SERVICES:
        others = tuple(f"services.{o}" for o in SERVICES if o != service)
        for path in (ROOT / "services" / service).rglob("*.py"):
            bad = [n for n in imports(path) if n.startswith(others)]
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_gpl_embedded_server_is_never_imported():
    for path in [*(ROOT / "services").rglob("*.py"), *(ROOT / "prilavok_platform").rglob("*.py")]:
        assert not [n for n in imports(path) if n.lower().startswith("secantus")], path


def _source_files():
    for folder in ("prilavok_platform", "services", "prilavok_cli", "devstack", "tools", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            if "evaluation" in path.parts and path.name.startswith("build_"):
                continue  # labelled data written as code, one message a line
            yield path


def test_functions_are_short_or_say_why():
    long_ones = []
    for path in _source_files():
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = node.end_lineno - node.lineno + 1
            if length <= MAX_FUNCTION_LINES:
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            above = lines[max(0, first - 3):node.lineno]
            if not any(LONG_FUNCTION_MARK in line for line in above):
                long_ones.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long_ones, (
        f"functions over {MAX_FUNCTION_LINES} lines without a '# {LONG_FUNCTION_MARK} <why>' comment above:\n  "
        + "\n  ".join(long_ones)
    )


def test_readme_and_docs_link_only_to_files_inside_the_repository():
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+)", page.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), f"{page.name} links outside the repository: {target}"
            assert resolved.exists(), f"{page.name} links to a missing file: {target}"
