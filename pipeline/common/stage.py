"""Run a stage's ``main`` with logging set up and expected errors turned into one line + exit 2.

SIGTERM (``kill``, a CI timeout, a container stop) is raised as :class:`Terminated`, so it unwinds
like Ctrl-C: ``finally`` blocks run, atomic writes drop their temporary files, the download removes
its staging folder.
"""

import errno
import logging
import signal
import sys
from collections.abc import Callable
from types import FrameType

from pipeline.common.atomic import write_error
from pipeline.common.errors import PipelineError

WRITE_ONLY_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)  # no read fails with these


class Terminated(BaseException):
    """SIGTERM arrived; a ``BaseException`` like ``KeyboardInterrupt``, so no ``except Exception``
    swallows it."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM during the clean-up ends it at once
    raise Terminated


def run_stage(main: Callable[[], None]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        main()
    except PipelineError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except OSError as err:  # an output written without atomic_path (DVCLive's files)
        if err.errno not in WRITE_ONLY_ERRNOS:
            raise
        print(f"error: {write_error(err.filename, err)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("error: interrupted; rerun `dvc repro` to finish", file=sys.stderr)
        sys.exit(130)
    except Terminated:
        print("error: terminated (SIGTERM); rerun `dvc repro` to finish", file=sys.stderr)
        sys.exit(143)
    finally:
        signal.signal(signal.SIGTERM, previous)
