"""The market simulator: GBM underlyings with a stochastic ATM vol, and fully priced option chains.

Time units
----------
The underlying diffuses in *trading* time: one tick advances ``dt = feed_interval /
TRADING_SECONDS_PER_YEAR`` years, with a trading year of 252 sessions of 6.5 hours. So an index
at 15 % annual vol moves about 0.95 % per simulated session (15 %/√252), whatever the tick rate.
Options decay in *calendar* time to their expiry's session close (see :mod:`.pricing`).

Dynamics per product (``σ`` = the current ATM vol level, which is also the realised vol)
------------------------------------------------------------------------------------------
* ``S ← S·exp(−σ²dt/2 + σ√dt·Z₁)`` (zero-drift GBM, a martingale).
* ``y ← y − κ·y·dt + ξ√dt·Z₂`` with ``σ = annual_vol·eʸ``, ``κ = 15``/year (half-life about
  12 sessions), ``ξ = 1.2``, and ``corr(Z₁, Z₂) = −0.7`` for indices and −0.4 for stocks: vol
  rises when the market falls, slowly reverting to the product's ``annual_vol``.

Cadence and identity
--------------------
Every call to :meth:`MarketSimulator.step` is one feed interval: one tick per product and, on
every ``feed_chain_every``-th tick of a product, that product's chains for all configured expiries
at the same timestamp. Products are staggered (product *i* publishes chains on its ticks ``i``,
``i + every`` ...) so chain work is spread across intervals. ``tick_id`` is the tick time in
microseconds since the epoch, bumped to stay strictly increasing per product: unique across
restarts, unlike the seed's counter.

Determinism: each product has its own RNG streams spawned from ``feed_seed``, one for the price
path and one for the chain (OI, volume, last trade), so the same seed gives the same prices
whatever the chain settings; with an injected clock the whole output repeats exactly.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable, Container
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from deltastream.core.bus import TOPIC_MARKET_CHAIN, TOPIC_MARKET_UNDERLYING
from deltastream.core.clock import utcnow
from deltastream.feed.products import (
    PRODUCTS,
    ProductSpec,
    configured_products,
    exchange_date,
    expiries_at,
    expiry_instant,
    option_symbol,
    strikes_for,
)
from deltastream.feed.simulator.open_interest import PositionBook, oi_targets
from deltastream.feed.simulator.pricing import CALENDAR_YEAR_SECONDS, PricedGrid, atm_term, price_grid
from deltastream.feed.sources import EdgeSource
from deltastream.feed.validation import MarketEvent, RejectHandler
from deltastream.settings import Settings

TRADING_SECONDS_PER_YEAR = 252 * 6.5 * 3600.0
VOL_REVERSION = 15.0
VOL_OF_VOL = 1.2
TICK_VOLUME_PER_S = {"IN": 5_000.0, "US": 2_000.0}

Clock = Callable[[], datetime]


@dataclass
class ProductState:
    """The evolving state of one product: spot, vol deviation, counters, RNGs and OI books."""

    spec: ProductSpec
    phase: int
    path_rng: np.random.Generator
    book_rng: np.random.Generator
    price: float
    vol_dev: float = 0.0
    ticks: int = 0
    last_tick_id: int = 0
    books: dict[str, PositionBook] = field(default_factory=dict)

    @property
    def atm_level(self) -> float:
        return self.spec.annual_vol * math.exp(self.vol_dev)


class MarketSimulator(EdgeSource):
    """A :class:`~deltastream.feed.sources.FeedSource` producing a realistic synthetic market."""

    name = "simulator"

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        on_reject: RejectHandler | None = None,
        products: list[ProductSpec] | None = None,
        accept: Container[str] = PRODUCTS,
    ) -> None:
        super().__init__(on_reject=on_reject, products=accept)
        specs = products if products is not None else configured_products(settings)
        self.clock = clock
        self.interval_s = settings.feed_interval
        self.dt_years = settings.feed_interval / TRADING_SECONDS_PER_YEAR
        self.expiry_count = settings.feed_expiries
        self.strike_count = settings.feed_strikes
        self.chain_every = settings.feed_chain_every
        streams = np.random.SeedSequence(settings.feed_seed).spawn(2 * len(specs))
        self.states = [
            ProductState(
                spec=spec,
                phase=i % self.chain_every,
                path_rng=np.random.default_rng(streams[2 * i]),
                book_rng=np.random.default_rng(streams[2 * i + 1]),
                price=spec.base_price,
            )
            for i, spec in enumerate(specs)
        ]

    def step(self, now: datetime | None = None) -> list[tuple[str, dict[str, Any]]]:
        """Advance one interval and return the raw ``(topic, payload)`` messages, ticks first."""
        now = now or self.clock()
        out: list[tuple[str, dict[str, Any]]] = []
        for state in self.states:
            out.append((TOPIC_MARKET_UNDERLYING, self._tick(state, now)))
            if (state.ticks - 1 - state.phase) % self.chain_every == 0:
                out.extend((TOPIC_MARKET_CHAIN, chain) for chain in self._chains(state, now))
        return out

    async def stream(self) -> AsyncIterator[MarketEvent]:
        """Tick forever, one :meth:`step` per interval, on a drift-free schedule."""
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            for topic, payload in self.step():
                event = await self.admit(payload, topic)
                if event is not None:
                    yield event
            deadline += self.interval_s
            delay = deadline - loop.time()
            if delay < -self.interval_s:
                deadline = loop.time()  # fell behind (slow consumer or host): skip, don't burst
            await asyncio.sleep(max(delay, 0.0))

    def _tick(self, state: ProductState, now: datetime) -> dict[str, Any]:
        spec, dt = state.spec, self.dt_years
        z_spot, z_other = state.path_rng.standard_normal(2)
        rho = -0.7 if spec.is_index else -0.4
        z_vol = rho * z_spot + math.sqrt(1.0 - rho * rho) * z_other
        sigma = state.atm_level
        state.price *= math.exp(-0.5 * sigma * sigma * dt + sigma * math.sqrt(dt) * z_spot)
        state.vol_dev += -VOL_REVERSION * state.vol_dev * dt + VOL_OF_VOL * math.sqrt(dt) * z_vol
        state.ticks += 1
        state.last_tick_id = max(state.last_tick_id + 1, int(now.timestamp() * 1_000_000))
        volume = int(state.path_rng.poisson(TICK_VOLUME_PER_S[spec.region] * self.interval_s))
        return {
            "type": "UNDERLYING",
            "product": spec.name,
            "price": round(state.price, 2),
            "timestamp": now,
            "tick_id": state.last_tick_id,
            "volume": volume,
        }

    def _chains(self, state: ProductState, now: datetime) -> list[dict[str, Any]]:
        spec, spot = state.spec, state.price
        expiries = expiries_at(spec, now, self.expiry_count)
        for stale in set(state.books) - set(expiries):
            del state.books[stale]
        tte = (
            np.array([(expiry_instant(spec, e) - now).total_seconds() for e in expiries])
            / CALENDAR_YEAR_SECONDS
        )
        ladder = np.array(strikes_for(spec, spot, self.strike_count))
        strikes = np.broadcast_to(ladder, (len(expiries), len(ladder)))
        grid = price_grid(spec, spot, strikes, tte, state.atm_level, state.book_rng)
        atm = atm_term(spec.annual_vol, state.atm_level, grid.tte_years)
        session_day = exchange_date(spec, now)
        chains = []
        for e, expiry in enumerate(expiries):
            book = state.books.setdefault(expiry, PositionBook())
            target = oi_targets(spec, ladder, spot, float(atm[e]), float(grid.tte_years[e]))
            oi, oi_change, volume = book.step(ladder, target, session_day, state.book_rng)
            chains.append(self._chain(spec, expiry, spot, ladder, grid, e, oi, oi_change, volume, now))
        return chains

    @staticmethod
    def _chain(
        spec: ProductSpec,
        expiry: str,
        spot: float,
        ladder: np.ndarray,
        grid: PricedGrid,
        e: int,
        oi: np.ndarray,
        oi_change: np.ndarray,
        volume: np.ndarray,
        now: datetime,
    ) -> dict[str, Any]:
        strikes = ladder.tolist()
        iv = np.round(grid.iv[e], 4).tolist()
        sides = []
        for s, option_type in enumerate(("CALL", "PUT")):
            cols = zip(
                strikes,
                grid.bid[s, e].tolist(),
                grid.ask[s, e].tolist(),
                grid.last[s, e].tolist(),
                volume[s].tolist(),
                oi[s].tolist(),
                oi_change[s].tolist(),
                np.round(grid.delta[s, e], 4).tolist(),
                np.round(grid.gamma[s, e], 8).tolist(),
                np.round(grid.vega[s, e], 4).tolist(),
                np.round(grid.theta[s, e], 4).tolist(),
                np.round(grid.rho[s, e], 4).tolist(),
                iv,
                strict=True,
            )
            sides.append(
                [
                    {
                        "symbol": option_symbol(spec.name, expiry, option_type, k),
                        "product": spec.name,
                        "strike": k,
                        "expiry": expiry,
                        "option_type": option_type,
                        "bid": bid,
                        "ask": ask,
                        "last": last,
                        "volume": vol,
                        "open_interest": oi_k,
                        "oi_change": doi,
                        "delta": delta,
                        "gamma": gamma,
                        "vega": vega,
                        "theta": theta,
                        "rho": rho,
                        "iv": iv_k,
                        "timestamp": now,
                    }
                    for k, bid, ask, last, vol, oi_k, doi, delta, gamma, vega, theta, rho, iv_k in cols
                ]
            )
        return {
            "type": "OPTION_CHAIN",
            "product": spec.name,
            "expiry": expiry,
            "spot_price": round(spot, 2),
            "strikes": strikes,
            "calls": sides[0],
            "puts": sides[1],
            "timestamp": now,
        }
