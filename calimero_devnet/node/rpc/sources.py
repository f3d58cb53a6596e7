"""Provides reading an app's WASM bytes from a local path or a ``file://``/``http(s)://`` URL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiohttp

from calimero_devnet.node.rpc.replies import AdminRequestError

MAX_WASM_BYTES = 256 * 1024 * 1024
FETCH_TIMEOUT_S = 60.0


async def read_wasm_path(text: str) -> bytes:
    """Read a WASM file named by an absolute path; refuse with a message naming it."""
    path = Path(text)
    if not path.is_absolute():
        raise AdminRequestError(400, f"path {text!r} is not absolute; the node resolves no cwd")
    return await asyncio.to_thread(_read_file, path)


async def fetch_wasm(url: str) -> bytes:
    """Fetch WASM bytes from a ``file://`` or ``http(s)://`` URL."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise AdminRequestError(
                400, f"file URL {url!r} names host {parts.netloc!r}; use file:///"
            )
        return await read_wasm_path(unquote(parts.path))
    if parts.scheme in ("http", "https"):
        return await _http_get(url)
    raise AdminRequestError(400, f"URL {url!r}: only file://, http:// and https:// are supported")


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_WASM_BYTES:
            raise AdminRequestError(413, f"{path} is {size} bytes; the limit is {MAX_WASM_BYTES}")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise AdminRequestError(404, f"no file at {path}: build the app first") from exc
    except IsADirectoryError as exc:
        raise AdminRequestError(400, f"{path} is a directory, not a .wasm file") from exc
    except PermissionError as exc:
        raise AdminRequestError(403, f"the node may not read {path}: {exc.strerror}") from exc


async def _http_get(url: str) -> bytes:
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as resp,
        ):
            if resp.status != 200:
                raise AdminRequestError(502, f"GET {url} answered HTTP {resp.status}")
            return await _read_limited(resp, url)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise AdminRequestError(502, f"cannot download {url}: {exc or type(exc).__name__}") from exc


async def _read_limited(resp: aiohttp.ClientResponse, url: str) -> bytes:
    body = bytearray()
    async for chunk in resp.content.iter_chunked(1 << 16):
        body.extend(chunk)
        if len(body) > MAX_WASM_BYTES:
            raise AdminRequestError(413, f"{url} is larger than {MAX_WASM_BYTES} bytes")
    return bytes(body)
