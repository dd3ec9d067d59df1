"""Load the CIFAR-10 batch pickles without letting a hostile file run code or inflate in memory.

A bare ``pickle.load`` calls whatever the file names (``os.system`` included), and the batches come
from whatever mirror ``data.url`` points at. The real batches name only numpy's array
reconstruction (``_reconstruct``, ``ndarray``, ``dtype``), so those are all this unpickler resolves,
and only in the form numpy writes them. Pickle's memo lets a few bytes refer to one object many
times; the globals here that make new objects from old ones (``_codecs.encode``, ``_reconstruct``)
are budgeted so that a file cannot unpickle to much more than its own size.
"""

import pickle
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipeline.common.errors import PipelineError

_RECONSTRUCT = np.empty(0).__reduce__()[0]  # numpy's own _reconstruct, wherever this numpy keeps it
_NDARRAY = object()  # what the file's ``numpy.ndarray`` resolves to: an argument, never a callable
MAX_ARRAYS = 4  # per file: a batch holds one (``data``); its labels are a list or a second array
NAMES = {  # the globals a batch may name, by what they stand for
    ("numpy.core.multiarray", "_reconstruct"): "reconstruct",  # the name in the official batches
    ("numpy._core.multiarray", "_reconstruct"): "reconstruct",  # the name numpy 2 writes
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
    ("_codecs", "encode"): "encode",  # Python 3 writes ``bytes`` so at protocol 2 (re-pickled batches)
}


class CifarUnpickler(pickle.Unpickler):
    """Resolves only the globals in :data:`NAMES`; any other is refused, never imported."""

    def __init__(self, file: BinaryIO, path: Path) -> None:
        super().__init__(file, encoding="latin1")
        self.path = path
        self.encode_budget = path.stat().st_size  # a real file's strings are all in it, once each
        self.arrays = 0
        self.resolved = {
            "reconstruct": self._reconstruct,
            "ndarray": _NDARRAY,
            "dtype": np.dtype,
            "encode": self._latin1_encode,
        }

    def find_class(self, module: str, name: str) -> object:
        kind = NAMES.get((module, name))
        if kind is None:
            raise PipelineError(
                f"{self.path} holds a pickled {f'{module}.{name}'!r}, which a CIFAR-10 batch never does: "
                "refusing to load it (the archive is not the real one); fix data.url/data.md5 in "
                "params.yaml, then rerun `dvc repro --force download`"
            )
        return self.resolved[kind]

    def _reconstruct(self, subtype: object, shape: object, dtype: object) -> np.ndarray:
        """numpy's ``_reconstruct`` as its pickles call it: an empty ndarray that the file's own bytes
        then fill (``__setstate__`` keeps a reference to them), never an allocation of a given shape."""
        self.arrays += 1
        if subtype is not _NDARRAY or shape != (0,) or self.arrays > MAX_ARRAYS:
            raise pickle.UnpicklingError(
                f"numpy's _reconstruct called as numpy never does ({self.arrays} arrays, shape {shape!r})"
            )
        return _RECONSTRUCT(np.ndarray, shape, dtype)

    def _latin1_encode(self, text: object, encoding: object) -> bytes:
        """``_codecs.encode`` for its one use, latin-1, within the file's size in total: a memoised
        string encoded over and over would otherwise grow without bound."""
        if not isinstance(text, str) or encoding != "latin1":
            raise pickle.UnpicklingError(f"_codecs.encode called with encoding {encoding!r}")
        self.encode_budget -= len(text)
        if self.encode_budget < 0:
            raise pickle.UnpicklingError("_codecs.encode makes more bytes than the file holds")
        return text.encode("latin1")


def load_pickle(path: Path) -> object:
    """The object pickled in ``path`` (``encoding="latin1"``, as the data set's page documents).

    A global outside :data:`NAMES` raises :class:`PipelineError`; a malformed or inflating file
    raises what ``pickle`` raises, for the caller to word.
    """
    with path.open("rb") as f:
        return CifarUnpickler(f, path).load()
