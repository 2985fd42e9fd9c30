// Bearer tokens a page mints, lists and revokes: the personal access tokens of the security
// page (/api/me/tokens) and the SCIM tokens of the directory-sync page
// (/api/settings/scim-tokens), which answer the same shapes. A new token is shown once, with
// Copy; creating goes through guarded() (a step-up when the API asks), revoking asks first.
import { h, show, field, section, status, said, busy, confirmAction, values, when, copy } from "./dom.js";
import { api, guarded, report, problem } from "./api.js";

const state = (t) => (t.revokedAt ? ["bad", "Revoked"] : t.expiresAt && new Date(t.expiresAt) < new Date() ? ["bad", "Expired"]
  : ["good", "Active"]);

/**
 * The section `{el, reload}`. `id`: the section's id; `path`: the collection; `intro`: what
 * the tokens are for; `empty`: the words for none; `usedBy`: who stops working on revoke
 * ("Programs"); `onMinted(body)`: called with the new token's answer after it is shown.
 */
export function tokenSection({ id, title, path, intro, empty, usedBy, onMinted }) {
  const wrap = h("div", { class: "table-wrap" });
  const note = status();
  const minted = h("div", { class: "minted" });
  const form = h("form", { class: "mint", novalidate: true },
    h("h3", {}, "Create a token"),
    field({ prefix: "token", label: "Token name", name: "name", maxlength: 100, autocomplete: "off", hint: "What the token is for." }),
    field({ prefix: "token", label: "Expires after (days, optional)", name: "expiresInDays", type: "number", min: 1, max: 365,
      inputmode: "numeric", hint: "1 to 365; leave empty for a token that does not expire." }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create token")),
    h("div", { class: "form-error" }));
  const row = (t) => {
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
  };
  const reload = async () => {
    const result = await api("GET", path);
    if (!result.ok) return show(wrap, await problem(result));
    const tokens = result.body.tokens;
    if (!tokens.length) return show(wrap, h("p", { class: "muted" }, empty));
    show(wrap, h("table", {},
      h("thead", {}, h("tr", {}, ["Name", "Ends with", "Created", "Expires", "Last used", "Status", "Action"]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, tokens.map(row))));
  };
  const revoke = async (t) => {
    const ok = await confirmAction("Revoke this token?", `${usedBy} using “${t.name}” will stop working at once.`, "Revoke token");
    if (!ok) return;
    const result = await guarded("DELETE", `${path}/${encodeURIComponent(t.id)}`);
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
    const result = await busy(form.querySelector("button"), () => guarded("POST", path, body));
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
    onMinted?.(result.body);
    await reload();
  });
  return { el: section(id, title, h("p", {}, intro), wrap, note, minted, form), reload };
}
