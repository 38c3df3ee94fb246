"""Every Deployment runs non-root with gRPC health probes and resource limits, and connects to
NATS as its own user with a password from its own Secret; NATS runs the generated accounts and
no Secret value is shipped."""
import pathlib

import yaml

from devstack.nats_config import PASSWORD_RECIPE, SERVICES, kubernetes_config, password_variable

DEPLOY = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"


def _documents():
    return [d for f in sorted(DEPLOY.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]


def _of_kind(kind: str):
    return {d["metadata"]["name"]: d for d in _documents() if d.get("kind") == kind}


def test_deployments_are_probed_non_root_and_limited():
    deployments = list(_of_kind("Deployment").values())
    assert {d["metadata"]["name"] for d in deployments} == {"chat", "moderation", "returns", "notify"}
    for d in deployments:
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for c in pod["containers"]:
            assert c["readinessProbe"]["grpc"]["port"] == 50051 and c["livenessProbe"]["grpc"]["port"] == 50051
            assert c["resources"]["limits"]["cpu"] and c["resources"]["limits"]["memory"]
            assert c["securityContext"]["allowPrivilegeEscalation"] is False


def test_every_service_connects_to_nats_as_itself_with_the_password_from_its_own_secret():
    for name, deployment in _of_kind("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["NATS_USER"] == name
        password_file = pathlib.PurePosixPath(env["NATS_PASSWORD_FILE"])
        [mount] = [m for m in container["volumeMounts"] if pathlib.PurePosixPath(m["mountPath"]) == password_file.parent]
        assert mount["readOnly"] is True
        [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert volume["secret"]["secretName"] == f"prilavok-nats-{name}"
        assert {"key": "password", "path": password_file.name} in volume["secret"]["items"]
        assert "NATS_PASSWORD" not in env, "the password comes from the mounted Secret, never from the manifest"


def test_nats_runs_the_generated_accounts_with_each_services_password_from_its_secret():
    assert (DEPLOY / "nats.conf").read_text() == kubernetes_config("prilavok"), (
        "deploy/kubernetes/nats.conf is stale: python -m devstack.nats_config --prefix prilavok > deploy/kubernetes/nats.conf")
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    assert "nats.yaml" in kustomization["resources"]
    assert {"name": "prilavok-nats", "files": ["nats.conf"]} in kustomization["configMapGenerator"]
    nats = _of_kind("StatefulSet")["nats"]
    pod = nats["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    [container] = pod["containers"]
    assert container["args"] == ["-c", "/etc/nats/nats.conf"]
    assert {"name": "config", "configMap": {"name": "prilavok-nats"}} in pod["volumes"]
    secrets = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert secrets == {password_variable(s): {"name": f"prilavok-nats-{s}", "key": "password"} for s in SERVICES}
    config = yaml.safe_load((DEPLOY / "config.yaml").read_text())
    assert config["data"]["NATS_URL"] == "nats://nats:4222"


def test_no_secret_value_is_shipped():
    """Secrets are created out of band (kubectl create secret ...): a shipped placeholder would
    replace the real value on every apply."""
    assert [d["metadata"]["name"] for d in _documents() if d.get("kind") == "Secret"] == []


def test_every_documented_nats_password_starts_with_a_letter():
    """nats-server parses `password: $VARIABLE`'s value as configuration: a bare
    `openssl rand -hex 32` (1e58..., 590e3a1a...) can be a number, and the server does not start."""
    documented = {path.name: path.read_text() for path in [*DEPLOY.glob("*.yaml"), DEPLOY.parent / "compose.yaml", DEPLOY / "nats.conf"]}
    recipes = {name: text.count("openssl rand") for name, text in documented.items()}
    assert recipes["nats.yaml"] == 1 and recipes["compose.yaml"] == 4 and recipes["nats.conf"] == 1
    for name, text in documented.items():
        assert text.count("openssl rand") == text.count(PASSWORD_RECIPE), f"{name}: every password is made as {PASSWORD_RECIPE}"
