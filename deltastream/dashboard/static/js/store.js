// A tiny shared state store: get, set (shallow merge) and subscribe to keys.
const state = {};
const listeners = new Map(); // key -> Set<fn>

export function get(key) {
  return state[key];
}

export function set(patch) {
  const changed = [];
  for (const [k, v] of Object.entries(patch)) {
    if (state[k] !== v) {
      state[k] = v;
      changed.push(k);
    }
  }
  for (const k of changed) for (const fn of listeners.get(k) || []) fn(state[k], k);
}

// Calls fn(value) on every change of key; returns the unsubscribe function.
export function watch(key, fn) {
  if (!listeners.has(key)) listeners.set(key, new Set());
  listeners.get(key).add(fn);
  return () => listeners.get(key).delete(fn);
}
