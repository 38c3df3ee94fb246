"""gen/ must be exactly what tools/gen_protos.py makes from protos/ (never hand-edited)."""
import filecmp
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_generated_code_matches_protos(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools" / "gen_protos.py"), "--out", str(tmp_path)], check=True, capture_output=True)
    fresh = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    committed = {p.relative_to(ROOT / "gen") for p in (ROOT / "gen").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert fresh == committed, f"files differ: run `make protos` (missing: {fresh - committed}, extra: {committed - fresh})"
    stale = [str(p) for p in fresh if not filecmp.cmp(tmp_path / p, ROOT / "gen" / p, shallow=False)]
    assert not stale, f"generated code is stale, run `make protos`: {stale}"


def test_every_rpc_and_enum_follows_the_style():
    from prilavok.chat.v1 import chat_pb2
    from prilavok.moderation.v1 import moderation_pb2
    from prilavok.notify.v1 import notify_pb2
    from prilavok.returns.v1 import returns_pb2

    for module in (chat_pb2, moderation_pb2, notify_pb2, returns_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            assert service.name.endswith("Service")
            for method in service.methods:
                assert method.input_type.name == f"{method.name}Request", method.full_name
                assert method.output_type.name == f"{method.name}Response", method.full_name
        for enum in module.DESCRIPTOR.enum_types_by_name.values():
            assert enum.values[0].number == 0 and enum.values[0].name.endswith("_UNSPECIFIED"), enum.full_name
