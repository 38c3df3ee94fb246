"""Every Deployment runs non-root with gRPC health probes and resource limits."""
import pathlib

import yaml

DEPLOY = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"


def test_deployments_are_probed_non_root_and_limited():
    deployments = [d for f in DEPLOY.glob("*.yaml") for d in yaml.safe_load_all(f.read_text()) if d and d.get("kind") == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {"chat", "moderation", "returns", "notify"}
    for d in deployments:
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for c in pod["containers"]:
            assert c["readinessProbe"]["grpc"]["port"] == 50051 and c["livenessProbe"]["grpc"]["port"] == 50051
            assert c["resources"]["limits"]["cpu"] and c["resources"]["limits"]["memory"]
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
