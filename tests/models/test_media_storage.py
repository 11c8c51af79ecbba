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
