// REST calls to the public API, with the bearer token when signed in.
import { authHeader, refreshNow } from "./auth.js";

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function request(path, init = {}, retry = true) {
  const headers = { Accept: "application/json", ...(init.headers || {}), ...authHeader() };
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401 && retry && (await refreshNow())) return request(path, init, false);
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const e = (body && body.error) || {};
    throw new ApiError(res.status, e.code || "http_error", e.message || `HTTP ${res.status}`, e.details);
  }
  return body;
}

export function getJson(path, params) {
  const q = params ? "?" + new URLSearchParams(Object.entries(params).filter(([, v]) => v != null)) : "";
  return request(path + q);
}

export function postJson(path, data) {
  return request(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) }, false);
}

// The nearest live expiry of a product (today or later, UTC), and the list to pick from.
export async function liveExpiries(product) {
  const { expiries } = await getJson(`/api/data/expiries/${encodeURIComponent(product)}`);
  const today = new Date().toISOString().slice(0, 10);
  const live = expiries.filter((e) => e >= today);
  return live.length ? live : expiries;
}
