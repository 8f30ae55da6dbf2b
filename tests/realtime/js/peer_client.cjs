// The peer's Node client, unchanged: connect, subscribe to a product and a chain, get_products.
// Usage: node peer_client.cjs URL [TOKEN]. Prints one JSON line; exit 0 once every event arrived.
const { io } = require("socket.io-client");

const [url, token] = process.argv.slice(2);
const wanted = new Set([
  "connected", "subscribed:product:NIFTY", "subscribed:chain:NIFTY", "products",
  "underlying_update", "chain_summary", "chain_update",
]);
const seen = {};
const socket = io(url, { reconnection: false, timeout: 10000, auth: token ? { token } : undefined });

function finish(code, extra) {
  console.log(JSON.stringify({ code, seen, missing: [...wanted], ...extra }));
  socket.close();
  process.exit(code);
}

function mark(key, data) {
  if (!(key in seen)) seen[key] = data;
  wanted.delete(key);
  if (wanted.size === 0) finish(0, { transport: socket.io.engine.transport.name });
}

setTimeout(() => finish(1, { error: "timed out" }), 30000);
socket.on("connect_error", (err) => finish(2, { error: err.message, data: err.data }));
socket.on("connected", (data) => {
  mark("connected", data);
  socket.emit("subscribe", { type: "product", symbol: "NIFTY" });
  socket.emit("subscribe", { type: "chain", symbol: "NIFTY" });
  socket.emit("get_products");
});
socket.on("subscribed", (data) => mark(`subscribed:${data.room}`, data));
socket.on("products", (data) => mark("products", data));
socket.on("underlying_update", (tick) => { if (tick.product === "NIFTY") mark("underlying_update", tick); });
socket.on("chain_summary", (summary) => mark("chain_summary", summary));
socket.on("chain_update", (chain) => {
  if (chain.product === "NIFTY") mark("chain_update", { keys: Object.keys(chain).sort(), calls: chain.calls.length });
});
