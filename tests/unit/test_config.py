"""devnet.toml: defaults, overrides, refusals naming file and key, schema and docs in step."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from calimero_devnet.config.load import (
    Overrides,
    find_config,
    load_config,
    main,
    schema_text,
)
from calimero_devnet.config.schema import all_key_paths
from calimero_devnet.errors import ConfigError
from calimero_devnet.templates import TEMPLATES_ENV

REPO = Path(__file__).resolve().parents[2]
TWO_APPS = '[[apps]]\npath = "app"\nsnapshot = true\n[[apps]]\npath = "lib.wasm"\n'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (also the cwd) with a TypeScript app ``app/`` and ``lib.wasm``."""
    (tmp_path / "app" / "src").mkdir(parents=True)
    (tmp_path / "app" / "src" / "index.ts").write_text("export {};\n")
    (tmp_path / "lib.wasm").write_bytes(b"\0asm\1\0\0\0")
    (tmp_path / "junk.wasm").write_bytes(b"<html>not found</html>")
    (tmp_path / "empty.wasm").write_bytes(b"")
    (tmp_path / "v13.wasm").write_bytes(b"\0asm\x0d\0\1\0")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "devnet.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(folder: Path) -> None:
    config = load_config(None)
    assert config.source is None
    assert [n.name for n in config.nodes] == ["node-1", "node-2", "node-3"]
    assert [(n.index, n.rpc_port, n.log_level) for n in config.nodes] == [
        (1, 0, "info"), (2, 0, "info"), (3, 0, "info"),
    ]  # fmt: skip
    assert config.cluster.name == "devnet"
    assert config.cluster.data_dir == folder.resolve() / ".devnet"
    assert (config.broker.kind, config.broker.url, config.broker.port) == ("embedded", None, 0)
    (app,) = config.apps
    assert (app.name, app.kind, app.bundled, app.watch) == ("kv-store", "typescript", True, False)
    assert app.path == REPO / "templates" / "kv-store"
    (context,) = config.contexts
    assert (context.name, context.app, context.init) == ("kv-store", "kv-store", {})
    assert context.members == ("node-1", "node-2", "node-3")
    assert context.seed == "devnet/kv-store"
    assert not config.fresh
    assert find_config(folder) is None


def test_an_empty_file_means_the_defaults(folder: Path) -> None:
    path = write(folder, "")
    assert find_config() == path
    config = load_config(path)
    assert config.source == path
    assert config.nodes == load_config(None).nodes


def test_a_full_file_resolves(folder: Path) -> None:
    text = (
        """
        [cluster]
        name = "demo"
        data_dir = "state"
        log_level = "warning"
        [nodes]
        names = ["alice", "bob", "carol"]
        base_port = 3000
        [nodes.bob]
        rpc_port = 4000
        log_level = "debug"
        [nodes.carol]
        rpc_port = "auto"
        [broker]
        kind = "external"
        url = "mqtt://10.0.0.2:1884"
    """
        + TWO_APPS
        + """
        [[contexts]]
        app = "app"
        init = { owner = "alice", limits = { max = 3 } }
        members = ["bob", "alice"]
        [[contexts]]
        name = "wasm-one"
        app = "lib"
        seed = "fixed"
    """
    )
    config = load_config(write(folder, text))
    assert config.cluster.data_dir == folder.resolve() / "state"
    ports = [(n.name, n.rpc_port, n.log_level) for n in config.nodes]
    assert ports == [("alice", 3000, "warning"), ("bob", 4000, "debug"), ("carol", 0, "warning")]
    assert config.broker.url == "mqtt://10.0.0.2:1884"
    assert [(a.name, a.kind, a.watch, a.snapshot) for a in config.apps] == [
        ("app", "typescript", True, True), ("lib", "wasm", True, None),
    ]  # fmt: skip
    assert config.app("lib").path == folder.resolve() / "lib.wasm"
    first, second = config.contexts
    assert first.init == {"owner": "alice", "limits": {"max": 3}}
    assert (first.members, first.seed) == (("bob", "alice"), "demo/app")
    assert (second.name, second.members, second.seed) == (
        "wasm-one",
        ("alice", "bob", "carol"),
        "fixed",
    )
    assert config.node("bob").index == 2


# (file text, key path named in the error, words the message must contain)
BAD = [
    ("nodse = 3", "nodse", "did you mean 'nodes'"),
    ("[nodes]\ncout = 3", "nodes.cout", "did you mean 'count'"),
    (
        '[nodes]\nnames = ["alice"]\n[nodes.alice]\nrpc_prot = 1',
        "nodes.alice.rpc_prot",
        "did you mean 'rpc_port'",
    ),
    ('[[apps]]\npath = "app"\nwatc = true', "apps[0].watc", "did you mean 'watch'"),
    ('[[apps]]\npath = "lib.wasm"\nsnapshot = true', "apps[0].snapshot", "TypeScript apps only"),
    ('[[apps]]\npath = "app"\nsnapshot = "yes"', "apps[0].snapshot", "expected true or false"),
    ('[cluster]\n"data dir" = "x"', 'cluster."data dir"', "did you mean 'data_dir'"),
    ("cluster = 3", "cluster", "expected a table"),
    ('[apps]\npath = "app"', "apps", "[[apps]]"),
    ('[nodes]\ncount = "3"', "nodes.count", "write count = 3"),
    ("[nodes]\ncount = true", "nodes.count", "expected an integer, got a boolean"),
    ("[nodes]\ncount = 0", "nodes.count", "use 1..64"),
    ("[nodes]\ncount = 65", "nodes.count", "use 1..64"),
    ("[nodes]\nnames = []", "nodes.names", "is empty"),
    ('[nodes]\nnames = ["a", "a"]', "nodes.names", "listed twice"),
    ('[nodes]\nnames = ["a b"]', "nodes.names", "not a valid name"),
    ('[nodes]\ncount = 2\nnames = ["a", "b"]', "nodes.names", "not both"),
    ("[nodes.node-7]\nrpc_port = 1", "nodes.node-7", "no node 'node-7'"),
    ("[nodes]\nbase_port = 0", "nodes.base_port", 'a port or "auto"'),
    ("[nodes]\nbase_port = 65534", "nodes.base_port", "at most 65533"),
    (
        "[nodes]\nbase_port = 3000\n[nodes.node-3]\nrpc_port = 3000",
        "nodes.node-3.rpc_port",
        "give each node its own port",
    ),
    ('[cluster]\nname = "a/b"', "cluster.name", "not a valid name"),
    ('[cluster]\nlog_level = "verbose"', "cluster.log_level", 'one of "debug"'),
    ('[broker]\nkind = "extrenal"', "broker.kind", "did you mean 'external'"),
    ('[broker]\nkind = "external"', "broker.url", "required"),
    ('[broker]\nkind = "external"\nurl = "http://x:1"', "broker.url", "mqtt://HOST:PORT"),
    ('[broker]\nkind = "external"\nurl = "mqtt://x"', "broker.url", "mqtt://HOST:PORT"),
    ('[broker]\nkind = "external"\nurl = "mqtt://x:99999"', "broker.url", "mqtt://HOST:PORT"),
    ('[broker]\nkind = "external"\nurl = "mqtt://x:1"\nport = 2', "broker.port", "remove port"),
    ('[broker]\nurl = "mqtt://x:1"', "broker.url", 'set kind = "external"'),
    ("[broker]\nport = 70000", "broker.port", "not a port"),
    ("[nodes]\nbase_port = 3000\n[broker]\nport = 3001", "broker.port", "node-2's rpc port"),
    ('[[apps]]\nname = "x"', "apps[0].path", "missing"),
    ('[[apps]]\npath = "nope"', "apps[0].path", "does not exist"),
    ('[[apps]]\npath = "."', "apps[0].path", "src/index.ts"),
    ('[[apps]]\npath = "devnet.toml"', "apps[0].path", "neither a folder nor a .wasm"),
    ('[[apps]]\npath = "junk.wasm"', "apps[0].path", "junk.wasm is not a WebAssembly module"),
    ('[[apps]]\npath = "empty.wasm"', "apps[0].path", "empty.wasm is not a WebAssembly module"),
    ('[[apps]]\npath = "v13.wasm"', "apps[0].path", "v13.wasm is not a version 1 WebAssembly"),
    ('[[apps]]\npath = "app"\n[[apps]]\npath = "app"', "apps[1].name", "names two apps"),
    ('[[apps]]\npath = "app"\n[[contexts]]\napp = "ap"', "contexts[0].app", "did you mean 'app'"),
    (TWO_APPS + "[[contexts]]\ninit = {}", "contexts[0].app", "one of app, lib"),
    (
        '[[apps]]\npath = "app"\n[[contexts]]\nmembers = ["node-1", "nod-2"]',
        "contexts[0].members",
        "did you mean 'node-2'",
    ),
    ('[[apps]]\npath = "app"\n[[contexts]]\n[[contexts]]', "contexts[1].name", "exists already"),
    ('[[apps]]\npath = "app"\n[[contexts]]\ninit = 3', "contexts[0].init", "expected a table"),
    ('[[apps]]\npath = "app"\n[[contexts]]\nseed = ""', "contexts[0].seed", "is empty"),
    ('[build]\ndeploy_on_type_errors = "yes"', "build.deploy_on_type_errors", "true or false"),
    ("[build]\ndeploy_on_type_error = true", "build.deploy_on_type_error", "did you mean"),
]


@pytest.mark.parametrize(("text", "key", "words"), BAD)
def test_a_bad_file_is_refused_naming_file_key_and_fix(
    folder: Path, text: str, key: str, words: str
) -> None:
    path = write(folder, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert words in message


def test_type_errors_block_a_redeploy_unless_build_says_otherwise(folder: Path) -> None:
    assert not load_config(None).build.deploy_on_type_errors
    assert not load_config(write(folder, "[build]\n")).build.deploy_on_type_errors
    switched = load_config(write(folder, "[build]\ndeploy_on_type_errors = true\n"))
    assert switched.build.deploy_on_type_errors


def test_syntax_errors_and_missing_files_name_the_file(folder: Path) -> None:
    path = write(folder, "[nodes]\ncount = \n")
    with pytest.raises(ConfigError, match=r"devnet\.toml: not valid TOML: .*line 2"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"other\.toml: no such file"):
        load_config(folder / "other.toml")


def test_overrides_win_over_the_file(folder: Path) -> None:
    text = '[nodes]\nnames = ["alice", "node-2"]\n[[apps]]\npath = "app"\n'
    path = write(folder, text + '[[contexts]]\nmembers = ["node-2", "alice"]\n')
    config = load_config(path, Overrides(nodes=4, broker="mqtt://127.0.0.1:1999", fresh=True))
    assert [n.name for n in config.nodes] == ["alice", "node-2", "node-1", "node-3"]
    assert (config.broker.kind, config.broker.url) == ("external", "mqtt://127.0.0.1:1999")
    assert config.fresh
    fewer = load_config(path, Overrides(nodes=1, broker="mosquitto", data_dir=Path("elsewhere")))
    assert [n.name for n in fewer.nodes] == ["alice"]
    assert fewer.contexts[0].members == ("alice",)  # node-2 is not running
    assert fewer.broker.kind == "mosquitto"
    assert fewer.cluster.data_dir == folder.resolve() / "elsewhere"


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (Overrides(nodes=0), "--nodes 0: out of range: use 1..64"),
        (Overrides(broker="mqtt//x"), "--broker 'mqtt//x' is not mqtt://HOST:PORT"),
        (Overrides(nodes=1), "--nodes 1 leaves contexts[0] without members"),
    ],
)
def test_bad_overrides_name_the_option(folder: Path, overrides: Overrides, words: str) -> None:
    path = write(folder, '[[apps]]\npath = "app"\n[[contexts]]\nmembers = ["node-2"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides)
    assert str(caught.value).startswith(words)


def test_a_missing_bundled_template_is_explained(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEMPLATES_ENV, str(folder / "nowhere"))
    with pytest.raises(ConfigError, match=r"bundled template 'kv-store' is missing .*nowhere"):
        load_config(None)
    assert load_config(write(folder, '[[apps]]\npath = "app"\n')).apps[0].name == "app"


def test_the_example_file_parses_and_shows_every_key() -> None:
    example = REPO / "devnet.toml"
    config = load_config(example)
    assert config.apps[0].path == REPO / "templates" / "kv-store"
    assert [n.name for n in config.nodes] == ["node-1", "node-2", "node-3"]
    text = example.read_text(encoding="utf-8")
    leaves = {key: key.rsplit(".", 1)[1] for key in all_key_paths()}
    missing = [key for key, leaf in leaves.items() if not re.search(rf"^#? ?{leaf} = ", text, re.M)]
    assert missing == []


def test_the_reference_documents_every_key() -> None:
    text = (REPO / "docs" / "devnet-toml.md").read_text(encoding="utf-8")
    assert [key for key in all_key_paths() if f"`{key}`" not in text] == []


def test_the_committed_schema_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    committed = (REPO / "docs" / "devnet.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), (
        "run: python -m calimero_devnet.config.load --schema > docs/devnet.schema.json"
    )
    assert main(["--schema"]) == 0
    assert capsys.readouterr().out == committed


def test_the_check_command_prints_the_config_or_the_error(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(write(folder, "[nodes]\ncount = 2\n"))]) == 0
    assert '"name": "node-2"' in capsys.readouterr().out
    assert main([str(write(folder, "[nodes]\ncount = 99\n"))]) == 2
    assert "nodes.count: 99 is out of range" in capsys.readouterr().err


def test_the_security_token_is_checked_and_never_echoed(folder: Path) -> None:
    assert load_config(None).security.token is None
    generated = load_config(write(folder, '[security]\ntoken = "generate"\n'))
    assert generated.security.token == "generate"
    own = load_config(write(folder, '[security]\ntoken = "Abcdefgh-12345678"\n'))
    assert own.security.token == "Abcdefgh-12345678"
    assert "Abcdefgh-12345678" not in json.dumps(own.to_json()) + repr(own)
    with pytest.raises(ConfigError, match=r"security\.token: this is not a valid token") as bad:
        load_config(write(folder, '[security]\ntoken = "almost-my-token"\n'))  # 15 characters
    assert "almost-my-token" not in str(bad.value)
