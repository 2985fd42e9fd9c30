// Directory sync (/portal/scim, issue 19 point 2): the SCIM base URL and how many users and
// groups the workspace holds (GET /api/settings/scim/summary), SCIM tokens (tokens.js: minted
// once with Copy, listed, revoked), the values to type into Okta and Microsoft Entra ID, and
// the last 50 SCIM requests the ledger recorded (GET /api/settings/audit-log?action=SCIM_*:
// the writes that succeeded and, as SCIM_REQUEST_REFUSED, those refused, with the error's fix).
import { h, show, section, when, copy } from "./dom.js";
import { api, explain, problem } from "./api.js";
import { tokenSection } from "./tokens.js";

const ACTIVITY = "/api/settings/audit-log?action=SCIM_*&limit=50";

/** What a successful SCIM write did: [method, collection, status, words]. */
const DONE = {
  SCIM_USER_PROVISIONED: ["POST", "Users", 201, "User created"],
  SCIM_USER_UPDATED: ["PUT or PATCH", "Users", 200, "User updated"],
  SCIM_USER_DEACTIVATED: ["PUT or PATCH", "Users", 200, "User deactivated"],
  SCIM_USER_REACTIVATED: ["PUT or PATCH", "Users", 200, "User reactivated"],
  SCIM_USER_DELETED: ["DELETE", "Users", 204, "User deleted"],
  SCIM_GROUP_CREATED: ["POST", "Groups", 201, "Group created"],
  SCIM_GROUP_UPDATED: ["PUT or PATCH", "Groups", 200, "Group updated"],
  SCIM_GROUP_DELETED: ["DELETE", "Groups", 204, "Group deleted"],
};

export async function render(main) {
  const endpoint = h("section", { id: "scim-endpoint", "aria-labelledby": "scim-endpoint-title" });
  const activity = h("section", { id: "scim-activity", "aria-labelledby": "scim-activity-title" });
  const guides = setupGuides();
  const tokens = tokenSection({
    id: "scim-tokens", title: "SCIM tokens", path: "/api/settings/scim-tokens",
    intro: "Your identity provider sends a SCIM token with every request (Authorization: Bearer scim_…). A token " +
      "provisions this workspace only; give each identity provider its own, so you can revoke one alone.",
    empty: "No SCIM tokens yet: create one below.", usedBy: "Identity providers",
    onMinted: (body) => guides.useToken(body.token),
  });
  const refresh = async () => {
    const names = await tokenNames();
    await Promise.all([summary(endpoint, guides), requests(activity, names, refresh)]);
  };
  show(main,
    h("h1", {}, "Directory sync (SCIM)"),
    h("p", {}, "Okta, Microsoft Entra ID and other identity providers create, update and remove this workspace’s " +
      "users and groups over SCIM 2.0. Create a token, give it and the base URL to the identity provider, then " +
      "watch its requests arrive below."),
    endpoint, tokens.el, guides.el, activity);
  await Promise.all([tokens.reload(), refresh()]);
}

/** A value to copy: the text (id `id`), and a Copy button (id `${id}-copy`) named after `label`. */
function copyable(label, value, id, disabled = false) {
  const text = h("code", { id }, value);
  const button = h("button", { type: "button", id: `${id}-copy`, "aria-label": `Copy ${label}`, disabled,
    onclick: () => copy(text.textContent, button) }, "Copy");
  return h("span", { class: "copyable" }, text, button);
}

// ---- Base URL and counts ----------------------------------------------------------------

async function summary(el, guides) {
  const title = h("h2", { id: "scim-endpoint-title" }, "Connection");
  const result = await api("GET", "/api/settings/scim/summary");
  if (!result.ok) return show(el, title, await problem(result));
  const { baseUrl, users, groups } = result.body;
  guides.useBaseUrl(baseUrl);
  show(el, title,
    h("dl", { class: "facts" },
      h("dt", {}, "SCIM base URL"), h("dd", {}, copyable("the SCIM base URL", baseUrl, "scim-base-url")),
      h("dt", {}, "Users"), h("dd", { id: "scim-users" }, String(users)),
      h("dt", {}, "Groups"), h("dd", { id: "scim-groups" }, String(groups))),
    h("p", { class: "muted small" }, "Users are everyone in this workspace, provisioned or invited; groups are the ones " +
      "identity providers pushed."));
}

// ---- Okta and Entra ---------------------------------------------------------------------

const TOKEN_PENDING = "the token you create above (shown once)";

/**
 * One step: words, or a field of the identity provider's form and what to put in it (with
 * Copy when it is typed: `id`; the token's Copy waits until a token is created here).
 */
function step(words, label, value, id) {
  const shown = id ? copyable(label, value, id, value === TOKEN_PENDING) : h("code", {}, value);
  return h("li", {}, words, label ? [h("strong", {}, label), ": ", shown] : null);
}

/** The setup guides `{el, useBaseUrl, useToken}`: the values fill in as they become known. */
function setupGuides() {
  const okta = h("ol", { class: "steps" },
    step("In the Okta Admin Console, open your app integration (a SAML or OIDC app with SCIM provisioning); on " +
      "its General tab set Provisioning to SCIM and save."),
    step("On the Provisioning tab, under Integration, select Edit and fill in:"),
    step("", "SCIM connector base URL", "", "okta-base-url"),
    step("", "Unique identifier field for users", "userName", "okta-user-id"),
    step("", "Supported provisioning actions", "Push New Users, Push Profile Updates, Push Groups"),
    step("", "Authentication Mode", "HTTP Header"),
    step("", "Authorization", TOKEN_PENDING, "okta-token"),
    step("Okta writes “Bearer” in front of the token itself. Select Test Connector Configuration, then Save."),
    step("Under Provisioning › To App, select Edit and enable Create Users, Update User Attributes and Deactivate Users."));
  const entra = h("ol", { class: "steps" },
    step("In the Microsoft Entra admin center, open Enterprise applications › your application › Provisioning, and " +
      "set Provisioning Mode to Automatic."),
    step("Under Admin Credentials fill in:"),
    step("", "Tenant URL", "", "entra-base-url"),
    step("", "Secret Token", TOKEN_PENDING, "entra-token"),
    step("Select Test Connection; once it succeeds, Save."),
    step("Under Mappings keep userName mapped to the user’s sign-in name, then set Provisioning Status to On and Save."));
  const el = section("scim-setup", "Set up your identity provider",
    h("h3", {}, "Okta"), okta,
    h("h3", {}, "Microsoft Entra ID"), entra);
  const fill = (ids, value) => ids.forEach((id) => {
    el.querySelector(`#${id}`).textContent = value;
    el.querySelector(`#${id}-copy`).disabled = false;
  });
  return {
    el,
    useBaseUrl: (url) => fill(["okta-base-url", "entra-base-url"], url),
    useToken: (token) => fill(["okta-token", "entra-token"], token),
  };
}

// ---- The last SCIM requests -------------------------------------------------------------

/** Token id → name, for the requests' "Token" column (revoked tokens included). */
async function tokenNames() {
  const result = await api("GET", "/api/settings/scim-tokens");
  return new Map(result.ok ? result.body.tokens.map((t) => [t.id, t.name]) : []);
}

/** [request, status, outcome, error] of a ledger row. */
async function describe(row) {
  const data = row.data && typeof row.data === "object" ? row.data : {};
  if (row.action === "SCIM_REQUEST_REFUSED") {
    const e = await explain({ status: data.status, body: { code: data.code, reason: data.reason } });
    return [`${data.method} ${data.path}`, data.status, "Refused",
      h("span", {}, h("code", {}, data.code), data.reason ? ` ${data.reason}` : "", e.fix ? h("span", { class: "muted small fix" }, ` ${e.fix}`) : "")];
  }
  const [method, collection, code, words] = DONE[row.action] || ["", "", "", row.action];
  const target = code === 201 ? `/${collection}` : `/${collection}/${row.resource?.id || ""}`;
  const name = data.userName || data.displayName;
  return [`${method} ${target}`, code, name ? `${words}: ${name}` : words, "–"];
}

async function requests(el, names, refresh) {
  const title = h("h2", { id: "scim-activity-title" }, "Recent SCIM requests");
  const again = h("button", { type: "button", onclick: async () => {
    await refresh();
    document.querySelector("#scim-activity button")?.focus();
  } }, "Refresh");
  const result = await api("GET", ACTIVITY);
  if (!result.ok) return show(el, title, await problem(result));
  const rows = result.body.items;
  const intro = h("p", { class: "muted" }, "The last 50 writes identity providers made (reads are not recorded), newest first.");
  if (!rows.length) return show(el, title, intro, h("p", { class: "muted" }, "No SCIM requests yet."), again);
  const lines = await Promise.all(rows.map(async (row) => {
    const [request, code, outcome, error] = await describe(row);
    const refused = row.action === "SCIM_REQUEST_REFUSED";
    return h("tr", { "data-seq": row.seq, "data-action": row.action },
      h("td", { "data-label": "Time" }, when(row.occurredAt)),
      h("td", { "data-label": "Request" }, h("code", {}, request)),
      h("td", { "data-label": "Status" }, h("span", { class: `badge ${refused ? "bad" : "good"}` }, String(code))),
      h("td", { "data-label": "Outcome" }, outcome),
      h("td", { "data-label": "Error" }, error),
      h("td", { "data-label": "Token" }, names.get(row.actor?.id) || row.actor?.id || "–"));
  }));
  show(el, title, intro, h("div", { class: "actions" }, again),
    h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "scim-activity-title" }, h("table", { class: "scim-table" },
      h("caption", { class: "visually-hidden" }, "Recent SCIM requests"),
      h("thead", {}, h("tr", {}, ["Time", "Request", "Status", "Outcome", "Error", "Token"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, lines))));
}
