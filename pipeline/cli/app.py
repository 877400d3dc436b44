"""The command group and the options every command shares."""

from __future__ import annotations

from typing import Any

import click
from pydantic import ValidationError

from pipeline.logs import configure_logging
from pipeline.settings import Settings

__all__ = ["RedisUnavailable", "cli", "connect", "get_settings"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--redis-url", envvar="PIPELINE_REDIS_URL", help="Redis to use [PIPELINE_REDIS_URL].")
@click.option("--prefix", envvar="PIPELINE_PREFIX", help="Prefix of every key [PIPELINE_PREFIX].")
@click.option("--log-level", default="INFO", show_default=True, envvar="PIPELINE_LOG_LEVEL")
@click.option(
    "--log-json/--log-console", default=None, help="Log format (default: JSON unless a terminal)."
)
@click.pass_context
def cli(
    ctx: click.Context,
    redis_url: str | None,
    prefix: str | None,
    log_level: str,
    log_json: bool | None,
) -> None:
    """news-pipeline: feeds and folders in; normalised, deduplicated, enriched articles
    out on Redis Streams."""
    configure_logging(log_level, json=log_json)
    overrides: dict[str, Any] = {}
    if redis_url:
        overrides["redis_url"] = redis_url
    if prefix is not None:
        overrides["prefix"] = prefix
    ctx.obj = overrides


def get_settings(ctx: click.Context, **more: Any) -> Settings:
    """Settings from the environment, with the group's and the command's options on top."""
    overrides = {**(ctx.find_root().obj or {}), **{k: v for k, v in more.items() if v is not None}}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise click.UsageError(f"invalid configuration: {describe_config_error(exc)}") from exc


def describe_config_error(exc: ValidationError) -> str:
    """Each problem on one line's worth: the environment variable and what it must be."""
    problems = []
    for error in exc.errors(include_url=False):
        name = "_".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"PIPELINE_{name}: {message}" if name else message)
    return "; ".join(problems)


class RedisUnavailable(click.ClickException):
    """Redis cannot be reached: exit status 3."""

    exit_code = 3


def connect(settings: Settings) -> Any:
    """A Redis client that answered PING, or a clear error saying what to do."""
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(settings.redis_url, socket_connect_timeout=5)
    try:
        client.ping()
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(
            f"cannot reach Redis at {settings.redis_url} ({exc}). Start one "
            "(`redis-server --save ''` or `pipeline local-redis`) or set PIPELINE_REDIS_URL."
        ) from exc
    return client
