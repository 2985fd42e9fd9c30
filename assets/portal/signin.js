// Sign-in: email and password, then whatever the answer needs. A second factor
// (POST /api/auth/login/mfa, one attempt per challenge), the enrolment-only session of a
// workspace that requires MFA (enrol on the security page, then sign in again), or SSO
// (SSO_REQUIRED, or the user's own choice): identifier-first through /api/auth/sso/discover.
import { h, show, field, values } from "./dom.js";
import { api, report, problem } from "./api.js";
import { factorForm, factorWords } from "./factors.js";
import { next } from "./app.js";

export async function render(main, me) {
  if (me && !me.enrolmentOnly) {
    location.replace(next());
    return;
  }
  passwordStep(main);
}

function passwordStep(main, email = "") {
  const form = h("form", { class: "card", novalidate: true },
    field({ label: "Email", name: "email", type: "email", autocomplete: "username", required: true, value: email }),
    field({ label: "Password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Sign in"),
      h("button", { type: "button", class: "link", onclick: () => ssoStep(main, form.elements.email.value) },
        "Sign in with SSO instead")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { email: address, password } = values(form);
    const result = await api("POST", "/api/auth/login", { email: address, password });
    await answer(main, form, address, result);
  });
  show(main, h("h1", {}, "Sign in"), form);
  form.elements[email ? "password" : "email"].focus();
}

async function answer(main, form, email, result) {
  if (result.ok && result.body.mfaRequired) return secondStep(main, email, result.body);
  if (result.ok) return location.assign(next());
  const code = result.body?.code;
  if (code === "MFA_REQUIRED" && result.body.enrolmentSession) return location.assign("/portal/security");
  if (code === "SSO_REQUIRED") return ssoStep(main, email, result);
  await report(form, result);
}

function secondStep(main, email, challenge) {
  const restart = h("button", { type: "button", class: "link", onclick: () => passwordStep(main, email) }, "Start again");
  show(main,
    h("h1", {}, "Confirm it’s you"),
    h("p", {}, `Your account has a second factor. Use your ${factorWords(challenge.factors)}.`),
    factorForm({
      factors: challenge.factors,
      publicKey: challenge.publicKey,
      send: (proof) => api("POST", "/api/auth/login/mfa", { mfaToken: challenge.mfaToken, ...proof }),
      done: () => location.assign(next()),
      onFailure: () => restart.classList.add("primary"),
    }),
    h("p", { class: "muted" }, "Each sign-in allows one attempt at the second factor; after a failure, start again. "),
    restart);
  main.querySelector(".factors button, .factors input")?.focus();
}

async function ssoStep(main, email = "", refusal = null) {
  const form = h("form", { class: "card", novalidate: true },
    field({ label: "Work email", name: "email", type: "email", autocomplete: "username", required: true, value: email }),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Continue"),
      h("button", { type: "button", class: "link", onclick: () => passwordStep(main, form.elements.email.value) },
        "Use a password instead")));
  const providers = h("div", { class: "providers" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const found = await api("POST", "/api/auth/sso/discover", { email: form.elements.email.value });
    await report(form, found);
    if (!found.ok) return;
    const relay = encodeURIComponent(next());
    show(providers, found.body.providers.length
      ? found.body.providers.map((p) => h("a", { class: "button primary", href: `${p.loginUrl}?relayState=${relay}` },
          `Continue with ${p.name}`))
      : h("p", { role: "alert" }, "Your workspace has no identity provider enabled yet. Ask an administrator to set one up."));
    providers.querySelector("a")?.focus();
  });
  show(main, h("h1", {}, "Sign in with SSO"),
    refusal ? await problem(refusal) : null,
    form, providers);
  form.elements.email.focus();
}
