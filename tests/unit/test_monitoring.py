"""The monitoring profile, the Grafana dashboard and the alert rules only ask for metrics the
pipeline exports: the exported names come from a scrape of the real collectors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import yaml
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.cli import main
from pipeline.ops.metrics import PipelineCollector
from pipeline.settings import Settings

ROOT = Path(__file__).parents[2]
MONITORING = ROOT / "monitoring"
_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
    "and", "or", "unless", "inf", "nan",
}  # fmt: skip


def exported_names() -> set[str]:
    """Every sample name a scrape serves (the collectors run against an empty Redis; a
    family with no sample yet, such as hosts, still declares its type)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(fakeredis.FakeRedis(), Settings()))
    ProcessCollector(registry=registry)
    text = generate_latest(registry).decode()
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
    names = set()
    for family in text_string_to_metric_families(text):
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\boffset\s+\w+", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", expr):
        name, call = match.group(1), match.group(2)
        if not call and name not in _KEYWORDS:
            names.add(name)
    return names


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads((MONITORING / "grafana" / "dashboards" / "news-pipeline.json").read_text())


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((MONITORING / "prometheus" / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_the_expression_parser_finds_names_and_nothing_else() -> None:
    """Functions, label names, durations and keywords are not metric names."""
    expr = (
        'histogram_quantile(0.95, sum by (stage, le) (rate(a_bucket{stage!~"x|y"}[5m]))) '
        "> 2 * sum(rate(b_total[1h] offset 15m)) and on (group) c / clamp_min(d, 1e-9)"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c", "d"}


def test_every_dashboard_query_and_alert_asks_for_an_exported_metric(
    dashboard: dict[str, Any], rules: list[dict[str, Any]]
) -> None:
    """A renamed metric would leave a panel empty or an alert silent, without an error."""
    exported = exported_names()
    exprs = _dashboard_exprs(dashboard) + [rule["expr"] for rule in rules]
    assert len(exprs) > 40
    for expr in exprs:
        names = metric_names(expr)
        assert names, expr
        unknown = names - exported
        assert not unknown, f"{sorted(unknown)} in {expr!r} are not exported"


def test_the_dashboard_shows_what_the_issue_asks_for(dashboard: dict[str, Any]) -> None:
    """Throughput, latency by stage, queue depth, dead letters, feed health, consumer lag."""
    used = set().union(*(metric_names(e) for e in _dashboard_exprs(dashboard)))
    assert {
        "pipeline_articles_total",
        "pipeline_stage_duration_seconds_bucket",
        "pipeline_queue_jobs",
        "pipeline_queue_oldest_job_age_seconds",
        "pipeline_feeds",
        "pipeline_feed_host_fetches_total",
        "pipeline_page_host_fetches_total",
        "pipeline_consumer_lag",
        "pipeline_batch_items_bucket",
    } <= used
    exprs = " ".join(_dashboard_exprs(dashboard))
    assert 'outcome="dead"' in exprs
    uids = {t["datasource"]["uid"] for p in dashboard["panels"] for t in p.get("targets", [])}
    provisioned = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    assert uids == {d["uid"] for d in provisioned["datasources"]}


def test_alert_rules_cover_feeds_lag_dead_letters_and_redis(rules: list[dict[str, Any]]) -> None:
    """Each asked-for alert exists, says what to do, and aggregates over instances."""
    by_name = {rule["alert"]: rule for rule in rules}
    for name in (
        "PipelineFeedsFailing",
        "PipelineConsumerLagGrowing",
        "PipelineDeadLettersRising",
        "PipelineRedisDown",
    ):
        assert name in by_name
    for rule in rules:
        assert rule["annotations"]["summary"] and rule["labels"]["severity"]
    assert "pipeline_redis_up" in by_name["PipelineRedisDown"]["expr"]


def test_prometheus_discovers_every_metrics_serving_service_by_dns(
    compose: dict[str, Any],
) -> None:
    """dns_sd_configs (not a static list) names every service whose command serves
    /metrics, on the port the services are told to serve on."""
    services = compose["services"]
    prometheus = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    assert (MONITORING / "prometheus" / prometheus["rule_files"][0]).exists()
    (job,) = prometheus["scrape_configs"]
    assert "static_configs" not in job
    (sd,) = job["dns_sd_configs"]
    serving = {
        name
        for name, s in services.items()
        if isinstance(s.get("command"), list) and s["command"][0] in ("worker", "pages", "schedule")
    }
    assert set(sd["names"]) == serving == {"worker", "pages", "scheduler"}
    for name in serving:
        env = services[name]["environment"]
        assert int(env["PIPELINE_METRICS_PORT"]) == sd["port"]
        assert env["PIPELINE_METRICS_ADDR"] == "0.0.0.0"
    lease = Settings().metrics_lease_seconds
    interval = int(prometheus["global"]["scrape_interval"].rstrip("s"))
    assert interval * 2 < lease  # the lease holder is scraped before its lease runs out


def test_profiles_and_the_status_page_service(compose: dict[str, Any]) -> None:
    """Prometheus and Grafana only with --profile monitoring, rq-dashboard only with its
    own; the status page is a real pipeline command, published on loopback only."""
    services = compose["services"]
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert services["grafana"]["profiles"] == ["monitoring"]
    assert services["rq-dashboard"]["profiles"] == ["rq-dashboard"]
    for name in ("prometheus", "grafana"):
        image = services[name]["image"]
        assert ":" in image and not image.endswith(":latest"), image
    grafana_mounts = " ".join(services["grafana"]["volumes"])
    assert "./monitoring/grafana/provisioning" in grafana_mounts
    assert main([*services["web"]["command"], "--help"]) == 0
    assert all(p.startswith("127.0.0.1:") for p in services["web"]["ports"])


def test_the_rq_dashboard_image_pins_the_pipelines_rq() -> None:
    """The dashboard reads jobs with the rq the pipeline writes them with."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    dockerfile = (MONITORING / "rq-dashboard" / "Dockerfile").read_text()
    rq_pin = re.search(r'"(rq==[^"]+)"', pyproject)
    dash_pin = re.search(r'"(rq-dashboard==[^"]+)"', pyproject)
    assert rq_pin and dash_pin
    assert f'"{rq_pin.group(1)}"' in dockerfile and f'"{dash_pin.group(1)}"' in dockerfile
