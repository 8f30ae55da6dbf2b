"""Pure NumPy/SciPy option maths: the only place DeltaStream's formulas live.

No I/O, no hidden state. Every pricing/IV argument is a scalar or a NumPy
array (broadcast) and every result is a float64 array. Units: prices in
currency, ``tte_years`` ACT/365 years, ``rate``/``dividend``/``vol`` as annual
decimals; vega per vol point, theta per calendar day, rho per 1 % rate.

    from deltastream import quant
    quant.bs_greeks(spot, strike, tte_years, rate, vol, is_call)
    quant.implied_vol(price, spot, strike, tte_years, rate, is_call)
    quant.max_pain(strikes, call_oi, put_oi)
"""

from deltastream.quant.black_scholes import black76_greeks, black76_price, bs_greeks, bs_price
from deltastream.quant.chain import (
    BUILDUP_LABELS,
    EXPECTED_MOVE_FACTOR,
    IV_SOURCES,
    ChainMetrics,
    atm_index,
    atm_straddle,
    atm_strike,
    buildup,
    chain_metrics,
    expected_move,
    expected_move_iv,
    fill_iv_from_counterpart,
    gamma_exposure,
    gamma_flip,
    gamma_walls,
    oi_change,
    otm_buildup,
    pcr,
    skew_25d,
    skew_25d_reason,
)
from deltastream.quant.implied_vol import black76_implied_vol, implied_vol
from deltastream.quant.max_pain import max_pain, pain_curve
from deltastream.quant.stats import (
    DEFAULT_EXPIRY_CUTOFF_UTC,
    days_to_expiry,
    iv_percentile,
    iv_rank,
    tte_years,
)
from deltastream.quant.surface import (
    DEFAULT_LOG_MONEYNESS,
    GRID_POINTS,
    ExpirySlice,
    Smile,
    VolSurface,
    adaptive_log_moneyness,
    build_surface,
    otm_ivs,
    smile,
)

__all__ = [
    "BUILDUP_LABELS",
    "DEFAULT_EXPIRY_CUTOFF_UTC",
    "DEFAULT_LOG_MONEYNESS",
    "EXPECTED_MOVE_FACTOR",
    "GRID_POINTS",
    "IV_SOURCES",
    "ChainMetrics",
    "ExpirySlice",
    "Smile",
    "VolSurface",
    "adaptive_log_moneyness",
    "atm_index",
    "atm_straddle",
    "atm_strike",
    "black76_greeks",
    "black76_implied_vol",
    "black76_price",
    "bs_greeks",
    "bs_price",
    "build_surface",
    "buildup",
    "chain_metrics",
    "days_to_expiry",
    "expected_move",
    "expected_move_iv",
    "fill_iv_from_counterpart",
    "gamma_exposure",
    "gamma_flip",
    "gamma_walls",
    "implied_vol",
    "iv_percentile",
    "iv_rank",
    "max_pain",
    "oi_change",
    "otm_buildup",
    "otm_ivs",
    "pain_curve",
    "pcr",
    "skew_25d",
    "skew_25d_reason",
    "smile",
    "tte_years",
]
