// Account security (/portal/security, issue 18 point 2): the signed-in user's passkeys, an
// authenticator app (QR code made in the page by qr.js), sessions, password and personal
// access tokens. An enrolment-only session (MFA-required workspace, no factor yet) sees only
// the two ways to add a factor, and is then asked to sign in again.
import { h, show, field, section, status, said, busy, confirmAction, values, when, copy, download } from "./dom.js";
import { api, guarded, report, problem } from "./api.js";
import { KINDS, kindOf, icon } from "./icons.js";
import { tokenSection } from "./tokens.js";
import { create, ceremonyError } from "./webauthn.js";
import { qrSvg } from "./qr.js";

/** The same result with the field the password and code forms name (the API says it in words). */
function naming(result, fields) {
  const name = fields[result.body?.code];
  return name && !result.body.field ? { ...result, body: { ...result.body, field: name } } : result;
}

// ---- Passkeys ---------------------------------------------------------------------------

function passkeySection(me, onEnrolled) {
  const list = h("ul", { class: "passkeys", "aria-label": "Your passkeys" });
  const note = status();
  const form = h("form", { class: "add-passkey", novalidate: true },
    h("h3", {}, "Add a passkey"),
    field({ prefix: "passkey-add", label: "Name for the new passkey", name: "nickname", maxlength: 64, autocomplete: "off",
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
      field({ prefix, label: `New name for passkey “${p.nickname}”`, name: "nickname", value: p.nickname, maxlength: 64,
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
      field({ prefix: "totp", label: "Code from the app", name: "code", inputmode: "numeric", autocomplete: "one-time-code",
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
    field({ prefix: "password", label: "Current password", name: "currentPassword", type: "password", autocomplete: "current-password" }),
    field({ prefix: "password", label: "New password", name: "newPassword", type: "password", autocomplete: "new-password",
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
  const tokens = tokenSection({
    id: "tokens", title: "Personal access tokens", path: "/api/me/tokens",
    intro: "A token lets a script call the API as you (header Authorization: Bearer …).",
    empty: "No personal access tokens.", usedBy: "Programs",
  });
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
