// Account security (/portal/security, issue 18 point 2): the signed-in user's passkeys, an
// authenticator app (QR code made in the page by qr.js), sessions, password and personal
// access tokens. An enrolment-only session (MFA-required workspace, no factor yet) sees only
// the two ways to add a factor, and is then asked to sign in again.
import { h, svg, show, values, when, copy, download } from "./dom.js";
import { api, guarded, report, problem } from "./api.js";
import { create, ceremonyError } from "./webauthn.js";
import { qrSvg } from "./qr.js";

/** A labelled input whose id starts with `prefix` (several forms on one page share names). */
function input(prefix, { label, name, type = "text", hint, ...attrs }) {
  const id = `${prefix}-${name}`;
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { id: `${id}-hint`, class: "hint" }, hint) : null,
    h("input", { id, name, type, "aria-describedby": `${id}-error${hint ? ` ${id}-hint` : ""}`, ...attrs }),
    h("p", { id: `${id}-error`, class: "field-error", "aria-live": "polite" }));
}

function section(id, title, ...children) {
  return h("section", { id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), ...children);
}

/** A live region for a section's outcome ("Passkey added."). */
const status = () => h("div", { class: "status", role: "status", "aria-live": "polite" });
const said = (el, text, kind = "ok") => show(el, text ? h("p", { class: kind }, text) : null);

/** The same result with the field the password and code forms name (the API says it in words). */
function naming(result, fields) {
  const name = fields[result.body?.code];
  return name && !result.body.field ? { ...result, body: { ...result.body, field: name } } : result;
}

async function busy(button, work) {
  button.disabled = true;
  try {
    return await work();
  } finally {
    button.disabled = false;
  }
}

/** A confirmation in a modal dialog (keyboard: focus trapped, Escape cancels); true to go on. */
function confirmAction(title, text, yes) {
  let d = document.getElementById("confirm-dialog");
  if (!d) {
    d = h("dialog", { id: "confirm-dialog", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-text" });
    document.body.append(d);
  }
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const done = (answer) => {
      if (d.open) d.close();
      resolve(answer);
    };
    show(d,
      h("h2", { id: "confirm-title" }, title),
      h("p", { id: "confirm-text" }, text),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "danger", onclick: () => done(true) }, yes),
        h("button", { type: "button", onclick: () => done(false) }, "Cancel")));
    d.addEventListener("close", () => {
      resolve(false);
      if (opener?.isConnected) opener.focus();
    }, { once: true });
    d.showModal();
    d.querySelector("button:last-child").focus();
  });
}

// ---- Passkeys ---------------------------------------------------------------------------

const KINDS = {
  key: "Security key",
  platform: "Built into a device",
  manager: "Password manager (synced)",
  phone: "Phone",
  unknown: "Authenticator not in the catalog",
};

/** What kind of authenticator a passkey lives on, from the catalog category and transports. */
export function kindOf(passkey) {
  const category = passkey.authenticatorCategory;
  if (category === "hardware" || category === "fips_hardware") return "key";
  if (category === "platform") return "platform";
  if (category === "synced") return "manager";
  if ((passkey.transports || []).includes("hybrid")) return "phone";
  return "unknown";
}

const SHAPES = {
  key: [["rect", { x: 8, y: 2, width: 8, height: 6, rx: 1 }], ["rect", { x: 5, y: 8, width: 14, height: 14, rx: 3 }],
    ["circle", { cx: 12, cy: 15, r: 2.5 }]],
  platform: [["rect", { x: 4, y: 5, width: 16, height: 11, rx: 1.5 }], ["path", { d: "M2 19.5h20" }]],
  manager: [["path", { d: "M7 19h10a4 4 0 0 0 .6-7.95A6 6 0 0 0 6.2 9.6 4.7 4.7 0 0 0 7 19z" }],
    ["circle", { cx: 12, cy: 14, r: 1.6 }]],
  phone: [["rect", { x: 7, y: 2, width: 10, height: 20, rx: 2 }], ["path", { d: "M11 18.5h2" }]],
  unknown: [["circle", { cx: 12, cy: 12, r: 9 }], ["path", { d: "M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5v.6" }],
    ["circle", { cx: 12, cy: 16.8, r: 0.4 }]],
};

/** The category's icon: decorative (the words next to it say the same). */
function icon(kind) {
  return svg("svg", { class: "passkey-icon", viewBox: "0 0 24 24", width: 32, height: 32, "aria-hidden": "true",
    focusable: "false", "data-kind": kind, fill: "none", stroke: "currentColor", "stroke-width": 1.8,
    "stroke-linecap": "round", "stroke-linejoin": "round" },
  SHAPES[kind].map(([tag, attrs]) => svg(tag, attrs)));
}

function passkeySection(me, onEnrolled) {
  const list = h("ul", { class: "passkeys", "aria-label": "Your passkeys" });
  const note = status();
  const form = h("form", { class: "add-passkey", novalidate: true },
    h("h3", {}, "Add a passkey"),
    input("passkey-add", { label: "Name for the new passkey", name: "nickname", maxlength: 64, autocomplete: "off",
      hint: "So you can tell your passkeys apart, e.g. “Work laptop” or “Blue key”." }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add a passkey")),
    h("div", { class: "form-error" }));
  const reload = async () => {
    if (me.enrolmentOnly) return;
    const result = await api("GET", "/api/me/passkeys");
    if (!result.ok) return show(list, h("li", {}, await problem(result)));
    const items = result.body.passkeys.map((p, i) => passkeyItem(p, i, list, note, reload));
    show(list, items.length ? items : h("li", { class: "muted" }, "No passkeys yet."));
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    await busy(button, async () => {
      await report(form, null);
      said(note, "");
      const options = await guarded("POST", "/api/me/passkeys/registration-options");
      if (!options.ok) return report(form, options);
      let credential;
      try {
        credential = await create(options.body.publicKey);
      } catch (e) {
        show(form.querySelector(".form-error"), h("p", { class: "problem", role: "alert" }, ceremonyError(e)));
        return;
      }
      const nickname = values(form).nickname.trim() || undefined;
      const result = await guarded("POST", "/api/me/passkeys", { credential, nickname });
      if (!result.ok) return report(form, result);
      form.reset();
      await reload();
      said(note, `Passkey “${result.body.nickname}” added.`);
      onEnrolled?.();
    });
  });
  const el = section("passkeys", "Passkeys",
    h("p", {}, "A passkey signs you in with your device’s screen lock or a security key. It is bound to this site, " +
      "so it cannot be phished."),
    me.enrolmentOnly ? null : list, note, form);
  return { el, reload };
}

function passkeyItem(p, index, list, note, reload) {
  const kind = kindOf(p);
  const item = h("li", { class: "passkey", "data-id": p.id });
  const view = () => show(item,
    icon(kind),
    h("div", { class: "passkey-text" },
      h("p", { class: "passkey-name" }, p.nickname),
      h("p", { class: "muted" }, p.authenticator || KINDS[kind], p.authenticator ? ` · ${KINDS[kind]}` : "",
        p.backedUp ? " · synced" : ""),
      h("p", { class: "muted small" }, `Added ${when(p.createdAt)} · last used ${p.lastUsedAt ? when(p.lastUsedAt) : "never"}`)),
    h("div", { class: "actions" },
      h("button", { type: "button", "aria-label": `Rename passkey ${p.nickname}`, onclick: rename }, "Rename"),
      h("button", { type: "button", class: "danger", "aria-label": `Delete passkey ${p.nickname}`, onclick: remove }, "Delete")));
  const rename = () => {
    const prefix = `passkey-rename-${index}`;
    const form = h("form", { class: "rename", novalidate: true },
      input(prefix, { label: `New name for passkey “${p.nickname}”`, name: "nickname", value: p.nickname, maxlength: 64,
        autocomplete: "off" }),
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary" }, "Save name"),
        h("button", { type: "button", onclick: () => { view(); item.querySelector("button").focus(); } }, "Cancel")),
      h("div", { class: "form-error" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = await guarded("PATCH", `/api/me/passkeys/${encodeURIComponent(p.id)}`, { nickname: values(form).nickname });
      if (!result.ok) return report(form, result);
      await reload();
      said(note, `Passkey renamed to “${result.body.nickname}”.`);
      list.querySelector(`[data-id="${CSS.escape(p.id)}"] button`)?.focus();
    });
    show(item, icon(kind), form);
    form.querySelector("input").focus();
  };
  const remove = async () => {
    const ok = await confirmAction("Delete this passkey?",
      `“${p.nickname}” will no longer sign you in. This cannot be undone.`, "Delete passkey");
    if (!ok) return;
    const result = await guarded("DELETE", `/api/me/passkeys/${encodeURIComponent(p.id)}`);
    if (!result.ok) return show(note, await problem(result));
    await reload();
    said(note, `Passkey “${p.nickname}” deleted.`);
    document.getElementById("passkeys-title").setAttribute("tabindex", "-1");
    document.getElementById("passkeys-title").focus();
  };
  view();
  return item;
}

// ---- Authenticator app -------------------------------------------------------------------

function totpSection(me, onEnrolled) {
  const body = h("div", { class: "totp-body" });
  const start = h("button", { type: "button", class: "primary" }, "Set up an authenticator app");
  const begin = async () => {
    const result = await busy(start, () => guarded("POST", "/api/me/totp"));
    if (result.status === 409) {
      start.hidden = true;
      show(body, h("p", { class: "ok", tabindex: "-1" }, "An authenticator app is already set up for your account."));
      return body.firstChild.focus();
    }
    if (!result.ok) return show(body, await problem(result));
    const { secret, otpauthUri } = result.body;
    const form = h("form", { class: "totp-confirm", novalidate: true },
      input("totp", { label: "Code from the app", name: "code", inputmode: "numeric", autocomplete: "one-time-code",
        pattern: "[0-9]{6}", maxlength: 6, hint: "The 6-digit code the app shows now." }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Confirm")),
      h("div", { class: "form-error" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const confirmed = await guarded("POST", "/api/me/totp/confirm", { code: values(form).code.trim() });
      if (!confirmed.ok) return report(form, naming(confirmed, { INVALID_MFA_CODE: "code", ValidationError: "code" }));
      start.remove();
      show(body, h("p", { class: "ok" }, "Your authenticator app is set up."), backupCodes(confirmed.body.backupCodes));
      onEnrolled?.(false);
      body.querySelector("h3").focus();
    });
    show(body,
      h("ol", { class: "steps" },
        h("li", {}, "Open your authenticator app and add an account."),
        h("li", {}, "Scan this QR code, or type the key below."),
        h("li", {}, "Enter the 6-digit code the app then shows.")),
      h("div", { class: "qr-wrap" }, qrSvg(otpauthUri, "QR code to scan with your authenticator app")),
      h("p", { id: "totp-secret-label" }, "Setup key (if you cannot scan):"),
      h("p", { class: "secret", id: "totp-secret", "aria-labelledby": "totp-secret-label" }, secret),
      form);
    start.hidden = true;
    form.querySelector("input").focus();
  };
  start.addEventListener("click", begin);
  return section("totp", "Authenticator app",
    h("p", {}, "An app such as Google Authenticator, Microsoft Authenticator or 1Password shows a new 6-digit code " +
      "every 30 seconds."),
    h("div", { class: "actions" }, start), body);
}

/** Backup codes, shown once, with Copy and Download. */
function backupCodes(codes) {
  const text = `AxisSynapse backup codes (each works once)\n\n${codes.join("\n")}\n`;
  const copyButton = h("button", { type: "button", onclick: () => copy(codes.join("\n"), copyButton) }, "Copy");
  return h("div", { class: "backup-codes" },
    h("h3", { tabindex: "-1" }, "Your backup codes"),
    h("p", { class: "note" }, "Save these now: you will not see them again. Each code signs you in once if you lose your " +
      "authenticator app."),
    h("ol", { class: "codes" }, codes.map((c) => h("li", {}, h("code", {}, c)))),
    h("div", { class: "actions" }, copyButton,
      h("button", { type: "button", onclick: () => download("axissynapse-backup-codes.txt", text) }, "Download (.txt)")));
}

// ---- Sessions ---------------------------------------------------------------------------

function sessionSection() {
  const wrap = h("div", { class: "table-wrap" });
  const note = status();
  const others = h("button", { type: "button", class: "danger" }, "End all other sessions");
  const reload = async () => {
    const result = await api("GET", "/api/me/sessions");
    if (!result.ok) return show(wrap, await problem(result));
    const rows = result.body.sessions.map((s) => h("tr", { "data-id": s.id, "data-current": s.current ? "true" : null },
      h("th", { scope: "row" }, s.deviceLabel || "Unknown device",
        s.current ? [" ", h("span", { class: "badge good" }, "This device")] : null),
      h("td", {}, [s.location, s.ipPrefix].filter(Boolean).join(" · ") || "–"),
      h("td", {}, when(s.createdAt)),
      h("td", {}, when(s.lastSeenAt)),
      h("td", {}, s.current ? h("span", { class: "muted" }, "–")
        : h("button", { type: "button", "aria-label": `End session: ${s.deviceLabel || "unknown device"}, signed in ${when(s.createdAt)}`,
          onclick: (e) => revoke(s, e.currentTarget) }, "End session"))));
    show(wrap, h("table", {},
      h("caption", { class: "muted" }, `${rows.length} active session${rows.length === 1 ? "" : "s"}`),
      h("thead", {}, h("tr", {}, ["Device", "Where", "Signed in", "Last seen", "Action"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)));
    others.disabled = result.body.sessions.every((s) => s.current);
  };
  const revoke = async (s, button) => {
    const result = await busy(button, () => guarded("DELETE", `/api/me/sessions/${encodeURIComponent(s.id)}`));
    if (!result.ok) return show(note, await problem(result));
    await reload();
    said(note, `Ended the session on ${s.deviceLabel || "that device"}; it is signed out.`);
    others.focus();
  };
  others.addEventListener("click", async () => {
    const ok = await confirmAction("End every other session?", "Every other browser and device signed in to your account " +
      "will be signed out.", "End them");
    if (!ok) return;
    const result = await guarded("POST", "/api/me/sessions/revoke-others");
    if (!result.ok) return show(note, await problem(result));
    const n = result.body.revoked.length;
    await reload();
    said(note, `Ended ${n} other session${n === 1 ? "" : "s"}.`);
  });
  return { el: section("sessions", "Sessions", wrap, h("div", { class: "actions" }, others), note), reload };
}

// ---- Password ---------------------------------------------------------------------------

function passwordSection() {
  const note = status();
  const form = h("form", { class: "password", novalidate: true },
    input("password", { label: "Current password", name: "currentPassword", type: "password", autocomplete: "current-password" }),
    input("password", { label: "New password", name: "newPassword", type: "password", autocomplete: "new-password",
      hint: "12 to 256 characters; a passphrase of a few words works well." }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Change password")),
    h("div", { class: "form-error" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    said(note, "");
    const result = await busy(form.querySelector("button"), () => guarded("POST", "/api/me/password", values(form)));
    await report(form, naming(result, { INVALID_CREDENTIALS: "currentPassword", WEAK_PASSWORD: "newPassword" }));
    if (!result.ok) return;
    form.reset();
    const n = result.body.revokedSessions?.length || 0;
    said(note, `Password changed.${n ? ` ${n} other session${n === 1 ? " was" : "s were"} signed out.` : ""}`);
  });
  return section("password", "Password", form, note);
}

// ---- Personal access tokens -------------------------------------------------------------

function tokenSection() {
  const wrap = h("div", { class: "table-wrap" });
  const note = status();
  const minted = h("div", { class: "minted" });
  const form = h("form", { class: "mint", novalidate: true },
    h("h3", {}, "Create a token"),
    input("token", { label: "Token name", name: "name", maxlength: 100, autocomplete: "off", hint: "What the token is for." }),
    input("token", { label: "Expires after (days, optional)", name: "expiresInDays", type: "number", min: 1, max: 365,
      inputmode: "numeric", hint: "1 to 365; leave empty for a token that does not expire." }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create token")),
    h("div", { class: "form-error" }));
  const reload = async () => {
    const result = await api("GET", "/api/me/tokens");
    if (!result.ok) return show(wrap, await problem(result));
    const tokens = result.body.tokens;
    if (!tokens.length) return show(wrap, h("p", { class: "muted" }, "No personal access tokens."));
    const state = (t) => (t.revokedAt ? ["bad", "Revoked"] : t.expiresAt && new Date(t.expiresAt) < new Date() ? ["bad", "Expired"]
      : ["good", "Active"]);
    show(wrap, h("table", {},
      h("thead", {}, h("tr", {}, ["Name", "Ends with", "Created", "Expires", "Last used", "Status", "Action"]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, tokens.map((t) => {
        const [tone, word] = state(t);
        return h("tr", { "data-id": t.id },
          h("th", { scope: "row" }, t.name),
          h("td", {}, h("code", {}, t.hint)),
          h("td", {}, when(t.createdAt)),
          h("td", {}, t.expiresAt ? when(t.expiresAt) : "Never"),
          h("td", {}, t.lastUsedAt ? when(t.lastUsedAt) : "Never"),
          h("td", {}, h("span", { class: `badge ${tone}` }, word)),
          h("td", {}, t.revokedAt ? "–" : h("button", { type: "button", class: "danger", "aria-label": `Revoke token ${t.name}`,
            onclick: () => revoke(t) }, "Revoke")));
      }))));
  };
  const revoke = async (t) => {
    const ok = await confirmAction("Revoke this token?", `Programs using “${t.name}” will stop working at once.`, "Revoke token");
    if (!ok) return;
    const result = await guarded("DELETE", `/api/me/tokens/${encodeURIComponent(t.id)}`);
    if (!result.ok) return show(note, await problem(result));
    await reload();
    said(note, `Token “${t.name}” revoked.`);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    said(note, "");
    show(minted);
    const { name, expiresInDays } = values(form);
    const body = { name, ...(expiresInDays ? { expiresInDays: Number(expiresInDays) } : {}) };
    const result = await busy(form.querySelector("button"), () => guarded("POST", "/api/me/tokens", body));
    await report(form, result);
    if (!result.ok) return;
    form.reset();
    const copyButton = h("button", { type: "button", onclick: () => copy(result.body.token, copyButton) }, "Copy token");
    show(minted,
      h("h3", { tabindex: "-1" }, `Token “${result.body.name}” created`),
      h("p", { class: "note" }, "Copy it now: you will not see this token again."),
      h("p", { class: "secret", id: "new-token", "aria-label": "The new token" }, result.body.token),
      h("div", { class: "actions" }, copyButton));
    minted.querySelector("h3").focus();
    await reload();
  });
  return { el: section("tokens", "Personal access tokens",
    h("p", {}, "A token lets a script call the API as you (header Authorization: Bearer …)."),
    wrap, note, minted, form), reload };
}

// ---- The page ---------------------------------------------------------------------------

function signInAgain() {
  return h("div", { class: "ok", role: "status" },
    h("p", {}, "Your second factor is set up. Sign in again to use your account."),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", onclick: async () => {
        await api("POST", "/api/auth/logout");
        location.assign("/portal");
      } }, "Sign in again")));
}

export async function render(main, me) {
  if (me.enrolmentOnly) {
    const done = h("div", { class: "enrolled" });
    const finished = (focus = true) => {
      if (!done.firstChild) show(done, signInAgain());
      if (focus) done.querySelector("button").focus();
    };
    show(main,
      h("h1", {}, "Set up a second factor"),
      h("p", { class: "note" }, "Your workspace requires a second factor for every sign-in. Add a passkey or set up an " +
        "authenticator app to continue; then sign in again with it."),
      done,
      passkeySection(me, finished).el,
      totpSection(me, finished));
    return;
  }
  const passkeys = passkeySection(me);
  const sessions = sessionSection();
  const tokens = tokenSection();
  show(main,
    h("h1", {}, "Account security"),
    h("nav", { class: "toc", "aria-label": "On this page" },
      [["passkeys", "Passkeys"], ["totp", "Authenticator app"], ["sessions", "Sessions"], ["password", "Password"],
        ["tokens", "Personal access tokens"]].map(([id, t]) => h("a", { href: `#${id}` }, t))),
    passkeys.el,
    totpSection(me),
    sessions.el,
    passwordSection(),
    tokens.el);
  await Promise.all([passkeys.reload(), sessions.reload(), tokens.reload()]);
}
