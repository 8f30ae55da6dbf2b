// Number formatting for tables and summaries ("–" for missing values).
const DASH = "–";

export function num(v, digits = 2) {
  return v == null || Number.isNaN(v) ? DASH : Number(v).toFixed(digits);
}

export function pct(v, digits = 1) {
  return v == null ? DASH : `${(v * 100).toFixed(digits)}%`;
}

export function signed(v, digits = 2) {
  return v == null ? DASH : `${v > 0 ? "+" : ""}${Number(v).toFixed(digits)}`;
}

// 1234567 -> "12.3L" (lakhs) style is regional; use compact K/M/B for every product.
export function compact(v) {
  if (v == null) return DASH;
  const a = Math.abs(v);
  const s = v < 0 ? "-" : "";
  if (a >= 1e9) return `${s}${(a / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${s}${(a / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${s}${(a / 1e3).toFixed(1)}K`;
  return `${s}${a.toFixed(0)}`;
}

export function time(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? DASH : d.toLocaleTimeString();
}

// An ISO timestamp as lightweight-charts' UTCTimestamp (seconds).
export function epoch(iso) {
  return Math.floor(new Date(iso).getTime() / 1000);
}

const BUILDUP = { long_buildup: "LB", short_buildup: "SB", short_covering: "SC", long_unwinding: "LU" };
export function buildup(v) {
  return v ? BUILDUP[v] || v : DASH;
}

// Replaces the text of el only when it changed (no layout work for equal values).
export function text(el, value) {
  if (el.textContent !== value) el.textContent = value;
}

export function h(tag, attrs = {}, textContent) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") el.className = v;
    else el.setAttribute(k, v);
  }
  if (textContent != null) el.textContent = textContent;
  return el;
}
