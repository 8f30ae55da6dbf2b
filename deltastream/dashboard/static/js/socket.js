// The one Socket.IO connection of the page, its subscriptions (re-sent on every reconnect) and
// the time of the last event for the selected product (for the stale-feed badge).
import { io } from "../vendor/socket.io-client/socket.io.esm.min.js";
import { refreshNow, logout, token } from "./auth.js";
import { get, set } from "./store.js";

let socket = null;
const rooms = new Map(); // "type|symbol|expiry" -> payload

function key(p) {
  return `${p.type}|${p.symbol}|${p.expiry || ""}`;
}

export function connect() {
  if (socket) return socket;
  socket = io({
    auth: (cb) => {
      const t = token();
      cb(t ? { token: t } : {});
    },
  });
  socket.on("connect", () => {
    set({ connected: true });
    for (const p of rooms.values()) socket.emit("subscribe", p);
  });
  socket.on("disconnect", () => set({ connected: false }));
  socket.on("connect_error", async (err) => {
    const code = err && err.data && err.data.code;
    if (code === "token_expired" || code === "invalid_token") {
      if (!(await refreshNow())) logout();
      socket.connect();
    } else if (code === "unauthorized") {
      set({ notice: "Sign in to see live data: this server does not allow public reads." });
    }
  });
  socket.on("error", (e) => console.warn("socket error", e && e.code, e && e.message));
  const touch = (msg) => {
    if (msg && msg.product === get("product")) set({ lastEventAt: performance.now() });
  };
  socket.on("underlying_update", touch);
  socket.on("chain_summary", touch);
  return socket;
}

export function subscribe(type, symbol, expiry) {
  const p = expiry ? { type, symbol, expiry } : { type, symbol };
  rooms.set(key(p), p);
  if (socket && socket.connected) socket.emit("subscribe", p);
}

export function unsubscribe(type, symbol, expiry) {
  const p = expiry ? { type, symbol, expiry } : { type, symbol };
  if (rooms.delete(key(p)) && socket && socket.connected) socket.emit("unsubscribe", p);
}

// Listens to a server event; returns the function that stops listening.
export function on(event, fn) {
  connect().on(event, fn);
  return () => socket.off(event, fn);
}
