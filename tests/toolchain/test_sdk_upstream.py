"""Apps written the way upstream's examples are (their tsconfig, their package name, their
API), each on one surface: the state helpers and collection options, user and frozen
storage, TextEncoder/TextDecoder, @Mergeable. Built by the real toolchain with the type
check on, run on real NodeCores."""

from __future__ import annotations

import hashlib
import shutil
import struct
from pathlib import Path

import pytest

from calimero_devnet.errors import FunctionCallError
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.toolchain import BuildResult, build_app
from calimero_devnet.toolchain.typecheck import typecheck_app
from tests.node.core_helpers import join
from tests.toolchain.sdk_helpers import APPS, call, execute, open_core, shared_runtime, start

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

runtime = pytest.fixture(scope="module", name="runtime")(shared_runtime)


def checked_build(name: str, root: Path) -> BuildResult:
    """Copy the app ``name``, type-check it as `devnet build` does, and build it."""
    app = root / name
    shutil.copytree(APPS / name, app)
    assert typecheck_app(app) == []  # with the app's own (upstream-style) tsconfig
    return build_app(app)


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    root = tmp_path_factory.mktemp("upstream-apps")
    names = ("upstream_helpers", "upstream_storage", "upstream_text", "upstream_merge")
    return {name.removeprefix("upstream_"): checked_build(name, root) for name in names}


def test_state_helpers_and_collection_options(
    tmp_path: Path, runtime: Runtime, apps: dict[str, BuildResult]
) -> None:
    with open_core(tmp_path / "n", runtime) as core:
        ctx = start(core, apps["helpers"].wasm_path)
        assert call(core, ctx, "getTags") == ["new", "open"]  # initialValues
        assert call(core, ctx, "tag", {"tag": "urgent"}) is True
        assert call(core, ctx, "getTags") == ["new", "open", "urgent"]
        assert call(core, ctx, "info") == {"title": "untitled", "stamp": "number", "votes": "3"}
        assert call(core, ctx, "vote") == 4  # getExecutorCount is a number, as upstream's
        execute(core, ctx, "rename", {"title": "plans"})
        assert call(core, ctx, "info")["title"] == "plans"
        assert call(core, ctx, "replay", {"entries": ["a", "b"]}) == ["a", "b"]  # fromArray
        assert call(core, ctx, "getHistory") == ["a", "b"]
        execute(core, ctx, "team", {"name": "red", "members": ["ann", "bob"]})  # nested
        assert call(core, ctx, "members", {"name": "red"}) == ["ann", "bob"]


def test_user_and_frozen_storage_as_upstream(
    tmp_path: Path, runtime: Runtime, apps: dict[str, BuildResult]
) -> None:
    with open_core(tmp_path / "a", runtime, 1) as a, open_core(tmp_path / "b", runtime, 2) as b:
        ctx = start(a, apps["storage"].wasm_path)
        join(a, b, ctx)
        for node, name in ((a, "ann"), (b, "bob")):
            delta = execute(node, ctx, "setProfile", {"name": name}).delta
            assert delta is not None
            (b if node is a else a).apply_delta(delta)
        users = sorted([a.public_key.hex(), b.public_key.hex()])
        for node in (a, b):
            everyone = call(node, ctx, "everyone")
            assert everyone["users"] == users
            assert sorted(everyone["names"]) == ["ann", "bob"]
            assert (everyone["size"], everyone["entries"]) == (2, 2)
        with pytest.raises(FunctionCallError, match="only set the value of its own executor"):
            execute(a, ctx, "setProfileOf", {"user": b.public_key.hex(), "name": "eve"})
        upstream = hashlib.sha256(b"\x0b\0\0\0hello world").hexdigest()  # Borsh Vec<u8>
        assert call(a, ctx, "store", {"text": "hello world"}) == upstream
        assert call(a, ctx, "hashOf", {"text": "hello world"}) == upstream  # computeHash
        assert (
            call(a, ctx, "store", {"text": "héllo"})
            == hashlib.sha256(b"\x06\0\0\0" + "héllo".encode()).hexdigest()
        )
        listed = call(a, ctx, "documentsList")
        assert sorted(listed["hashes"]) == listed["hashes"]
        assert sorted(listed["values"]) == ["hello world", "héllo"]
        assert listed["first"] in listed["values"]


def _sized(data: bytes) -> bytes:
    return struct.pack("<I", len(data)) + data


def _tagged(value: object) -> bytes:  # noqa: PLR0911  (one return per kind)
    """Upstream's tagged encoding (its borsh-value.ts), written again here from its format."""
    if value is None:
        return b"\x00"
    if isinstance(value, bool):
        return b"\x01" + bytes([value])
    if isinstance(value, float | int) and not isinstance(value, Big):
        return b"\x02" + struct.pack("<d", value)
    if isinstance(value, Big):
        return b"\x03" + _sized(str(int(value)).encode())
    if isinstance(value, str):
        return b"\x04" + _sized(value.encode())
    if isinstance(value, list):
        return b"\x06" + struct.pack("<I", len(value)) + b"".join(map(_tagged, value))
    assert isinstance(value, dict)
    pairs = b"".join(_sized(key.encode()) + _tagged(item) for key, item in value.items())
    return b"\x07" + struct.pack("<I", len(value)) + pairs


class Big(int):
    """A JavaScript bigint (tagged 3), as opposed to a number."""


def _upstream_hash(sent: bytes) -> str:
    """What upstream's node answers: sha256 of the Borsh Vec<u8> (u32 LE length + bytes)."""
    return hashlib.sha256(_sized(sent)).hexdigest()


FROZEN_SENT = {  # what upstream's SDK sends for each value of the fixture's KINDS
    "number": struct.pack("<d", 42.5),
    "boolean": b"\x01",
    "bytes": bytes([1, 2, 3]),
    "bigint": _tagged(Big(12345678901234567890)),
    "object": _tagged({"b": 1, "a": "x"}),
    "array": _tagged([1, "two", None, False]),
    "map": _tagged({"__calimeroMap": True, "entries": [{"key": "k", "value": 7}]}),
    "date": _tagged("2024-01-02T03:04:05.000Z"),
}
FROZEN_BACK = {
    "number": {"type": "number", "value": 42.5},
    "boolean": {"type": "boolean", "value": True},
    "bytes": {"type": "bytes", "value": [1, 2, 3]},
    "bigint": {"type": "bigint", "value": "12345678901234567890"},
    "object": {"type": "object", "value": {"b": 1, "a": "x"}},
    "array": {"type": "object", "value": [1, "two", None, False]},
    "map": {"type": "map", "value": [["k", 7]]},
    "date": {"type": "string", "value": "2024-01-02T03:04:05.000Z"},
}


def test_frozen_hashes_of_every_kind_of_value_are_upstreams(
    tmp_path: Path, runtime: Runtime, apps: dict[str, BuildResult]
) -> None:
    with open_core(tmp_path / "n", runtime) as core:
        ctx = start(core, apps["storage"].wasm_path)
        frozen = call(core, ctx, "freezeKinds")
    assert sorted(frozen) == sorted(FROZEN_SENT)
    for kind, sent in FROZEN_SENT.items():
        assert frozen[kind]["hash"] == _upstream_hash(sent), kind
        assert frozen[kind]["computed"] == frozen[kind]["hash"], kind  # computeHash agrees
        assert frozen[kind]["back"] == FROZEN_BACK[kind], kind


def test_text_encoder_and_decoder_globals(
    tmp_path: Path, runtime: Runtime, apps: dict[str, BuildResult]
) -> None:
    with open_core(tmp_path / "n", runtime) as core:
        ctx = start(core, apps["text"].wasm_path)
        out = call(core, ctx, "roundTrip", {"text": "h€llo 😀"})
        assert bytes(out["bytes"]) == "h€llo 😀".encode()
        assert out["back"] == "h€llo 😀"
        assert out["into"] == {"read": 2, "written": 4}  # "h" + "€" fit in 4 bytes
        assert call(core, ctx, "prefix") == "priv_note:"  # encoded at the module's top level
        assert call(core, ctx, "decodeBytes", {"bytes": [0x68, 0xFF, 0x69]}) == "h\ufffdi"
        assert call(core, ctx, "decodeBytes", {"bytes": [0xEF, 0xBB, 0xBF, 0x41]}) == "A"  # BOM
        assert call(core, ctx, "encodeText", {"text": "\ud800"}) == [0xEF, 0xBF, 0xBD]
        assert call(core, ctx, "decodeLabel", {"label": "UTF-8"}) == "hi"
        with pytest.raises(FunctionCallError, match="only UTF-8 is supported here"):
            execute(core, ctx, "decodeLabel", {"label": "latin1"})


def test_mergeable_values_merge_over_the_stored_one(
    tmp_path: Path, runtime: Runtime, apps: dict[str, BuildResult]
) -> None:
    with open_core(tmp_path / "n", runtime) as core:
        ctx = start(core, apps["merge"].wasm_path)
        assert call(core, ctx, "visit", {"page": "/", "count": 2}) == {"page": "/", "count": 2}
        assert call(core, ctx, "visit", {"page": "/", "count": 3}) == {"page": "/", "count": 5}
        assert call(core, ctx, "prefer", {"theme": "dark"}) == {"theme": "dark"}
        merged = call(core, ctx, "prefer", {"lang": "fi"})
        assert merged == {"theme": "dark", "lang": "fi"}  # field by field
        assert call(core, ctx, "plainPrefs") == {"lang": "fi"}  # a plain object replaces


def test_concurrent_mergeable_writes_merge_on_every_node(
    tmp_path: Path, runtime: Runtime, apps: dict[str, BuildResult]
) -> None:
    with open_core(tmp_path / "a", runtime, 1) as a, open_core(tmp_path / "b", runtime, 2) as b:
        ctx = start(a, apps["merge"].wasm_path)
        join(a, b, ctx)
        ours = [
            execute(a, ctx, "visit", {"page": "/", "count": 2}).delta,
            execute(a, ctx, "prefer", {"theme": "dark"}).delta,
        ]
        theirs = [
            execute(b, ctx, "visit", {"page": "/", "count": 3}).delta,
            execute(b, ctx, "prefer", {"lang": "fi"}).delta,
        ]
        for node, deltas in ((b, ours), (a, theirs)):
            for delta in deltas:
                assert delta is not None
                node.apply_delta(delta)
        for node in (a, b):  # neither write is lost: the app's merge joined them
            assert call(node, ctx, "visitsOf", {"page": "/"}) == {"page": "/", "count": 5}
            assert call(node, ctx, "myPrefs") == {"lang": "fi", "theme": "dark"}
        later = execute(b, ctx, "visit", {"page": "/", "count": 1}).delta
        assert later is not None
        a.apply_delta(later)
        for node in (a, b):
            assert call(node, ctx, "visitsOf", {"page": "/"}) == {"page": "/", "count": 6}
        assert a.context(ctx).root_hash == b.context(ctx).root_hash
