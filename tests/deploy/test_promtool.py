"""promtool on the real files: every rule checked and unit-tested, every dashboard expression parsed.

promtool comes from Debian's ``prometheus`` package, unpacked (never installed) by
``scripts/ensure-promtool``. Where it cannot be had these tests SKIP and say why; they never pass
without it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import DOCKER, ROOT, load_json, load_yaml, metric_names

DASHBOARDS = sorted((DOCKER / "grafana/dashboards").glob("*.json"))


@pytest.fixture(scope="module")
def promtool() -> str:
    explicit = os.environ.get("DELTASTREAM_PROMTOOL")
    if explicit:
        return explicit
    found = shutil.which("promtool")
    if found:
        return found
    out = subprocess.run(
        [str(ROOT / "scripts/ensure-promtool")], capture_output=True, text=True, timeout=300, check=False
    )
    path = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    if not path or not Path(path).is_file():
        pytest.skip(f"promtool is not available, so the rules were NOT checked: {out.stderr.strip()}")
    return path


def run(promtool: str, *args: str, cwd: Path = DOCKER) -> str:
    out = subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, f"promtool {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def test_alert_rules_pass_promtool_check(promtool: str) -> None:
    output = run(promtool, "check", "rules", "alerts.yml")

    assert "SUCCESS: 9 rules found" in output


def test_every_alert_has_a_promtool_unit_test_and_they_pass(promtool: str) -> None:
    rules = {r["alert"] for g in load_yaml(DOCKER / "alerts.yml")["groups"] for r in g["rules"]}
    tests = load_yaml(DOCKER / "alerts.test.yml")["tests"]
    tested = {case["alertname"] for t in tests for case in t["alert_rule_test"]}
    firing = {case["alertname"] for t in tests for case in t["alert_rule_test"] if case["exp_alerts"]}
    silent = {case["alertname"] for t in tests for case in t["alert_rule_test"] if not case["exp_alerts"]}

    assert rules == tested
    assert rules == firing == silent, "each alert is tested both before its `for` (silent) and after (firing)"
    assert {
        "DeltaStreamFeedStale",
        "DeltaStreamStageSlow",
        "DeltaStreamDeadLettersRising",
        "DeltaStreamLogRecordsDropped",
        "DeltaStreamStorageWriteErrors",
    } <= rules
    assert "SUCCESS" in run(promtool, "test", "rules", "alerts.test.yml")


def test_prometheus_config_passes_promtool_with_the_mounted_rules(
    promtool: str, tmp_path: Path
) -> None:
    compose = load_yaml(ROOT / "docker-compose.yml")
    config = load_yaml(DOCKER / "prometheus.yml")
    mounts = dict(v.split(":")[:2] for v in compose["services"]["prometheus"]["volumes"] if v.startswith("./"))
    [rule_file] = config["rule_files"]
    assert mounts["./docker/alerts.yml"] == rule_file, "the rule file Prometheus loads is the one compose mounts"
    shutil.copy(DOCKER / "alerts.yml", tmp_path / "alerts.yml")
    config["rule_files"] = [str(tmp_path / "alerts.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))

    output = run(promtool, "check", "config", "prometheus.yml", cwd=tmp_path)

    assert "SUCCESS" in output and "9 rules found" in output


def _prometheus_exprs() -> list[tuple[str, str]]:
    out = []
    for path in DASHBOARDS:
        for panel in load_json(path)["panels"]:
            for target in panel["targets"]:
                if panel["datasource"]["uid"] == "prometheus":
                    out.append((path.name, target["expr"]))
    return out


def test_every_dashboard_expression_parses_as_a_recording_rule(promtool: str, tmp_path: Path) -> None:
    exprs = _prometheus_exprs()
    # Grafana variables are not PromQL: substitute what Grafana would ($product -> a regex).
    rules = [
        {"record": f"dashboard:expr_{i}", "expr": re.sub(r"\$\{?[a-z_]+\}?", ".*", expr)}
        for i, (_, expr) in enumerate(exprs)
    ]
    (tmp_path / "dashboards.rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "d", "rules": rules}]}))

    output = run(promtool, "check", "rules", "dashboards.rules.yml", cwd=tmp_path)

    assert f"SUCCESS: {len(rules)} rules found" in output
    assert {name for name, _ in exprs} >= {"system.json", "market.json", "pipeline.json", "logs.json"}


def test_dashboards_read_only_metrics_the_app_exports(exported_metrics: set[str]) -> None:
    read = {name for _, expr in _prometheus_exprs() for name in metric_names(expr)}

    assert read <= exported_metrics, f"dashboards read unknown metrics {read - exported_metrics}"
    assert {
        "deltastream_stage_seconds_bucket",
        "deltastream_feed_last_tick_age_seconds",
        "deltastream_dead_letters_total",
        "deltastream_log_records_dropped_total",
        "http_request_duration_seconds_bucket",
        "deltastream_pcr_oi",
        "deltastream_spot_price",
    } <= read


def test_logs_dashboard_queries_labels_promtail_sets() -> None:
    promtail = load_yaml(DOCKER / "promtail.yml")
    labels = {"compose_service", "level", "service", "role"}
    config = promtail["scrape_configs"][0]
    relabelled = {r["target_label"] for r in config.get("relabel_configs", [])}
    staged = {k for stage in config["pipeline_stages"] if "labels" in stage for k in stage["labels"]}
    loki_exprs = [
        t["expr"]
        for p in load_json(DOCKER / "grafana/dashboards/logs.json")["panels"]
        if p["datasource"]["uid"] == "loki"
        for t in p["targets"]
    ]
    used = {m for e in loki_exprs for m in re.findall(r"([a-z_]+)\s*=~?", e)}

    assert loki_exprs and used <= (relabelled | staged) & labels
