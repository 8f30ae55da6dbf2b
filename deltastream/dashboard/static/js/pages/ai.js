// AI analyst: pulse and sentiment of the selected product (refreshed when its chain updates,
// at most every REFRESH_MS), and the cited chat. Everything is inserted as text, never as HTML.
import { getJson, postJson } from "../api.js";
import { h, num, text, time } from "../format.js";
import { on, subscribe, unsubscribe } from "../socket.js";
import { get, watch } from "../store.js";

const REFRESH_MS = 5000;
let product = null;
let lastLoad = 0;
let pending = null;

function showError(message) {
  text(document.getElementById("ai-error"), message || "");
}

async function load() {
  lastLoad = Date.now();
  const [pulse, sentiment] = await Promise.all([
    getJson("/api/ai/pulse", { product }),
    getJson("/api/ai/sentiment", { product }),
  ]);
  text(document.getElementById("ai-pulse"), pulse.analysis);
  text(document.getElementById("ai-pulse-source"), pulse.source);
  text(document.getElementById("ai-time"), `as of ${time(pulse.data.timestamp)}`);
  const label = document.getElementById("ai-label");
  text(label, sentiment.sentiment);
  label.className = `badge ${sentiment.sentiment === "bullish" ? "up" : sentiment.sentiment === "bearish" ? "down" : ""}`;
  text(document.getElementById("ai-score"), num(sentiment.score, 3));
  const rows = sentiment.reasons.map((r) => {
    const tr = h("tr", { title: r.explanation });
    for (const v of [r.signal, num(r.value, 3), num(r.score, 3), num(r.weight, 2), num(r.contribution, 3)]) {
      tr.append(h("td", {}, v));
    }
    return tr;
  });
  document.getElementById("ai-reasons").replaceChildren(...rows);
  text(document.getElementById("ai-headline-source"), sentiment.headline_source);
  document.getElementById("ai-headlines").replaceChildren(...sentiment.headlines.map((t) => h("li", {}, t)));
}

function refreshSoon() {
  if (pending) return;
  const wait = Math.max(0, REFRESH_MS - (Date.now() - lastLoad));
  pending = setTimeout(async () => {
    pending = null;
    try {
      await load();
    } catch (e) {
      showError(e.message);
    }
  }, wait);
}

async function ask(event) {
  event.preventDefault();
  const question = document.getElementById("ai-question").value.trim();
  if (!question) return;
  showError("");
  try {
    const body = await postJson("/api/ai/chat", { question, product });
    text(document.getElementById("ai-answer"), body.answer);
    text(document.getElementById("ai-mode"), body.mode === "llm" ? "phrased by the language model" : "offline answer");
    document.getElementById("ai-sources").replaceChildren(...body.sources.map((s) => h("li", {}, `${s.title} — ${s.source}`)));
  } catch (e) {
    showError(e.message);
  }
}

async function show(p) {
  if (product) unsubscribe("chain", product);
  product = p;
  subscribe("chain", p);
  try {
    await load();
    showError("");
  } catch (e) {
    showError(e.message);
  }
}

export async function mount() {
  document.getElementById("ai-chat").addEventListener("submit", ask);
  on("chain_summary", (s) => {
    if (s.product === product) refreshSoon();
  });
  watch("product", show);
  await show(get("product"));
}
