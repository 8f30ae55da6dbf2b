// The expiry picker shared by the chain and analytics pages.
import { liveExpiries } from "./api.js";

// Fills <select id="expiry"> with the product's live expiries; calls onChange(expiry) on a pick.
export async function fillExpiries(select, product, wanted, onChange) {
  const expiries = await liveExpiries(product);
  select.replaceChildren(...expiries.map((e) => new Option(e, e)));
  select.value = expiries.includes(wanted) ? wanted : expiries[0] || "";
  select.onchange = () => onChange(select.value);
  return select.value || null;
}
