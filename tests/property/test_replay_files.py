"""Replay readers on arbitrary bytes: every file gives items or dead letters, never an
exception, and no non-blank JSONL line is lost."""

from __future__ import annotations

import codecs
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pipeline.fetch.files.decode import excerpt, sniff
from pipeline.fetch.files.read import read_items
from pipeline.models import DeadLetter, RawItem
from tests.property.profiles import PROPERTY

_BOMS = [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE]
_CODECS = ["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "latin-1", "cp1252"]
_LINES = st.sampled_from(
    [
        '{"text": "Ferry resumes"}', '{"url": "https://e.x/a"}', '{"text": 3}', "[1, 2]",
        '{"text": "x", "published": "2025-13-45"}', '{"text": "x", "id": ""}', "not json",
        '{"text": "\\ud800"}', "[" * 3000, '{"text": "x", "title": ["t"]}', "", "  ", "\t",
        "date 2025-11-29", "JERUSALEM: Talks resumed.", "é", "\ufeff{}", '{"text":"a"}\r',
    ]
)  # fmt: skip
_TEXT = st.lists(st.one_of(_LINES, st.text(max_size=20)), max_size=12).map("\n".join)


@st.composite
def file_bytes(draw: st.DrawFn) -> bytes:
    """Text in some encoding behind some BOM (often the wrong one), or raw bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=300))
    text = draw(_TEXT)
    data = text.encode(draw(st.sampled_from(_CODECS)), errors="replace")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=6)) + data[cut:]
    return draw(st.sampled_from(_BOMS)) + data


def _read(name: str, data: bytes, limit: int) -> list[RawItem | DeadLetter]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return list(read_items(path, max_item_bytes=limit))


@PROPERTY
@given(data=file_bytes(), suffix=st.sampled_from([".txt", ".jsonl"]), limit=st.integers(1, 400))
def test_any_file_gives_items_or_dead_letters(data: bytes, suffix: str, limit: int) -> None:
    """read_items documents that it never raises: a bad file or line is a dead letter
    naming the file (stage read), and a good one an item with text or a link."""
    out = _read("input" + suffix, data, limit)
    assert out, "a file always gives something: an item or a dead letter"
    for thing in out:
        assert isinstance(thing, RawItem | DeadLetter)
        if isinstance(thing, DeadLetter):
            assert thing.stage == "read" and "input" + suffix in thing.reason
        else:
            assert thing.text.strip() or thing.url
    if suffix == ".txt":
        assert len(out) == 1


@PROPERTY
@given(data=file_bytes())
def test_every_non_blank_utf8_jsonl_line_comes_out_once(data: bytes) -> None:
    """Nothing lost: a UTF-8 .jsonl file gives one item or dead letter per non-blank line."""
    codec, _, bom = sniff(data[:4])
    body = data[bom:]
    if codec != "utf-8" or not data:
        return
    lines = [line for line in body.split(b"\n") if line and not line.isspace()]
    out = _read("input.jsonl", data, 10_000)
    assert len(out) == max(1, len(lines))


@PROPERTY
@given(data=st.binary(max_size=200), limit=st.integers(0, 100), codec=st.sampled_from(_CODECS))
def test_excerpt_never_raises_and_reports_the_cut(data: bytes, limit: int, codec: str) -> None:
    """A dead letter's excerpt shows any bytes in any codec, bad ones escaped."""
    shown, cut = excerpt(data, limit, codec)
    assert cut == (len(data) > limit)
    assert isinstance(shown, str)
