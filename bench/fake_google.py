"""A local stand-in for Google's TTS endpoint (loopback only), for benchmarks.

It answers gTTS's batchexecute POSTs in exactly the format gTTS parses, after
``FakeGoogle.delay`` seconds, with one second of real MP3, and counts the requests.
"""

import base64
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import av
import numpy as np


def one_second_mp3():
    """A bare MPEG-2 layer III stream like Google's (no ID3 tag)."""
    buffer = io.BytesIO()
    with av.open(
        buffer, "w", format="mp3", options={"id3v2_version": "0", "write_xing": "0"}
    ) as output:
        stream = output.add_stream("libmp3lame", rate=24000, layout="mono")
        stream.bit_rate = 32000
        t = np.arange(24000) / 24000
        samples = (
            0.3 * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)) * np.sin(2 * np.pi * 220 * t)
        ).astype(np.float32)
        for start in range(0, len(samples), 1152):
            frame = av.AudioFrame.from_ndarray(
                samples[start : start + 1152].reshape(1, -1), format="fltp", layout="mono"
            )
            frame.sample_rate = 24000
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()


class FakeGoogle(BaseHTTPRequestHandler):
    """Answers batchexecute POSTs as Google does, after ``delay`` seconds."""

    delay = 0.150
    reply = b""
    count = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with FakeGoogle.lock:
            FakeGoogle.count += 1
        time.sleep(FakeGoogle.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(self.reply)))
        self.end_headers()
        self.wfile.write(self.reply)

    def log_message(self, *args):
        pass


def google_reply(mp3):
    line = (
        '[["wrb.fr","jQ1olc","[\\"'
        + base64.b64encode(mp3).decode()
        + '\\"]",null,null,null,"generic"]]'
    )
    return f")]}}'\n\n{len(line)}\n{line}\n".encode()


def start_fake_google(delay: float) -> tuple[ThreadingHTTPServer, str]:
    """Serve the stand-in on a free loopback port; returns the server and its endpoint."""
    FakeGoogle.delay = delay
    FakeGoogle.reply = google_reply(one_second_mp3())
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGoogle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
