"""`backchannel media copy-to-s3`: a node moving from its data folder to object storage copies its
media into the bucket first, with a progress bar; run again, it copies only what is missing."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
from typing import Callable

from backchannel.config import Config

DESCRIPTION = """\
Copy the media in the data folder (DATA/media: uploads, thumbnails, avatars, cached remote files)
into the S3 bucket the settings name (s3_bucket, s3_endpoint, s3_region, s3_prefix and the keys),
under their own names, with a progress bar. A file already in the bucket with the same size is
skipped: run it again after an interruption, or once more just before switching, and it copies only
what is missing. Nothing in the data folder is changed or deleted.

Moving a node: run this while the node still serves from its folder; stop the node; run it again
(it copies what was uploaded meanwhile); start every process with media_storage = s3."""


def add_commands(commands, common: Callable[[argparse.ArgumentParser], None]) -> None:  # noqa: ANN001
    media = commands.add_parser("media", help="media storage").add_subparsers(
        dest="media_command", metavar="ACTION", required=True)
    copy = media.add_parser("copy-to-s3", help="copy the data folder's media into the S3 bucket",
                            description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(copy)
    copy.add_argument("--concurrency", type=int, default=8, metavar="N", help="files sent at once (default 8)")
    copy.set_defaults(handler=cmd_copy_to_s3)


def content_type(name: str) -> str:
    from social.media import CONTENT_TYPES
    from social.media_cache import KINDS

    known = {ext: ctype for _, ext, ctype in KINDS} | {"wav": "audio/wav", "webm": "video/webm"} | CONTENT_TYPES
    return known.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def cmd_copy_to_s3(config: Config, args: argparse.Namespace) -> int:
    from backchannel.app import media_storage
    from backchannel.fatal import Fatal
    from backchannel.progress import Progress
    from models.media_storage import StorageUnavailable, copy_folder

    from backchannel.config import S3_EXTRA, installed

    if not installed("aiobotocore"):
        raise Fatal(S3_EXTRA)
    if not config.s3_bucket:
        raise Fatal("media copy-to-s3 needs the bucket: set s3_bucket (and s3_endpoint, the keys…) "
                    "as the node will use them")
    folder = config.media_dir
    if not folder.is_dir():
        raise Fatal(f"no media folder at {folder} (is --data the node's data folder?)")
    target = media_storage(dataclasses.replace(config, media_storage="s3"))

    async def run():  # noqa: ANN202
        await target.start()
        try:
            return await copy_folder(folder, target, content_type, progress=Progress("copying media"),
                                     concurrency=max(1, args.concurrency))
        finally:
            await target.close()

    try:
        done = asyncio.run(run())
    except StorageUnavailable as err:
        raise Fatal(f"the bucket cannot be written: {err.detail}") from None
    print(f"copied {done.copied} file{'' if done.copied == 1 else 's'} ({done.bytes / 1e6:.1f} MB) to "
          f"{target.address}; {done.skipped} {'was' if done.skipped == 1 else 'were'} there already")
    return 0
