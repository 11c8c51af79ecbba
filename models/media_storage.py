"""Where uploaded media live, behind one interface: the data folder (the default) or S3-compatible
object storage (`media_storage = s3`, the `s3` extra). Every process of a node uses the same, so an
image uploaded through one is served by any other.

Names are the random ones social.media makes up (letters, digits, `-`, `_` and one extension);
nothing here accepts a name from a client or a remote server.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

# Stored names are never reused for other bytes: a CDN or browser may keep a file for good.
CACHE_CONTROL = "public, max-age=31536000, immutable"
# One byte range, as players ask for video and audio ("bytes=0-", "bytes=100-199", "bytes=-500").
SINGLE_RANGE = re.compile(r"bytes=(\d+-\d*|-\d+)")


@dataclass(frozen=True)
class Piece:
    """What `read` found: the bytes, and "bytes FIRST-LAST/SIZE" when they are a part of the file."""
    data: bytes
    content_range: str | None = None


class RangeNotSatisfiable(Exception):
    """The part asked for starts past the end of the file (416)."""


class StorageUnavailable(Exception):
    """Object storage did not answer or refused: the request answers 503 and may be tried again."""
    status = 503

    def __init__(self, detail: str):
        super().__init__("Media storage is unavailable; try again shortly")
        self.detail = detail


class MediaStorage(Protocol):
    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def put(self, name: str, data: bytes, content_type: str) -> None: ...
    async def get(self, name: str) -> bytes | None: ...
    async def read(self, name: str, byte_range: str | None = None) -> Piece | None:
        """The file, or the one part of it `byte_range` (an HTTP Range value) names; a Range the
        storage does not take is ignored and the whole file read, as HTTP allows."""
    async def delete(self, name: str) -> None: ...
    def local_file(self, name: str) -> Path | None:
        """The file itself when it is on this machine's disk (served straight from there)."""


class LocalStorage:
    """Files in one folder, written under a temporary name and renamed, so a reader never sees half."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".{name}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, self.directory / name)

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, name, data)

    async def get(self, name: str) -> bytes | None:
        path = self.local_file(name)
        return None if path is None else await asyncio.to_thread(path.read_bytes)

    async def read(self, name: str, byte_range: str | None = None) -> Piece | None:
        data = await self.get(name)  # served with FileResponse, which does ranges itself
        return None if data is None else Piece(data)

    async def delete(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)

    def local_file(self, name: str) -> Path | None:
        path = self.directory / name
        return path if path.is_file() else None


class S3Storage:
    """Objects in one bucket of an S3-compatible service (AWS, MinIO, Garage, Ceph…), through
    aiobotocore; one client per process, opened at start."""

    def __init__(self, *, bucket: str, endpoint: str = "", region: str = "us-east-1", access_key: str = "",
                 secret_key: str = "", prefix: str = ""):
        self.bucket, self.endpoint, self.region, self.prefix = bucket, endpoint, region, prefix
        self._credentials = (access_key or None, secret_key or None)
        self._stack = contextlib.AsyncExitStack()
        self._client = None

    async def start(self) -> None:
        try:
            from aiobotocore.config import AioConfig
            from aiobotocore.session import get_session
        except ImportError:
            raise RuntimeError("media_storage = s3 needs the s3 extra: pip install 'backchannel[s3]'") from None
        access_key, secret_key = self._credentials
        self._client = await self._stack.enter_async_context(get_session().create_client(
            "s3", endpoint_url=self.endpoint or None, region_name=self.region,
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
            # A request waits on this: one retry, and a storage that does not answer is a quick 503.
            config=AioConfig(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 2})))

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None

    def _key(self, name: str) -> str:
        return self.prefix + name

    @contextlib.contextmanager
    def _unavailable(self):  # noqa: ANN202
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError, OSError, asyncio.TimeoutError) as err:
            raise StorageUnavailable(f"{type(err).__name__}: {err}") from err

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        with self._unavailable():
            await self._client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data,
                                          ContentType=content_type, CacheControl=CACHE_CONTROL)

    async def get(self, name: str) -> bytes | None:
        piece = await self.read(name)
        return None if piece is None else piece.data

    async def read(self, name: str, byte_range: str | None = None) -> Piece | None:
        from botocore.exceptions import ClientError

        asked = {"Range": byte_range} if byte_range and SINGLE_RANGE.fullmatch(byte_range) else {}
        with self._unavailable():
            try:
                response = await self._client.get_object(Bucket=self.bucket, Key=self._key(name), **asked)
            except self._client.exceptions.NoSuchKey:
                return None
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") == "InvalidRange":
                    raise RangeNotSatisfiable(byte_range) from None
                raise
            async with response["Body"] as body:
                return Piece(await body.read(), response.get("ContentRange") if asked else None)

    async def delete(self, name: str) -> None:
        with self._unavailable():
            await self._client.delete_object(Bucket=self.bucket, Key=self._key(name))

    async def sizes(self) -> dict[str, int]:
        """Every stored object's name (the prefix taken off) and size in bytes."""
        out: dict[str, int] = {}
        with self._unavailable():
            async for page in self._client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    out[item["Key"][len(self.prefix):]] = item["Size"]
        return out

    @property
    def address(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def local_file(self, name: str) -> Path | None:
        return None


@dataclass
class Copied:
    copied: int = 0
    skipped: int = 0
    bytes: int = 0


def stored_files(folder: Path) -> list[Path]:
    """The files a LocalStorage folder holds (not the temporary ones a write leaves while it runs)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


async def copy_folder(folder: Path, target: S3Storage, content_type: Callable[[str], str], *,
                      progress: Callable[[int, int, str], None] | None = None, concurrency: int = 8) -> Copied:
    """Copy a LocalStorage folder into object storage. A file already there with the same size is
    skipped, so a second run copies nothing and an interrupted run picks up where it stopped (each
    object is written whole or not at all)."""
    files = stored_files(folder)
    there = await target.sizes()
    result, done = Copied(), 0
    slots = asyncio.Semaphore(concurrency)

    async def one(path: Path) -> None:
        nonlocal done
        size = path.stat().st_size
        if there.get(path.name) == size:
            result.skipped += 1
        else:
            async with slots:
                await target.put(path.name, await asyncio.to_thread(path.read_bytes), content_type(path.name))
            result.copied += 1
            result.bytes += size
        done += 1
        if progress is not None:
            progress(done, len(files), "")

    tasks = [asyncio.ensure_future(one(p)) for p in files]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    if progress is not None and not files:
        progress(0, 0, "")
    return result
