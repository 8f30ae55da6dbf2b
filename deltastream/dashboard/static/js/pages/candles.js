// OHLC candles of the underlying: REST history, then every ohlc_update of the chosen window.
import { getJson } from "../api.js";
import { CandlestickSeries, TimeSeries, color, timeChart } from "../charts.js";
import { epoch, num, text } from "../format.js";
import { on, subscribe, unsubscribe } from "../socket.js";
import { get, watch } from "../store.js";

let win = 1;
let product = null;
let candles;

function bar(c) {
  return { time: epoch(c.start_time), open: c.open, high: c.high, low: c.low, close: c.close, value: c.close };
}

function label(c) {
  text(document.getElementById("candle-last"), num(c.close));
  text(document.getElementById("candle-ohlc"), `O ${num(c.open)} H ${num(c.high)} L ${num(c.low)} C ${num(c.close)}`);
}

async function load() {
  const body = await getJson(`/api/data/ohlc/${product}`, { window: win, limit: 500 });
  const list = [...body.candles].reverse();
  if (body.current) list.push(body.current);
  candles.setData(list.map(bar));
  if (list.length) label(list[list.length - 1]);
}

async function show(p) {
  if (product) unsubscribe("product", product);
  product = p;
  subscribe("product", p);
  await load();
}

export async function mount() {
  const chart = timeChart(document.getElementById("candles-chart"));
  candles = new TimeSeries(
    chart.addSeries(CandlestickSeries, {
      upColor: color("--up"),
      downColor: color("--down"),
      wickUpColor: color("--up"),
      wickDownColor: color("--down"),
      borderVisible: false,
    }),
  );
  for (const btn of document.querySelectorAll("[data-window]")) {
    btn.addEventListener("click", async () => {
      win = Number(btn.dataset.window);
      for (const b of document.querySelectorAll("[data-window]")) b.setAttribute("aria-pressed", String(b === btn));
      await load();
    });
  }
  on("ohlc_update", (c) => {
    if (c.product !== product || c.window_minutes !== win) return;
    candles.push(bar(c));
    label(c);
  });
  watch("product", show);
  await show(get("product"));
}
