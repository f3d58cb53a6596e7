"""Base58 ids: a round trip, and clear refusals of what is not one (found by the fuzz test)."""

from __future__ import annotations

import pytest

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import MAX_B58_LEN, from_b58, to_b58


def test_ids_round_trip_at_both_extremes() -> None:
    for raw in (bytes(32), b"\xff" * 32):
        assert from_b58(to_b58(raw)) == raw
    assert len(to_b58(b"\xff" * 32)) == MAX_B58_LEN


def test_a_long_text_is_refused_before_it_is_decoded() -> None:
    # Decoding is quadratic: a 200 KB "context id" in a request held the node ~50 s.
    with pytest.raises(ParseError, match=r"is 100 characters long: .* at most 44") as caught:
        from_b58("2" * 100, "params.contextId")
    assert "2" * 17 not in str(caught.value)  # not echoed whole


@pytest.mark.parametrize("text", ["\U000957d7", "é1", "0OIl", "ab\x00"])
def test_a_foreign_character_is_named_not_a_codec_error(text: str) -> None:
    with pytest.raises(ParseError, match="is not one of its characters") as caught:
        from_b58(text, "context id")
    assert "codec" not in str(caught.value)


def test_base58_text_is_the_same_for_ids_seen_before() -> None:
    raw = bytes(range(32))
    first = to_b58(raw)
    assert to_b58(bytes(range(32))) == first  # the remembered text
    assert to_b58(b"\x09" + raw[1:]) != first
