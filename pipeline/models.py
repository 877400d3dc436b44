"""The messages that flow through the pipeline, and the schema version of the output.

RawItem   what a fetcher or the replay reader hands to the queue (JSON on the wire)
Article   a normalised RawItem: plain text, canonical URL, UTC dates, stable id
EnrichedArticle  what lands in the output stream (schema version ``SCHEMA_VERSION``)
DeadLetter       what lands in the dead-letter stream when an item cannot be processed

Models the pipeline builds are strict and frozen; models read from the wire
ignore fields they do not know, so a consumer keeps working when fields are
added within a schema version. Enumerations in the output (``kind``, ``label``, ...)
are open: validated with ``context=READING`` (what the stream readers do), a value
added later within the same schema version is kept as a plain string instead of
failing; built by the pipeline (no context), only the listed values pass.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_serializer,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

__all__ = [
    "OPEN_ENUM",
    "READING",
    "SCHEMA_VERSION",
    "Article",
    "DateMention",
    "DeadLetter",
    "EnrichedArticle",
    "Entity",
    "PageError",
    "RawItem",
    "TextSource",
    "utc_now",
]

SCHEMA_VERSION = 1

# Validation context of the reading side: open enumerations accept values added later.
READING: dict[str, Any] = {"reading": True}


class _OpenEnum:
    """Marks a Literal as an open enumeration (see the module docstring): read with
    ``context=READING`` an unknown string is kept; the JSON Schema lists the known
    values and admits any other string, as the versioning policy says."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        known = frozenset(get_args(source))

        # one plain check per value (no round trip through a wrapped Literal validator:
        # entity labels are validated thousands of times per second by consumers)
        def check(value: Any, info: ValidationInfo) -> Any:
            if value in known:
                return value
            reading = isinstance(info.context, dict) and info.context.get("reading")
            if reading and isinstance(value, str):
                return value
            raise PydanticCustomError(
                "literal_error",
                "Input should be {expected}",
                {"expected": " or ".join(repr(v) for v in get_args(source))},
            )

        return core_schema.with_info_plain_validator_function(
            check, metadata={"open_enum": list(get_args(source))}
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        values = schema.get("metadata", {})["open_enum"]
        known = {"enum": values, "type": "string"}
        later = {"type": "string", "description": "a value added later within this version"}
        return {"anyOf": [known, later]}


# Every enumeration of the output is open (a test checks the schema has no closed enum):
# a new one is written Annotated[Literal[...], OPEN_ENUM].
OPEN_ENUM = _OpenEnum()

DateProvenance = Annotated[Literal["seed_header", "feed", "jsonl", "page", "none"], OPEN_ENUM]
ItemKind = Annotated[Literal["seed", "text", "jsonl", "feed"], OPEN_ENUM]
EntityLabel = Annotated[Literal["PERSON", "ORG", "LOCATION", "MISC"], OPEN_ENUM]
TimexType = Annotated[Literal["DATE", "TIME", "DURATION", "SET"], OPEN_ENUM]
# Where ``text`` came from: the input's own text, the article page, or (when the page could
# not be had) the feed's summary or title.
TextSource = Annotated[Literal["feed", "page", "summary", "title"], OPEN_ENUM]
# Why an item that needed its page went without it (null when it did not need it or got it).
PageError = Annotated[
    Literal[
        "robots",
        "http_4xx",
        "not_html",
        "too_large",
        "no_body",
        "private_address",
        "retries_exhausted",
    ],
    OPEN_ENUM,
]
# How a copy relates to its original: the same normalised text, or a light edit of it.
DuplicateKind = Annotated[Literal["exact", "near"], OPEN_ENUM]


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def format_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, second precision, always a four-digit year."""
    utc = value.astimezone(UTC)
    # not strftime("%Y"): glibc does not pad it, and "5-01-01T00:00:00Z" is no ISO 8601
    # date a reader (pydantic among them) accepts
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class RawItem(_Message):
    """An item as fetched or read, before any clean-up: what goes on the queue."""

    source: str = Field(description="feed URL or replay path")
    kind: ItemKind
    text: str = Field(description="body as given: plain text or HTML")
    source_name: str | None = None
    id: str | None = Field(default=None, description="an id given by the input (JSONL)")
    url: str | None = None
    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    published: str | None = Field(default=None, description="publication date as given")
    published_provenance: DateProvenance = "none"
    updated: str | None = None
    fetched: datetime = Field(default_factory=utc_now)
    # set by the page fetcher (pipeline/fetch/pages/); absent for items that did not need it
    text_source: TextSource | None = None
    page_error: PageError | None = None
    page_canonical_url: str | None = None
    language: str | None = Field(default=None, description="declared by the source (<html lang>)")
    # set by the replay reader: where `pipeline dead retry` re-reads the item after a fix
    origin: str | None = Field(default=None, description="the replayed file it was read from")
    origin_line: int | None = Field(default=None, description="its line in that .jsonl file")


class Entity(_Message):
    """One distinct entity of an article, with every span that mentions it."""

    name: str
    label: EntityLabel
    aliases: list[str] = Field(default_factory=list)
    mentions: list[tuple[int, int]] = Field(default_factory=list)


class DateMention(_Message):
    """A temporal expression in the text with its TimeML TIMEX3 value."""

    text: str
    start: int
    end: int
    type: TimexType
    value: str
    mod: str | None = None


class Article(_Message):
    """A normalised item: plain text, canonical URL, UTC dates, a stable id."""

    id: str
    source: str
    kind: ItemKind
    text: str
    fingerprint: str = Field(description="hash of the normalised text: equal text, equal value")
    source_name: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    published: datetime | None = None
    published_provenance: DateProvenance = "none"
    published_warning: str | None = Field(
        default=None, description="why the publication date is doubtful (e.g. in the future)"
    )
    updated: datetime | None = None
    fetched: datetime
    dateline: str | None = None
    language: str | None = None
    word_count: int = 0
    text_source: TextSource = "feed"
    page_error: PageError | None = None
    page_canonical_url: str | None = None

    @field_serializer("published", "updated", "fetched")
    def _utc_z(self, value: datetime | None) -> str | None:
        return None if value is None else format_utc(value)


class EnrichedArticle(Article):
    """What lands in the output stream: an article with entities, dates and its place
    among copies and revisions. The last six fields are set by the atomic write."""

    v: int = SCHEMA_VERSION
    entities: list[Entity] = Field(default_factory=list)
    dates: list[DateMention] = Field(default_factory=list)
    duplicate_of: str | None = None
    duplicate_kind: DuplicateKind | None = Field(
        default=None, description="exact: the same text; near: a light edit of it"
    )
    similarity: float | None = Field(
        default=None, description="verified similarity to duplicate_of (1.0 when exact)"
    )
    cluster: str | None = None
    revision: int = 1
    previous_entry: str | None = None


# Fields the atomic write decides (inside the Lua script), not the worker.
WRITE_DECIDED_FIELDS = frozenset(
    {"duplicate_of", "duplicate_kind", "similarity", "cluster", "revision", "previous_entry"}
)


class DeadLetter(_Message):
    """An item that could not be processed, with enough to understand and retry it."""

    stage: str
    reason: str
    error: str
    source: str
    input: str = Field(description="the original item as JSON")
    at: datetime = Field(default_factory=utc_now)
    article_id: str | None = None
    group: str | None = Field(
        default=None, description="stage consume: the consumer group whose handler failed"
    )

    @field_serializer("at")
    def _utc_z(self, value: datetime) -> str:
        return format_utc(value)
