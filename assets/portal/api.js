// The portal's one way to call the API: same-origin fetch with the session cookie (which is
// what passes the API's CSRF rule), JSON in and out, errors explained in words with the fix
// from error-codes.md, and the step-up retry.
import { h, show, busy } from "./dom.js";

let catalog = null;
function errorCatalog() {
  catalog ??= fetch("/portal/assets/errors.json").then((r) => r.json()).catch(() => ({}));
  return catalog;
}

/** {status, ok, body, headers}; a network failure is status 0. */
export async function api(method, path, body, headers = {}) {
  const init = { method, credentials: "same-origin", headers: { accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { status: 0, ok: false, body: { error: "The server could not be reached. Check the connection and try again." } };
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, ok: response.ok, body: parsed, headers: response.headers };
}

/**
 * Calls the API; an answer of STEP_UP_REQUIRED opens the step-up dialog for its purpose and,
 * once the user has proved a factor, retries the call once with the token.
 */
export async function guarded(method, path, body) {
  const first = await api(method, path, body);
  if (first.status !== 401 || first.body?.code !== "STEP_UP_REQUIRED") return first;
  const { stepUp } = await import("./stepup.js");
  const token = await stepUp(first.body.purpose, first.body);
  if (!token) return { ...first, cancelled: true };
  return api(method, path, body, { "x-step-up-token": token });
}

function seconds(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return "a moment";
  if (n < 90) return `${Math.max(1, Math.round(n))} seconds`;
  return `${Math.round(n / 60)} minutes`;
}

/** What went wrong, as {message, fix, code, field, reason}. */
export async function explain(result) {
  const errors = await errorCatalog();
  const body = result.body && typeof result.body === "object" ? result.body : {};
  const code = body.code || body.scimType;
  const entry = errors[code] || {};
  const message = body.error || body.detail || entry.meaning || `The server answered ${result.status}.`;
  let fix = (entry.fix || "").replaceAll("`", "");
  const retry = result.headers?.get?.("retry-after");
  if (retry && (result.status === 429 || result.status === 503)) fix = `Try again in ${seconds(retry)}. ${fix}`;
  const named = typeof body.reason === "string" ? body.reason.match(/^([A-Za-z][\w.]*): /) : null;
  return { message, fix: fix.trim(), code, field: body.field || named?.[1], reason: body.reason };
}

/** What a SAML sign-in check (`check` of an ACS refusal) means, from error-codes.md. */
export async function checkMeaning(check) {
  const errors = await errorCatalog();
  return (errors.checks?.[check] || "").replaceAll("`", "");
}

/** The sentence for a failed result, as an element. */
export async function problem(result) {
  const e = await explain(result);
  return h("div", { class: "problem", role: "alert" },
    h("p", { class: "message" }, e.message, e.reason && e.reason !== e.message ? ` (${e.reason})` : ""),
    e.fix ? h("p", { class: "fix" }, e.fix) : null,
    e.code ? h("p", { class: "code" }, "Code: ", h("code", {}, e.code)) : null);
}

/**
 * Shows a failed result in a form: next to the field it names when the form has that field,
 * else in the form's `.form-error` slot. Clears earlier errors first.
 */
export async function report(form, result) {
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const slot = form.querySelector(".form-error");
  if (slot) slot.replaceChildren();
  if (!result || result.ok) return;
  const e = await explain(result);
  const input = e.field ? form.querySelector(`[name="${CSS.escape(e.field)}"]`) : null;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    const error = document.getElementById(`${input.id}-error`);
    if (error) {
      show(error, e.reason || e.message, e.fix ? ` ${e.fix}` : "");
      input.focus();
      return;
    }
  }
  if (slot) slot.replaceChildren(await problem(result));
}

/**
 * A form's write through guarded(), its submit button disabled meanwhile; a refusal is shown
 * in the form (report()), a success clears its errors. Answers the result.
 */
export async function submit(form, method, path, body) {
  const result = await busy(form.querySelector("button[type=submit]"), () => guarded(method, path, body));
  await report(form, result.cancelled ? null : result);
  return result;
}
