// Volatility: the smile per expiry, the ATM term structure and the 3-D surface (loaded lazily).
import { getJson } from "../api.js";
import { LineSeries, PALETTE, byStrike, color, strikeChart } from "../charts.js";
import { h, time, text } from "../format.js";
import { on, subscribe, unsubscribe } from "../socket.js";
import { get, watch } from "../store.js";

const $ = (id) => document.getElementById(id);
let product = null;
let smile;
let term;
const fitted = [];
const smiles = new Map(); // expiry -> series
let surface = null; // the 3-D view, once its module has loaded

function render(body) {
  const expiries = body.expiries || [];
  const seen = new Set();
  const keys = [];
  expiries.forEach((e, i) => {
    seen.add(e.expiry);
    const c = PALETTE[i % PALETTE.length];
    if (!smiles.has(e.expiry)) smiles.set(e.expiry, smile.addSeries(LineSeries, { color: c, lineWidth: 2, title: e.expiry }));
    const series = smiles.get(e.expiry);
    series.applyOptions({ color: c });
    series.setData(byStrike(e.strikes.map((k, j) => ({ time: k, value: e.ivs[j] == null ? null : e.ivs[j] * 100 }))));
    const li = h("li", {}, e.expiry);
    li.style.setProperty("--c", c);
    keys.push(li);
  });
  for (const [e, series] of smiles) {
    if (!seen.has(e)) {
      smile.removeSeries(series);
      smiles.delete(e);
    }
  }
  $("smile-keys").replaceChildren(...keys);
  term.setData(
    byStrike(expiries.map((e) => ({ time: Math.round((e.days_to_expiry ?? 0) * 100) / 100, value: e.atm_iv == null ? null : e.atm_iv * 100 }))),
  );
  text($("vol-time"), `Surface at ${time(body.timestamp)} · spot ${body.spot_price ?? "–"}`);
  for (const c of fitted) c.timeScale().fitContent();
  if (surface) surface.update(expiries);
  document.body.dataset.surfaceAt = body.timestamp;
}

async function show(p) {
  if (product) unsubscribe("product", product);
  product = p;
  subscribe("product", p);
  try {
    render(await getJson(`/api/analytics/volatility-surface/${p}`));
  } catch (e) {
    if (e.status !== 404) throw e;
    render({ expiries: [] });
  }
}

export async function mount() {
  smile = strikeChart($("smile-chart"));
  const termChart = strikeChart($("term-chart"));
  fitted.push(smile, termChart);
  term = termChart.addSeries(LineSeries, {
    color: color("--accent"),
    lineWidth: 2,
    pointMarkersVisible: true,
    title: "ATM IV %",
  });
  on("surface_update", (body) => body.product === product && render(body));
  watch("product", show);
  // The 3-D view is this page's only use of its module: import it here, not in the shell.
  const { Surface3D } = await import("../surface3d.js");
  surface = new Surface3D($("surface"));
  await show(get("product"));
}
