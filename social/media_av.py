"""Video and audio uploads: probed, checked against the limits, and transcoded with PyAV (FFmpeg
with its own codecs, from PyPI) into what every app and server plays: MP4 with H.264 and AAC for
video, MP3 for audio. A video's first frame becomes its thumbnail and blurhash. CPU-bound: run it in
a thread. Nothing of the uploaded file is kept but what was re-encoded (no metadata, no extra
streams)."""
from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from social.errors import Unprocessable

# What an upload may be (anything FFmpeg can read is tried; these are what apps offer to send).
AV_MIME_TYPES = ["video/mp4", "video/webm", "video/quicktime", "video/ogg", "audio/mpeg", "audio/ogg",
                 "audio/wav", "audio/flac", "audio/aac", "audio/mp4", "audio/webm"]
MAX_SIDE = 1920  # longer videos sides are scaled down to this
MAX_FPS = 60
AUDIO_RATE = 44100


@dataclass(frozen=True)
class ProcessedAV:
    kind: str  # video | audio
    data: bytes
    ext: str
    content_type: str
    duration: float
    width: int | None = None
    height: int | None = None
    frame_rate: str | None = None
    first_frame: bytes | None = None  # a PNG of the first frame (the caller thumbnails it)


def _even(n: float) -> int:
    return max(2, int(n) // 2 * 2)


def _duration(container) -> float:  # noqa: ANN001
    if container.duration:
        return container.duration / 1_000_000  # AV_TIME_BASE
    longest = 0.0
    for stream in container.streams:
        if stream.duration and stream.time_base:
            longest = max(longest, float(stream.duration * stream.time_base))
    return longest


def container_format(raw: bytes) -> str | None:
    """FFmpeg's demuxer for the file, chosen from its first bytes among the containers apps send,
    or None. Never left to FFmpeg's own probing: it would also take playlists (HLS) and other
    formats that make it open further files or URLs named inside the upload."""
    head = raw[:16]
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        return "mov"  # MP4, MOV, M4A
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"  # WebM, MKV
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "aac" if head[1] & 0x06 == 0 else "mp3"  # ADTS has layer bits 00
    return None


def process_av(raw: bytes, *, max_seconds: float, max_pixels: int) -> ProcessedAV:
    import av

    demuxer = container_format(raw)
    if demuxer is None:
        raise Unprocessable("Validation failed: File content type is invalid")
    try:
        container = av.open(io.BytesIO(raw), mode="r", format=demuxer)
    except (av.error.FFmpegError, ValueError, OSError):
        raise Unprocessable("Validation failed: File content type is invalid") from None
    with container:
        video = next((s for s in container.streams.video), None)
        audio = next((s for s in container.streams.audio), None)
        if video is None and audio is None:
            raise Unprocessable("Validation failed: File content type is invalid")
        duration = _duration(container)
        if duration <= 0:
            raise Unprocessable("Validation failed: the file's duration cannot be read")
        if duration > max_seconds:
            raise Unprocessable(f"Validation failed: File is longer than {int(max_seconds)} seconds")
        if video is not None:
            width, height = video.codec_context.width, video.codec_context.height
            if not width or not height or width * height > max_pixels:
                raise Unprocessable("Validation failed: File dimensions are too large")
        try:
            if video is not None:
                return _video(container, video, audio, duration)
            return _audio(container, audio, duration)
        except av.error.FFmpegError as err:
            raise Unprocessable(f"Validation failed: File could not be processed ({err})") from None


def _video(container, video, audio, duration: float) -> ProcessedAV:  # noqa: ANN001
    import av

    width, height = video.codec_context.width, video.codec_context.height
    scale = min(1.0, MAX_SIDE / max(width, height))
    out_w, out_h = _even(width * scale), _even(height * scale)
    rate = video.average_rate or video.guessed_rate or Fraction(30)
    rate = min(Fraction(rate).limit_denominator(1001), Fraction(MAX_FPS))
    first_frame = None
    # faststart (the index before the data, so a browser plays while it downloads) rewrites the
    # file in a second pass: that needs a real file, not a buffer.
    scratch = tempfile.NamedTemporaryFile(suffix=".mp4")
    with scratch, av.open(scratch.name, mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        vout = out.add_stream("libx264", rate=rate)
        vout.width, vout.height, vout.pix_fmt = out_w, out_h, "yuv420p"
        vout.options = {"crf": "23", "preset": "veryfast"}
        aout = resampler = None
        if audio is not None:
            aout = out.add_stream("aac", rate=48000)
            aout.layout = "stereo"
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000, frame_size=1024)
        streams = [s for s in (video, audio) if s is not None]
        for packet in container.demux(*streams):
            for frame in packet.decode():
                if packet.stream is video:
                    if first_frame is None:
                        image = io.BytesIO()
                        frame.to_image().save(image, format="PNG")
                        first_frame = image.getvalue()
                    out.mux(vout.encode(frame.reformat(width=out_w, height=out_h, format="yuv420p")))
                else:
                    for chunk in resampler.resample(frame):  # type: ignore[union-attr]
                        out.mux(aout.encode(chunk))  # type: ignore[union-attr]
        out.mux(vout.encode(None))
        if aout is not None:
            for chunk in resampler.resample(None):  # type: ignore[union-attr]
                out.mux(aout.encode(chunk))
            out.mux(aout.encode(None))
        out.close()
        data = Path(scratch.name).read_bytes()
    if first_frame is None:
        raise Unprocessable("Validation failed: the video has no picture")
    return ProcessedAV("video", data, "mp4", "video/mp4", round(duration, 3), out_w, out_h,
                       f"{rate.numerator}/{rate.denominator}", first_frame)


def _audio(container, audio, duration: float) -> ProcessedAV:  # noqa: ANN001
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp3") as out:
        aout = out.add_stream("libmp3lame", rate=AUDIO_RATE)
        aout.layout = "stereo"
        aout.bit_rate = 128_000
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE, frame_size=1152)
        for packet in container.demux(audio):
            for frame in packet.decode():
                for chunk in resampler.resample(frame):
                    out.mux(aout.encode(chunk))
        for chunk in resampler.resample(None):
            out.mux(aout.encode(chunk))
        out.mux(aout.encode(None))
    return ProcessedAV("audio", buffer.getvalue(), "mp3", "audio/mpeg", round(duration, 3))
