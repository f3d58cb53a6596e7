"""Provides reading an app's WASM bytes from a local path or a ``file://``/``http(s)://`` URL."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp

from calimero_devnet.node.rpc.replies import AdminRequestError

MAX_WASM_BYTES = 256 * 1024 * 1024
FETCH_TIMEOUT_S = 60.0
MAX_REDIRECTS = 5
WASM_MAGIC = b"\0asm"
_WEB = ("http", "https")
_NOT_WASM = "is not a WebAssembly module (it does not start with the \\0asm magic)"


async def read_wasm_path(text: str) -> bytes:
    """Read a WASM file named by an absolute path; refuse with a message naming it.

    The node reads files for any local client, so the name, the kind of file and its first
    four bytes are checked before the rest is read, and no refusal quotes what it read
    (``/etc/shadow`` must not come back as "it starts with b'root:*:…'").
    """
    _check_name(text)
    path = Path(text)
    if not path.is_absolute():
        raise AdminRequestError(400, f"path {text!r} is not absolute; the node resolves no cwd")
    if path.suffix != ".wasm":
        raise AdminRequestError(400, f"{path} is not a .wasm file: give the built app's path")
    return await asyncio.to_thread(_read_file, path)


async def fetch_wasm(url: str) -> bytes:
    """Fetch WASM bytes from a ``file://`` or ``http(s)://`` URL."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. "http://[::1": an IPv6 host without its bracket
        raise AdminRequestError(400, f"URL {url!r} does not parse: {exc}") from exc
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise AdminRequestError(
                400, f"file URL {url!r} names host {parts.netloc!r}; use file:///"
            )
        return await read_wasm_path(unquote(parts.path))
    if parts.scheme in _WEB:
        return await _http_get(url)
    raise AdminRequestError(400, f"URL {url!r}: only file://, http:// and https:// are supported")


def _check_name(text: str) -> None:
    """Refuse what no file can be called: ``os`` would raise ValueError or UnicodeError."""
    if "\0" in text:
        raise AdminRequestError(400, f"path {text!r} holds a NUL character: no file is named so")
    try:
        os.fsencode(text)
    except UnicodeEncodeError as exc:  # a lone surrogate (JSON "\ud800") has no bytes
        raise AdminRequestError(400, f"path {text!r} is not a file name: {exc.reason}") from exc


def _read_file(path: Path) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO must not hang the node; fstat then judges what opened.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise AdminRequestError(404, f"no file at {path}: build the app first") from exc
    except PermissionError as exc:
        raise AdminRequestError(403, f"the node may not read {path}: {exc.strerror}") from exc
    except OSError as exc:
        raise AdminRequestError(400, f"cannot open {path}: {exc.strerror}") from exc
    try:
        _check_regular(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as file:
        if file.read(len(WASM_MAGIC)) != WASM_MAGIC:
            raise AdminRequestError(400, f"{path} {_NOT_WASM}")
        return WASM_MAGIC + file.read()


def _check_regular(path: Path, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise AdminRequestError(400, f"{path} is a directory, not a .wasm file")
    if not stat.S_ISREG(info.st_mode):  # a device, FIFO or socket: endless or not a file
        raise AdminRequestError(400, f"{path} is not a regular file")
    if info.st_size > MAX_WASM_BYTES:
        message = f"{path} is {info.st_size} bytes; the limit is {MAX_WASM_BYTES}"
        raise AdminRequestError(413, message)


async def _http_get(url: str) -> bytes:
    # A total deadline, and a connect one: an address that swallows SYNs must not hold
    # the request for the whole minute before saying so.
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S, sock_connect=10.0)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            return await _follow(session, url)
    except (aiohttp.ClientError, TimeoutError) as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
        raise AdminRequestError(502, f"cannot download {url}: {reason}") from exc


async def _follow(session: aiohttp.ClientSession, url: str) -> bytes:
    """GET ``url``, following at most MAX_REDIRECTS redirects, each to http(s) only."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        async with session.get(current, allow_redirects=False) as resp:
            if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                current = urljoin(str(resp.url), resp.headers["Location"])
                scheme = urlsplit(current).scheme
                if scheme not in _WEB:
                    message = f"GET {url} redirects to a {scheme or 'schemeless'} URL"
                    raise AdminRequestError(502, f"{message}; only http(s) is followed")
                continue
            if resp.status != 200:
                raise AdminRequestError(502, f"GET {url} answered HTTP {resp.status}")
            return await _read_limited(resp, url)
    raise AdminRequestError(502, f"GET {url} redirects more than {MAX_REDIRECTS} times")


async def _head(stream: aiohttp.StreamReader, size: int) -> bytes:
    """The first ``size`` bytes of a body (fewer if it is shorter)."""
    head = b""
    while len(head) < size and (chunk := await stream.read(size - len(head))):
        head += chunk
    return head


async def _read_limited(resp: aiohttp.ClientResponse, url: str) -> bytes:
    if (resp.content_length or 0) > MAX_WASM_BYTES:
        raise AdminRequestError(413, f"{url} is larger than {MAX_WASM_BYTES} bytes")
    head = await _head(resp.content, len(WASM_MAGIC))
    if head != WASM_MAGIC:  # checked before the rest is read; the answer is never quoted
        raise AdminRequestError(400, f"{url} {_NOT_WASM}")
    body = bytearray(head)
    async for chunk in resp.content.iter_chunked(1 << 16):
        body.extend(chunk)
        if len(body) > MAX_WASM_BYTES:
            raise AdminRequestError(413, f"{url} is larger than {MAX_WASM_BYTES} bytes")
    return bytes(body)
