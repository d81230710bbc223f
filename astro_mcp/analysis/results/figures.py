"""How a measured figure is serialized: to the precision its sampling supports."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainSerializer


def round4(x: float) -> float:
    """`x` to 4 significant digits: what a mean of sampled traces can support."""
    return float(f"{x:.4g}")


Num = Annotated[float, PlainSerializer(round4, return_type=float, when_used="json")]
