"""What the engine leaves out of a module, and what still works: the RegExp engine is linked
only for apps that use regular expressions, and the small libc stand-ins (``libc_lite.c``:
snprintf, strtod) format what QuickJS formats at run time like musl did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.toolchain import BuildResult, build_app
from tests.toolchain.test_build_integration import env

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(None, extra_imports=COLLECTION_IMPORTS)


def logic_app(root: Path, methods: str) -> BuildResult:
    """Build an app whose one logic class has ``methods`` (TypeScript source)."""
    (root / "src").mkdir(parents=True)
    (root / "src" / "index.ts").write_text(
        f"import {{ Logic }} from '@calimero/sdk';\n@Logic()\nexport class L {{\n{methods}\n}}\n"
    )
    return build_app(root)


def call(runtime: Runtime, built: BuildResult, method: str, args: dict[str, Any]) -> Any:
    loaded = runtime.load(built.wasm_path.read_bytes())
    out = runtime.call(loaded, method, json.dumps(args).encode(), env())
    return json.loads(out.returned or b"null")


def test_an_app_without_regular_expressions_links_no_regexp_engine(
    tmp_path: Path, runtime: Runtime
) -> None:
    built = logic_app(tmp_path / "plain", "probe(): string {\n"
                      "  return typeof (globalThis as any)[['Reg', 'Exp'].join('')];\n}")  # fmt: skip
    assert not built.regexp
    assert call(runtime, built, "probe", {}) == "undefined"
    with_literal = logic_app(tmp_path / "literal", "probe(): boolean {\n"
                             "  return /x/.test('x');\n}")  # fmt: skip
    assert with_literal.size > built.size + 50_000  # libregexp and the Unicode tables


def test_a_regexp_literal_links_the_engine(tmp_path: Path, runtime: Runtime) -> None:
    built = logic_app(tmp_path / "literal", "check(text: string): unknown {\n"
                      "  return [/^a+b$/.test(text), text.replace(/a/g, 'x'), text.split(/b/)];\n}")  # fmt: skip
    assert built.regexp
    assert call(runtime, built, "check", {"text": "aab"}) == [True, "xxb", ["aa", ""]]


def test_string_match_alone_links_the_engine(tmp_path: Path, runtime: Runtime) -> None:
    built = logic_app(tmp_path / "match", "find(text: string): unknown {\n"
                      "  return text.match('b')?.index ?? null;\n}")  # fmt: skip
    assert built.regexp  # String.prototype.match makes a RegExp of its string argument
    assert call(runtime, built, "find", {"text": "abc"}) == 1


FORMATS = """formats(): unknown {
  let message = '';
  try {
    (null as any).foo;
  } catch (e) {
    message = (e as Error).message;
  }
  return [
    new Date(0).toISOString(), new Date(0).toUTCString(), new Date(-62198755200000).toISOString(),
    new Date(253402300800000).toISOString(),
    new Date(Date.UTC(2026, 11, 7, 13, 5, 9)).toLocaleTimeString(), new Date(0).toString(), message,
    JSON.parse('[1.5e3, -0.1, 1e400, 123456789012345678901234567890, 5e-324, 0.1, 2.2250738585072014e-308]'),
  ];
}"""


def test_dates_error_messages_and_json_numbers_format_as_before(
    tmp_path: Path, runtime: Runtime
) -> None:
    # What native QuickJS over glibc prints (calimero-qjsc; the module runs in UTC).
    assert call(runtime, logic_app(tmp_path / "formats", FORMATS), "formats", {}) == [
        "1970-01-01T00:00:00.000Z", "Thu, 01 Jan 1970 00:00:00 GMT", "-000001-01-01T00:00:00.000Z",
        "+010000-01-01T00:00:00.000Z", "01:05:09 PM", "Thu Jan 01 1970 00:00:00 GMT+0000",
        "cannot read property 'foo' of null",
        [1500, -0.1, None, 1.2345678901234568e29, 5e-324, 0.1, 2.2250738585072014e-308],
    ]  # fmt: skip
