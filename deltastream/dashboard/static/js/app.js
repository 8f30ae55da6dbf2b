// The shell: theme, session, product picker, feed badge, then the page's own module.
import { getJson } from "./api.js";
import { initAuth, logout } from "./auth.js";
import { connect } from "./socket.js";
import { get, set, watch } from "./store.js";
import { text } from "./format.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const STALE_S = Number(params.get("stale")) > 0 ? Number(params.get("stale")) : 5;

function initTheme() {
  const root = document.documentElement;
  const btn = $("theme");
  const show = () => {
    const dark = root.dataset.theme !== "light";
    btn.setAttribute("aria-pressed", String(!dark));
    btn.textContent = dark ? "Light" : "Dark";
    set({ theme: dark ? "dark" : "light" });
  };
  btn.addEventListener("click", () => {
    root.dataset.theme = root.dataset.theme === "light" ? "dark" : "light";
    localStorage.setItem("ds.theme", root.dataset.theme);
    show();
  });
  show();
}

function initSession() {
  watch("user", (user) => {
    $("user").hidden = !user;
    $("logout").hidden = !user;
    $("signin").hidden = !!user;
    text($("user"), user ? user.name || user.email : "");
    for (const a of document.querySelectorAll("#nav a[data-admin]")) a.hidden = !(user && user.is_admin);
  });
  $("logout").addEventListener("click", () => logout());
  initAuth();
}

async function initProducts() {
  const select = $("product");
  const wanted = (params.get("product") || localStorage.getItem("ds.product") || "NIFTY").toUpperCase();
  let products = ["NIFTY"];
  try {
    products = (await getJson("/api/data/products")).products;
  } catch (e) {
    showNotice(e.message);
  }
  select.replaceChildren(...products.map((p) => new Option(p, p)));
  select.value = products.includes(wanted) ? wanted : products[0];
  select.addEventListener("change", () => {
    localStorage.setItem("ds.product", select.value);
    const url = new URL(location.href);
    url.searchParams.set("product", select.value);
    history.replaceState(null, "", url);
    set({ product: select.value, lastEventAt: null });
  });
  set({ product: select.value, products });
}

function initFeedBadge() {
  const badge = $("feed");
  const paint = () => {
    const last = get("lastEventAt");
    let state = "waiting";
    if (last != null) state = performance.now() - last > STALE_S * 1000 ? "stale" : "live";
    if (!get("connected") && last != null) state = "stale";
    if (badge.dataset.state !== state) {
      badge.dataset.state = state;
      badge.textContent = state === "stale" ? `stale: no tick for ${STALE_S}s+` : state;
    }
  };
  setInterval(paint, 500);
  watch("lastEventAt", paint);
  watch("connected", paint);
}

export function showNotice(message) {
  const n = $("notice");
  n.hidden = !message;
  text(n, message || "");
}

async function main() {
  initTheme();
  initSession();
  watch("notice", showNotice);
  connect();
  initFeedBadge();
  await initProducts();
  const name = document.body.dataset.page;
  const page = await import(`./pages/${name}.js`);
  await page.mount(document.getElementById("main"), { params, staleSeconds: STALE_S, notice: showNotice });
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  console.warn(e);
  showNotice(`The page failed to start: ${e.message}`);
});
