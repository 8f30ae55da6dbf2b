"""Simulated open interest and volume per strike: a persistent random walk around a shape.

The shape puts call OI above spot and put OI below, both within a few strikes of the money (where
writers sell), and thins out for later expiries. Each chain snapshot moves every strike's OI by a
mean-reverting random step (so ``oi_change`` between snapshots is meaningful and the profile keeps
its shape), and adds a Poisson draw of traded contracts to the session's cumulative volume, which
restarts when the exchange's trading day changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from deltastream.feed.products import ProductSpec

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

OI_SCALE = {"IN": 150_000.0, "US": 20_000.0}
OI_REVERSION = 0.05
OI_NOISE = 0.02
TURNOVER = 0.004


def oi_targets(
    spec: ProductSpec, strikes: FloatArray, spot: float, atm_vol: float, tte_years: float
) -> FloatArray:
    """Target ``(2, N)`` OI profile (row 0 calls, row 1 puts) for one expiry.

    Width is one standard deviation of spot at expiry, measured in strikes and kept between 2
    and 5 strikes; calls centre half a width above spot, puts half a width below, so the total
    peaks at the money.
    """
    step = spec.strike_interval
    width = float(np.clip(atm_vol * np.sqrt(tte_years) * spot / step, 2.0, 5.0))
    j = (np.asarray(strikes, dtype=np.float64) - spot) / step
    nearness = 0.35 + 0.65 * np.exp(-tte_years * 52.0 / 3.0)
    amplitude = OI_SCALE[spec.region] * nearness
    call = amplitude * np.exp(-0.5 * ((j - 0.5 * width) / width) ** 2)
    put = amplitude * np.exp(-0.5 * ((j + 0.5 * width) / width) ** 2)
    return np.stack([call, put])


@dataclass
class PositionBook:
    """OI and cumulative session volume per strike for one (product, expiry).

    Strikes are remembered across snapshots even when spot moves the ladder away, so a strike that
    comes back resumes where it was.
    """

    session_day: date | None = None
    _index: dict[float, int] = field(default_factory=dict)
    _oi: FloatArray = field(default_factory=lambda: np.zeros((2, 0)))
    _volume: FloatArray = field(default_factory=lambda: np.zeros((2, 0)))

    def _rows(self, strikes: FloatArray, target: FloatArray, rng: np.random.Generator) -> IntArray:
        rows = np.empty(len(strikes), dtype=np.int64)
        new: list[int] = []
        for pos, strike in enumerate(strikes.tolist()):
            row = self._index.get(strike)
            if row is None:
                row = len(self._index)
                self._index[strike] = row
                new.append(pos)
            rows[pos] = row
        if new:
            seed_oi = target[:, new] * rng.lognormal(0.0, 0.08, size=(2, len(new)))
            self._oi = np.concatenate([self._oi, np.round(seed_oi)], axis=1)
            self._volume = np.concatenate([self._volume, np.zeros((2, len(new)))], axis=1)
        return rows

    def step(
        self, strikes: FloatArray, target: FloatArray, session_day: date, rng: np.random.Generator
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Advance one snapshot; return ``(open_interest, oi_change, volume)``, each ``(2, N)`` ints."""
        if session_day != self.session_day:
            self._volume[:] = 0.0
            self.session_day = session_day
        rows = self._rows(strikes, target, rng)
        before = self._oi[:, rows]
        drift = OI_REVERSION * (target - before)
        noise = OI_NOISE * np.maximum(target, 50.0) * rng.standard_normal(before.shape)
        after = np.maximum(np.round(before + drift + noise), 0.0)
        traded = rng.poisson(TURNOVER * np.maximum(target, 10.0))
        self._oi[:, rows] = after
        self._volume[:, rows] += traded
        return (
            after.astype(np.int64),
            (after - before).astype(np.int64),
            self._volume[:, rows].astype(np.int64),
        )
