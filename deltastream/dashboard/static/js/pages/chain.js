// The option chain: keyed rows per strike, cells updated only when their text changes.
import { getJson } from "../api.js";
import { fillExpiries } from "../expiry.js";
import { buildup, compact, h, num, pct, signed, text, time } from "../format.js";
import { on, subscribe, unsubscribe } from "../socket.js";
import { get, set, watch } from "../store.js";

// Per side, from the outside in (puts are mirrored): [key, header, formatter].
const SIDE = [
  ["open_interest", "OI", compact],
  ["oi_change", "OI chg", (v) => (v == null ? "–" : (v > 0 ? "+" : "") + compact(v))],
  ["buildup", "B/U", buildup],
  ["iv", "IV", (v) => pct(v, 1)],
  ["delta", "Delta", (v) => num(v, 3)],
  ["gamma", "Gamma", (v) => num(v, 5)],
  ["theta", "Theta", (v) => num(v, 2)],
  ["vega", "Vega", (v) => num(v, 2)],
  ["bid", "Bid", num],
  ["ask", "Ask", num],
  ["last", "Last", num],
];
const CALL_COLS = SIDE;
const PUT_COLS = [...SIDE].reverse();

const perf = (window.__dsPerf ??= { chainRenders: [] });
let rows = new Map(); // strike -> {tr, strike, cells: {c:{}, p:{}}, bars: {c, p}}
let order = [];
let body;
let current = { product: null, expiry: null };
let lastTick = null;

function head() {
  const tr = document.getElementById("chain-head");
  const cells = [
    ...CALL_COLS.map(([, label]) => h("th", { scope: "col", class: "c" }, label)),
    h("th", { scope: "col", class: "c" }, "Vol"),
    h("th", { scope: "col", class: "k" }, "Strike"),
    h("th", { scope: "col", class: "p" }, "Vol"),
    ...PUT_COLS.map(([, label]) => h("th", { scope: "col", class: "p" }, label)),
  ];
  tr.replaceChildren(...cells);
}

function makeRow(strike) {
  const tr = h("tr", { "data-strike": String(strike) });
  const row = { tr, strike, cells: { c: {}, p: {} }, bars: {} };
  const cell = (side, key) => {
    const td = h("td", { class: `${side} ${key}` });
    if (key === "open_interest") {
      const bar = h("span", { class: "bar", "aria-hidden": "true" });
      const label = h("span", { class: "v" });
      td.append(bar, label);
      row.bars[side] = bar;
      row.cells[side][key] = label;
    } else {
      row.cells[side][key] = td;
    }
    return td;
  };
  for (const [key] of CALL_COLS) tr.append(cell("c", key));
  tr.append(cell("c", "volume"));
  const k = h("th", { scope: "row", class: "k" }, num(strike, strike % 1 ? 1 : 0));
  tr.append(k);
  tr.append(cell("p", "volume"));
  for (const [key] of PUT_COLS) tr.append(cell("p", key));
  return row;
}

// Reuses the row of every strike still listed; moves, adds and drops rows only when the strikes change.
function ensureRows(strikes) {
  if (strikes.length === order.length && strikes.every((s, i) => s === order[i])) return;
  const next = new Map();
  for (const s of strikes) next.set(s, rows.get(s) || makeRow(s));
  for (const [s, row] of rows) if (!next.has(s)) row.tr.remove();
  strikes.forEach((s, i) => {
    const tr = next.get(s).tr;
    if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
  });
  rows = next;
  order = [...strikes];
}

function setClass(el, name, on) {
  if (el.classList.contains(name) !== on) el.classList.toggle(name, on);
}

export function renderChain(chain) {
  const t0 = performance.now();
  ensureRows(chain.strikes);
  const calls = new Map(chain.calls.map((q) => [q.strike, q]));
  const puts = new Map(chain.puts.map((q) => [q.strike, q]));
  let maxOi = 1;
  for (const q of chain.calls) maxOi = Math.max(maxOi, q.open_interest || 0);
  for (const q of chain.puts) maxOi = Math.max(maxOi, q.open_interest || 0);
  const spot = chain.spot_price;
  let spotRow = null;
  for (const s of chain.strikes) if (s <= spot) spotRow = s;
  for (const s of chain.strikes) {
    const row = rows.get(s);
    for (const [side, quotes] of [["c", calls], ["p", puts]]) {
      const q = quotes.get(s) || {};
      const cells = row.cells[side];
      for (const [key, , fmt] of SIDE) text(cells[key], fmt(q[key]));
      text(cells.volume, compact(q.volume));
      const w = `${(((q.open_interest || 0) / maxOi) * 100).toFixed(1)}%`;
      if (row.bars[side].style.width !== w) row.bars[side].style.width = w;
      const chg = cells.oi_change;
      setClass(chg, "up", (q.oi_change || 0) > 0);
      setClass(chg, "down", (q.oi_change || 0) < 0);
    }
    setClass(row.tr, "itm-c", s < spot);
    setClass(row.tr, "itm-p", s > spot);
    setClass(row.tr, "atm", s === chain.atm_strike);
    setClass(row.tr, "mp", s === chain.max_pain_strike);
    setClass(row.tr, "spot", s === spotRow);
  }
  const ms = performance.now() - t0;
  perf.chainRenders.push({ ms, strikes: chain.strikes.length });
  if (perf.chainRenders.length > 500) perf.chainRenders.shift();
  set({ chainAt: chain.timestamp });
  return ms;
}

function summary(chain, iv) {
  const s = document.getElementById("summary");
  const put = (k, v) => text(s.querySelector(`[data-k="${k}"]`), v);
  if (chain) {
    put("spot", num(chain.spot_price));
    put("pcr_oi", num(chain.pcr_oi, 3));
    put("pcr_volume", num(chain.pcr_volume, 3));
    put("straddle", num(chain.atm_straddle_price));
    const pctMove = chain.spot_price ? (chain.expected_move / chain.spot_price) * 100 : null;
    put("expected_move", `±${num(chain.expected_move)} (${num(pctMove, 2)}%)`);
    put("atm_iv", pct(chain.atm_iv, 2));
    put("max_pain", num(chain.max_pain_strike, 0));
    put("gex", compact(chain.gex));
    put("dte", num(chain.days_to_expiry, 1));
    text(document.getElementById("chain-time"), `Chain at ${time(chain.timestamp)}`);
  }
  if (iv) put("iv_rank", iv.iv_rank == null ? "–" : `${num(iv.iv_rank, 0)} (pctl ${num(iv.iv_percentile, 0)})`);
  if (lastTick) {
    put("spot", num(lastTick.price));
    const el = s.querySelector('[data-k="change"]');
    text(el, `${signed(lastTick.change)} (${signed(lastTick.change_pct, 2)}%)`);
    setClass(el, "up", lastTick.change > 0);
    setClass(el, "down", lastTick.change < 0);
  }
}

async function loadIv() {
  const { product, expiry } = current;
  if (!product) return;
  try {
    summary(null, await getJson(`/api/analytics/iv/${product}`, { expiry, lookback_hours: 168, points: 60 }));
  } catch (e) {
    if (e.status !== 404) console.warn("iv", e.message);
  }
}

async function show(product, expiry) {
  if (current.expiry) unsubscribe("chain", current.product, current.expiry);
  current = { product, expiry };
  lastTick = null;
  if (!expiry) return;
  subscribe("chain", product, expiry);
  try {
    const chain = await getJson(`/api/data/chain/${product}/latest`, { expiry });
    if (current.expiry === expiry) {
      renderChain(chain);
      summary(chain);
    }
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  loadIv();
}

export async function mount(root, ctx) {
  body = document.getElementById("chain-body");
  head();
  const select = document.getElementById("expiry");
  const start = async (product) => {
    const expiry = await fillExpiries(select, product, ctx.params.get("expiry"), (e) => show(get("product"), e));
    await show(product, expiry);
  };
  on("chain_update", (chain) => {
    if (chain.product !== current.product || chain.expiry !== current.expiry) return;
    renderChain(chain);
    summary(chain);
  });
  on("underlying_update", (tick) => {
    if (tick.product !== current.product) return;
    lastTick = tick;
    summary(null);
  });
  watch("product", start);
  setInterval(loadIv, 60_000);
  await start(get("product"));
}
