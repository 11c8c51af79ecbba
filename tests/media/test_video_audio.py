"""Video and audio uploads: transcoded to MP4 (H.264 and AAC) or MP3 with PyAV, with a thumbnail, a
blurhash and the duration, within size and length limits; what FFmpeg would otherwise probe
(playlists naming other files, pages, documents) is refused before it reads anything."""
from __future__ import annotations

import re

import dataclasses
import io

import av
import pytest

from backchannel.app import create_app
from backchannel.keys import RUNTIME
from tests.api.conftest import ApiNode, node_config, settle
from tests.api.test_media import form
from tests.rig.av_samples import make_video, make_wav


@pytest.fixture
async def node(aiohttp_client, tmp_path):  # noqa: ANN001, ANN201
    config = dataclasses.replace(node_config(tmp_path), max_media_seconds=5.0, max_video_bytes=2 * 1024 * 1024)
    app = create_app(config)
    client = await aiohttp_client(app)
    yield ApiNode(client, app[RUNTIME])
    await settle(app[RUNTIME])


async def _streams(node: ApiNode, url: str) -> list[tuple[str, str]]:
    response = await node.client.get("/media/" + url.rsplit("/", 1)[1])
    assert response.status == 200
    with av.open(io.BytesIO(await response.read())) as container:
        return [(s.type, s.codec_context.name) for s in container.streams]


async def test_a_webm_video_becomes_an_mp4_with_a_thumbnail(node):
    alice = await node.person("alice")
    response = await alice.post("/api/v2/media", data=form(make_video(), name="clip.webm", ctype="video/webm",
                                                           description="A colour that changes"))
    assert response.status == 200, await response.text()
    media = await response.json()
    assert media["type"] == "video" and media["url"].endswith(".mp4") and media["description"] == "A colour that changes"
    original = media["meta"]["original"]
    assert (original["width"], original["height"], original["frame_rate"]) == (320, 240, "25/1")
    assert 1.9 <= original["duration"] <= 2.1 and original["bitrate"] > 0 and media["meta"]["length"] == "0:00:02.00"
    assert media["preview_url"].endswith(".jpg") and len(media["blurhash"]) == 28
    assert await _streams(node, media["url"]) == [("video", "h264"), ("audio", "aac")]

    # Posted, it is a Video on the wire with its media type
    status = await alice.post_status("Watch this", media_ids=[media["id"]])
    note = await (await node.client.get(status["uri"].replace("http://acme.test", ""),
                                        headers={"Accept": "application/activity+json"})).json()
    assert [a["mediaType"] for a in note["attachment"]] == ["video/mp4"]

    # And its page plays it, with the thumbnail as the poster and the description as its name
    page = await (await node.client.get(f"/@alice/{status['id']}")).text()
    player = re.search(r"<video controls[^>]*>", page)
    assert player, page
    media_path, thumb_path = (_site_path(media[k]) for k in ("url", "preview_url"))
    assert f'src="{media_path}"' in player[0] and f'poster="{thumb_path}"' in player[0]
    assert 'aria-label="A colour that changes"' in player[0]


async def test_audio_becomes_an_mp3(node):
    alice = await node.person("alice")
    response = await alice.post("/api/v1/media", data=form(make_wav(2.0), name="tone.wav", ctype="audio/wav"))
    assert response.status == 200, await response.text()
    media = await response.json()
    assert media["type"] == "audio" and media["url"].endswith(".mp3") and media["preview_url"] is None
    assert 1.9 <= media["meta"]["original"]["duration"] <= 2.1
    assert await _streams(node, media["url"]) == [("audio", "mp3float")]
    status = await alice.post_status("Listen", media_ids=[media["id"]])
    page = await (await node.client.get(f"/@alice/{status['id']}")).text()
    assert f'<audio controls preload="none" src="{_site_path(media["url"])}" aria-label="Audio">' in page


def _site_path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def test_limits_and_what_is_refused(node):
    alice = await node.person("alice")
    too_long = await alice.post("/api/v2/media", data=form(make_wav(6.0), name="long.wav", ctype="audio/wav"))
    assert too_long.status == 422 and "longer than 5 seconds" in (await too_long.json())["error"]
    too_big = await alice.post("/api/v2/media", data=form(b"\x1a\x45\xdf\xa3" + b"\0" * (3 * 1024 * 1024),
                                                          name="big.webm", ctype="video/webm"))
    assert too_big.status == 413
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    for bad in (playlist, b"\x1a\x45\xdf\xa3 not really a webm", b"OggS" + b"\0" * 100, b"RIFF\0\0\0\0WAVEjunk"):
        response = await alice.post("/api/v2/media", data=form(bad, name="x.webm", ctype="video/webm"))
        assert response.status == 422, (bad[:20], await response.text())
