"""The compose file and Dockerfile describe a deployment that can actually run."""

from __future__ import annotations

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
    # the pipeline's own services (the monitoring profiles run other images)
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
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--appendonly") + 1] == "yes"


def test_pipeline_services_wait_for_redis_and_point_at_it(compose: dict[str, Any]) -> None:
    """Workers start only once Redis is healthy, and all use the compose Redis."""
    for name in ("worker", "scheduler", "replay", "pages", "web"):
        service = compose["services"][name]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["environment"]["PIPELINE_REDIS_URL"] == "redis://redis:6379/0"


def test_image_runs_the_pipeline_command_with_a_healthcheck() -> None:
    """The image's entrypoint is the CLI and its healthcheck is `pipeline health`."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["pipeline"]' in dockerfile
    assert 'CMD ["pipeline", "health"]' in dockerfile
    assert "USER pipeline" in dockerfile
