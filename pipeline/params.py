"""The whole of params.yaml as one model, for checking the file at once (the ``check_params`` stage,
tests, tools).

The other stages load only their own section (``pipeline.common.settings.load_section``) so that
they depend only on the schema they read; this module composes those sections.
"""

from pathlib import Path

from pipeline.common.settings import PARAMS_FILE, Section, read_params, validate
from pipeline.download.params import DataParams
from pipeline.features.params import ComputeParams, FeatureParams
from pipeline.learning.params import TrainParams


class Params(Section):
    data: DataParams = DataParams()
    features: FeatureParams = FeatureParams()
    train: TrainParams = TrainParams()
    compute: ComputeParams = ComputeParams()


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Parse and validate all of ``path``; any problem becomes a one-line ``PipelineError``."""
    return validate(Params, read_params(path), path=path)
