"""Provides needs_regexp: whether an app's module must carry QuickJS's RegExp engine.

The RegExp intrinsic is what links libregexp and most of the Unicode tables (~80 KB of a
module, and heap in a VM snapshot); an app that never makes a regular expression is linked
without it. An app needs it when its bundle has a regular expression literal (calimero-qjsc
reports those: they do not compile without the RegExp compiler) or names an API that
makes one from a string. The test is conservative: a name in a comment or string keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: `RegExp` itself, and the String methods that build one from a string argument.
REGEXP_NAMES = re.compile(r"\b(?:RegExp|match|matchAll|search)\b")


def needs_regexp(bundle_js: str, described: Mapping[str, Any]) -> bool:
    """Return True unless ``bundle_js`` provably makes no regular expression.

    ``described`` is calimero-qjsc's description; without ``regexpLiterals: false`` in it,
    the engine is kept.
    """
    return described.get("regexpLiterals") is not False or bool(REGEXP_NAMES.search(bundle_js))
