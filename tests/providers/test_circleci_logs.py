"""Reading CircleCI step output (a JSON array of messages) incrementally, in bounded memory."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci_rescue_providers.circleci.logs import (
    MalformedOutput,
    MessageStream,
    MessageTooLarge,
    texts,
)

messages = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["out", "err"]),
            "time": st.just("2022-09-20T12:54:28.900Z"),
            "message": st.text(max_size=60),
        }
    ),
    max_size=12,
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks, start = [], 0
    for point in points:
        chunks.append(data[start:point])
        start = point
    chunks.append(data[start:])
    return chunks


@given(
    items=messages,
    cuts=st.lists(st.integers(min_value=0), max_size=20),
    indent=st.booleans(),
    ascii_only=st.booleans(),
)
def test_any_chunking_gives_the_same_messages(
    items: list[dict[str, str]], cuts: list[int], indent: bool, ascii_only: bool
) -> None:
    # raw UTF-8 (multi-byte characters split across chunks) as well as \u escapes
    data = json.dumps(items, indent=2 if indent else None, ensure_ascii=ascii_only).encode()
    stream = MessageStream()
    got = []
    for chunk in split(data, cuts):
        got.extend(stream.feed(chunk))
    stream.finish()
    assert got == items


@given(items=messages)
def test_byte_by_byte(items: list[dict[str, str]]) -> None:
    data = json.dumps(items, ensure_ascii=False).encode()
    stream = MessageStream()
    got = [m for i in range(len(data)) for m in stream.feed(data[i : i + 1])]
    stream.finish()
    assert got == items


def test_braces_quotes_and_escapes_inside_strings() -> None:
    tricky = [
        {"type": "out", "message": 'a { b } c "quoted" \\ back\\slash \\"'},
        {"type": "err", "message": "\u00e9\u4e2d\U0001f600 } ] ["},
        {"type": "out", "message": "nested", "extra": {"a": [1, {"b": "}"}]}},
    ]
    data = json.dumps(tricky).encode()
    for size in (1, 2, 3, 7):
        stream = MessageStream()
        got = []
        for i in range(0, len(data), size):
            got.extend(stream.feed(data[i : i + size]))
        stream.finish()
        assert got == tricky


def test_texts_yield_the_messages_in_order_as_bytes() -> None:
    data = json.dumps(
        [
            {"type": "out", "message": "one\r\n"},
            {"type": "err", "message": "two\r\n"},
            {"type": "out", "message": ""},
        ]
    ).encode()
    assert list(texts([data[:5], data[5:]])) == [b"one\r\n", b"two\r\n"]


def test_an_empty_array_is_an_empty_log() -> None:
    assert list(texts([b" [ ] \n"])) == []


def test_a_truncated_body_is_reported_after_what_was_read() -> None:
    data = json.dumps([{"message": "kept\n"}, {"message": "lost\n"}]).encode()
    got = []
    with pytest.raises(MalformedOutput, match="ended before"):
        for text in texts([data[: len(data) - 8]]):
            got.append(text)
    assert got == [b"kept\n"]


@pytest.mark.parametrize(
    "data",
    [b"<Error>AccessDenied</Error>", b'{"message": "x"}', b"[1, 2]", b'[{"a": 1}] trailing'],
)
def test_not_an_array_of_messages(data: bytes) -> None:
    with pytest.raises(MalformedOutput):
        list(texts([data]))


def test_an_invalid_message_is_refused() -> None:
    with pytest.raises(MalformedOutput, match="not valid JSON"):
        list(texts([b'[{"message": "x" "y"}]']))


def test_the_buffer_is_bounded() -> None:
    big = json.dumps([{"message": "x" * 5000}]).encode()
    stream = MessageStream(max_message=1000)
    with pytest.raises(MessageTooLarge, match="1000 bytes"):
        for i in range(0, len(big), 256):
            stream.feed(big[i : i + 256])


def test_only_the_current_message_is_buffered() -> None:
    many = json.dumps([{"message": "y" * 500} for _ in range(200)]).encode()  # ~100 KB
    stream = MessageStream(max_message=2000)
    count = 0
    for i in range(0, len(many), 4096):
        count += len(stream.feed(many[i : i + 4096]))
        assert stream.buffered <= 2000
    stream.finish()
    assert count == 200
