// Sign-in and registration forms against /api/auth/*; back to where the user came from on success.
import { login, register } from "../auth.js";

function wire(form, action) {
  const error = form.querySelector(".error");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    error.hidden = true;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await action(data);
      const back = new URLSearchParams(location.search).get("next");
      location.assign(back && back.startsWith("/") && !back.startsWith("//") ? back : "/");
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}

export function mount() {
  wire(document.getElementById("login-form"), (d) => login(d.email, d.password));
  wire(document.getElementById("register-form"), (d) => register(d.email, d.password, d.name));
}
