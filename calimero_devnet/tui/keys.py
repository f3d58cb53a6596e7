"""Provides the UI's key bindings (``KEYS``), its tabs and views, and how keys are written."""

from __future__ import annotations

# (key, action, footer label, help text); the footer shows those with a label.
KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("question_mark", "help", "help", "every key binding"),
    ("c", "call", "call", "call a method on the selected node (form from the app's ABI)"),
    ("R", "rerun", "", "run the last call again"),
    ("p", "partition", "partition", "put nodes into partition groups"),
    ("h", "heal", "heal", "remove every partition and link fault"),
    ("l", "latency", "latency", "delay / drop messages on a link"),
    ("k", "kill", "kill", "SIGKILL the selected node (asks first)"),
    ("ctrl+k", "kill_now", "", "SIGKILL the selected node without asking"),
    ("r", "restart", "restart", "restart the selected node"),
    ("t", "stop", "", "stop the selected node politely (asks first)"),
    ("u", "start", "", "start the selected node"),
    ("d", "redeploy", "", "rebuild the app now and switch every node to it"),
    (
        "w",
        "save_workflow",
        "",
        "save this session's calls, partitions, heals and node actions "
        "as a workflow file that `devnet run` replays",
    ),
    ("z", "reset", "", "start the context afresh (its state is lost; asks first)"),
    ("s", "snapshot", "", "snapshot every node's store (asks for a name)"),
    ("b", "restore", "", "put every node back to a snapshot (pick one; later writes are lost)"),
    ("x", "next_context", "", "show the next context"),
    ("a", "scope", "", "all nodes / only the selected node in the panes"),
    ("slash", "filter", "filter", "filter the current view"),
    ("colon", "command", "", "go to a view: :nodes :deltas :dag :events :logs :net"),
    ("enter", "", "", "open the selected delta in full (Deltas view; a click on it too)"),
    ("escape", "clear", "", "clear the filter / close the prompt"),
    ("space", "pause", "", "pause / follow the live stream"),
    ("left_square_bracket", "prev_tab", "", "previous tab"),
    ("right_square_bracket", "next_tab", "", "next tab"),
    ("q", "quit", "quit", "quit (stops the cluster when this UI started it; asks first)"),
    ("ctrl+c", "quit", "", "quit, as q"),
)
TABS = ("deltas", "dag", "events", "logs", "net")
VIEWS = ("nodes", *TABS)


def key_label(key: str) -> str:
    """How a key is written in the help."""
    names = {"question_mark": "?", "slash": "/", "colon": ":", "left_square_bracket": "[",
             "right_square_bracket": "]"}  # fmt: skip
    return names.get(key, key)
