"""Feature groups and views: which columns each network of an ensemble reads.

A feature's group is the first word of its name (``texton_pos_r0_c0_k0`` → ``texton``; ``scat``,
``lbp``, ``glcm``, ...). A view lists groups; a network on a view sees only their columns, so the
networks of an ensemble err on different images and their mean errs less than networks that all
see every column.
"""

import numpy as np

from pipeline.common.errors import PipelineError


def feature_group(name: str) -> str:
    """The group of feature ``name``: its first word."""
    return name.split("_")[0]


def view_columns(names: list[str], views: list[list[str]]) -> list[np.ndarray] | None:
    """The column indices of each view in ``views`` (None without views: every column); a group
    these features lack is a one-line error naming the groups they have."""
    if not views:
        return None
    groups = np.array([feature_group(name) for name in names])
    present = sorted(set(groups.tolist()))
    for group in (group for view in views for group in view):
        if group not in present:
            raise PipelineError(
                f"train.views: these features have no group {group!r}; list groups among {', '.join(present)}"
            )
    return [np.flatnonzero(np.isin(groups, view)) for view in views]
