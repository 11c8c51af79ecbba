"""Media storage: the data folder and S3-compatible object storage (moto's S3 server on loopback)
behave alike behind one interface."""
from __future__ import annotations

import pytest

from models.media_storage import LocalStorage, RangeNotSatisfiable, S3Storage, StorageUnavailable
from tests.rig.nodes import free_port
from tests.rig.s3 import ACCESS_KEY, REGION, SECRET_KEY, create_bucket, s3_server


@pytest.fixture(scope="module")
def s3_endpoint():
    with s3_server() as endpoint:
        create_bucket(endpoint, "media")
        yield endpoint


def s3(endpoint: str, **kw) -> S3Storage:  # noqa: ANN003
    return S3Storage(bucket="media", endpoint=endpoint, region=REGION, access_key=ACCESS_KEY,
                     secret_key=SECRET_KEY, **kw)


@pytest.fixture(params=["local", "s3"])
async def storage(request, tmp_path, s3_endpoint):
    store = LocalStorage(tmp_path / "media") if request.param == "local" else s3(s3_endpoint, prefix="t/")
    await store.start()
    yield store
    await store.close()


async def test_what_is_put_is_read_back_and_deleted(storage):
    # Given an image put in storage
    await storage.put("abcdefghijklmnop.png", b"\x89PNG pixels", "image/png")
    # Then it is read back as it was put, and a name never put is absent
    assert await storage.get("abcdefghijklmnop.png") == b"\x89PNG pixels"
    assert await storage.get("qrstuvwxyzabcdef.png") is None
    # And once deleted it is gone (deleting again is no error)
    await storage.delete("abcdefghijklmnop.png")
    assert await storage.get("abcdefghijklmnop.png") is None
    await storage.delete("abcdefghijklmnop.png")


async def test_two_processes_share_one_bucket(s3_endpoint):
    first, second = s3(s3_endpoint), s3(s3_endpoint)
    await first.start()
    await second.start()
    try:
        await first.put("sharedsharedshared.jpg", b"jpeg", "image/jpeg")
        assert await second.get("sharedsharedshared.jpg") == b"jpeg"
        assert first.local_file("sharedsharedshared.jpg") is None  # served from the bucket, not a disk
    finally:
        await first.close()
        await second.close()


async def test_storage_that_does_not_answer_is_unavailable_not_a_crash():
    gone = S3Storage(bucket="media", endpoint=f"http://127.0.0.1:{free_port()}", region=REGION,
                     access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    await gone.start()
    try:
        with pytest.raises(StorageUnavailable):
            await gone.put("nobodyhomenobody.png", b"x", "image/png")
        with pytest.raises(StorageUnavailable):
            await gone.get("nobodyhomenobody.png")
    finally:
        await gone.close()


async def test_a_part_of_a_file_is_read_as_players_ask_for_it(s3_endpoint):
    store = s3(s3_endpoint)
    await store.start()
    try:
        await store.put("partsofavideofile.mp4", bytes(range(100)), "video/mp4")
        part = await store.read("partsofavideofile.mp4", "bytes=10-19")
        assert part.data == bytes(range(10, 20)) and part.content_range == "bytes 10-19/100"
        assert (await store.read("partsofavideofile.mp4", "bytes=-5")).data == bytes(range(95, 100))
        whole = await store.read("partsofavideofile.mp4", "bytes=1-2,5-6")  # several parts: the whole file
        assert whole.data == bytes(range(100)) and whole.content_range is None
        with pytest.raises(RangeNotSatisfiable):
            await store.read("partsofavideofile.mp4", "bytes=500-")
    finally:
        await store.close()


async def test_a_data_folder_is_copied_into_the_bucket_once_and_an_interrupted_copy_resumes(s3_endpoint, tmp_path):
    from backchannel.cli_media import content_type
    from models.media_storage import copy_folder

    # Given a node's media folder (a write in progress leaves a hidden temporary file) and a bucket
    folder = tmp_path / "media"
    folder.mkdir()
    files = {"copyfolderupload1.png": b"\x89PNG one", "copyfolderupload2.jpg": b"\xff\xd8\xff two",
             "cache-0123456789abcdef.webm": b"\x1a\x45\xdf\xa3 three"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / ".copyfolderupload3.png.tmp").write_bytes(b"half")
    store = s3(s3_endpoint, prefix="copy/")
    await store.start()
    try:
        # When the folder is copied (as if interrupted after one file: that one is there already)
        await store.put("copyfolderupload1.png", files["copyfolderupload1.png"], "image/png")
        steps: list[tuple[int, int]] = []
        first = await copy_folder(folder, store, content_type, progress=lambda d, t, _: steps.append((d, t)))
        # Then the others are copied whole, with their types, and the temporary file is not
        assert (first.copied, first.skipped) == (2, 1) and steps[-1] == (3, 3)
        assert await store.sizes() == {name: len(data) for name, data in files.items()}
        assert await store.get("cache-0123456789abcdef.webm") == files["cache-0123456789abcdef.webm"]
        # When it runs again after one file changed size (a half-written object) and one was added
        (folder / "copyfolderupload2.jpg").write_bytes(b"\xff\xd8\xff two, whole")
        (folder / "copyfolderupload4.gif").write_bytes(b"GIF89a four")
        second = await copy_folder(folder, store, content_type)
        # Then only those two are sent
        assert (second.copied, second.skipped) == (2, 2)
        assert await store.get("copyfolderupload2.jpg") == b"\xff\xd8\xff two, whole"
    finally:
        await store.close()


async def test_the_copy_command_shows_progress_and_says_what_it_did(s3_endpoint, tmp_path):
    import os
    import subprocess
    import sys

    from tests.rig.s3 import s3_settings

    # Given a data folder with two files, one of them in the bucket already, and the S3 settings the
    # node will use (while it still keeps media in its folder)
    (tmp_path / "media").mkdir()
    for name in ("commandcopyfile1.png", "commandcopyfile2.mp4"):
        (tmp_path / "media" / name).write_bytes(b"x" * 1000)
    store = s3(s3_endpoint, prefix="cli/")
    await store.start()
    try:
        await store.put("commandcopyfile1.png", b"x" * 1000, "image/png")
    finally:
        await store.close()
    env = {**os.environ, **s3_settings(s3_endpoint, "media"), "BACKCHANNEL_S3_PREFIX": "cli/",
           "BACKCHANNEL_MEDIA_STORAGE": "local"}
    # When the command runs
    done = subprocess.run([sys.executable, "-m", "backchannel", "media", "copy-to-s3", "--data", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=120)
    # Then it copies the missing one with a progress line on stderr and says what it did
    assert done.returncode == 0, done.stderr
    assert "copying media: 2/2" in done.stderr
    assert done.stdout.strip() == "copied 1 file (0.0 MB) to s3://media/cli/; 1 was there already"
