"""Provides the declared settings of ``devnet.toml``: one place for each key, its doc and limits.

The declarations drive three things, so they cannot drift apart: the strict checks of
``config_check`` (unknown keys, types, ranges), the JSON schema editors validate with
(``devnet_schema``, committed as ``docs/devnet.schema.json``), and the key list the tests
compare with ``docs/devnet-toml.md`` and the example ``devnet.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from calimero_devnet.auth import BEARER_PATTERN, BEARER_RULE, GENERATE

Kind = Literal["string", "integer", "boolean", "port", "names", "table"]

LOG_LEVELS = ("debug", "info", "warning", "error")
BROKER_KINDS = ("embedded", "mosquitto", "external")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
NAME_RULE = "1-32 letters, digits, '-' or '_', starting with a letter or digit"
MAX_NODES = 64  # node indexes keep clocks apart (0..1023); 64 nodes is already a crowd
AUTO = "auto"


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of a section: its kind, documentation, default and limits."""

    key: str
    kind: Kind
    doc: str
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    secret: bool = False  # a value never repeated in an error message


@dataclass(frozen=True, slots=True)
class Section:
    """A top-level table (``[cluster]``) or array of tables (``[[apps]]``)."""

    key: str
    doc: str
    settings: tuple[Setting, ...]
    array: bool = False
    named: Section | None = None  # free-named sub-tables, e.g. [nodes.<name>]

    def setting(self, key: str) -> Setting | None:
        """The declared setting called ``key``, if any."""
        return next((s for s in self.settings if s.key == key), None)


def _name(doc: str, default: Any = None) -> Setting:
    return Setting("name", "string", doc, default=default, pattern=NAME_PATTERN)


def _log_level(doc: str, default: Any = None) -> Setting:
    return Setting("log_level", "string", doc, default=default, choices=LOG_LEVELS)


CLUSTER = Section("cluster", "The cluster as a whole.", (
    _name("Cluster id: the prefix of every bus topic and part of each default context seed. "
          "Clusters sharing an external broker need different names.", "devnet"),
    Setting("data_dir", "string", "Where node homes, logs and cluster.json live. A relative "
            "path starts at the folder of this file (the current folder without a file).",
            default=".devnet"),
    _log_level("Log level of every node (debug also logs each HTTP request).", "info"),
))  # fmt: skip

NODE = Section("nodes.<name>", "Settings of one node, e.g. [nodes.alice].", (
    Setting("rpc_port", "port", 'HTTP port of this node, or "auto" for a free one '
            "(overrides nodes.base_port).", default=AUTO),
    _log_level("Log level of this node (default: cluster.log_level)."),
))  # fmt: skip

NODES = Section("nodes", "How many nodes, their names and ports.", (
    Setting("count", "integer", "Number of nodes, named node-1 … node-N. Give count or names, "
            "not both.", default=3, minimum=1, maximum=MAX_NODES),
    Setting("names", "names", 'The nodes\' names, e.g. ["alice", "bob"] (instead of count).'),
    Setting("base_port", "port", 'RPC port of the first node; the others follow (base_port + 1, '
            '…). "auto" gives every node a free port.', default=AUTO),
), named=NODE)  # fmt: skip

BROKER = Section("broker", "The MQTT broker the nodes replicate through.", (
    Setting("kind", "string", 'Which broker: "embedded" (amqtt, started by devnet), '
            '"mosquitto" (started by devnet) or "external" (already running at url).',
            default="embedded", choices=BROKER_KINDS),
    Setting("url", "string", 'Address of an external broker, "mqtt://HOST:PORT" '
            '(kind = "external" only); "mqtts://USER@HOST:PORT?ca_file=PEM" for TLS and a '
            "login (the password from $DEVNET_BROKER_PASSWORD)."),
    Setting("port", "port", 'Port of a broker devnet starts, or "auto" for a free one '
            "(not for external).", default=AUTO),
))  # fmt: skip

APPS = Section("apps", "Apps to build, install on every node and (by default) watch.", (
    _name("Name contexts refer to the app by (default: the folder or .wasm file name)."),
    Setting("path", "string", "A TypeScript app folder (with src/index.ts) or a .wasm file; "
            "relative to the folder of this file.", required=True),
    Setting("watch", "boolean", "Rebuild (or reload the .wasm) on save and hot-redeploy it "
            "to every node, keeping their state.", default=True),
    Setting("snapshot", "boolean", "Boot the JS VM at build time (TypeScript apps): calls "
            "run ~2.5x faster. Unset, a build whose top level needs the host boots the VM at "
            "each call instead, with a note; true makes that an error, false never boots it "
            "at build time."),
), array=True)  # fmt: skip

BUILD = Section("build", "How hot redeploys treat a build.", (
    Setting("deploy_on_type_errors", "boolean", "Hot-redeploy a build that has TypeScript type "
            "errors (they are still reported); by default such a build is not deployed.",
            default=False),
))  # fmt: skip

CONTEXTS = Section("contexts", "Contexts to create on the first member and join on the others. "
                   "Without any, each app gets one context on every node.", (
    _name("Name of the context in the UI and the CLI (default: its app's name)."),
    Setting("app", "string", "Name of the app it runs (may be left out when there is one app).",
            pattern=NAME_PATTERN),
    Setting("init", "table", "Parameters of the app's init method, as a table (JSON object).",
            default={}),
    Setting("members", "names", "Nodes taking part; the first creates it (default: all)."),
    Setting("seed", "string", "Context seed: 64 hex digits or any text; the same seed gives "
            "the same context id (default: derived from cluster.name and the context name)."),
), array=True)  # fmt: skip

SECURITY = Section("security", "Who may talk to the nodes and the manager (all on loopback).", (
    Setting("token", "string", 'A bearer token every node and the control endpoint then want '
            '(header "Authorization: Bearer <token>"), or "generate" for a new random one at '
            "each `devnet up` (kept in cluster.json, 0600). Default: no token.",
            pattern=f"^({GENERATE}|{BEARER_PATTERN[1:-1]})$", secret=True),
))  # fmt: skip
TOKEN_RULE = f'"{GENERATE}" or {BEARER_RULE}'

SECTIONS = (CLUSTER, NODES, BROKER, BUILD, APPS, CONTEXTS, SECURITY)
TOP_DOC = "A calimero-devnet cluster: nodes, broker, apps and contexts. Every key is optional."


def all_key_paths() -> list[str]:
    """Every declared key as a dotted path, e.g. ``nodes.count`` and ``nodes.<name>.rpc_port``."""
    paths: list[str] = []
    for section in SECTIONS:
        paths += [f"{section.key}.{setting.key}" for setting in section.settings]
        if section.named is not None:
            paths += [f"{section.named.key}.{setting.key}" for setting in section.named.settings]
    return paths


def devnet_schema() -> dict[str, Any]:
    """The JSON schema (draft-07) of ``devnet.toml``, for Taplo / Even Better TOML."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "devnet.toml",
        "description": TOP_DOC,
        "type": "object",
        "additionalProperties": False,
        "properties": {section.key: _section_schema(section) for section in SECTIONS},
    }


def _section_schema(section: Section) -> dict[str, Any]:
    table = _table_schema(section) | _cross_rules(section.key)
    if section.array:
        return {"description": section.doc, "type": "array", "items": table}
    return table


def _table_schema(section: Section) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": section.doc, "type": "object"}
    schema["properties"] = {s.key: _setting_schema(s) for s in section.settings}
    required = [s.key for s in section.settings if s.required]
    if required:
        schema["required"] = required
    extra = _table_schema(section.named) if section.named is not None else False
    schema["additionalProperties"] = extra
    return schema


def _setting_schema(setting: Setting) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": setting.doc}
    if setting.kind == "port":
        port = {"type": "integer", "minimum": 1, "maximum": 65535}
        schema["anyOf"] = [port, {"type": "string", "enum": [AUTO]}]
    elif setting.kind == "names":
        item = {"type": "string", "pattern": NAME_PATTERN}
        schema |= {"type": "array", "items": item, "minItems": 1, "uniqueItems": True}
    elif setting.kind == "table":
        schema["type"] = "object"
    else:
        schema["type"] = setting.kind
    limits: dict[str, Any] = {"enum": list(setting.choices), "pattern": setting.pattern}
    limits |= {"minimum": setting.minimum, "maximum": setting.maximum}
    schema |= {key: value for key, value in limits.items() if value not in (None, [])}
    if setting.default is not None:
        schema["default"] = setting.default
    return schema


def _cross_rules(key: str) -> dict[str, Any]:
    """Rules across keys that editors can check too (config_check enforces them as well)."""
    if key == "nodes":
        return {"not": {"required": ["count", "names"]}}
    if key == "broker":
        external = {"properties": {"kind": {"const": "external"}}, "required": ["kind"]}
        return {
            "if": external,
            "then": {"required": ["url"], "not": {"required": ["port"]}},
            "else": {"not": {"required": ["url"]}},
        }
    return {}
