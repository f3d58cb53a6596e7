"""Provides the bus trace's benchmark: what recording and decoding one message costs.

Run from the repository root: ``.venv/bin/python -m bench.bench_bus_trace``. The trace
(``cluster/bustrace.py``) runs in the ``devnet run`` process, not in the nodes: per message
the broker relays to it, ``_on_message`` keeps its time, topic, size and first bytes (timed
here, per message, on real wire encodings of a delta broadcast and a heads announcement);
``trace_entry`` decodes one kept header when the failure bundle is written (timed too).
No broker: the session is built but never connected.
"""

from __future__ import annotations

from bench.timing import measure
from calimero_devnet.cluster.bustrace import HEAD_BYTES, BusTrace, trace_entry
from calimero_devnet.node.bus import wire
from tests.unit.bus_samples import every_message

CALLS = 20_000


def time_kind(trace: BusTrace, name: str, data: bytes) -> str:
    """One line: recording and decoding one message of ``data``, p50 and p99 in µs."""
    topic = "devnet/bench/ctx/x/delta"
    record = measure(CALLS, lambda _: trace._on_message(topic, data))
    head = data[:HEAD_BYTES]
    decode = measure(CALLS, lambda _: trace_entry(1.0, topic, len(data), head))
    return (f"{name} ({len(data)} B): record p50 {record[0] * 1e3:.2f} µs, "
            f"p99 {record[1] * 1e3:.2f} µs; decode p50 {decode[0] * 1e3:.1f} µs, "
            f"p99 {decode[1] * 1e3:.1f} µs")  # fmt: skip


def main() -> None:
    """Print p50/p99 per message of recording and of decoding, per message kind."""
    trace = BusTrace("mqtt://127.0.0.1:1", "bench", limit=1000)
    delta, heads = every_message()[:2]
    for name, message in (("delta broadcast", delta), ("heads announcement", heads)):
        print(time_kind(trace, name, wire.encode(message)))


if __name__ == "__main__":
    main()
