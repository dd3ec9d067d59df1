"""Test data: real photographs cut to CIFAR size, a tiny archive in the official layout, a local server."""

import functools
import hashlib
import http.server
import io
import os
import pickle
import socket
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import yaml
from skimage import data
from skimage.transform import resize

REPO = Path(__file__).resolve().parents[1]
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "cat")


@functools.cache
def photo_crops(count: int = 64, seed: int = 0) -> np.ndarray:
    """``count`` uint8 (32, 32, 3) images: random crops of scikit-image's sample photographs.

    Half are cut at native resolution (fine texture), half downscaled from larger windows (the
    look of a CIFAR image); a few flat and saturated patches come with real photos' sky and shadow.
    """
    rng = np.random.default_rng(seed)
    images = []
    for i in range(count):
        photo = getattr(data, PHOTOS[i % len(PHOTOS)])()
        size = 32 if i % 2 == 0 else int(rng.integers(48, 160))
        top = int(rng.integers(0, photo.shape[0] - size))
        left = int(rng.integers(0, photo.shape[1] - size))
        crop = photo[top : top + size, left : left + size]
        if size != 32:
            crop = (resize(crop, (32, 32), anti_aliasing=True) * 255).round().astype(np.uint8)
        images.append(crop)
    return np.stack(images)


def _batch(images: np.ndarray, labels: list[int], name: str) -> bytes:
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)  # R plane, G plane, B plane
    return pickle.dumps({"batch_label": name, "labels": labels, "data": rows, "filenames": []}, protocol=2)


def write_archive(
    path: Path, per_class_train: int = 4, per_class_test: int = 2, members: tuple[str, ...] | None = None
) -> str:
    """Write a CIFAR-10-python-style ``.tar.gz`` of photo crops; returns its md5."""
    n_train, n_test = 10 * per_class_train, 10 * per_class_test
    images = photo_crops(n_train + n_test)
    labels = [i % 10 for i in range(n_train + n_test)]
    files = {"batches.meta": pickle.dumps({"label_names": ["c"] * 10}, protocol=2)}
    edges = np.linspace(0, n_train, 6).astype(int)
    for b in range(5):
        s = slice(edges[b], edges[b + 1])
        files[f"data_batch_{b + 1}"] = _batch(images[s], labels[s], f"training batch {b + 1} of 5")
    files["test_batch"] = _batch(images[n_train:], labels[n_train:], "testing batch 1 of 1")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in files.items():
            if members is None or name in members:
                info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return hashlib.md5(path.read_bytes()).hexdigest()


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """Base for the tests' own request handlers: no access log on stderr."""

    def log_message(self, *args: object) -> None:
        pass


def streaming_handler(
    prefix: bytes = b"", length: int | None = None, chunk: bytes = b"\0" * 65536, pause_s: float = 0.0
) -> type[QuietHandler]:
    """A handler that sends ``prefix``, then ``chunk`` every ``pause_s`` seconds until the client
    hangs up, with ``length`` as its Content-Length when given (else the body ends at close): an
    endless body, a body longer than it says, one promised oversized, or one dribbled slowly."""

    class Streaming(QuietHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            try:
                self.wfile.write(prefix)
                while True:
                    time.sleep(pause_s)
                    self.wfile.write(chunk)
            except OSError:  # the client hung up, as it should
                pass

    return Streaming


class _QuietFileHandler(http.server.SimpleHTTPRequestHandler):
    log_message = QuietHandler.log_message


def free_port() -> int:
    """A loopback port nobody listens on (bound, then closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(directory: Path, handler: type[http.server.BaseHTTPRequestHandler] | None = None) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = handler or functools.partial(_QuietFileHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_stage(stage: str, cwd: Path, params: dict) -> subprocess.CompletedProcess:
    """Run ``python -m stages.<stage>`` of this checkout in ``cwd`` with ``params`` as params.yaml."""
    (cwd / "params.yaml").write_text(yaml.safe_dump(params))
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        [sys.executable, "-m", f"stages.{stage}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The stage's error line; fails unless it exited with 2 and ended on one ``error:`` line, no traceback.

    Log lines and a download's progress bar may come before it.
    """
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and errors == lines[-1:], result.stderr
    return errors[0]
