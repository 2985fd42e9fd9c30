// The second-factor form shared by sign-in (POST /api/auth/login/mfa) and step-up
// (POST /api/auth/step-up/verify): a passkey button, an authenticator-app code and a backup
// code, each offered only when the server listed that factor.
import { h, field } from "./dom.js";
import { report } from "./api.js";
import { get, ceremonyError } from "./webauthn.js";

const NAMES = { webauthn: "passkey", totp: "authenticator app", backup_code: "backup code" };

/** Words for a list of factor codes: "passkey or authenticator app". */
export function factorWords(factors) {
  return (factors || []).map((f) => NAMES[f] || f).join(" or ");
}

/**
 * A form for `factors`. `send(proof)` posts {webauthn} | {totp} | {backupCode} and returns the
 * API result; `done(result)` runs on success. Only one attempt per challenge is allowed by the
 * sign-in step, so a failure is shown and the caller decides what comes next.
 */
export function factorForm({ factors, publicKey, send, done, onFailure }) {
  const form = h("form", { class: "factors", novalidate: true });
  const attempt = async (proof) => {
    for (const b of form.querySelectorAll("button")) b.disabled = true;
    const result = await send(proof);
    for (const b of form.querySelectorAll("button")) b.disabled = false;
    if (result.ok) return done(result);
    await report(form, result);
    onFailure?.(result);
  };
  const parts = [];
  if (factors.includes("webauthn") && publicKey) {
    parts.push(h("div", { class: "factor" },
      h("button", { type: "button", class: "primary", "data-factor": "webauthn", onclick: async () => {
        let webauthn;
        try {
          webauthn = await get(publicKey);
        } catch (e) {
          form.querySelector(".form-error").replaceChildren(h("p", { role: "alert", class: "problem" }, ceremonyError(e)));
          return;
        }
        await attempt({ webauthn });
      } }, "Use a passkey")));
  }
  if (factors.includes("totp")) {
    parts.push(h("div", { class: "factor" },
      field({ label: "Code from your authenticator app", name: "totp", inputmode: "numeric", autocomplete: "one-time-code",
        pattern: "[0-9]{6}", maxlength: 6 }),
      h("button", { type: "submit", "data-factor": "totp", value: "totp" }, "Verify code")));
  }
  if (factors.includes("backup_code")) {
    parts.push(h("div", { class: "factor" },
      field({ label: "Backup code", name: "backupCode", autocomplete: "off", spellcheck: "false" }),
      h("button", { type: "submit", "data-factor": "backup_code", value: "backup_code" }, "Use backup code")));
  }
  form.append(...parts, h("div", { class: "form-error" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const which = event.submitter?.value || (form.elements.totp?.value ? "totp" : "backup_code");
    if (which === "totp") await attempt({ totp: form.elements.totp.value.trim() });
    else await attempt({ backupCode: form.elements.backupCode.value.trim() });
  });
  return form;
}
