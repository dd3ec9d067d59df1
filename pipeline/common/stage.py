"""Run a stage's ``main`` with logging set up and expected errors turned into one line + exit 2."""

import errno
import logging
import sys
from collections.abc import Callable

from pipeline.common.errors import PipelineError


def run_stage(main: Callable[[], None]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        main()
    except PipelineError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except OSError as err:
        if err.errno != errno.ENOSPC:
            raise
        where = f" writing {err.filename}" if err.filename else ""
        message = f"no space left on device{where}; free some space and rerun `dvc repro`"
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("error: interrupted; rerun `dvc repro` to finish", file=sys.stderr)
        sys.exit(130)
