"""Tests needs_regexp: which bundles keep QuickJS's RegExp engine."""

from __future__ import annotations

import pytest

from calimero_devnet.toolchain.features import needs_regexp

NO_LITERALS = {"regexpLiterals": False}


@pytest.mark.parametrize(
    "bundle",
    ["new RegExp(p)", "s.match('a')", "s.matchAll(x)", "s.search('b')", "// match the key"],
)
def test_names_that_make_a_regexp_keep_the_engine(bundle: str) -> None:
    assert needs_regexp(bundle, NO_LITERALS)


@pytest.mark.parametrize("bundle", ["s.split('/')", "s.replace('a', 'b')", "matches(x)", "researcher"])
def test_string_patterns_and_other_words_do_not(bundle: str) -> None:
    assert not needs_regexp(bundle, NO_LITERALS)


def test_a_literal_or_an_unknown_description_keeps_the_engine() -> None:
    assert needs_regexp("x", {"regexpLiterals": True})
    assert needs_regexp("x", {})  # an older calimero-qjsc says nothing: keep it
