"""Uploading images, describing them, attaching them to posts, serving the files, and attachments
of remote posts (served through this node's cache; none at all from a domain whose media are rejected)."""
from __future__ import annotations

import dataclasses
import io
import os
import struct
import time
import zlib

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import insert

from backchannel.app import create_app
from backchannel.keys import RUNTIME
from federation import as2, deref
from models.schema import domain_blocks
from social import remote
from tests.api.conftest import ApiNode, node_config, settle


def jpeg_with_exif(width: int = 1200, height: int = 800, colour=(200, 40, 40)) -> bytes:
    image = Image.new("RGB", (width, height), colour)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 64, height: int = 48, mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (0, 128, 255, 128) if mode == "RGBA" else (0, 128, 255)).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny file whose header claims a huge image: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def form(data: bytes, name: str = "photo.jpg", ctype: str = "image/jpeg", **fields: str) -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field("file", data, filename=name, content_type=ctype)
    for key, value in fields.items():
        body.add_field(key, value)
    return body


async def upload(person, data: bytes, **fields: str) -> dict:
    response = await person.post("/api/v2/media", data=form(data, **fields))
    assert response.status == 200, await response.text()
    return await response.json()


async def test_upload_strips_metadata_and_describes_the_image(node):
    alice = await node.person("alice")
    media = await upload(alice, jpeg_with_exif(), description="A red square", focus="0.5,-0.25")

    assert media["type"] == "image" and media["description"] == "A red square"
    assert media["meta"]["original"] == {"width": 1200, "height": 800, "size": "1200x800", "aspect": 1.5}
    assert media["meta"]["small"]["width"] == 640 and media["meta"]["small"]["height"] == 427
    assert media["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert len(media["blurhash"]) == 28 and media["remote_url"] is None
    assert media["url"].startswith("http://acme.test/media/") and media["url"].endswith(".jpg")
    assert "photo" not in media["url"]  # the client's file name is never used

    path = "/media/" + media["url"].rsplit("/", 1)[1]
    served = await node.client.get(path)
    assert served.status == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    body = await served.read()
    assert b"SecretCam" not in body
    assert not Image.open(io.BytesIO(body)).getexif()
    thumb = await node.client.get("/media/" + media["preview_url"].rsplit("/", 1)[1])
    assert Image.open(io.BytesIO(await thumb.read())).size == (640, 427)

    assert (await node.client.get("/media/..%2Fbackchannel.sqlite3")).status == 404
    assert (await node.client.get("/media/" + "a" * 30 + ".jpg")).status == 404


async def test_png_gif_and_webp_are_accepted_and_other_files_refused(node):
    alice = await node.person("alice")
    assert (await upload(alice, png(), name="x.png", ctype="image/png"))["url"].endswith(".png")
    out = io.BytesIO()
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert (await upload(alice, out.getvalue(), name="x.gif", ctype="image/gif"))["url"].endswith(".gif")
    out = io.BytesIO()
    Image.new("RGB", (30, 10)).save(out, "WEBP")
    webp = await upload(alice, out.getvalue(), name="x.webp", ctype="image/webp")
    assert webp["url"].endswith(".webp") and webp["meta"]["original"]["aspect"] == 3.0

    for bad in (b"<html><script>alert(1)</script></html>", b"%PDF-1.4 not an image", b""):
        response = await alice.post("/api/v2/media", data=form(bad, name="x.png", ctype="image/png"))
        assert response.status == 422, await response.text()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert (await alice.post("/api/v1/media", data=form(svg, name="x.svg", ctype="image/svg+xml"))).status == 422
    assert (await alice.post("/api/v2/media", json={"file": "x"})).status == 422
    assert (await node.client.post("/api/v2/media", data=form(png()))).status == 401


@pytest.fixture
async def small_node(aiohttp_client, tmp_path):  # noqa: ANN001, ANN201
    config = dataclasses.replace(node_config(tmp_path), max_media_bytes=50_000, max_media_pixels=1_000_000)
    app = create_app(config)
    client = await aiohttp_client(app)
    yield ApiNode(client, app[RUNTIME])
    await settle(app[RUNTIME])


async def test_size_and_pixel_limits(small_node):
    alice = await small_node.person("alice")
    big = io.BytesIO()
    Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3)).save(big, "PNG")
    assert len(big.getvalue()) > 50_000
    assert (await alice.post("/api/v2/media", data=form(big.getvalue(), ctype="image/png"))).status == 413
    assert (await alice.post("/api/v2/media", data=form(png_claiming(60000, 60000)))).status == 422
    assert (await alice.post("/api/v2/media", data=form(png(1100, 1000, "RGB")))).status == 422
    assert (await alice.post("/api/v2/media", data=form(png(900, 1000, "RGB")))).status == 200


async def test_describe_read_back_and_only_the_uploader_sees_it(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    media = await upload(alice, png())
    changed = await (await alice.put(f"/api/v1/media/{media['id']}",
                                     json={"description": "Blue", "focus": "-1,1"})).json()
    assert changed["description"] == "Blue" and changed["meta"]["focus"] == {"x": -1.0, "y": 1.0}
    assert (await (await alice.get(f"/api/v1/media/{media['id']}")).json())["description"] == "Blue"
    assert (await bob.get(f"/api/v1/media/{media['id']}")).status == 404
    assert (await bob.put(f"/api/v1/media/{media['id']}", json={"description": "mine"})).status == 404
    assert (await alice.put(f"/api/v1/media/{media['id']}", json={"focus": "2,0"})).status == 422


async def test_attach_to_a_post_and_federate_as_documents(node):
    alice = await node.person("alice")
    bob = await node.person("bob")
    first = await upload(alice, jpeg_with_exif(), description="Chart")
    second = await upload(alice, png())
    posted = await alice.post_status("", media_ids=[first["id"], second["id"]])
    assert [m["id"] for m in posted["media_attachments"]] == [first["id"], second["id"]]
    assert posted["media_attachments"][0]["description"] == "Chart"

    # Already attached, someone else's, unknown, or too many: refused.
    assert (await alice.post("/api/v1/statuses", json={"status": "again", "media_ids": [first["id"]]})).status == 422
    bobs = await upload(bob, png())
    assert (await alice.post("/api/v1/statuses", json={"status": "x", "media_ids": [bobs["id"]]})).status == 422
    five = [(await upload(alice, png()))["id"] for _ in range(5)]
    assert (await alice.post("/api/v1/statuses", json={"status": "x", "media_ids": five})).status == 422

    note = await (await node.client.get(posted["uri"].replace("http://acme.test", ""),
                                        headers={"Accept": "application/activity+json"})).json()
    assert [a["type"] for a in note["attachment"]] == ["Document", "Document"]
    doc = note["attachment"][0]
    assert doc["url"] == first["url"] and doc["mediaType"] == "image/jpeg" and doc["name"] == "Chart"
    assert doc["width"] == 1200 and doc["height"] == 800 and doc["blurhash"] == first["blurhash"]
    assert doc["focalPoint"] == [0.0, 0.0]

    # An edit may replace the attachments; the post shows with only_media.
    edited = await (await alice.put(f"/api/v1/statuses/{posted['id']}",
                                    json={"status": "now with text", "media_ids": [second["id"]]})).json()
    assert [m["id"] for m in edited["media_attachments"]] == [second["id"]]
    await alice.post_status("no media here")
    only_media = await (await node.client.get(f"/api/v1/accounts/{alice.id}/statuses?only_media=true")).json()
    assert [s["id"] for s in only_media] == [posted["id"]]
    public_media = await (await node.client.get("/api/v1/timelines/public?only_media=true")).json()
    assert [s["id"] for s in public_media] == [posted["id"]]
    reused = await alice.post_status("the freed one", media_ids=[first["id"]])
    assert reused["media_attachments"][0]["id"] == first["id"]


def remote_note(host: str, n: int, attachment: list) -> tuple[dict, dict]:
    actor = {"id": f"https://{host}/users/ann", "type": "Person", "preferredUsername": "ann",
             "inbox": f"https://{host}/users/ann/inbox", "followers": f"https://{host}/users/ann/followers"}
    note = {"id": f"https://{host}/notes/{n}", "type": "Note", "attributedTo": actor["id"],
            "content": "<p>look</p>", "to": [as2.AS + "#Public"], "published": as2.iso(time.time()),
            "attachment": attachment}
    return actor, note


ATTACHMENTS = [
    {"type": "Document", "mediaType": "image/png", "url": "https://files.remote.example/a.png",
     "name": "A <b>diagram</b>", "blurhash": "LBM^z||wfQ|w|wo1fQo1fQfQfQfQ", "width": 800, "height": 600,
     "focalPoint": [0.1, 5]},
    {"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)"},
    {"type": "Video", "mediaType": "video/mp4", "url": [{"type": "Link", "href": "https://files.remote.example/v.mp4"}]},
]


async def test_remote_attachments_are_urls_and_rejected_media_are_dropped(node):
    alice = await node.person("alice")
    rt = node.rt
    actor, note = remote_note("remote.example", 1, ATTACHMENTS)
    author = await deref.store_actor(rt, as2.actor_values(actor))
    status = await remote.store_note(rt, note, author)
    shown = await (await alice.get(f"/api/v1/statuses/{status.id}")).json()
    media = shown["media_attachments"]
    assert [m["type"] for m in media] == ["image", "video"]
    # Served from this node's cached copy (social.media_cache), named by the remote URL
    assert media[0]["remote_url"] == "https://files.remote.example/a.png"
    assert media[0]["url"].startswith("http://acme.test/media/proxy/")
    assert media[0]["description"] == "A diagram" and media[0]["meta"]["focus"] == {"x": 0.1, "y": 1.0}
    assert media[0]["meta"]["original"]["size"] == "800x600"
    assert media[1]["remote_url"] == "https://files.remote.example/v.mp4"

    async with rt.db.write() as conn:
        await conn.execute(insert(domain_blocks).values(id=1, domain="rejected.example", severity="silence",
                                                        reject_media=True, created_at=time.time()))
    rt.policy.invalidate()
    actor, note = remote_note("rejected.example", 2, ATTACHMENTS)
    author = await deref.store_actor(rt, as2.actor_values(actor))
    status = await remote.store_note(rt, note, author)
    shown = await (await alice.get(f"/api/v1/statuses/{status.id}")).json()
    assert shown["content"] == "<p>look</p>" and shown["media_attachments"] == []
