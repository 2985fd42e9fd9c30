// Passkey policy (/portal/attestation, issue 19 point 4): which authenticators may register a
// passkey in this workspace (GET/PUT /api/settings/attestation-policy). The AAGUID catalog the
// API serves with the policy, grouped by category with icons (icons.js) and a filter, is the
// allow or deny list's picker; categories, "block synced" and "require attestation" are
// toggles; "Test an authenticator" asks POST …/attestation-policy/test what the policy being
// edited would decide. Saving needs a passkey step-up (guarded() opens the dialog).
import { h, show, section, status, said, busy, values } from "./dom.js";
import { api, report, problem, submit } from "./api.js";
import { kindOf, icon } from "./icons.js";

const POLICY = "/api/settings/attestation-policy";

const MODES = [
  ["any", "Any authenticator", "Every passkey may register, subject to the restrictions below."],
  ["allow_categories", "Only some kinds", "Only authenticators of the categories you tick."],
  ["allow_list", "Only listed authenticators", "Only the authenticator models you tick in the catalog."],
  ["deny_list", "All but listed authenticators", "Every authenticator except the models you tick in the catalog."],
];

const CATEGORIES = {
  fips_hardware: "FIPS 140 validated security keys",
  hardware: "Security keys",
  platform: "Built into a device",
  synced: "Synced passkey providers",
};

const RULES = {
  deny_list: "the deny list",
  require_attestation: "the attestation requirement",
  block_synced: "the block on synced passkeys",
  allow_list: "the allow list",
  allow_categories: "the allowed categories",
  mode_any: "“any authenticator”",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function render(main) {
  const result = await api("GET", POLICY);
  if (!result.ok) return show(main, h("h1", {}, "Passkey policy"), await problem(result));
  const { policy, catalog } = result.body;
  const note = status();
  const form = policyForm(policy, catalog, note);
  show(main,
    h("h1", {}, "Passkey policy"),
    h("p", {}, "Decide which authenticators may register a passkey in this workspace. The server reads the " +
      "authenticator’s model (its AAGUID) from each new passkey and checks it against this policy; passkeys " +
      "already registered are not affected."),
    note, form, tester(form, catalog));
}

/** The policy the form describes, as the API takes it. */
function policyOf(form) {
  const data = new FormData(form);
  const others = (data.get("otherAaguids") || "").split(/[\s,]+/).filter(Boolean);
  return {
    mode: data.get("mode"),
    categories: data.getAll("categories"),
    aaguids: [...new Set([...data.getAll("aaguids"), ...others].map((a) => a.toLowerCase()))],
    blockSynced: data.has("blockSynced"),
    requireAttestation: data.has("requireAttestation"),
  };
}

const checkbox = (name, value, label, checked, extra = null) =>
  h("label", {}, h("input", { type: "checkbox", name, value, checked }), h("span", {}, label, extra));

function policyForm(policy, catalog, note) {
  const listed = new Set(policy.aaguids.map((a) => a.toLowerCase()));
  const known = new Set(catalog.map((e) => e.aaguid));
  const form = h("form", { id: "policy-form", novalidate: true },
    section("policy-mode", "Which authenticators may register",
      h("fieldset", { class: "modes" }, h("legend", { class: "visually-hidden" }, "Mode"),
        MODES.map(([value, label, hint]) => h("label", {},
          h("input", { type: "radio", name: "mode", value, checked: policy.mode === value }),
          h("span", {}, h("strong", {}, label), h("span", { class: "muted" }, ` — ${hint}`))))),
      h("fieldset", { class: "toggles" }, h("legend", {}, "Categories (for “Only some kinds”)"),
        Object.entries(CATEGORIES).map(([code, words]) => checkbox("categories", code, words, policy.categories.includes(code)))),
      h("fieldset", { class: "toggles" }, h("legend", {}, "Restrictions (in every mode)"),
        checkbox("blockSynced", "on", "Block synced passkeys", policy.blockSynced,
          h("span", { class: "muted" }, " — passkeys a password manager or cloud keychain copies to other devices")),
        checkbox("requireAttestation", "on", "Require attestation", policy.requireAttestation,
          h("span", { class: "muted" }, " — only authenticators whose attestation statement verifies")))),
    catalogSection(catalog, listed, [...listed].filter((a) => !known.has(a))),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save policy")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    said(note, "");
    const result = await submit(form, "PUT", POLICY, policyOf(form));
    if (!result.ok) return;
    said(note, `Policy saved: ${MODES.find(([m]) => m === result.body.policy.mode)?.[1] || result.body.policy.mode}.`);
    note.setAttribute("tabindex", "-1");
    note.focus();
  });
  return form;
}

/** The catalog grouped by category: a checkbox per model, a filter by name or AAGUID. */
function catalogSection(catalog, listed, others) {
  const search = h("input", { type: "search", id: "catalog-filter", autocomplete: "off", "aria-describedby": "catalog-count" });
  const count = h("p", { id: "catalog-count", class: "muted small", "aria-live": "polite" });
  const groups = Object.entries(CATEGORIES).map(([code, words]) => {
    const entries = catalog.filter((e) => e.category === code);
    return h("fieldset", { class: "catalog-group", "data-category": code },
      h("legend", {}, icon(kindOf({ authenticatorCategory: code })), `${words} (${entries.length})`),
      h("ul", { class: "catalog-list" }, entries.map((e) => h("li", { "data-aaguid": e.aaguid },
        checkbox("aaguids", e.aaguid, e.name, listed.has(e.aaguid), h("code", { class: "muted small" }, ` ${e.aaguid.slice(0, 8)}`))))));
  });
  const filter = () => {
    const needle = search.value.trim().toLowerCase();
    let shown = 0;
    for (const li of groups.flatMap((g) => [...g.querySelectorAll("li")])) {
      li.hidden = needle !== "" && !li.textContent.toLowerCase().includes(needle) && !li.dataset.aaguid.includes(needle);
      shown += li.hidden ? 0 : 1;
    }
    count.textContent = `${shown} of ${catalog.length} authenticators shown.`;
  };
  search.addEventListener("input", filter);
  filter();
  return section("policy-catalog", "Authenticator catalog",
    h("p", {}, "Tick the models for the allow list or the deny list (the mode above says which)."),
    h("div", { class: "field" }, h("label", { for: "catalog-filter" }, "Filter the catalog"), search, count),
    groups,
    h("div", { class: "field" },
      h("label", { for: "policy-other" }, "Other AAGUIDs"),
      h("p", { class: "hint", id: "policy-other-hint" }, "Models the catalog does not list: one AAGUID per line."),
      h("textarea", { id: "policy-other", name: "otherAaguids", rows: 3, "aria-describedby": "policy-other-hint" }, others.join("\n"))));
}

/** "Test an authenticator": what the policy as edited would decide, in words. */
function tester(policyForm, catalog) {
  const verdict = h("div", { class: "verdict", "aria-live": "polite" });
  const pick = h("select", { id: "test-pick" }, h("option", { value: "" }, "Choose from the catalog…"),
    catalog.map((e) => h("option", { value: e.aaguid }, `${e.name} (${CATEGORIES[e.category]})`)));
  const form = h("form", { id: "test-form", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "test-pick" }, "Authenticator"), pick),
    h("div", { class: "field" }, h("label", { for: "test-aaguid" }, "AAGUID"),
      h("p", { class: "hint", id: "test-aaguid-hint" }, "Picked above, or pasted: 8-4-4-4-12 hexadecimal digits."),
      h("input", { id: "test-aaguid", name: "aaguid", autocomplete: "off", spellcheck: "false", maxlength: 36,
        "aria-describedby": "test-aaguid-hint test-aaguid-error" }),
      h("p", { id: "test-aaguid-error", class: "field-error", "aria-live": "polite" })),
    h("fieldset", { class: "toggles" }, h("legend", {}, "What the passkey reports"),
      checkbox("backupEligible", "on", "Synced (backup eligible)", false),
      checkbox("isPlatformAuthenticator", "on", "Built into the device (platform attachment)", false),
      checkbox("attestationVerified", "on", "Attestation statement verified", false)),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Test")));
  pick.addEventListener("change", () => { form.elements.aaguid.value = pick.value; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    show(verdict);
    const v = values(form);
    const aaguid = (v.aaguid || "").trim();
    if (!UUID.test(aaguid)) {
      return report(form, { status: 400, body: { code: "ValidationError", field: "aaguid", reason: "aaguid: not a UUID" } });
    }
    const body = { aaguid, backupEligible: "backupEligible" in v, isPlatformAuthenticator: "isPlatformAuthenticator" in v,
      attestationVerified: "attestationVerified" in v, policy: policyOf(policyForm) };
    const result = await busy(form.querySelector("button[type=submit]"), () => api("POST", `${POLICY}/test`, body));
    await report(form, result);
    if (!result.ok) return;
    const { allowed, rule, reason } = result.body;
    show(verdict, h("p", { class: allowed ? "ok" : "problem", id: "test-verdict" },
      h("strong", {}, allowed ? "Allowed. " : "Refused. "), `${reason}. Decided by ${RULES[rule] || rule}.`));
  });
  return section("policy-test", "Test an authenticator",
    h("p", {}, "What the policy as it stands in this form (saved or not) would decide for an authenticator."),
    form, verdict);
}
