"""Small real video and audio files, made with PyAV and Pillow for the upload tests: a WebM (VP8
and Opus) with a moving colour and a 440 Hz tone, and a WAV of that tone."""
from __future__ import annotations

import io
import math
import struct
import wave
from fractions import Fraction
import av
from PIL import Image

def make_wav(seconds=2.0, rate=22050):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                               for i in range(int(seconds * rate))))
    return buf.getvalue()

def make_video(seconds=2, fmt="webm", vcodec="libvpx", size=(320, 240), audio=True):
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=fmt) as out:
        v = out.add_stream(vcodec, rate=25); v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
        a = None
        if audio:
            a = out.add_stream("libopus" if fmt == "webm" else "aac", rate=48000); a.layout = "stereo"
        for i in range(seconds * 25):
            frame = av.VideoFrame.from_image(Image.new("RGB", size, ((i * 10) % 255, 80, 160)))
            frame.pts, frame.time_base = i, Fraction(1, 25)
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        if a is not None:
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000, frame_size=1024)
            with av.open(io.BytesIO(make_wav(seconds)), mode="r") as src:
                for f in src.decode(audio=0):
                    for chunk in resampler.resample(f):
                        out.mux(a.encode(chunk))
            for chunk in resampler.resample(None):
                out.mux(a.encode(chunk))
            out.mux(a.encode(None))
    return buf.getvalue()
