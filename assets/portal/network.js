// Network policy (issue 19): the editor for the workspace's policy (GET/PUT
// /api/settings/network-policy): mode, surfaces, admin bypass, the rules (add, edit, delete,
// import of pasted CIDRs with a per-line report), "test an address" live against the draft
// (POST …/test), the lockout guard explained before saving and its refusal shown in words, and
// the what-if replay of the draft over the audit ledger (POST …/what-if). The draft lives in the
// page until it is saved; saving goes through guarded() for the step-up dialog.
import { h, show, field, when } from "./dom.js";
import { api, guarded, report, problem, explain } from "./api.js";
import { parseCidr } from "./cidr.js";

const POLICY = "/api/settings/network-policy";
/** The API's limit on one list (src/netpolicy/policy.rs MAX_RULES). */
const MAX_RULES = 10_000;
/** Rules shown at once; "Show more" adds as many again. */
const PAGE = 100;

const MODES = [
  ["off", "Off", "No address is checked."],
  ["allowlist", "Allowlist", "Only addresses that match a rule get in."],
  ["denylist", "Denylist", "Addresses that match a rule are refused."],
  ["monitorOnly", "Monitor only", "Checked as an allowlist, but nothing is refused: would-be refusals are recorded in the audit log."],
];
const SURFACES = [
  ["signIn", "SIGN_IN", "Sign-in", "password and SSO sign-in"],
  ["dashboard", "DASHBOARD", "Dashboard", "browser sessions"],
  ["api", "API", "API", "personal access tokens"],
  ["scim", "SCIM", "SCIM", "provisioning tokens of identity providers"],
];
const BYPASSES = [
  ["none", "No bypass: admins follow the rules like everyone else."],
  ["adminsExempt", "Admins are exempt from the policy."],
  ["adminAllowlist", "Admins also get in from the addresses listed below."],
];

export async function render(main) {
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const loaded = await api("GET", POLICY);
  if (!loaded.ok) return show(main, h("h1", {}, "Network policy"), await problem(loaded));
  const page = { draft: normalise(loaded.body.policy), version: loaded.body.version, shown: PAGE,
    say: (text) => { status.textContent = text; } };
  page.changed = () => { page.say("Unsaved changes: the policy in force is unchanged until you save."); page.onChange?.(); };
  const sections = [settings(page), rulesSection(page), importSection(page), testSection(page), saveSection(page), whatIfSection(page)];
  page.versionText = h("p", { class: "muted" });
  page.showVersion = () => {
    page.versionText.textContent = `Version ${page.version} is in force. Edit the draft below, test it, replay it over the audit log, then save.`;
  };
  page.showVersion();
  show(main, h("h1", {}, "Network policy"), page.versionText, status, ...sections);
}

/** The stored policy with every optional part filled in. */
function normalise(policy) {
  const surfaces = { signIn: true, dashboard: true, api: true, scim: true, ...policy.surfaces };
  const bypass = policy.adminBypass || { type: "none" };
  return { mode: policy.mode, rules: policy.rules || [], surfaces,
    adminBypass: { type: bypass.type, rules: bypass.rules || [] } };
}

/** The draft as the API takes it. */
function body(draft) {
  const { type, rules } = draft.adminBypass;
  return { ...draft, adminBypass: type === "adminAllowlist" ? { type, rules } : { type } };
}

/** A rule id not used in either list. */
function freshId(draft, base = "rule") {
  const used = new Set([...draft.rules, ...draft.adminBypass.rules].map((r) => r.id));
  let n = draft.rules.length + draft.adminBypass.rules.length + 1;
  while (used.has(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

function radios(legend, name, options, checked, onPick) {
  return h("fieldset", { class: "choices" }, h("legend", {}, legend),
    options.map(([value, label, hint]) => h("label", { class: "choice" },
      h("input", { type: "radio", name, value, checked: value === checked, onchange: () => onPick(value) }),
      h("span", {}, h("strong", {}, label), hint ? ` ${hint}` : ""))));
}

// ---------------------------------------------------------------------------------------------
// Mode, surfaces, admin bypass
// ---------------------------------------------------------------------------------------------

function settings(page) {
  const { draft } = page;
  const admins = h("textarea", { id: "f-admin-rules", name: "adminBypass.rules", rows: 3,
    "aria-describedby": "f-admin-rules-hint f-admin-rules-error" });
  admins.value = draft.adminBypass.rules.map((r) => r.cidr).join("\n");
  const adminError = h("p", { id: "f-admin-rules-error", class: "field-error", "aria-live": "polite" });
  const adminBox = h("div", { class: "field", hidden: draft.adminBypass.type !== "adminAllowlist" },
    h("label", { for: "f-admin-rules" }, "Admin addresses"),
    h("p", { id: "f-admin-rules-hint", class: "hint" }, "One address or CIDR per line."), admins, adminError);
  admins.addEventListener("change", () => {
    const lines = admins.value.split("\n").map((l) => l.trim()).filter(Boolean);
    const parsed = lines.map(parseCidr);
    const bad = parsed.findIndex((p) => p.error);
    adminError.textContent = bad >= 0 ? `Line ${bad + 1}: ${parsed[bad].error}` : "";
    if (bad >= 0) return admins.setAttribute("aria-invalid", "true");
    admins.removeAttribute("aria-invalid");
    const kept = new Map(draft.adminBypass.rules.map((r) => [r.cidr, r]));
    draft.adminBypass.rules = [];
    for (const { cidr } of parsed) draft.adminBypass.rules.push(kept.get(cidr) || { id: freshId(draft, "admin"), cidr, label: "" });
    page.changed();
  });
  const surfaces = h("fieldset", { class: "choices" }, h("legend", {}, "Enforced on"),
    SURFACES.map(([key, , label, hint]) => h("label", { class: "choice" },
      h("input", { type: "checkbox", name: `surface-${key}`, checked: draft.surfaces[key],
        onchange: (e) => { draft.surfaces[key] = e.target.checked; page.changed(); } }),
      h("span", {}, h("strong", {}, label), ` ${hint}`))));
  const form = h("form", { class: "policy-settings", novalidate: true, onsubmit: (e) => e.preventDefault() },
    radios("Mode", "mode", MODES, draft.mode, (mode) => { draft.mode = mode; page.changed(); }),
    surfaces,
    radios("Admin bypass", "bypass", BYPASSES.map(([v, text]) => [v, text, ""]), draft.adminBypass.type, (type) => {
      draft.adminBypass.type = type;
      adminBox.hidden = type !== "adminAllowlist";
      page.changed();
    }),
    adminBox,
    h("div", { class: "form-error" }));
  page.settingsForm = form;
  return h("section", { "aria-labelledby": "settings-title" }, h("h2", { id: "settings-title" }, "Mode and scope"), form);
}

// ---------------------------------------------------------------------------------------------
// Rules: table, add and edit form
// ---------------------------------------------------------------------------------------------

function rulesSection(page) {
  const section = h("section", { "aria-labelledby": "rules-title" });
  const table = h("div", { class: "rules" });
  const form = ruleForm(page, () => drawRules(page, table));
  page.redrawRules = () => drawRules(page, table);
  page.editRule = (index) => form.edit(index);
  drawRules(page, table);
  show(section, h("h2", { id: "rules-title" }, "Rules"), form, table);
  return section;
}

function ruleForm(page, redraw) {
  let editing = null;
  const title = h("h3", { id: "rule-form-title" }, "Add a rule");
  const submit = h("button", { type: "submit", class: "primary" }, "Add rule");
  const cancel = h("button", { type: "button", hidden: true }, "Cancel");
  const form = h("form", { class: "rule-form", novalidate: true, "aria-labelledby": "rule-form-title" }, title,
    h("div", { class: "inline-fields" },
      field({ label: "Address or CIDR", name: "cidr", autocomplete: "off", spellcheck: "false", required: true,
        placeholder: "203.0.113.0/24" }),
      field({ label: "Label", name: "label", autocomplete: "off", maxlength: 200 })),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, submit, cancel));
  const reset = () => {
    editing = null;
    form.reset();
    title.textContent = "Add a rule";
    submit.textContent = "Add rule";
    cancel.hidden = true;
  };
  form.edit = (index) => {
    const rule = page.draft.rules[index];
    editing = index;
    form.elements.cidr.value = rule.cidr;
    form.elements.label.value = rule.label || "";
    title.textContent = `Edit rule ${rule.id}`;
    submit.textContent = "Save rule";
    cancel.hidden = false;
    form.elements.cidr.focus();
  };
  cancel.addEventListener("click", () => {
    const back = editing;
    reset();
    document.querySelector(`[data-rule="${back}"] .edit`)?.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { rules } = page.draft;
    const parsed = parseCidr(form.elements.cidr.value);
    const clash = rules.findIndex((r, i) => i !== editing && r.cidr === parsed.cidr);
    const error = parsed.error || (clash >= 0 ? `rule ${rules[clash].id} already covers ${parsed.cidr}` : "")
      || (editing === null && rules.length >= MAX_RULES ? `a list holds at most ${MAX_RULES} rules` : "");
    if (error) return report(form, { ok: false, status: 400, body: { error: "This rule cannot be added.", reason: error, field: "cidr" } });
    report(form, null);
    const label = form.elements.label.value.trim();
    const index = editing ?? rules.length;
    rules[index] = { id: rules[index]?.id || freshId(page.draft), cidr: parsed.cidr, label };
    page.shown = Math.max(page.shown, index + 1);
    reset();
    redraw();
    page.changed();
    page.say(`Rule ${rules[index].id} (${parsed.cidr}) is in the draft. Save to apply it.`);
  });
  return form;
}

function drawRules(page, box) {
  const { rules } = page.draft;
  if (!rules.length) return show(box, h("p", { class: "muted" }, "No rules yet."));
  const row = (rule, index) => h("tr", { "data-rule": index },
    h("td", { "data-label": "CIDR" }, h("code", {}, rule.cidr)),
    h("td", { "data-label": "Label" }, rule.label || h("span", { class: "muted" }, "–")),
    h("td", { "data-label": "ID" }, rule.id),
    h("td", { "data-label": "Actions" },
      h("button", { type: "button", class: "edit", "aria-label": `Edit rule ${rule.id}`, onclick: () => page.editRule(index) }, "Edit"),
      " ",
      h("button", { type: "button", class: "danger", "aria-label": `Delete rule ${rule.id}`, onclick: () => deleteRule(page, index) }, "Delete"),
      h("p", { class: "field-error rule-error", id: `rule-${index}-error`, "aria-live": "polite" })));
  const more = rules.length > page.shown
    ? h("button", { type: "button", class: "load-more", onclick: () => {
      page.shown += PAGE;
      drawRules(page, box);
      box.querySelector(`[data-rule="${page.shown - PAGE}"] .edit`)?.focus();
    } }, `Show ${Math.min(PAGE, rules.length - page.shown)} more`)
    : null;
  show(box, h("p", { class: "muted" }, `${rules.length} rule${rules.length === 1 ? "" : "s"}${rules.length > page.shown ? `, the first ${page.shown} shown` : ""}.`),
    h("div", { class: "table-wrap" }, h("table", { class: "stack-table rules-table" },
      h("caption", { class: "visually-hidden" }, "Rules of the draft policy"),
      h("thead", {}, h("tr", {}, ["CIDR", "Label", "ID", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rules.slice(0, page.shown).map(row)))),
    more);
}

function deleteRule(page, index) {
  const [gone] = page.draft.rules.splice(index, 1);
  page.redrawRules();
  page.changed();
  page.say(`Rule ${gone.id} (${gone.cidr}) is out of the draft. Save to apply it.`);
  const next = document.querySelector(`[data-rule="${Math.min(index, page.draft.rules.length - 1)}"] .danger`);
  (next || document.getElementById("f-cidr")).focus();
}

// ---------------------------------------------------------------------------------------------
// Import of pasted CIDRs
// ---------------------------------------------------------------------------------------------

/** Each non-empty, non-comment line: a CIDR, then an optional label after a space or comma. */
function importLines(text, draft) {
  const seen = new Map(draft.rules.map((r) => [r.cidr, r.id]));
  const added = [], errors = [], rest = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const [, cidrText, label = ""] = line.match(/^([^\s,]+)[\s,]*(.*)$/);
    const parsed = parseCidr(cidrText);
    let error = parsed.error;
    if (!error && seen.has(parsed.cidr)) error = `${parsed.cidr} is already covered by rule ${seen.get(parsed.cidr)}`;
    if (!error && label.length > 200) error = "the label is longer than 200 characters";
    if (!error && draft.rules.length + added.length >= MAX_RULES) error = `a list holds at most ${MAX_RULES} rules`;
    if (error) {
      errors.push({ line: i + 1, text: line, error });
      rest.push(raw);
      return;
    }
    seen.set(parsed.cidr, "(this import)");
    added.push({ cidr: parsed.cidr, label: label.trim() });
  });
  return { added, errors, rest };
}

function importSection(page) {
  const text = h("textarea", { id: "f-import", name: "import", rows: 6, spellcheck: "false",
    "aria-describedby": "f-import-hint", placeholder: "203.0.113.0/24 Office\n2001:db8::/32, VPN" });
  const outcome = h("div", { class: "import-outcome", "aria-live": "polite" });
  const form = h("form", { novalidate: true },
    h("div", { class: "field" }, h("label", { for: "f-import" }, "CIDRs to add"),
      h("p", { id: "f-import-hint", class: "hint" },
        `One per line, up to ${MAX_RULES.toLocaleString()} rules in all; a label may follow after a space or a comma. Lines starting with # are skipped.`),
      text),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Import")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { added, errors, rest } = importLines(text.value, page.draft);
    for (const rule of added) page.draft.rules.push({ id: freshId(page.draft), ...rule });
    text.value = rest.join("\n");
    if (added.length) {
      page.redrawRules();
      page.changed();
    }
    show(outcome,
      h("p", { class: errors.length ? "note" : "ok" }, `${added.length} rule${added.length === 1 ? "" : "s"} added to the draft.`,
        errors.length ? ` ${errors.length} line${errors.length === 1 ? " was" : "s were"} not imported and stay in the box:` : ""),
      errors.length ? h("ul", { class: "import-errors" }, errors.slice(0, 100).map((e) =>
        h("li", {}, `Line ${e.line}: `, h("code", {}, e.text), ` — ${e.error}`))) : null,
      errors.length > 100 ? h("p", { class: "muted" }, `and ${errors.length - 100} more.`) : null);
  });
  return h("section", { "aria-labelledby": "import-title" }, h("h2", { id: "import-title" }, "Import"), form, outcome);
}

// ---------------------------------------------------------------------------------------------
// Test an address against the draft
// ---------------------------------------------------------------------------------------------

function testSection(page) {
  const ip = field({ label: "Address", name: "test-ip", autocomplete: "off", spellcheck: "false", placeholder: "198.51.100.7" });
  const surface = h("select", { id: "f-test-surface", name: "test-surface" },
    SURFACES.map(([, wire, label]) => h("option", { value: wire }, label)));
  const asAdmin = h("input", { type: "checkbox", id: "f-test-admin", name: "test-admin" });
  const answer = h("div", { class: "test-answer", "aria-live": "polite" });
  const form = h("form", { novalidate: true, onsubmit: (e) => e.preventDefault() },
    h("div", { class: "inline-fields" }, ip,
      h("div", { class: "field" }, h("label", { for: "f-test-surface" }, "Surface"), surface)),
    h("label", { class: "choice" }, asAdmin, h("span", {}, "The request is an admin's")));
  let timer = null, asked = 0;
  const run = async () => {
    const address = form.elements["test-ip"].value.trim();
    if (!address) return answer.replaceChildren();
    const mine = ++asked;
    const result = await api("POST", `${POLICY}/test`,
      { ip: address, surface: surface.value, asAdmin: asAdmin.checked, policy: body(page.draft) });
    if (mine !== asked) return;
    if (!result.ok) return show(answer, await problem(result));
    const { decision, blocks } = result.body;
    const verdict = blocks ? "Blocked" : decision.allowed ? "Allowed" : "Allowed, recorded as a would-be block";
    show(answer, h("p", { class: blocks ? "problem" : decision.allowed ? "ok" : "note" },
      h("strong", {}, verdict), ` — ${decision.reason}`,
      decision.matchedRule ? h("span", {}, " (rule ", h("code", {}, decision.matchedRule), ")") : null));
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(run, 300); };
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  page.onChange = soon;
  return h("section", { "aria-labelledby": "test-title" }, h("h2", { id: "test-title" }, "Test an address"),
    h("p", { class: "hint" }, "Checks the draft as you type, exactly as enforcement would; nothing is saved."), form, answer);
}

// ---------------------------------------------------------------------------------------------
// Save, with the lockout guard
// ---------------------------------------------------------------------------------------------

function saveSection(page) {
  const outcome = h("div", { class: "save-outcome", "aria-live": "polite" });
  const save = h("button", { type: "button", class: "primary" }, "Save policy");
  const send = async (acknowledge) => {
    save.disabled = true;
    const result = await guarded("PUT", acknowledge ? `${POLICY}?acknowledgeLockout=true` : POLICY, body(page.draft));
    save.disabled = false;
    if (result.cancelled) return;
    if (result.ok) {
      page.version = result.body.version;
      page.showVersion();
      Object.assign(page.draft, normalise(result.body.policy));
      page.redrawRules();
      show(outcome, h("p", { class: "ok" }, `Saved: version ${page.version} is in force since ${when(new Date().toISOString())}.`));
      return page.say(`The policy is saved (version ${page.version}).`);
    }
    if (result.body?.code === "NETWORK_POLICY_LOCKOUT") return lockout(outcome, result, send);
    show(outcome);
    await refusal(page, result, outcome);
  };
  save.addEventListener("click", () => send(false));
  return h("section", { "aria-labelledby": "save-title" }, h("h2", { id: "save-title" }, "Save"),
    h("div", { class: "note", id: "lockout-explained" },
      h("p", {}, h("strong", {}, "Lockout guard. "),
        "Saving checks the address you are using now against the draft, on the dashboard, as an admin. ",
        "If the draft would block you, the server refuses it (NETWORK_POLICY_LOCKOUT) and says which address and rule; ",
        "you can then change the draft, or save anyway once you confirm that you may lose access from here."),
      h("p", {}, "Changing the policy may ask you to confirm it is you (step-up).")),
    h("div", { class: "actions" }, save), outcome);
}

/** The server's lockout refusal in words, with an explicit, confirmed way to save anyway. */
async function lockout(outcome, result, send) {
  const sure = h("input", { type: "checkbox", id: "f-acknowledge" });
  const anyway = h("button", { type: "button", class: "danger", disabled: true }, "Save anyway");
  sure.addEventListener("change", () => { anyway.disabled = !sure.checked; });
  anyway.addEventListener("click", () => send(true));
  const rule = result.body.matchedRule;
  show(outcome, await problem(result),
    h("p", {}, rule ? `The rule that decides is ${rule}.` : "No rule admits your address."),
    h("label", { class: "choice" }, sure, h("span", {}, "I understand that this policy blocks the address I am using now and I may lose access to this page.")),
    h("div", { class: "actions" }, anyway));
  outcome.querySelector(".problem")?.setAttribute("tabindex", "-1");
  outcome.querySelector(".problem")?.focus();
}

/** A validation refusal next to what it names: a rule's row, the admin addresses, or the form. */
async function refusal(page, result, outcome) {
  const e = await explain(result);
  const index = /^rules\[(\d+)\]/.exec(e.field || "")?.[1];
  if (index !== undefined && Number(index) < page.draft.rules.length) {
    page.shown = Math.max(page.shown, Number(index) + 1);
    page.redrawRules();
    const slot = document.getElementById(`rule-${index}-error`);
    show(slot, e.reason || e.message, e.fix ? ` ${e.fix}` : "");
    document.querySelector(`[data-rule="${index}"] .edit`)?.focus();
  } else if ((e.field || "").startsWith("adminBypass")) {
    await report(page.settingsForm, { ...result, body: { ...result.body, field: "adminBypass.rules" } });
  }
  show(outcome, await problem(result));
}

// ---------------------------------------------------------------------------------------------
// What if: the draft replayed over the audit ledger
// ---------------------------------------------------------------------------------------------

function whatIfSection(page) {
  const results = h("div", { class: "whatif-results", "aria-live": "polite" });
  const form = h("form", { novalidate: true },
    h("p", { class: "hint" }, "What enforcing the draft would have done to the sign-ins and requests the audit log recorded. Leave both empty for the last 7 days; at most 90 days."),
    h("div", { class: "inline-fields" },
      field({ label: "From", name: "from", type: "datetime-local" }),
      field({ label: "To", name: "to", type: "datetime-local" })),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Run what-if")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const iso = (name) => (form.elements[name].value ? new Date(form.elements[name].value).toISOString() : undefined);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const result = await api("POST", `${POLICY}/what-if`, { policy: body(page.draft), from: iso("from"), to: iso("to") });
    button.disabled = false;
    await report(form, result);
    if (!result.ok) return results.replaceChildren();
    show(results, ...whatIfReport(result.body));
  });
  return h("section", { "aria-labelledby": "whatif-title" }, h("h2", { id: "whatif-title" }, "What if"), form, results);
}

const LABEL = Object.fromEntries(SURFACES.map(([, wire, label]) => [wire, label]));

function whatIfReport(r) {
  const cols = [["rows", "Rows"], ["allow", "Allowed"], ["block", "Blocked"], ["monitor", "Would block (monitor)"],
    ["actuallyBlocked", "Blocked at the time"], ["newlyBlocked", "Newly blocked"], ["newlyAllowed", "Newly allowed"]];
  const table = h("div", { class: "table-wrap" }, h("table", { class: "stack-table whatif-table" },
    h("caption", {}, `From ${when(r.window.from)} to ${when(r.window.to)}: ${r.rows} rows replayed`,
      r.skipped ? `, ${r.skipped} with an unreadable address skipped` : "", "."),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Surface"), cols.map(([, t]) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, r.surfaces.map((s) => h("tr", { "data-surface": s.surface },
      h("th", { scope: "row" }, LABEL[s.surface] || s.surface, s.enforced ? "" : h("span", { class: "muted" }, " (not enforced)")),
      cols.map(([key, t]) => h("td", { "data-label": t }, String(s[key]))))))));
  return [table,
    topList("Blocked addresses", "blocked-addresses", r.blockedAddresses, (a) => [h("code", {}, a.ip)]),
    topList("Users affected", "affected-users", r.affectedUsers, (u) => [u.email || u.id])];
}

function topList(title, id, list, label) {
  const heading = h("h3", { id: `${id}-title` }, title);
  if (!list.items.length) return h("div", {}, heading, h("p", { class: "muted" }, "None."));
  return h("div", {}, heading,
    h("ol", { class: "top-list", id, "aria-labelledby": `${id}-title` }, list.items.map((item) =>
      h("li", {}, ...label(item), ` — ${item.count} row${item.count === 1 ? "" : "s"}`))),
    list.truncated ? h("p", { class: "muted" }, `The ${list.items.length} with the most rows of ${list.total}.`) : null);
}
