// One step-up dialog for every portal call that answers STEP_UP_REQUIRED: it asks the server
// which factors this purpose accepts, explains a purpose that needs a passkey
// (PHISHING_RESISTANT_REQUIRED), and resolves with the single-use token (or null if the user
// closes it). api.js retries the call with the token.
import { h, show } from "./dom.js";
import { api, problem } from "./api.js";
import { factorForm, factorWords } from "./factors.js";

const dialog = () => document.getElementById("stepup");

/** Proves a factor for `purpose`; the token, or null when cancelled. */
export function stepUp(purpose, refusal = {}) {
  return new Promise((resolve) => {
    const d = dialog();
    let settled = false;
    const finish = (token) => {
      if (settled) return;
      settled = true;
      if (d.open) d.close();
      resolve(token);
    };
    const body = h("div", { class: "stepup-body" }, h("p", { class: "muted" }, "Asking the server what this action accepts…"));
    show(d,
      h("h2", { id: "stepup-title" }, "Confirm it’s you"),
      h("p", {}, `This action (${purpose}) needs a fresh proof of identity.`),
      refusal.requiresPhishingResistant
        ? h("p", { class: "note" }, "It accepts a passkey only: a passkey is bound to this site, so it cannot be phished, " +
            "while a one-time code can be typed into a look-alike page.")
        : null,
      body,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: () => finish(null) }, "Cancel")));
    d.addEventListener("close", () => finish(null), { once: true });
    d.showModal();
    load(purpose, body, finish);
  });
}

async function load(purpose, body, finish) {
  const options = await api("POST", "/api/auth/step-up/challenge-options", { purpose });
  if (!options.ok) {
    show(body, await problem(options));
    return;
  }
  const { factors, publicKey } = options.body;
  show(body,
    h("p", {}, `Use your ${factorWords(factors)}.`),
    factorForm({
      factors,
      publicKey,
      send: (proof) => api("POST", "/api/auth/step-up/verify", { purpose, ...proof }),
      done: (result) => finish(result.body.token),
    }));
  body.querySelector(".factors button, .factors input")?.focus();
}
