// Sign-in state: tokens in localStorage, refreshed a minute before the access token expires.
import { set } from "./store.js";

const KEY = "ds.auth";
const MARGIN_MS = 60_000;
let timer = null;
let refreshing = null;

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

function save(auth) {
  if (auth) localStorage.setItem(KEY, JSON.stringify(auth));
  else localStorage.removeItem(KEY);
  set({ user: auth ? auth.user : null, token: auth ? auth.token : null });
  schedule(auth);
}

function schedule(auth) {
  clearTimeout(timer);
  if (!auth || !auth.expires_at) return;
  const wait = Math.max(0, auth.expires_at - Date.now() - MARGIN_MS);
  timer = setTimeout(refreshNow, Math.min(wait, 2 ** 31 - 1));
}

function fromResponse(body) {
  return {
    token: body.token,
    refresh_token: body.refresh_token,
    user: body.user,
    expires_at: Date.now() + (body.expires_in || 0) * 1000,
  };
}

export function authHeader() {
  const auth = load();
  return auth && auth.token ? { Authorization: `Bearer ${auth.token}` } : {};
}

export function token() {
  const auth = load();
  return auth ? auth.token : null;
}

async function post(path, data) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(data),
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (body && body.error) || {};
    const err = new Error(e.message || `HTTP ${res.status}`);
    err.code = e.code;
    err.status = res.status;
    throw err;
  }
  return body;
}

export async function login(email, password) {
  save(fromResponse(await post("/api/auth/login", { email, password })));
}

export async function register(email, password, name) {
  save(fromResponse(await post("/api/auth/register", { email, password, name: name || undefined })));
}

// Exchanges the refresh token for a new pair; false (and signed out) when it is refused.
export function refreshNow() {
  const auth = load();
  if (!auth || !auth.refresh_token) return Promise.resolve(false);
  refreshing ??= post("/api/auth/refresh", { refresh_token: auth.refresh_token })
    .then((body) => {
      save({ ...fromResponse(body), user: body.user || auth.user });
      return true;
    })
    .catch(() => {
      save(null);
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export function logout() {
  save(null);
}

// Restores the stored session (refreshing at once if the access token is about to expire).
export function initAuth() {
  const auth = load();
  if (!auth) return save(null);
  if (auth.expires_at - Date.now() < MARGIN_MS) return void refreshNow();
  save(auth);
}
