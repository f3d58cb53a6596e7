"""Provides broker URLs: ``mqtt://`` or ``mqtts://``, with credentials and a CA file.

The forms a user may write (``devnet.toml`` ``[broker] url``, ``--broker``, ``--join``)::

    mqtt://HOST[:PORT]                    plain TCP, port 1883 by default
    mqtts://HOST[:PORT]                   TLS, port 8883 by default
    mqtt[s]://USER[:PASSWORD]@HOST:PORT   username and password on the connection
    mqtts://HOST:PORT?ca_file=/path.pem   trust this CA (else the system's store)

A password left out of the URL is taken from ``$DEVNET_BROKER_PASSWORD`` when the URL names
a user (``with_env_password``): the manager hands its nodes the URL without the password,
so it shows neither in ``ps`` nor in ``cluster.json``. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from calimero_devnet.errors import ConfigError

DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883
PASSWORD_ENV = "DEVNET_BROKER_PASSWORD"  # noqa: S105  (the variable's name, not a password)
FORM = "mqtt://host:port (or mqtts://user:password@host:port?ca_file=/ca.pem)"
_SCHEMES = {"mqtt": False, "tcp": False, "mqtts": True, "ssl": True}


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where an MQTT broker listens, and how to log in to it."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None

    @property
    def url(self) -> str:
        """The URL without the password (safe to show, log and hand to a child process)."""
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{quote(self.username, safe='')}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?ca_file={quote(str(self.ca_file))}" if self.ca_file else ""
        return f"{scheme}://{user}{host}:{self.port}{query}"

    @property
    def secret_url(self) -> str:
        """The URL with the password (for this process's own connections only)."""
        if self.password is None or self.username is None:
            return self.url
        user = quote(self.username, safe="")
        return self.url.replace(f"{user}@", f"{user}:{quote(self.password, safe='')}@", 1)


def parse_broker_url(url: str) -> BrokerAddress:
    """Parse one of the forms in the module docstring.

    Raises:
        ConfigError: naming the URL, what is wrong and the expected form.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"broker URL {url!r}: {exc}; expected {FORM}") from exc
    if parts.scheme not in _SCHEMES or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigError(f"broker URL {url!r} is not of the form {FORM}")
    if parts.fragment:
        raise ConfigError(f"broker URL {url!r} has a #fragment: remove it")
    tls = _SCHEMES[parts.scheme]
    return BrokerAddress(
        parts.hostname,
        port or (DEFAULT_TLS_PORT if tls else DEFAULT_PORT),
        tls,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password is not None else None,
        _ca_file(url, tls, parts.query),
    )


def shown(url: str) -> str:
    """``url`` without its password (as given, if it does not parse)."""
    try:
        return parse_broker_url(url).url
    except ConfigError:
        return url


def _ca_file(url: str, tls: bool, query: str) -> Path | None:
    try:
        fields = parse_qs(query, strict_parsing=bool(query))
    except ValueError as exc:
        raise ConfigError(f"broker URL {url!r}: bad query ({exc}); only ca_file=PATH") from exc
    unknown = sorted(set(fields) - {"ca_file"})
    if unknown:
        raise ConfigError(f"broker URL {url!r}: unknown option {unknown[0]!r}; only ca_file=PATH")
    values = fields.get("ca_file")
    if not values:
        return None
    if not tls:
        raise ConfigError(f"broker URL {url!r}: ca_file needs TLS: write mqtts://")
    return Path(values[-1]).expanduser()


def with_env_password(address: BrokerAddress, env: Mapping[str, str]) -> BrokerAddress:
    """``address`` with the password from ``$DEVNET_BROKER_PASSWORD`` if it names a user and
    lacks one."""
    if address.username is None or address.password is not None or PASSWORD_ENV not in env:
        return address
    return replace(address, password=env[PASSWORD_ENV])


def with_login(
    address: BrokerAddress,
    username: str | None = None,
    password: str | None = None,
    ca_file: Path | None = None,
) -> BrokerAddress:
    """``address`` with the options given on the command line in place of the URL's.

    Raises:
        ConfigError: a CA file for a plain-TCP URL, or a password without a user.
    """
    if ca_file is not None and not address.tls:
        raise ConfigError("--ca-file needs a TLS broker: write mqtts://HOST:PORT")
    user = username if username is not None else address.username
    if password is not None and user is None:
        raise ConfigError("--password needs a user: add --username NAME (or NAME@ in the URL)")
    return replace(
        address,
        username=user,
        password=password if password is not None else address.password,
        ca_file=ca_file if ca_file is not None else address.ca_file,
    )
