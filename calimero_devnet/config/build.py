"""Provides the resolution of a checked ``devnet.toml`` into a ``DevnetConfig``.

``config_check`` has already refused unknown keys, wrong types and out-of-range values;
this module applies defaults and command-line overrides, and checks what spans keys:
node names, ports, the apps contexts run and the nodes they list.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from calimero_devnet.config.apps import resolve_apps
from calimero_devnet.config.check import Where, check_document, did_you_mean, join
from calimero_devnet.config.model import (
    AppSettings,
    BrokerSettings,
    BuildSettings,
    ClusterSettings,
    ContextSettings,
    DevnetConfig,
    NodeSettings,
    Overrides,
    SecuritySettings,
)
from calimero_devnet.config.schema import AUTO, BROKER_KINDS, MAX_NODES
from calimero_devnet.errors import ConfigError
from calimero_devnet.node.bus.broker_url import parse_broker_url


def build_config(document: dict[str, Any], path: Path | None, overrides: Overrides) -> DevnetConfig:
    """Check ``document`` (parsed from ``path``; ``{}`` for defaults) and resolve it."""
    where = Where(str(path) if path is not None else "devnet defaults")
    check_document(document, where)
    base = path.resolve().parent if path is not None else Path.cwd()
    cluster = _cluster(document.get("cluster", {}), base, overrides)
    declared, nodes = _nodes(document.get("nodes", {}), cluster, where, overrides)
    broker = _broker(document.get("broker", {}), where, overrides)
    clash = next(
        (node.name for node in nodes if broker.port and node.rpc_port == broker.port), None
    )
    if clash is not None:
        raise where.error(
            "broker.port", f"port {broker.port} is also {clash}'s rpc port: pick another"
        )
    apps = resolve_apps(document.get("apps", []), base, where)
    contexts = _contexts(document.get("contexts", []), cluster, (declared, nodes), apps, where)
    table = document.get("build", {})
    build = BuildSettings(table.get("deploy_on_type_errors", False))
    security = SecuritySettings(document.get("security", {}).get("token"))
    return DevnetConfig(
        path,
        cluster,
        nodes,
        broker,
        apps,
        contexts,
        overrides.fresh,
        build,
        security,
        overrides.from_snapshot,
    )


def _cluster(table: dict[str, Any], base: Path, overrides: Overrides) -> ClusterSettings:
    data_dir = base / Path(table.get("data_dir", ".devnet")).expanduser()
    if overrides.data_dir is not None:
        data_dir = Path.cwd() / overrides.data_dir.expanduser()
    level = table.get("log_level", "info")
    return ClusterSettings(table.get("name", "devnet"), data_dir.resolve(), level)


def _nodes(
    table: dict[str, Any], cluster: ClusterSettings, where: Where, overrides: Overrides
) -> tuple[list[str], tuple[NodeSettings, ...]]:
    """The declared node names, and the nodes to run (after ``--nodes``)."""
    if "count" in table and "names" in table:
        raise where.error("nodes.names", "give nodes.count or nodes.names, not both")
    count = table.get("count", 3)
    declared = list(table.get("names") or (f"node-{i}" for i in range(1, count + 1)))
    names = declared if overrides.nodes is None else _override_count(declared, overrides.nodes)
    own = {key: value for key, value in table.items() if isinstance(value, dict)}
    for key in (key for key in own if key not in declared):
        problem = f"no node {key!r}{did_you_mean(key, declared)} (nodes: {', '.join(declared)})"
        raise where.error(join("nodes", key), f"{problem}: fix the name, or add it to nodes.names")
    ports = _ports(table.get("base_port", AUTO), names, own, where)
    nodes = tuple(
        NodeSettings(
            name, index, ports[name], own.get(name, {}).get("log_level", cluster.log_level)
        )
        for index, name in enumerate(names, start=1)
    )
    return declared, nodes


def _override_count(declared: list[str], count: int) -> list[str]:
    if not 1 <= count <= MAX_NODES:
        raise ConfigError(f"--nodes {count}: out of range: use 1..{MAX_NODES}")
    names = declared[:count]
    number = 1
    while len(names) < count:
        if f"node-{number}" not in declared:
            names.append(f"node-{number}")
        number += 1
    return names


def _ports(
    base_port: int | str, names: list[str], own: dict[str, dict[str, Any]], where: Where
) -> dict[str, int]:
    if base_port != AUTO and int(base_port) + len(names) - 1 > 65535:
        fix = f"use a base_port of at most {65536 - len(names)}"
        raise where.error(
            "nodes.base_port", f"{len(names)} nodes from {base_port} pass 65535: {fix}"
        )
    ports: dict[str, int] = {}
    taken: dict[int, str] = {}
    for index, name in enumerate(names):
        default = AUTO if base_port == AUTO else int(base_port) + index
        port = own.get(name, {}).get("rpc_port", default)
        ports[name] = 0 if port == AUTO else int(port)
        other = taken.setdefault(ports[name], name) if ports[name] else name
        if other != name:
            explicit = next((n for n in (name, other) if "rpc_port" in own.get(n, {})), None)
            key = join(join("nodes", explicit), "rpc_port") if explicit else "nodes.base_port"
            raise where.error(key, f"port {ports[name]} is both {other}'s and {name}'s: "
                              "give each node its own port")  # fmt: skip
    return ports


def _broker(table: dict[str, Any], where: Where, overrides: Overrides) -> BrokerSettings:
    kind = table.get("kind", "embedded")
    url = table.get("url")
    if kind == "external":
        if url is None:
            fix = 'add url = "mqtt://127.0.0.1:1883" (the broker\'s address)'
            raise where.error("broker.url", f'required when kind = "external": {fix}')
        if "port" in table:
            raise where.error(
                "broker.port", "an external broker's port is part of its url: remove port"
            )
        _check_url(url, lambda problem: where.error("broker.url", problem))
    elif url is not None:
        fix = 'remove url, or set kind = "external" to use a broker that is already running'
        raise where.error(
            "broker.url", f'only used with kind = "external" (kind is "{kind}"): {fix}'
        )
    port = table.get("port", AUTO)
    settings = BrokerSettings(kind, url, 0 if port == AUTO else port)
    return settings if overrides.broker is None else _override_broker(overrides.broker, settings)


def _override_broker(value: str, settings: BrokerSettings) -> BrokerSettings:
    if value in BROKER_KINDS and value != "external":
        port = settings.port if settings.kind == value else 0
        return BrokerSettings("embedded" if value == "embedded" else "mosquitto", None, port)
    _check_url(value, lambda problem: ConfigError(f"--broker {problem}; or embedded, mosquitto"))
    return BrokerSettings("external", value, 0)


def _check_url(url: str, error: Callable[[str], ConfigError]) -> None:
    fix = "write e.g. mqtt://127.0.0.1:1883 (mqtts://USER@HOST:PORT for TLS and a login)"
    try:
        explicit_port = urlsplit(url).port is not None
        parse_broker_url(url)
    except (ConfigError, ValueError):
        explicit_port = False
    if not explicit_port:
        raise error(f"{url!r} is not mqtt://HOST:PORT: {fix}")


def _contexts(
    entries: list[dict[str, Any]],
    cluster: ClusterSettings,
    nodes: tuple[list[str], tuple[NodeSettings, ...]],
    apps: tuple[AppSettings, ...],
    where: Where,
) -> tuple[ContextSettings, ...]:
    declared, running = nodes[0], tuple(node.name for node in nodes[1])
    if not entries:
        return tuple(
            ContextSettings(app.name, app.name, {}, running, default_seed(cluster, app.name))
            for app in apps
        )
    contexts: dict[str, ContextSettings] = {}
    for position, entry in enumerate(entries):
        at = f"contexts[{position}]"
        app = _context_app(entry, apps, at, where)
        name = entry.get("name", app)
        if name in contexts:
            fix = "give each context its own name (name = ...)"
            raise where.error(join(at, "name"), f"a context named {name!r} exists already: {fix}")
        members = _members(entry.get("members"), declared, running, at, where)
        seed = entry.get("seed", default_seed(cluster, name))
        if not seed:
            raise where.error(join(at, "seed"), "is empty: leave it out for the default seed")
        contexts[name] = ContextSettings(name, app, entry.get("init", {}), members, seed)
    return tuple(contexts.values())


def default_seed(cluster: ClusterSettings, context: str) -> str:
    """The seed of a context that names none: the same cluster and name give the same id."""
    return f"{cluster.name}/{context}"


def _context_app(
    entry: dict[str, Any], apps: tuple[AppSettings, ...], at: str, where: Where
) -> str:
    names = [app.name for app in apps]
    app = entry.get("app")
    if app is None and len(apps) == 1:
        return names[0]
    if app is None:
        raise where.error(
            join(at, "app"), f"missing: say which app it runs, one of {', '.join(names)}"
        )
    if app not in names:
        problem = f"no app {app!r}{did_you_mean(app, names)} (apps: {', '.join(names)})"
        raise where.error(join(at, "app"), f"{problem}: fix the name, or declare it in [[apps]]")
    return str(app)


def _members(
    listed: list[str] | None, declared: list[str], running: tuple[str, ...], at: str, where: Where
) -> tuple[str, ...]:
    if listed is None:
        return running
    for member in listed:
        if member not in declared:
            problem = f"no node {member!r}{did_you_mean(member, declared)}"
            fix = f"(nodes: {', '.join(declared)}): fix the name, or add the node to [nodes]"
            raise where.error(join(at, "members"), f"{problem} {fix}")
    members = tuple(member for member in listed if member in running)
    if not members:
        raise ConfigError(f"--nodes {len(running)} leaves {at} without members: run more nodes")
    return members
