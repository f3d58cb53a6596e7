"""Runs the SDK tour app (every public SDK feature, imported under upstream's package name),
built by the real toolchain, on a real NodeCore: arguments, returns, views, init, events,
env, and errors with TypeScript locations (collections: test_sdk_collections.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from calimero_devnet.errors import FunctionCallError, InvalidArgs
from calimero_devnet.ids import to_b58
from calimero_devnet.node.collections.digest import visible_state
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.node.runtime.types import Event
from calimero_devnet.toolchain import BuildResult, build_app
from calimero_devnet.toolchain.bundle import CHEAP_KEEP_NAMES_HELPER
from calimero_devnet.toolchain.typecheck import typecheck_app
from tests.toolchain.sdk_helpers import (
    APPS,
    Node,
    build_tour,
    call,
    execute,
    open_core,
    shared_runtime,
    start,
    tour_node,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

tour = pytest.fixture(scope="module", name="tour")(build_tour)
runtime = pytest.fixture(scope="module", name="runtime")(shared_runtime)
node = pytest.fixture(name="node")(tour_node)

SOURCE = (APPS / "sdk_tour" / "src" / "index.ts").read_text().splitlines()


def line_of(marker: str) -> int:
    """The 1-based line of the tour's source that contains ``marker``."""
    return next(n for n, text in enumerate(SOURCE, 1) if marker in text)


def test_the_upstream_package_name_builds(tour: BuildResult) -> None:
    kinds = {m["name"]: m["kind"] for m in tour.manifest["methods"]}
    assert kinds["init"] == "init"
    assert kinds["echo"] == kinds["members"] == "view"
    assert kinds["join"] == kinds["onJoined"] == "call"
    assert [e["name"] for e in tour.manifest["events"]] == ["Joined"]
    assert "calimero-sdk-js" not in tour.bundle_path.read_text()  # resolved to our SDK
    freeze = next(m for m in tour.manifest["methods"] if m["name"] == "freeze")
    assert "text2" in tour.bundle_path.read_text()  # esbuild renamed it (the SDK has a `text`)
    assert [p["name"] for p in freeze["params"]] == ["text"]  # callers send the TS name


def test_init_runs_once_with_its_params(node: Node) -> None:
    core, ctx = node
    assert call(core, ctx, "everything")["label"] == "hello"
    count = core.context(ctx).delta_count
    with pytest.raises(FunctionCallError, match="already has its state"):
        execute(core, ctx, "init", {"label": "again"})
    assert core.context(ctx).delta_count == count
    assert call(core, ctx, "everything")["label"] == "hello"


@pytest.mark.parametrize(
    ("method", "args", "expected"),
    [
        ("echo", {"value": 5}, 5),  # one parameter: its name selects the value
        ("echo", {"other": 1}, {"other": 1}),  # any other object is passed whole
        ("echo", "text", "text"),
        ("pair", {"a": "x", "b": 2}, ["x", 2]),  # several: by name
        ("pair", ["p", 3], ["p", 3]),  # an array is positional
        ("big", {"n": "18446744073709551615"}, "18446744073709551616"),  # u64 from a string
        ("big", {"n": 41}, "42"),  # from a number; a bigint returns as a decimal string
        ("jsonText", b"", {"a": [1, 2]}),  # a string of JSON text is sent as that JSON
        ("plainText", b"", "[not json"),
        ("later", {"x": 21}, 42),  # async methods are awaited
    ],
)
def test_arguments_and_returns(node: Node, method: str, args: object, expected: object) -> None:
    assert call(node[0], node[1], method, args) == expected


def test_nothing_returned_is_no_output(node: Node) -> None:
    assert execute(node[0], node[1], "nothing").output is None


@pytest.mark.parametrize(
    ("method", "args", "message"),
    [
        ("echo", b"{not json", r"echo: the arguments are not JSON"),
        ("cyclic", b"", r"cyclic: the result cannot be sent as JSON \(TypeError: circular"),
    ],
)
def test_bad_arguments_are_the_callers_error(
    node: Node, method: str, args: object, message: str
) -> None:
    with pytest.raises(FunctionCallError, match=f"returned an error: {message}"):
        execute(node[0], node[1], method, args)


@pytest.mark.parametrize(
    ("method", "args", "message"),
    [
        ("pair", {"a": "x"}, r"pair: argument 'b' \(number\) is missing"),
        # no key names a parameter: the whole object goes to `a`, which is a string
        ("pair", {"x": 1}, r"pair: argument 'a' \(string\) must be a string, got an object"),
        ("big", {"n": "4x"}, r"big: argument 'n' \(u64\) must be a u64, got a string"),
        ("big", {"n": "18446744073709551616"}, r"big: argument 'n' \(u64\) must be a u64"),
        ("big", {"n": -1}, r"big: argument 'n' \(u64\) must be a u64, got a number -1"),
    ],
)
def test_arguments_the_manifest_rules_out_never_reach_the_app(
    node: Node, method: str, args: object, message: str
) -> None:
    # The node checks them against the ABI manifest first (InvalidArgs); the SDK's own
    # checks of the same stay behind it for clients of other hosts.
    with pytest.raises(InvalidArgs, match=message):
        execute(node[0], node[1], method, args)


def test_views_make_no_delta_and_cannot_write(node: Node) -> None:
    core, ctx = node
    execute(core, ctx, "push", {"name": "a"})
    before = core.context(ctx)
    for method in ("members", "everything", "counts", "recall", "profile", "whoami"):
        args = {"group": "a"} if method == "members" else {}  # its one parameter is required
        assert execute(core, ctx, method, args).delta is None, method
    with pytest.raises(FunctionCallError) as info:
        execute(core, ctx, "sneakyWrite")
    where = f"at src/index.ts:{line_of('from a view')}:"
    assert "Vector.push was called in a @View method" in str(info.value)
    assert where in str(info.value)
    assert core.context(ctx) == before


def test_a_thrown_error_names_the_typescript_line(node: Node) -> None:
    with pytest.raises(FunctionCallError) as info:
        execute(node[0], node[1], "boom", {"reason": "x"})
    message = str(info.value)
    line = line_of("thrown on purpose")
    assert re.search(rf"Error: boom: x at src/index\.ts:{line}:\d+$", message)


def test_env_panic_points_at_its_caller(node: Node) -> None:
    with pytest.raises(FunctionCallError) as info:
        execute(node[0], node[1], "stop")
    line = line_of("env.panic('stopped")
    assert f"guest panicked: stopped on purpose at src/index.ts:{line}:" in str(info.value)


def test_events_and_handlers(node: Node) -> None:
    core, ctx = node
    joined = execute(core, ctx, "join", {"group": "g", "member": "ann"})
    assert joined.events == (Event("Joined", b'{"group":"g","member":"ann"}', "onJoined"),)
    pushed = execute(core, ctx, "push", {"name": "x"})
    assert pushed.events == (Event("Joined", b'{"group":"items","member":"x"}', None),)
    handled = execute(core, ctx, "onJoined", joined.events[0].data)  # as a receiver runs it
    assert handled.logs == ("joined g/ann",)


def test_env_reads_the_node(node: Node) -> None:
    core, ctx = node
    who = call(core, ctx, "whoami")
    assert who == {"executor": to_b58(core.public_key), "executorHex": core.public_key.hex(),
                   "context": to_b58(ctx), "now": True, "dateNow": True, "random": 8}  # fmt: skip
    local = call(core, ctx, "local", {"key": "k", "value": "v"})
    assert local == {"existed": False, "read": 1, "removed": True}


@pytest.mark.parametrize("data", [b"", bytes(3), bytes([0, 0, 1, 255]), bytes(range(256))])
def test_hex_and_base58_in_c_match_python(node: Node, data: bytes) -> None:
    text = data.hex().upper()
    got = call(node[0], node[1], "byteCodecs", {"hex": text})
    bad = f"TypeError: not a hex string: {json.dumps((text + 'z')[:80])}"
    assert got == {"hex": data.hex(), "base58": to_b58(data), "bad": bad}


def test_the_engine_leaves_out_what_a_one_call_vm_does_not_need(node: Node) -> None:
    assert call(node[0], node[1], "engine") == {
        "Proxy": True, "Reflect": True, "WeakMap": True,
        "WeakRef": False, "FinalizationRegistry": False, "atob": False, "performance": False,
    }  # fmt: skip


def test_the_root_document_is_json_with_collections_by_id(node: Node) -> None:
    core, ctx = node
    doc = json.loads(visible_state(core.store.state_reader(ctx))["root"])
    assert doc["label"] == "hello"
    assert doc["groups"]["__cal"] == "map"
    assert re.fullmatch(r"[0-9a-f]{64}", doc["groups"]["id"])
    assert sorted(doc) == ["blobs", "calls", "groups", "items", "label", "misc", "note",
                           "profiles", "total"]  # fmt: skip


TYPE_ERROR_APP = """\
import { State, Logic } from '@calimero-network/calimero-sdk-js';
import { UnorderedMap } from '@calimero-network/calimero-sdk-js/collections';

@State
export class S {
  items: UnorderedMap<string, string> = new UnorderedMap();
}

@Logic(S)
export class L extends S {
  set(key: string): void {
    this.items.set(key, 42);
  }
}
"""


def test_sdk_type_errors_name_file_line_column_with_a_caret(tmp_path: Path) -> None:
    app = tmp_path / "typed"
    (app / "src").mkdir(parents=True)
    (app / "src" / "index.ts").write_text(TYPE_ERROR_APP)
    (diag,) = typecheck_app(app)
    assert (diag.file, diag.line, diag.column) == ("src/index.ts", 12, 25)
    assert "TS2345" in diag.message
    assert "'number' is not assignable to parameter of type 'string'" in diag.message
    head, source, caret = diag.format().splitlines()
    assert head.startswith("src/index.ts:12:25: error: ")
    assert source.endswith("|     this.items.set(key, 42);")
    assert source[caret.index("^")] == "4"  # the caret sits under the bad argument


RENAMED_EVENT_APP = """\
import { State, Logic, Event, emit } from '@calimero/sdk';

@Event
export class Collection {
  constructor(public key: string) {}
}

@State
export class S {}

@Logic(S)
export class L extends S {
  fire(): void {
    emit(new Collection('k'));
  }
}
"""


def test_a_class_the_bundler_renames_keeps_its_name(tmp_path: Path, runtime: Runtime) -> None:
    # The SDK has a class Collection too: esbuild renames this one in the bundle, and its
    # keep-names helper (which the build makes skip the names already right) restores it.
    app = tmp_path / "renamed"
    (app / "src").mkdir(parents=True)
    (app / "src" / "index.ts").write_text(RENAMED_EVENT_APP)
    built = build_app(app)
    bundle = built.bundle_path.read_text()
    assert "var Collection2 = class" in bundle
    assert CHEAP_KEEP_NAMES_HELPER in bundle  # found esbuild's helper, rewrote it
    with open_core(tmp_path / "home", runtime) as core:
        ctx = start(core, built.wasm_path)
        assert execute(core, ctx, "fire").events == (Event("Collection", b'{"key":"k"}', None),)
