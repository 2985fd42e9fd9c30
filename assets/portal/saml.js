// SSO (SAML) setup (issue 19): per identity provider, what to give the IdP (our entity ID, ACS
// URL, metadata with Copy and Download), the IdP's side (entity ID, SSO URL, the signing
// certificates with subject and expiry, warned at 30 days or less), enable/disable and JIT
// provisioning, a second certificate for a rotation, re-import from metadata, and a real
// "Test sign-in" in a popup window whose verdict (the asserted identity, or the failed check
// in words) shows here. Adding a provider takes the IdP's metadata (pasted or a file read in
// the page) or its fields. Writes go through guarded() for the step-up dialog.
import { h, show, field, values, when, copy, download, confirmAction } from "./dom.js";
import { api, guarded, submit, problem, explain, checkMeaning } from "./api.js";

const BASE = "/api/settings/saml-providers";
const path = (id, rest = "") => `${BASE}/${encodeURIComponent(id)}${rest}`;
/** Days left at which a certificate's expiry is announced. */
const WARN_DAYS = 30;

export async function render(main) {
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const list = h("div", { class: "saml-providers" });
  const add = h("section", { class: "saml-add", "aria-labelledby": "add-title" });
  show(main, h("h1", {}, "SSO (SAML)"), status, list, add);
  const say = (text) => { status.textContent = text; };
  const reload = () => listProviders(list, say);
  addForm(add, say, reload);
  await reload();
}

async function listProviders(list, say) {
  const result = await api("GET", BASE);
  if (!result.ok) return show(list, await problem(result));
  if (!result.body.providers.length) {
    return show(list, h("p", { class: "muted" }, "No identity provider yet: add one below."));
  }
  show(list, result.body.providers.map((p) => providerSection(p, say, () => listProviders(list, say))));
}

// ---------------------------------------------------------------------------------------------
// One provider
// ---------------------------------------------------------------------------------------------

function providerSection(p, say, reload) {
  const title = `provider-${p.id}-title`;
  return h("section", { class: "saml-provider", "aria-labelledby": title, "data-provider": p.id },
    h("h2", { id: title }, p.name, " ",
      h("span", { class: `badge ${p.enabled ? "good" : "bad"}` }, p.enabled ? "enabled" : "disabled")),
    spDetails(p),
    idpDetails(p),
    certificates(p, say, reload),
    settingsForm(p, say, reload),
    testSignIn(p),
    metadataForm(p, say, reload));
}

/** A row of a definition list with an optional Copy button. */
function item(label, value, copyLabel) {
  const button = copyLabel ? h("button", { type: "button", "aria-label": copyLabel }, "Copy") : null;
  button?.addEventListener("click", () => copy(value, button).catch(() => { button.textContent = "Copy failed"; }));
  return [h("dt", {}, label), h("dd", {}, h("code", {}, value), button ? " " : null, button)];
}

function spDetails(p) {
  const xml = h("pre", { class: "metadata-xml" });
  const more = h("details", {}, h("summary", {}, "Show our metadata XML"), xml);
  more.addEventListener("toggle", async () => {
    if (more.open && !xml.textContent) xml.textContent = await metadata(p);
  });
  const save = h("button", { type: "button" }, "Download metadata XML");
  save.addEventListener("click", async () => download(`axissynapse-${p.id}-metadata.xml`, await metadata(p), "application/samlmetadata+xml"));
  return h("div", { class: "saml-block" },
    h("h3", {}, "Give these to your identity provider"),
    h("dl", { class: "facts" },
      item("SP entity ID (audience)", p.spEntityId, `Copy the SP entity ID of ${p.name}`),
      item("ACS URL (reply URL)", p.acsUrl, `Copy the ACS URL of ${p.name}`),
      item("Metadata URL", p.metadataUrl, `Copy the metadata URL of ${p.name}`)),
    p.enabled ? h("div", { class: "actions" }, save) : h("p", { class: "muted" }, "The metadata is served while the provider is enabled."),
    p.enabled ? more : null);
}

async function metadata(p) {
  const result = await api("GET", `/api/saml/${encodeURIComponent(p.id)}/metadata`);
  return typeof result.body === "string" ? result.body : `Could not load the metadata (${result.status}).`;
}

function idpDetails(p) {
  return h("div", { class: "saml-block" },
    h("h3", {}, "Identity provider"),
    h("dl", { class: "facts" },
      item("IdP entity ID (issuer)", p.idpEntityId),
      item("SSO URL", p.ssoUrl),
      item("Binding", p.ssoBinding === "redirect" ? "HTTP-Redirect" : "HTTP-POST"),
      item("NameID format", p.nameIdFormat)));
}

// ---------------------------------------------------------------------------------------------
// Certificates: subject, expiry, rotation
// ---------------------------------------------------------------------------------------------

/** The expiry sentence and its style: expired, ≤ 30 days, or fine. */
function expiry(c) {
  if (c.notAfter === undefined) return { cls: "problem", text: "This certificate could not be read." };
  if (c.expired) return { cls: "problem", text: `Expired on ${when(c.notAfter)}: add the IdP's current certificate.` };
  if (c.daysLeft <= WARN_DAYS) {
    const days = c.daysLeft === 1 ? "1 day" : `${c.daysLeft} days`;
    return { cls: "note", text: `Expires in ${days} (${when(c.notAfter)}): add the IdP's next certificate before then.` };
  }
  return { cls: "muted", text: `Valid until ${when(c.notAfter)} (${c.daysLeft} days left).` };
}

function certificates(p, say, reload) {
  const box = h("div", { class: "form-error" });
  const saved = async (message) => {
    await reload();
    say(message);
  };
  const remove = async (c) => {
    const sure = await confirmAction(`Remove the certificate ${c.subject || c.sha256}?`,
      "Responses signed with its key stop being accepted at once.", "Remove");
    if (!sure) return;
    const result = await guarded("PATCH", path(p.id), { certificates: p.certificates.filter((o) => o !== c).map((o) => o.der) });
    if (result.ok) await saved(`A certificate of ${p.name} is removed.`);
    else if (!result.cancelled) show(box, await problem(result));
  };
  const rows = p.certificates.map((c, i) => {
    const state = expiry(c);
    return h("li", { class: "certificate", "data-sha256": c.sha256 },
      h("p", { class: "cert-subject" }, c.subject || "Unknown subject"),
      h("p", { class: "small muted" }, `${c.keyType} · SHA-256 `, h("code", { class: "fingerprint" }, c.sha256)),
      c.notBefore ? h("p", { class: "small" }, `Valid from ${when(c.notBefore)} to ${when(c.notAfter)}`) : null,
      h("p", { class: `expiry ${state.cls}` }, state.text),
      p.certificates.length > 1 ? h("button", { type: "button", class: "danger",
        "aria-label": `Remove certificate ${i + 1} (${c.subject || c.sha256})`, onclick: () => remove(c) }, "Remove") : null);
  });
  return h("div", { class: "saml-block" },
    h("h3", {}, "Signing certificates"),
    h("ul", { class: "certificates" }, rows), box,
    p.certificates.length < 2 ? rotationForm(p, saved) : h("p", { class: "muted" },
      "Two certificates: a Response signed with either key is accepted. Remove the old one once the IdP has switched."));
}

function rotationForm(p, saved) {
  const form = h("form", { class: "rotation", novalidate: true },
    h("h4", {}, "Add the IdP's next certificate (rotation)"),
    field({ label: "Certificate (PEM or base64)", name: "certificates", type: "textarea", rows: 5, prefix: `f-${p.id}`,
      hint: "Both certificates are accepted until you remove the old one." }),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Add certificate")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const pem = form.elements.certificates.value.trim();
    const result = await submit(form, "PATCH", path(p.id), { certificates: [...p.certificates.map((c) => c.der), pem] });
    if (result.ok) await saved(`A second certificate is added to ${p.name}.`);
  });
  return form;
}

// ---------------------------------------------------------------------------------------------
// Enable / JIT, re-import from metadata
// ---------------------------------------------------------------------------------------------

function checkbox(name, label, checked, id) {
  return h("div", { class: "check" },
    h("input", { type: "checkbox", id: `${name}-${id}`, name, checked }),
    h("label", { for: `${name}-${id}` }, label));
}

function settingsForm(p, say, reload) {
  const form = h("form", { class: "saml-block", novalidate: true },
    h("h3", {}, "Settings"),
    checkbox("enabled", "Enabled: users can sign in with this provider", p.enabled, p.id),
    checkbox("jitProvisioning", "Just-in-time provisioning: create a member on a first sign-in", p.jitProvisioning, p.id),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save settings")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { enabled: form.elements.enabled.checked, jitProvisioning: form.elements.jitProvisioning.checked };
    const result = await submit(form, "PATCH", path(p.id), body);
    if (!result.ok) return;
    await reload();
    say(`${p.name} is ${result.body.enabled ? "enabled" : "disabled"}, just-in-time provisioning ${result.body.jitProvisioning ? "on" : "off"}.`);
  });
  return form;
}

function metadataForm(p, say, reload) {
  const form = h("form", { class: "saml-block", novalidate: true },
    h("h3", {}, "Update from the IdP's metadata"),
    metadataFields(p.id),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Import metadata")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await submit(form, "PATCH", path(p.id), { metadataXml: form.elements.metadataXml.value });
    if (!result.ok) return;
    await reload();
    say(`${p.name} is updated from the metadata.`);
  });
  return h("details", {}, h("summary", {}, "Update from metadata"), form);
}

/** The metadata textarea and a file input whose file is read into it (FileReader). */
function metadataFields(id) {
  const area = field({ label: "IdP metadata XML", name: "metadataXml", type: "textarea", rows: 6, prefix: `f-${id}`,
    hint: "Paste the XML, or choose the downloaded file." });
  const fileId = `metadata-file-${id}`;
  const file = h("input", { type: "file", id: fileId, accept: ".xml,application/xml,text/xml,application/samlmetadata+xml" });
  file.addEventListener("change", () => {
    const chosen = file.files[0];
    if (!chosen) return;
    const reader = new FileReader();
    reader.addEventListener("load", () => { area.querySelector("textarea").value = String(reader.result); });
    reader.readAsText(chosen);
  });
  return [area, h("div", { class: "field" }, h("label", { for: fileId }, "Metadata file"), file)];
}

// ---------------------------------------------------------------------------------------------
// Test sign-in
// ---------------------------------------------------------------------------------------------

/** How long the page waits for a verdict: the test's own lifetime. */
const TEST_MS = 10 * 60 * 1000;

function testSignIn(p) {
  const out = h("div", { class: "verdict", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "primary" }, "Test sign-in");
  button.addEventListener("click", async () => {
    button.disabled = true;
    await runTest(p, out);
    button.disabled = false;
  });
  return h("div", { class: "saml-block" },
    h("h3", {}, "Test sign-in"),
    h("p", { class: "muted" }, "Signs in through the IdP in a new window and runs every check of a real sign-in, without signing anyone in or creating a user."),
    h("div", { class: "actions" }, button), out);
}

async function runTest(p, out) {
  // Opened within the click, so the browser allows it; it is sent to the login URL below.
  const popup = window.open("", `saml-test-${p.id}`, "popup,width=560,height=680");
  const started = await api("POST", path(p.id, "/test"));
  if (!started.ok) {
    popup?.close();
    return show(out, await problem(started));
  }
  if (!popup) {
    return show(out, h("p", { class: "note" }, "The browser blocked the new window. Allow pop-ups for this site, or ",
      h("a", { href: started.body.loginUrl, target: `saml-test-${p.id}` }, "open the test sign-in"), " yourself."));
  }
  popup.location.href = started.body.loginUrl;
  show(out, h("p", {}, "Waiting for the identity provider: sign in in the new window."));
  const result = await verdict(p.id, started.body.testId, popup);
  show(out, await verdictView(result));
}

/** The test's verdict: read when the end page says it is ready, or by polling. */
function verdict(id, testId, popup) {
  return new Promise((resolve) => {
    const deadline = Date.now() + TEST_MS;
    let busy = false;
    let timer = null;
    const finish = (value) => {
      clearInterval(timer);
      removeEventListener("message", onMessage);
      resolve(value);
    };
    const check = async () => {
      if (busy) return;
      busy = true;
      const closed = popup.closed;
      const result = await api("GET", `${path(id, "/test")}?testId=${encodeURIComponent(testId)}`);
      busy = false;
      if (!result.ok || result.body.status === "done") finish(result);
      else if (closed) finish({ closed: true });
      else if (Date.now() > deadline) finish({ timedOut: true });
    };
    const onMessage = (event) => {
      if (event.origin === location.origin && event.data?.samlTest === "done") check();
    };
    addEventListener("message", onMessage);
    timer = setInterval(check, 1500);
  });
}

const ACCOUNT = {
  existing: "signs in as the existing user with this email.",
  disabled: "is refused: the user with this email is disabled.",
  would_provision: "creates a member with this email (just-in-time provisioning is on).",
  not_provisioned: "is refused: no user has this email and just-in-time provisioning is off.",
  no_email: "is refused: the assertion carries no email (neither the NameID nor the mapped attribute).",
};

async function verdictView(result) {
  if (result.closed) return h("p", { class: "note", role: "alert" }, "The window was closed before the identity provider answered. Run the test again.");
  if (result.timedOut) return h("p", { class: "note", role: "alert" }, "No answer from the identity provider within 10 minutes. Run the test again.");
  if (!result.ok) return problem(result);
  const v = result.body.verdict;
  return v.ok ? passed(v) : failed(v);
}

function passed(v) {
  return h("div", { class: "ok" },
    h("p", {}, h("strong", {}, "Test sign-in passed."), " Every check held."),
    h("dl", { class: "facts" },
      h("dt", {}, "NameID"), h("dd", {}, h("code", {}, v.nameId)),
      h("dt", {}, "NameID format"), h("dd", {}, v.nameIdFormat || "–"),
      h("dt", {}, "Email"), h("dd", {}, v.email || "–"),
      h("dt", {}, "A real sign-in"), h("dd", {}, ACCOUNT[v.account] || v.account)),
    v.attributes.length ? h("div", { class: "table-wrap" }, h("table", { class: "attributes" },
      h("caption", {}, "Attributes"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Values"))),
      h("tbody", {}, v.attributes.map((a) => h("tr", {}, h("td", {}, h("code", {}, a.name)), h("td", {}, a.values.join(", "))))))) : null);
}

async function failed(v) {
  const [meaning, e] = await Promise.all([checkMeaning(v.check), explain({ body: v })]);
  return h("div", { class: "problem" },
    h("p", { class: "message" }, h("strong", {}, "Test sign-in failed: "), `the ${v.check.replaceAll("_", " ")} check.`),
    meaning ? h("p", {}, meaning) : null,
    v.reason ? h("p", {}, "Details: ", h("span", { class: "reason" }, v.reason)) : null,
    e.fix ? h("p", { class: "fix" }, e.fix) : null,
    h("p", { class: "code" }, "Code: ", h("code", {}, v.code), " · check: ", h("code", {}, v.check)));
}

// ---------------------------------------------------------------------------------------------
// Adding a provider
// ---------------------------------------------------------------------------------------------

function addForm(section, say, reload) {
  const byHand = h("fieldset", {},
    h("legend", {}, "…or the IdP's fields"),
    field({ label: "IdP entity ID (issuer)", name: "idpEntityId", autocomplete: "off" }),
    field({ label: "SSO URL", name: "ssoUrl", type: "url", autocomplete: "off", hint: "https://…, HTTP-POST binding" }),
    field({ label: "Signing certificate (PEM or base64)", name: "certificates", type: "textarea", rows: 5 }));
  const form = h("form", { novalidate: true },
    field({ label: "Name", name: "name", autocomplete: "off", required: true, hint: "What your users see, e.g. Okta." }),
    h("fieldset", {}, h("legend", {}, "The IdP's metadata"), metadataFields("new")),
    byHand,
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add identity provider")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await submit(form, "POST", BASE, createBody(values(form)));
    if (!result.ok) return;
    form.reset();
    await reload();
    say(`${result.body.name} is added. Give the IdP our entity ID and ACS URL, then run a test sign-in.`);
  });
  show(section, h("h2", { id: "add-title" }, "Add an identity provider"), form);
}

/** The create body: the metadata when pasted, else the fields. */
function createBody(v) {
  if (v.metadataXml.trim()) return { name: v.name, metadataXml: v.metadataXml };
  return { name: v.name, idpEntityId: v.idpEntityId, ssoUrl: v.ssoUrl, certificates: v.certificates.trim() ? [v.certificates] : [] };
}
