"""Dockerfile, compose, Kubernetes, Prometheus, alert, Grafana and Loki files, checked structurally."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer

from deltastream.settings import Settings
from tests.deploy.conftest import (
    APP_PORT,
    DOCKER,
    K8S,
    ROLE_VERBS,
    ROOT,
    load_json,
    load_yaml,
    load_yaml_docs,
    metric_names,
)

ALERTS = {
    "DeltaStreamHighErrorRate",
    "DeltaStreamPipelineLag",
    "DeltaStreamDeadLettersRising",
    "DeltaStreamNoTicks",
    "DeltaStreamInstanceDown",
    "DeltaStreamFeedStale",
    "DeltaStreamStageSlow",
    "DeltaStreamLogRecordsDropped",
    "DeltaStreamStorageWriteErrors",
}
COMPOSE_SERVICES = {"redis", "mongodb", "api", "worker", "feed", "prometheus", "grafana", "loki", "promtail"}


def _dockerfile() -> list[str]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _instr(name: str) -> list[str]:
    return [line[len(name) + 1 :] for line in _dockerfile() if line.split()[0] == name]


def _cli_verbs() -> set[str]:
    from deltastream.cli import cli, register_context_verbs

    register_context_verbs(cli)
    return set(typer.main.get_command(cli).commands)  # type: ignore[attr-defined]


def _env_names(env: dict[str, Any] | list[str]) -> set[str]:
    items = env if isinstance(env, dict) else dict(e.split("=", 1) for e in env)
    return {k for k in items if k.startswith("DELTASTREAM_")}


def assert_real_settings(names: set[str]) -> None:
    fields = set(Settings.model_fields)
    unknown = {n for n in names if n.removeprefix("DELTASTREAM_").lower() not in fields}
    assert not unknown, f"not DeltaStream settings: {sorted(unknown)}"


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_slim_non_root_with_one_entrypoint() -> None:
    args = dict(a.split("=", 1) for a in _instr("ARG") if "=" in a)
    froms = [f.replace("${PYTHON_IMAGE}", args.get("PYTHON_IMAGE", "")) for f in _instr("FROM")]

    assert len(froms) >= 2 and all(f.startswith("python:3.11-slim") for f in froms)
    assert any("--from=build" in c for c in _instr("COPY"))
    user = _instr("USER")[-1]
    assert user.split(":")[0] not in {"root", "0"}
    assert _instr("ENTRYPOINT") == ['["python", "-m", "deltastream"]']
    assert _instr("CMD") == ['["run"]']
    assert str(APP_PORT) in _instr("EXPOSE")[0].split()


def test_dockerfile_healthcheck_is_valid_python_hitting_health() -> None:
    [check] = _instr("HEALTHCHECK")
    exec_form = check[check.index("CMD") + 3 :].strip()
    argv = json.loads(exec_form)

    assert argv[:2] == ["python", "-c"]
    assert "/health" in argv[2] and "urllib" in argv[2]
    compile(argv[2], "<healthcheck>", "exec")


def test_dockerfile_copies_existing_paths_and_installs_the_declared_deps(tmp_path: Path) -> None:
    for copy in _instr("COPY"):
        if copy.startswith("--from"):
            continue
        *sources, _dest = shlex.split(copy)
        for src in sources:
            assert (ROOT / src).exists(), f"COPY source {src} missing"
    script = next(r for r in _instr("RUN") if "tomllib" in r)
    code = re.search(r'python -c "(.+?)"', script)
    assert code is not None
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    requirements = tmp_path / "requirements.txt"
    program = code.group(1).replace("/tmp/requirements.txt", str(requirements))
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert requirements.read_text().splitlines() == declared


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())

    assert {".git", ".venv", "tests", "data", ".env"} <= ignored
    assert not {"deltastream", "migrations", "pyproject.toml"} & ignored


# --- docker-compose --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(ROOT / "docker-compose.yml")


def test_compose_has_every_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= COMPOSE_SERVICES


@pytest.mark.parametrize("role", sorted(ROLE_VERBS))
def test_compose_roles_share_one_image_and_differ_by_command(compose: dict[str, Any], role: str) -> None:
    svc = compose["services"][role]

    assert svc["command"] == [ROLE_VERBS[role]]
    assert svc["build"] == "." and svc["image"] == compose["services"]["api"]["image"]
    env = svc["environment"]
    assert env["DELTASTREAM_REDIS_URL"].startswith("redis://redis:")
    assert env["DELTASTREAM_MONGO_URL"].startswith("mongodb://mongodb:")
    assert "DELTASTREAM_JWT_SECRET" in env
    assert_real_settings(_env_names(env))
    for dep in ("redis", "mongodb"):
        assert svc["depends_on"][dep]["condition"] == "service_healthy"
    check = " ".join(svc["healthcheck"]["test"])
    assert f"127.0.0.1:{APP_PORT}/health" in check


def test_compose_commands_are_real_cli_verbs(compose: dict[str, Any]) -> None:
    verbs = _cli_verbs()

    for role in ROLE_VERBS:
        assert compose["services"][role]["command"][0] in verbs


def test_compose_api_publishes_8000_and_scales(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    replicas = api["deploy"]["replicas"]
    host, container = api["ports"][0].rsplit(":", 1)
    first, last = (int(p) for p in host.split("-"))

    assert int(container) == APP_PORT and first == APP_PORT
    assert replicas >= 2 and last - first + 1 >= replicas, "each replica needs its own host port"
    assert compose["services"]["feed"]["deploy"]["replicas"] == 1


def test_compose_dependencies_and_mounts_exist(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{dep} has no healthcheck for {name}"
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            elif not source.startswith("/"):
                assert source in compose["volumes"], f"{name} uses undeclared volume {source}"


# --- Kubernetes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def k8s() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += load_yaml_docs(path)
    return docs


def _kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_k8s_namespace_secret_and_config(k8s: list[dict[str, Any]]) -> None:
    assert set(_kind(k8s, "Namespace")) == {"deltastream"}
    assert all(d["metadata"].get("namespace") == "deltastream" for d in k8s if d["kind"] != "Namespace")
    secret = _kind(k8s, "Secret")["deltastream-secrets"]
    config = _kind(k8s, "ConfigMap")["deltastream-config"]
    assert {"DELTASTREAM_JWT_SECRET", "DELTASTREAM_REDIS_URL", "DELTASTREAM_MONGO_URL"} <= set(
        secret["stringData"]
    )
    assert_real_settings(_env_names(secret["stringData"]) | _env_names(config["data"]))
    assert config["data"]["DELTASTREAM_PORT"] == str(APP_PORT)


@pytest.mark.parametrize("role", sorted(ROLE_VERBS))
def test_k8s_deployment_per_role_with_probes(k8s: list[dict[str, Any]], role: str) -> None:
    deployment = _kind(k8s, "Deployment")[f"deltastream-{role}"]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]

    assert container["args"] == [ROLE_VERBS[role]]
    assert container["ports"] == [{"name": "http", "containerPort": APP_PORT}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert {r.get("configMapRef", r.get("secretRef"))["name"] for r in container["envFrom"]} == {
        "deltastream-config",
        "deltastream-secrets",
    }
    assert "cpu" in container["resources"]["requests"], "the HPA needs a CPU request"
    assert pod["securityContext"]["runAsNonRoot"] is True
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_k8s_roles_share_one_image_and_feed_is_a_singleton(k8s: list[dict[str, Any]]) -> None:
    deployments = _kind(k8s, "Deployment")
    images = {d["spec"]["template"]["spec"]["containers"][0]["image"] for d in deployments.values()}

    assert len(images) == 1
    feed = deployments["deltastream-feed"]["spec"]
    assert feed["replicas"] == 1 and feed["strategy"]["type"] == "Recreate"


def test_k8s_services_select_their_pods(k8s: list[dict[str, Any]]) -> None:
    deployments = _kind(k8s, "Deployment")
    services = _kind(k8s, "Service")

    assert set(services) == set(deployments)
    for name, svc in services.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert svc["spec"]["selector"].items() <= labels.items()
        assert svc["spec"]["ports"][0]["targetPort"] == "http"


@pytest.mark.parametrize("role", ["api", "worker"])
def test_k8s_hpa_scales_on_cpu_70_between_2_and_10(k8s: list[dict[str, Any]], role: str) -> None:
    spec = _kind(k8s, "HorizontalPodAutoscaler")[f"deltastream-{role}"]["spec"]

    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"deltastream-{role}",
    }
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 10)
    [metric] = spec["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}


def test_kustomization_lists_existing_files_but_not_the_example_secret() -> None:
    resources = load_yaml(K8S / "kustomization.yaml")["resources"]

    assert all((K8S / r).exists() for r in resources)
    assert "secret.example.yaml" not in resources


# --- Prometheus, alerts ----------------------------------------------------------------------


def test_prometheus_scrapes_every_role_and_loads_the_rules(compose: dict[str, Any]) -> None:
    config = load_yaml(DOCKER / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}

    for role in ROLE_VERBS:
        job = jobs[f"deltastream-{role}"]
        assert job["metrics_path"] == "/metrics"
        [sd] = job["dns_sd_configs"]
        assert sd["names"] == [role] and sd["port"] == APP_PORT
    mounts = {v.split(":")[1] for v in compose["services"]["prometheus"]["volumes"] if v.startswith("./")}
    assert set(config["rule_files"]) <= mounts


def test_alert_rules_cover_the_spec_and_read_real_metrics(exported_metrics: set[str]) -> None:
    rules = [r for group in load_yaml(DOCKER / "alerts.yml")["groups"] for r in group["rules"]]

    assert {r["alert"] for r in rules} == ALERTS
    for rule in rules:
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= exported_metrics, f"{rule['alert']} reads unknown {names - exported_metrics}"
        assert rule["expr"].count("(") == rule["expr"].count(")")
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]
    by_name = {r["alert"]: r for r in rules}
    assert by_name["DeltaStreamNoTicks"]["for"] == "1m"
    assert 'status="5xx"' in by_name["DeltaStreamHighErrorRate"]["expr"]
    assert 'job=~"deltastream-.*"' in by_name["DeltaStreamInstanceDown"]["expr"]


# --- Grafana, Loki, promtail -----------------------------------------------------------------


def test_grafana_provisioning_matches_the_compose_mounts(compose: dict[str, Any]) -> None:
    datasources = load_yaml(DOCKER / "grafana/provisioning/datasources/datasources.yml")["datasources"]
    [provider] = load_yaml(DOCKER / "grafana/provisioning/dashboards/dashboards.yml")["providers"]
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"])

    assert {d["uid"]: d["url"] for d in datasources} == {
        "prometheus": "http://prometheus:9090",
        "loki": "http://loki:3100",
    }
    assert mounts["./docker/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./docker/grafana/provisioning"] == "/etc/grafana/provisioning"


@pytest.mark.parametrize(
    ("name", "must_read"),
    [
        ("system.json", {"http_requests_total", "http_request_duration_seconds_bucket"}),
        ("pipeline.json", {"deltastream_stage_seconds_bucket", "deltastream_dead_letters_total"}),
        ("logs.json", {"deltastream_log_records_dropped_total"}),
        (
            "market.json",
            {"deltastream_pcr_oi", "deltastream_spot_price", "deltastream_pipeline_lag_seconds_bucket"},
        ),
    ],
)
def test_dashboards_have_panels_on_real_metrics(
    exported_metrics: set[str], name: str, must_read: set[str]
) -> None:
    dashboard = load_json(DOCKER / "grafana/dashboards" / name)
    uids = {"prometheus", "loki"}

    assert dashboard["title"] and dashboard["uid"]
    assert len(dashboard["panels"]) >= 3
    read: set[str] = set()
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["targets"] and set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["datasource"]["uid"] in uids
        for target in panel["targets"]:
            if panel["datasource"]["uid"] == "prometheus":
                read |= metric_names(target["expr"])
    assert must_read <= read
    assert read <= exported_metrics, f"{name} reads unknown {read - exported_metrics}"


def test_dashboard_uids_are_unique() -> None:
    uids = [load_json(p)["uid"] for p in (DOCKER / "grafana/dashboards").glob("*.json")]

    assert len(uids) == len(set(uids)) >= 2


def test_promtail_ships_to_the_configured_loki() -> None:
    loki = load_yaml(DOCKER / "loki.yml")
    promtail = load_yaml(DOCKER / "promtail.yml")
    [client] = promtail["clients"]

    assert client["url"] == f"http://loki:{loki['server']['http_listen_port']}/loki/api/v1/push"
    assert loki["schema_config"]["configs"][0]["store"] == "tsdb"
    stages = {next(iter(stage)) for stage in promtail["scrape_configs"][0]["pipeline_stages"]}
    assert {"json", "labels"} <= stages


def test_logs_from_the_app_containers_reach_promtail(compose: dict[str, Any]) -> None:
    [sd] = load_yaml(DOCKER / "promtail.yml")["scrape_configs"][0]["docker_sd_configs"]
    [wanted] = sd["filters"][0]["values"]
    key, value = wanted.split("=")

    for role in ROLE_VERBS:
        assert compose["services"][role]["labels"][key] == value
