// Analytics: PCR, max pain, straddle/expected move, IV rank, OI, OI change and GEX by strike.
import { getJson } from "../api.js";
import {
  AreaSeries,
  HistogramSeries,
  LineSeries,
  TimeSeries,
  byStrike,
  color,
  createSeriesMarkers,
  strikeChart,
  timeChart,
} from "../charts.js";
import { fillExpiries } from "../expiry.js";
import { compact, epoch, num, text, time } from "../format.js";
import { gexByStrike } from "../gex.js";
import { on, subscribe, unsubscribe } from "../socket.js";
import { get, watch } from "../store.js";

const $ = (id) => document.getElementById(id);
let current = { product: null, expiry: null };
let s = {}; // series
let painMarkers;
let ivPoints = [];
const fits = []; // charts by strike: refit when the strikes change
const fitAll = () => fits.forEach((c) => c.timeScale().fitContent());

function build() {
  const pcr = timeChart($("pcr-chart"));
  s.pcrOi = new TimeSeries(pcr.addSeries(LineSeries, { color: color("--accent"), title: "PCR OI", lineWidth: 2 }));
  s.pcrVol = new TimeSeries(pcr.addSeries(LineSeries, { color: "#f5a623", title: "PCR Vol", lineWidth: 1 }));

  const pain = strikeChart($("pain-chart"));
  fits.push(pain);
  s.pain = pain.addSeries(AreaSeries, {
    lineColor: color("--accent"),
    topColor: "rgba(76,141,255,0.35)",
    bottomColor: "rgba(76,141,255,0.02)",
    priceFormat: { type: "volume" },
  });
  painMarkers = createSeriesMarkers(s.pain, []);

  const straddle = timeChart($("straddle-chart"));
  s.straddle = new TimeSeries(straddle.addSeries(LineSeries, { color: color("--accent"), title: "Straddle" }));
  s.move = new TimeSeries(straddle.addSeries(LineSeries, { color: "#f5a623", title: "Exp. move", lineStyle: 2 }));

  const iv = timeChart($("iv-chart"), { leftPriceScale: { visible: true } });
  s.iv = new TimeSeries(iv.addSeries(LineSeries, { color: color("--accent"), title: "ATM IV %" }));
  s.rank = new TimeSeries(iv.addSeries(LineSeries, { color: "#2fbf71", title: "IV rank", priceScaleId: "left" }));

  const oi = strikeChart($("oi-chart"));
  fits.push(oi);
  s.oiC = oi.addSeries(HistogramSeries, { color: color("--up"), title: "Call OI", priceFormat: { type: "volume" } });
  s.oiP = oi.addSeries(HistogramSeries, { color: color("--down"), title: "Put OI", priceFormat: { type: "volume" } });
  const chg = strikeChart($("oichg-chart"));
  fits.push(chg);
  s.chgC = chg.addSeries(LineSeries, { color: color("--up"), title: "Call ΔOI", pointMarkersVisible: true });
  s.chgP = chg.addSeries(LineSeries, { color: color("--down"), title: "Put ΔOI", pointMarkersVisible: true });
  const gex = strikeChart($("gex-chart"));
  fits.push(gex);
  s.gex = gex.addSeries(HistogramSeries, { title: "GEX", priceFormat: { type: "volume" } });
}

// IV rank at each point over the points before it (running min/max), as the server ranks the newest.
function rankSeries(points) {
  let lo = Infinity;
  let hi = -Infinity;
  return points.map((p) => {
    lo = Math.min(lo, p.value);
    hi = Math.max(hi, p.value);
    return { time: p.time, value: hi > lo ? ((p.value - lo) / (hi - lo)) * 100 : null };
  });
}

function pushIv(t, atmIv) {
  if (atmIv == null) return;
  ivPoints.push({ time: t, value: atmIv * 100 });
  if (ivPoints.length > 2000) ivPoints.shift();
  s.iv.push({ time: t, value: atmIv * 100 });
  const r = rankSeries(ivPoints);
  const last = r[r.length - 1];
  if (last.value != null) s.rank.push(last);
  text($("iv-rank"), last.value == null ? "–" : num(last.value, 0));
}

let lastStrikes = "";
function strikes(chain) {
  const calls = new Map(chain.calls.map((q) => [q.strike, q]));
  const puts = new Map(chain.puts.map((q) => [q.strike, q]));
  const pts = (m, f) => byStrike(chain.strikes.map((k) => ({ time: k, value: m.has(k) ? f(m.get(k)) : null })));
  s.oiC.setData(pts(calls, (q) => q.open_interest));
  s.oiP.setData(pts(puts, (q) => -q.open_interest));
  s.chgC.setData(pts(calls, (q) => q.oi_change));
  s.chgP.setData(pts(puts, (q) => q.oi_change));
  const { bars, flip } = gexByStrike(chain);
  s.gex.setData(bars.map((b) => ({ time: b.strike, value: b.gex, color: b.gex >= 0 ? color("--up") : color("--down") })));
  text($("gex-flip"), flip == null ? "none in range" : num(flip, 0));
  text($("gex-total"), compact(chain.gex));
  pain(chain.pain_curve, chain.spot_price, chain.max_pain_strike);
  text($("an-time"), `Updated ${time(chain.timestamp)}`);
  const key = chain.strikes.join(",");
  if (key !== lastStrikes) fitAll();
  lastStrikes = key;
}

function pain(curve, spot, maxPain) {
  const data = byStrike((curve || []).map((p) => ({ time: p.strike, value: p.total_pain })));
  s.pain.setData(data);
  text($("mp-strike"), num(maxPain, 0));
  text($("mp-spot"), num(spot));
  if (!data.length) return painMarkers.setMarkers([]);
  const nearest = data.reduce((a, b) => (Math.abs(b.time - spot) < Math.abs(a.time - spot) ? b : a));
  const markers = [{ time: nearest.time, position: "aboveBar", shape: "arrowDown", color: "#f5a623", text: `spot ${num(spot)}` }];
  if (maxPain != null) markers.push({ time: maxPain, position: "belowBar", shape: "arrowUp", color: color("--down"), text: "max pain" });
  painMarkers.setMarkers(markers.sort((a, b) => a.time - b.time));
}

async function show(product, expiry) {
  if (current.expiry) unsubscribe("chain", current.product, current.expiry);
  current = { product, expiry };
  if (!expiry) return;
  subscribe("chain", product, expiry);
  const q = { expiry };
  const [pcr, history, iv, latest] = await Promise.all([
    getJson(`/api/analytics/pcr/${product}`, { ...q, history: true, order: "asc", hours: 24, limit: 1000 }),
    getJson(`/api/data/chain/${product}`, { ...q, limit: 120 }),
    getJson(`/api/analytics/iv/${product}`, { ...q, lookback_hours: 168, points: 120 }),
    getJson(`/api/data/chain/${product}/latest`, q),
  ]);
  if (current.expiry !== expiry) return;
  const hist = pcr.history || [];
  s.pcrOi.setData(hist.map((p) => ({ time: epoch(p.timestamp), value: p.pcr_oi })));
  s.pcrVol.setData(hist.map((p) => ({ time: epoch(p.timestamp), value: p.pcr_volume })));
  const chains = [...history.chains].reverse();
  s.straddle.setData(chains.map((c) => ({ time: epoch(c.timestamp), value: c.atm_straddle_price })));
  s.move.setData(chains.map((c) => ({ time: epoch(c.timestamp), value: c.expected_move })));
  ivPoints = iv.history.map((p) => ({ time: epoch(p.timestamp), value: p.atm_iv * 100 }));
  s.iv.setData(ivPoints);
  s.rank.setData(rankSeries(ivPoints));
  text($("iv-rank"), iv.iv_rank == null ? "–" : num(iv.iv_rank, 0));
  strikes(latest);
}

export async function mount(root, ctx) {
  build();
  const select = $("expiry");
  const start = async (product) => {
    const expiry = await fillExpiries(select, product, ctx.params.get("expiry"), (e) => show(get("product"), e));
    await show(product, expiry);
  };
  on("chain_update", (chain) => {
    if (chain.product !== current.product || chain.expiry !== current.expiry) return;
    const t = epoch(chain.timestamp);
    s.pcrOi.push({ time: t, value: chain.pcr_oi });
    s.pcrVol.push({ time: t, value: chain.pcr_volume });
    s.straddle.push({ time: t, value: chain.atm_straddle_price });
    s.move.push({ time: t, value: chain.expected_move });
    pushIv(t, chain.atm_iv);
    strikes(chain);
  });
  watch("product", start);
  await start(get("product"));
}
