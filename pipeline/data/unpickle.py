"""Load the CIFAR-10 batch pickles without letting a hostile file run code.

A bare ``pickle.load`` calls whatever the file names (``os.system`` included), and the batches come
from whatever mirror ``data.url`` points at. The real batches name only numpy's array
reconstruction (``_reconstruct``, ``ndarray``, ``dtype``), so those are all this unpickler resolves.
"""

import pickle
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipeline.common.errors import PipelineError


def _latin1_encode(text: object, encoding: object) -> bytes:
    """Stands in for ``_codecs.encode``, which Python 3 writes for ``bytes`` at pickle protocol 2
    (re-pickled batches, the tests' archives); only that latin-1 use is allowed."""
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError(f"_codecs.encode called with encoding {encoding!r}")
    return text.encode("latin1")


_RECONSTRUCT = np.empty(0).__reduce__()[0]  # numpy's own _reconstruct, wherever this numpy keeps it
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # the name in the official batches
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,  # the name numpy 2 writes
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class CifarUnpickler(pickle.Unpickler):
    """Resolves only the globals in :data:`ALLOWED`; any other is refused, never imported."""

    def __init__(self, file: BinaryIO, path: Path) -> None:
        super().__init__(file, encoding="latin1")
        self.path = path

    def find_class(self, module: str, name: str) -> object:
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise PipelineError(
                f"{self.path} holds a pickled {f'{module}.{name}'!r}, which a CIFAR-10 batch never does: "
                "refusing to load it (the archive is not the real one); fix data.url/data.md5 in "
                "params.yaml, then rerun `dvc repro --force download`"
            ) from None


def load_pickle(path: Path) -> object:
    """The object pickled in ``path`` (``encoding="latin1"``, as the data set's page documents).

    A global outside :data:`ALLOWED` raises :class:`PipelineError`; a malformed file raises what
    ``pickle`` raises, for the caller to word.
    """
    with path.open("rb") as f:
        return CifarUnpickler(f, path).load()
