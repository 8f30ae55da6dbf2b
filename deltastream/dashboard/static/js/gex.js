// Per-strike gamma exposure from a chain's quotes, and the flip level (where cumulative GEX changes sign).
// The server's GEX = Σ sign·Γ·OI·multiplier·S²·0.01 (calls +, puts −); the multiplier (lot size) is
// not in the public payload, so the bars are scaled to sum to the chain's own `gex`.
export function gexByStrike(chain) {
  const s = chain.spot_price;
  const raw = new Map();
  const add = (q, sign) => {
    if (q.gamma == null) return;
    raw.set(q.strike, (raw.get(q.strike) || 0) + sign * q.gamma * (q.open_interest || 0) * s * s * 0.01);
  };
  for (const q of chain.calls) add(q, 1);
  for (const q of chain.puts) add(q, -1);
  const total = [...raw.values()].reduce((a, b) => a + b, 0);
  const scale = chain.gex != null && Math.abs(total) > 1e-9 ? chain.gex / total : 1;
  const bars = [...raw.entries()].sort((a, b) => a[0] - b[0]).map(([strike, v]) => ({ strike, gex: v * scale }));
  return { bars, flip: flipLevel(bars) };
}

// The strike (linearly interpolated) where the running sum from the lowest strike crosses zero.
export function flipLevel(bars) {
  let cum = 0;
  for (let i = 0; i < bars.length; i++) {
    const prev = cum;
    cum += bars[i].gex;
    if (i > 0 && prev !== 0 && Math.sign(prev) !== Math.sign(cum)) {
      const a = bars[i - 1].strike;
      const b = bars[i].strike;
      return a + ((b - a) * Math.abs(prev)) / (Math.abs(prev) + Math.abs(cum));
    }
  }
  return null;
}
