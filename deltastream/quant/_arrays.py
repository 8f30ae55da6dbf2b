"""Array plumbing shared by the quant modules: coercion and broadcasting."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
ArrayLike: TypeAlias = npt.ArrayLike

DAYS_PER_YEAR = 365.0
"""Calendar-day year used for theta per day and for ``tte_years`` (ACT/365)."""


def as_float(value: ArrayLike) -> FloatArray:
    """Return ``value`` as a float64 array without copying when it already is one."""
    return np.asarray(value, dtype=np.float64)


def call_sign(is_call: ArrayLike) -> FloatArray:
    """Map a call flag (bool, or 0/1) to the payoff sign θ: +1.0 for calls, -1.0 for puts.

    Strings are refused: ``"p"`` is truthy, so a seed-style ``"c"/"p"`` flag
    would silently price every put as a call.
    """
    flags = np.asarray(is_call)
    if flags.dtype.kind not in "biuf":
        raise TypeError(f"is_call must be boolean (True = call), got dtype {flags.dtype}")
    if flags.dtype != np.bool_:
        flags = flags.astype(np.bool_)
    return flags.astype(np.float64) * 2.0 - 1.0


def broadcast_shape(*values: Any) -> tuple[int, ...]:
    """Shape of the broadcast of all ``values`` (scalars count as 0-d)."""
    return np.broadcast_shapes(*(np.shape(v) for v in values))


def shaped(value: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    """``value`` as a writable float64 array of exactly ``shape``.

    Results that do not depend on every input (gamma ignores the call flag) are
    broadcast up so that every output of a call has the same shape.
    """
    if value.shape == shape:
        return value
    return np.array(np.broadcast_to(value, shape), dtype=np.float64)


BLOCK_SIZE = 1 << 15
"""Elements per block in :func:`map_blocks`: 32k float64 = 256 KiB per temporary,
so a kernel's temporaries stay in the L2 cache (measured ~1.5x on 1M inputs)."""


def map_blocks(
    kernel: Callable[..., Sequence[FloatArray]],
    inputs: Sequence[FloatArray],
    shape: tuple[int, ...],
    n_out: int,
) -> list[FloatArray]:
    """Apply an element-wise ``kernel`` over ``inputs`` broadcast to ``shape``, block by block.

    ``kernel`` takes the input arrays (0-d inputs passed through unchanged) and
    returns ``n_out`` arrays broadcastable to its block. Inputs that fit in one
    block are passed as they are, so small calls pay no copying.
    """
    size = math.prod(shape)
    if size <= BLOCK_SIZE:
        return [shaped(np.asarray(out, dtype=np.float64), shape) for out in kernel(*inputs)]
    flat = [a if a.ndim == 0 else np.broadcast_to(a, shape).reshape(-1) for a in inputs]
    outs = [np.empty(size) for _ in range(n_out)]
    for start in range(0, size, BLOCK_SIZE):
        block = slice(start, start + BLOCK_SIZE)
        results = kernel(*(a if a.ndim == 0 else a[block] for a in flat))
        for out, result in zip(outs, results, strict=True):
            out[block] = result
    return [out.reshape(shape) for out in outs]
