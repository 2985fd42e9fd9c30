// Users and invitations (issue 18): the workspace's users with their role and status (change
// the role, disable or enable: PATCH /api/settings/users/{id}), inviting an email with a role
// (the token is shown once, with Copy), and the open invitations (revoke). Destructive actions
// ask first; every write goes through guarded() for the step-up dialog.
import { h, show, field, values, when, confirmAction, shownOnce } from "./dom.js";
import { api, guarded, report, problem, submit } from "./api.js";

const ROLES = ["owner", "admin", "member"];

export async function render(main, me) {
  const users = h("section", { "aria-labelledby": "users-title" });
  const invite = h("section", { "aria-labelledby": "invite-title" });
  const invitations = h("section", { "aria-labelledby": "invitations-title" });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  show(main, h("h1", {}, "Users and invitations"), status, users, invite, invitations);
  const say = (text) => { status.textContent = text; };
  const refreshInvitations = () => listInvitations(invitations, say);
  inviteForm(invite, me, refreshInvitations);
  await Promise.all([listUsers(users, me, say), refreshInvitations()]);
}

const nameOf = (u) => u.displayName || u.email;

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

async function listUsers(section, me, say) {
  const result = await api("GET", "/api/settings/users");
  const title = h("h2", { id: "users-title" }, "Users");
  if (!result.ok) return show(section, title, await problem(result));
  const rows = result.body.users.map((u) => userRow(u, me, say, () => listUsers(section, me, say)));
  show(section, title,
    h("div", { class: "table-wrap" }, h("table", { class: "users-table" },
      h("caption", { class: "visually-hidden" }, "Users of this workspace"),
      h("thead", {}, h("tr", {}, ["Name", "Email", "Role", "Status", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows))));
}

function userRow(u, me, say, reload) {
  const self = u.id === me.user.id;
  // Only an owner changes an owner or grants ownership; nobody edits themselves.
  const locked = self || (u.role === "owner" && me.user.role !== "owner");
  const error = h("p", { class: "field-error", id: `role-${u.id}-error`, "aria-live": "polite" });
  const role = h("select", { name: "role", id: `role-${u.id}`, "aria-label": `Role of ${nameOf(u)}`,
    "aria-describedby": `role-${u.id}-error`, disabled: locked },
    ROLES.filter((r) => r !== "owner" || me.user.role === "owner" || u.role === "owner")
      .map((r) => h("option", { value: r, selected: r === u.role }, r)));
  // The change is sent by a button, not on `change`: arrow keys on a select change its value.
  const save = h("button", { type: "submit", class: "primary", hidden: true, "aria-label": `Save the role of ${nameOf(u)}` }, "Save");
  const form = h("form", { class: "role-form", novalidate: true }, role, save, error, h("div", { class: "form-error" }));
  role.addEventListener("change", () => { save.hidden = role.value === u.role; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    const result = await guarded("PATCH", `/api/settings/users/${encodeURIComponent(u.id)}`, { role: role.value });
    save.disabled = false;
    if (!result.ok) {
      if (!result.cancelled) await report(form, result);
      return;
    }
    await report(form, null);
    u.role = result.body.role;
    save.hidden = true;
    role.focus();
    say(`${nameOf(u)} is now ${u.role}.`);
  });
  const disabled = u.status === "disabled";
  const toggle = h("button", { type: "button", class: disabled ? "" : "danger", disabled: locked,
    "aria-label": `${disabled ? "Enable" : "Disable"} ${nameOf(u)}` }, disabled ? "Enable" : "Disable");
  toggle.addEventListener("click", async () => {
    if (!disabled) {
      const sure = await confirmAction(`Disable ${nameOf(u)}?`,
        `${u.email} will be signed out everywhere at once and cannot sign in until enabled again.`, "Disable");
      if (!sure) return;
    }
    const result = await guarded("PATCH", `/api/settings/users/${encodeURIComponent(u.id)}`, { status: disabled ? "active" : "disabled" });
    if (!result.ok) {
      if (!result.cancelled) await report(form, result);
      return;
    }
    say(`${nameOf(u)} is ${result.body.status === "disabled" ? "disabled" : "enabled"}.`);
    await reload();
    document.querySelector(`[data-user="${CSS.escape(u.id)}"] button`)?.focus();
  });
  return h("tr", { "data-user": u.id },
    h("td", { "data-label": "Name" }, u.displayName || h("span", { class: "muted" }, "–"), self ? h("span", { class: "muted" }, " (you)") : null),
    h("td", { "data-label": "Email" }, u.email),
    h("td", { "data-label": "Role" }, form),
    h("td", { "data-label": "Status" }, h("span", { class: `badge ${disabled ? "bad" : "good"}` }, u.status),
      u.mfaEnrolled ? h("span", { class: "muted" }, " · MFA") : null),
    h("td", { "data-label": "Actions" }, toggle));
}

// ---------------------------------------------------------------------------------------------
// Invitations
// ---------------------------------------------------------------------------------------------

function inviteForm(section, me, refresh) {
  const roles = h("select", { id: "f-role", name: "role", "aria-describedby": "f-role-error" },
    h("option", { value: "member" }, "member"), h("option", { value: "admin" }, "admin"));
  const once = h("div", { class: "once", "aria-live": "polite" });
  const form = h("form", { class: "card", novalidate: true },
    field({ label: "Email", name: "email", type: "email", autocomplete: "off", required: true }),
    h("div", { class: "field" }, h("label", { for: "f-role" }, "Role"), roles,
      h("p", { id: "f-role-error", class: "field-error", "aria-live": "polite" })),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Invite")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await submit(form, "POST", "/api/settings/invitations", values(form));
    if (!result.ok) return;
    form.reset();
    const { box, copyButton } = shownOnce({ id: "invitation-token", value: result.body.token, label: "Invitation token:",
      lines: [`Invitation for ${result.body.email} (${result.body.role}), valid until ${when(result.body.expiresAt)}.`,
        [h("strong", {}, "This token is shown once."), " Send it to the invitee now; it cannot be shown again."]],
      done: () => { once.replaceChildren(); form.elements.email.focus(); } });
    show(once, box);
    copyButton.focus();
    await refresh();
  });
  show(section, h("h2", { id: "invite-title" }, "Invite someone"), form, once);
}

async function listInvitations(section, say) {
  const title = h("h2", { id: "invitations-title" }, "Open invitations");
  const result = await api("GET", "/api/settings/invitations");
  if (!result.ok) return show(section, title, await problem(result));
  const list = result.body.invitations;
  if (!list.length) return show(section, title, h("p", { class: "muted" }, "No open invitations."));
  const box = h("div", { class: "form-error" });
  const revoke = async (inv) => {
    const sure = await confirmAction(`Revoke the invitation for ${inv.email}?`,
      "Its token stops working at once. You can invite the email again later.", "Revoke");
    if (!sure) return;
    const done = await guarded("DELETE", `/api/settings/invitations/${encodeURIComponent(inv.id)}`);
    if (!done.ok) {
      if (!done.cancelled) show(box, await problem(done));
      return;
    }
    await listInvitations(section, say);
    section.querySelector("button")?.focus();
    say(`The invitation for ${inv.email} is revoked.`);
  };
  const row = (inv) => h("tr", { "data-invitation": inv.id },
    h("td", { "data-label": "Email" }, inv.email),
    h("td", { "data-label": "Role" }, inv.role),
    h("td", { "data-label": "Invited" }, when(inv.createdAt)),
    h("td", { "data-label": "Expires" }, when(inv.expiresAt)),
    h("td", { "data-label": "Actions" }, h("button", { type: "button", class: "danger",
      "aria-label": `Revoke the invitation for ${inv.email}`, onclick: () => revoke(inv) }, "Revoke")));
  show(section, title, box,
    h("div", { class: "table-wrap" }, h("table", { class: "invitations-table" },
      h("caption", { class: "visually-hidden" }, "Open invitations"),
      h("thead", {}, h("tr", {}, ["Email", "Role", "Invited", "Expires", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, list.map(row)))));
}
