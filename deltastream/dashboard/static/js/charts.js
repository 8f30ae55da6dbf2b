// lightweight-charts helpers: theme-aware charts by time and by strike (the options chart).
import {
  AreaSeries,
  CandlestickSeries,
  HistogramSeries,
  LineSeries,
  createChart,
  createOptionsChart,
  createSeriesMarkers,
} from "../vendor/lightweight-charts/lightweight-charts.standalone.production.mjs";
import { watch } from "./store.js";

export { AreaSeries, CandlestickSeries, HistogramSeries, LineSeries, createSeriesMarkers };

const charts = new Set();

export function color(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export const PALETTE = ["#4c8dff", "#f5a623", "#2fbf71", "#ef5350", "#ab47bc", "#26c6da", "#8d6e63", "#d4e157"];

function themed() {
  return {
    layout: { background: { color: "transparent" }, textColor: color("--muted"), attributionLogo: false },
    grid: { vertLines: { color: color("--line") }, horzLines: { color: color("--line") } },
    rightPriceScale: { borderColor: color("--line") },
    leftPriceScale: { borderColor: color("--line") },
    timeScale: { borderColor: color("--line") },
  };
}

watch("theme", () => {
  for (const c of charts) c.applyOptions(themed());
});

// A chart with a time axis (UTC seconds).
export function timeChart(el, options = {}) {
  const chart = createChart(el, {
    autoSize: true,
    ...themed(),
    timeScale: { ...themed().timeScale, timeVisible: true, secondsVisible: true },
    ...options,
  });
  charts.add(chart);
  return chart;
}

// A chart whose horizontal axis is a price (strike, or days to expiry).
export function strikeChart(el, options = {}) {
  const chart = createOptionsChart(el, { autoSize: true, ...themed(), ...options });
  charts.add(chart);
  return chart;
}

// Keeps a time series strictly ascending: the same second replaces the last point, an older one is dropped.
export class TimeSeries {
  constructor(series) {
    this.series = series;
    this.last = -Infinity;
  }

  setData(points) {
    const byTime = new Map();
    for (const p of points) if (p.value != null && Number.isFinite(p.time)) byTime.set(p.time, p);
    const data = [...byTime.values()].sort((a, b) => a.time - b.time);
    this.series.setData(data);
    this.last = data.length ? data[data.length - 1].time : -Infinity;
  }

  push(point) {
    if (point.value == null || point.time < this.last) return;
    this.series.update(point);
    this.last = point.time;
  }
}

// Sorted, de-duplicated {time: x, value} points for a chart by strike.
export function byStrike(points) {
  const m = new Map();
  for (const p of points) if (p.value != null && Number.isFinite(p.value)) m.set(p.time, p);
  return [...m.values()].sort((a, b) => a.time - b.time);
}
