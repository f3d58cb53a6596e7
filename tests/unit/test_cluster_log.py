"""The headless log lines, the event hub, ``devnet logs`` merging and the source filter."""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import watchfiles

from calimero_devnet.cluster.commands.headless import (
    JsonPrinter,
    LogPrinter,
    describe,
    describe_feed,
)
from calimero_devnet.cluster.commands.logs import LogFile, merged
from calimero_devnet.cluster.deploy.watch import SourceFilter, apps_touched, sources_stamp, watched
from calimero_devnet.cluster.events import (
    ClusterReady,
    ContextReset,
    EventHub,
    FeedMessage,
    NetChanged,
    NodeKilled,
    NodePresence,
    StatusPolled,
    Step,
)
from calimero_devnet.cluster.processes.node_events import NodeExited
from calimero_devnet.config.model import AppSettings
from tests.unit.event_samples import STATUS

CTX = "FXEy9vvnvLt9o4jwHnKqfZZ2t9H6MBPmd49zVf2DXe6n"


def test_a_busy_feed_message_is_a_few_lines() -> None:
    events: list[dict[str, Any]] = [
        {"event": "authored", "delta": f"D{i}xxxxxxx", "kind": "host-actions"} for i in range(30)
    ]
    events += [{"event": "applied", "from": "node-2", "count": 3},
               {"event": "applied", "from": "node-3", "count": 4},
               {"event": "state", "heads": ["H"], "root": "R", "pending": 0}]  # fmt: skip
    events += [{"event": "event", "origin": "local", "kind": "ItemSet", "data": f"{{{i}}}"}
               for i in range(5)]  # fmt: skip
    events += [{"event": "joined", "context": CTX, "from": "node-1", "entries": 6}]
    assert describe_feed("node-1", events, {CTX: "kv-store"}) == [
        "node-1 wrote 30 deltas",
        "node-1 applied 7 delta(s) from node-2, node-3",
        "node-1 event ItemSet {0}",
        "node-1 event ItemSet {1}",
        "node-1 event ItemSet {2}",
        "node-1 … and 2 more event(s)",
        "node-1 joined kv-store from node-1 (6 entries)",
    ]


def test_one_delta_names_its_id_and_root() -> None:
    event = {
        "event": "authored",
        "delta": "GjFtAPr7abc",
        "kind": "host-actions",
        "root": "B9ap5vKDx",
    }
    assert describe_feed("node-1", [event], {}) == [
        "node-1 wrote delta GjFtAPr7 (host-actions), root B9ap5vKD"
    ]


def test_lines_of_other_events() -> None:
    assert describe(NodePresence("node-2", "online"), {}) == []
    assert describe(NodePresence("node-2", "offline"), {}) == ["node-2 is offline on the bus"]
    crash = NodeExited("node-2", -9, "SIGKILL", ("a", "b"))
    assert describe(crash, {}) == ["node-2 exited unexpectedly: killed by SIGKILL\n    a\n    b"]
    assert describe(NodeKilled("node-2"), {})[0].startswith("node-2 killed (SIGKILL, as asked)")
    assert describe(FeedMessage("node-1", ({"event": "state"},)), {}) == []


def test_a_nodes_lost_broker_link_is_one_line_and_its_return_none() -> None:
    since = 1_700_000_000_000
    at = time.strftime("%H:%M:%S", time.localtime(since / 1000))
    down = {"event": "link", "state": "disconnected", "since": since, "attempt": 0,
            "error": "Connection reset by peer"}  # fmt: skip
    back = {"event": "link", "state": "connected", "since": since + 900, "attempt": 0}
    assert describe_feed("node-2", [down, back], {}) == [
        f"node-2 lost the broker at {at} (Connection reset by peer)"
    ]


def test_the_printer_learns_context_names_and_stays_plain_off_a_terminal() -> None:
    out = io.StringIO()
    printer = LogPrinter(["node-1"], out)
    printer(ClusterReady(1.5, ("node-1",), (("kv-store", CTX),)))
    printer(FeedMessage("node-1", ({"event": "served", "context": CTX, "to": "node-2"},)))
    lines = [line.split(" ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == [
        "cluster ready in 1.50 s: 1 nodes; kv-store FXEy9vvn",
        "node-1 sent a snapshot of kv-store to node-2",
    ]
    assert "\x1b" not in out.getvalue()


def test_json_lines() -> None:
    out = io.StringIO()
    JsonPrinter(out)(Step("hello"))
    JsonPrinter(out)(NetChanged("healthy", {"partitions": []}))
    step, net = (json.loads(line) for line in out.getvalue().splitlines())
    assert (step["type"], step["text"]) == ("Step", "hello")
    assert (net["type"], net["rules"], net["text"]) == (
        "NetChanged", {"partitions": []}, "network: healthy",
    )  # fmt: skip


def test_status_polls_are_for_a_ui_not_for_the_log() -> None:
    assert describe(StatusPolled(STATUS), {}) == []
    out = io.StringIO()
    LogPrinter(["node-1"], out)(StatusPolled(STATUS))
    JsonPrinter(out)(StatusPolled(STATUS))
    assert out.getvalue() == ""


async def test_the_hub_fans_out_and_drops_the_oldest_for_a_slow_reader() -> None:
    seen: list[object] = []
    hub = EventHub(seen.append)
    subscription = hub.subscribe()
    for index in range(2_005):
        hub.emit(Step(str(index)))
    hub.close()
    received = [str(event) async for event in subscription]
    assert len(seen) == 2_005
    assert subscription.dropped == 5
    assert received[0] == "5"
    assert received[-1] == "2004"


async def test_receive_can_time_out_without_losing_an_event() -> None:
    hub = EventHub()
    subscription = hub.subscribe()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(subscription.receive(), 0.01)
    hub.emit(Step("after the timeout"))
    assert await subscription.receive() == Step("after the timeout")
    hub.close()
    assert await subscription.receive() is None
    assert await subscription.receive() is None  # closed stays closed
    assert [event async for event in subscription] == []


def test_logs_merge_by_time_and_keep_tracebacks_with_their_line(tmp_path: Path) -> None:
    one, two = tmp_path / "one.log", tmp_path / "two.log"
    one.write_text("2026-01-01 10:00:01,000 A1\n2026-01-01 10:00:03,000 A3\nTraceback\n  x\n")
    two.write_text("2026-01-01 10:00:02,000 B2\n2026-01-01 10:00:04,000 B4\npartial")
    files = [LogFile("a", one), LogFile("b", two)]
    lines = [f"{node}:{line.split(' ')[-1]}" for node, line in merged(files, 10)]
    assert lines == ["a:A1", "b:B2", "a:A3", "a:Traceback", "a:x", "b:B4"]
    with two.open("a") as log:
        log.write(" line\n")
    assert files[1].read_new() == ["partial line"]
    two.write_text("new\n")  # truncated: read again from the start
    assert files[1].read_new() == ["new"]


def app(tmp_path: Path, name: str, kind: str = "typescript", watch: bool = True) -> AppSettings:
    path = tmp_path / name if kind == "typescript" else tmp_path / f"{name}.wasm"
    return AppSettings(name, path, "typescript" if kind == "typescript" else "wasm", watch)


def test_only_sources_trigger_a_rebuild(tmp_path: Path) -> None:
    ts, wasm = app(tmp_path, "kv"), app(tmp_path, "rust", kind="wasm")
    accept = SourceFilter([ts, wasm])
    changed = watchfiles.Change.modified
    assert accept(changed, str(ts.path / "src" / "index.ts"))
    assert accept(changed, str(ts.path / "package.json"))
    for ignored in ("build/kv.wasm", "build/kv.js", "node_modules/x/index.ts", ".work/a.ts",
                    "src/index.ts.swp", "README.md"):  # fmt: skip
        assert not accept(changed, str(ts.path / ignored)), ignored
    assert accept(changed, str(wasm.path))
    assert not accept(watchfiles.Change.deleted, str(wasm.path))
    assert not accept(changed, str(tmp_path / "other.ts"))
    assert apps_touched([ts, wasm], [str(ts.path / "src" / "a.ts")]) == ["kv"]
    assert apps_touched([ts, wasm], [str(wasm.path)]) == ["rust"]


def test_the_sources_stamp_changes_with_a_source_and_only_with_a_source(tmp_path: Path) -> None:
    ts = app(tmp_path, "kv")
    source = ts.path / "src" / "index.ts"
    source.parent.mkdir(parents=True)
    source.write_text("export const a = 1;")
    (ts.path / "build").mkdir()
    first = sources_stamp(ts)
    assert {Path(path).name for path, _, _ in first} == {"index.ts"}
    (ts.path / "build" / "kv.js").write_text("built")
    assert sources_stamp(ts) == first
    source.write_text("export const a = 1; // half of a sav")
    assert sources_stamp(ts) != first


def test_the_bundled_app_and_unwatched_apps_are_not_watched(tmp_path: Path) -> None:
    bundled = AppSettings("kv-store", tmp_path, "typescript", watch=False, bundled=True)
    off = app(tmp_path, "off", watch=False)
    assert watched([bundled, off, app(tmp_path, "on")]) == [app(tmp_path, "on")]


def test_a_reader_that_went_away_silences_the_log_without_stopping_the_manager() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # `devnet up | tee` after Ctrl-C: tee is gone
    with os.fdopen(write_end, "w") as out:
        printer = LogPrinter(["node-1"], out)
        printer(Step("first"))  # BrokenPipeError inside, swallowed
        printer(Step("second"))  # the descriptor now points at /dev/null
        out.flush()


def test_the_printer_names_a_reset_context_by_its_new_id() -> None:
    out = io.StringIO()
    printer = LogPrinter(["node-1"], out)
    new = "7p1PJXoxi6Q8STJ8WqntqUPwv6BTinjsSPb1UMAYNGSD"
    printer(ContextReset("kv-store", CTX, new, "kv-store", 2, ("node-1",)))
    printer(FeedMessage("node-1", ({"event": "served", "context": new, "to": "node-2"},)))
    lines = [line.split(" ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == [
        "context kv-store reset: FXEy9vvn → 7p1PJXox, kv-store v2 from init, on node-1",
        "node-1 sent a snapshot of kv-store to node-2",
    ]
