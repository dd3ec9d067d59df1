"""Upper bounds for params that say why: ``train.hidden: [1000000000]`` must be refused with the
reason, not met by an out-of-memory traceback. Lower bounds stay pydantic's ``Field(ge=…)``."""

from collections.abc import Sized
from typing import Any

from pydantic import AfterValidator


def at_most(limit: float, what: str, why: str) -> AfterValidator:
    """A validator refusing values above ``limit``: "at most 65,536 units per layer: <why>"."""

    def check(value: Any) -> Any:
        if value > limit:
            raise ValueError(f"at most {limit:,} {what}: {why}")
        return value

    return AfterValidator(check)


def at_most_items(limit: int, what: str, why: str) -> AfterValidator:
    """A validator refusing lists longer than ``limit``."""

    def check(value: Sized) -> Sized:
        if len(value) > limit:
            raise ValueError(f"at most {limit:,} {what}: {why}")
        return value

    return AfterValidator(check)
