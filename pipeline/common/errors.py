"""The one exception type that stages turn into a one-line message and a non-zero exit."""


class PipelineError(Exception):
    """An expected failure (bad input, bad params, missing device): its message names the fix."""
