"""Regions: the columns of a feature group that repeat the same numbers at each place in the image.

The textons set averages every texton's response over each cell of a grid (``texton_pos_r1_c2_k7``:
row 1, column 2, texton 7); the scattering set averages every coefficient map over pooled positions
(``scat_y_o1_j0_t3_p1_2``: position 1, 2). Laid out as a (region, channel) matrix, one linear map
shared by all regions (``train.bottleneck``) learns what a texton means once, not once per cell.
"""

import re

import numpy as np

from pipeline.common.errors import PipelineError
from pipeline.learning.views import feature_group

# A region in a feature name: r{row}_c{col} (textons' grid) or p{row}_{col} (scattering's positions).
REGION = re.compile(r"_(?:r\d+_c\d+|p\d+_\d+)(?=_|$)")


def region_layout(names: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
    """Per feature group whose every name holds a region and which has every channel in every region:
    the ``(regions, channels)`` matrix of its column indices (regions and channels in the order they
    first appear). Also the columns of every other group, which no shared map reads."""
    columns: dict[str, dict[str, dict[str, int]]] = {}  # group → region → channel → column
    irregular = set()  # groups with a name that holds no region
    for index, name in enumerate(names):
        group, found = feature_group(name), REGION.search(name)
        if found is None:
            irregular.add(group)
            continue
        channel = name[: found.start()] + name[found.end() :]
        columns.setdefault(group, {}).setdefault(found.group(), {})[channel] = index
    matrices, shared = [], set()
    for group, regions in columns.items():
        if group in irregular or len(regions) < 2:
            continue
        channels = list(next(iter(regions.values())))
        if all(list(cells) == channels for cells in regions.values()):
            matrices.append(np.array([list(cells.values()) for cells in regions.values()]))
            shared.update(matrices[-1].ravel().tolist())
    rest = np.array([i for i in range(len(names)) if i not in shared], dtype=np.int64)
    return matrices, rest


def require_regions(matrices: list[np.ndarray]) -> None:
    """``train.bottleneck`` on features without regions is a one-line error naming the fix."""
    if not matrices:
        raise PipelineError(
            "train.bottleneck: these features have no regions (textons and scattering have them); "
            "set train.bottleneck: 0"
        )
