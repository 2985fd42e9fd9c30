// The portal's SSO (SAML) page in headless Chromium (issue 19 point 1): an admin pastes IdP
// metadata, sees our entity ID and ACS URL, the certificate's subject and its expiry warning
// (the test IdP signs with a certificate that expires in 10 days), downloads our metadata, and
// runs "Test sign-in" in a real popup window against the e2e suite's signxml IdP
// (tests/saml/idp_server.py, started here with the test venv's Python): a passing verdict with
// the asserted identity and no session opened, then, after re-importing metadata that points
// at the IdP's wrong-audience endpoint, a failing verdict that names the check in words. The
// provider's name is markup and must show as text. A second test rotates certificates (an
// expired one added, shown in the error style, removed after the confirmation dialog) and
// saves the Enabled and just-in-time settings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, openSignedIn, audit, base, call } from "./portal.mjs";

const NAME = '<img src=x onerror="window.__xss=1"> Test IdP';
const ASSERTED = "owner@browser.test";

/**
 * Starts the HTTP test IdP signing with a fresh certificate `soon` valid for 10 more days, and
 * makes the certificates `more` names (idp_server.py's NAME:DAYS[:AGO]); {port, cert, certOf(name), stop}.
 */
async function startIdp(more = []) {
  const keys = mkdtempSync(join(tmpdir(), "portal-saml-idp-"));
  const python = process.env.AXIS_PYTHON;
  assert.ok(python, "AXIS_PYTHON (the test venv's Python) is set by scripts/e2e.sh and scripts/test.sh");
  const makes = ["soon:10", ...more].flatMap((spec) => ["--make", spec]);
  const child = spawn(python, ["tests/saml/idp_server.py", "--keys", keys, "--email", ASSERTED, ...makes],
    { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      const found = String(chunk).match(/listening (\d+)/);
      if (found) resolve(Number(found[1]));
    });
    child.on("exit", (code) => reject(new Error(`idp_server.py exited with ${code}`)));
  });
  const certOf = (name) => readFileSync(join(keys, `${name}.crt.pem`), "utf8")
    .split("\n").filter((l) => l && !l.startsWith("-----")).join("");
  return { port, cert: certOf("soon"), certOf, stop: () => { child.kill(); rmSync(keys, { recursive: true, force: true }); } };
}

/** IdP metadata (Okta-shaped) whose HTTP-POST SSO URL is the test IdP's `variant` endpoint. */
function metadata(idp, variant) {
  return `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor entityID="https://idp.example.test/saml" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${idp.cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://127.0.0.1:${idp.port}/sso/soon/${variant}"/>` +
    `</md:IDPSSODescriptor></md:EntityDescriptor>`;
}

/** Clicks "Test sign-in" and waits for the popup to come and go and the verdict to show. */
async function runTest(page, section, kind) {
  const popup = page.waitForEvent("popup");
  const button = section.getByRole("button", { name: "Test sign-in" });
  await button.focus();
  await page.keyboard.press("Enter");
  const window = await popup;
  // Whichever verdict shows first (passed, failed, or the window closed early), then its kind.
  const shown = section.locator(".verdict > .ok, .verdict > .problem, .verdict > .note");
  await shown.waitFor({ timeout: 60_000 });
  const verdict = section.locator(`.verdict > .${kind}`);
  assert.equal(await verdict.count(), 1, `a .${kind} verdict, not: ${await shown.textContent()}`);
  await window.waitForEvent("close", { timeout: 10_000 }).catch(() => {});
  assert.ok(window.isClosed(), "the end page closes its window");
  return (await verdict.textContent()).replace(/\s+/g, " ");
}

test("SSO page: metadata import, certificate expiry, test sign-in passing and failing in a popup", async () => {
  const idp = await startIdp();
  const browser = await launch();
  try {
    const { page, clean } = await openSignedIn(browser, "saml@browser.test", "saml", "SSO (SAML)");

    // Add a provider from pasted metadata.
    const added = await addProvider(page, idp, NAME);
    const { id } = added;
    const section = added.section();
    const heading = await section.locator("h2").textContent();
    assert.ok(heading.startsWith(NAME), `the name shows as text: ${heading}`);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.match(id, /^samlp_/);

    // What to give the IdP.
    const text = (await section.textContent()).replace(/\s+/g, " ");
    assert.ok(text.includes(`/api/saml/${id}/acs`) && text.includes(`/api/saml/${id}/metadata`), text);
    const downloaded = page.waitForEvent("download");
    await section.getByRole("button", { name: "Download metadata XML" }).click();
    const file = await downloaded;
    const xml = readFileSync(await file.path(), "utf8");
    assert.ok(xml.includes(`entityID="${base}/api/saml/${id}/metadata"`), xml);
    assert.ok(xml.includes(`Location="`) && xml.includes(`/api/saml/${id}/acs"`), xml);

    // The certificate: subject, and the warning at 30 days or less.
    assert.equal(await section.locator(".cert-subject").textContent(), "CN=soon signing (expires soon), O=AxisSynapse test fixtures, C=US");
    const warning = await section.locator(".expiry.note").textContent();
    const days = Number(warning.match(/^Expires in (\d+) days \(.+\): add the IdP's next certificate/)?.[1]);
    assert.ok(days >= 9 && days <= 10, warning);
    await audit(page, "saml-provider");

    // Test sign-in in a popup: passes, shows who was asserted, and opens no session.
    const passed = await runTest(page, section, "ok");
    assert.match(passed, /Test sign-in passed/);
    assert.ok(passed.includes(ASSERTED), passed);
    assert.match(passed, /signs in as the existing user with this email/);
    assert.ok(passed.includes("engineering, sso-users"), passed);
    await audit(page, "saml-test-passed");
    const me = await call(page, "GET", "/api/me");
    assert.equal(me.body.user.email, "saml@browser.test", "still the admin: the test opened no session");

    // Metadata re-imported with the IdP's wrong-audience endpoint: the test fails, in words.
    await section.getByText("Update from metadata", { exact: true }).click();
    await section.locator(`#f-${id}-metadataXml`).fill(metadata(idp, "wrong-audience"));
    await section.getByRole("button", { name: "Import metadata" }).click();
    await page.getByText("is updated from the metadata").waitFor();
    const again = page.locator(`section[data-provider="${id}"]`);
    const failed = await runTest(page, again, "problem");
    assert.match(failed, /Test sign-in failed: the audience mismatch check\./);
    assert.match(failed, /An AudienceRestriction does not name the provider's spEntityId/);
    assert.ok(failed.includes("https://other-sp.test"), `the actual audience is named: ${failed}`);
    assert.match(failed, /SAML_AUDIENCE_MISMATCH/);
    await audit(page, "saml-test-failed");

    // Metadata that is not metadata: the error shows next to the field.
    await page.locator("#f-new-metadataXml").fill("<md:EntityDescriptor/>");
    await page.getByLabel("Name", { exact: true }).fill("Broken");
    await page.getByRole("button", { name: "Add identity provider" }).click();
    const error = page.locator("#f-new-metadataXml-error");
    await error.waitFor();
    assert.ok((await error.textContent()).length > 0);
    assert.equal(await page.locator("#f-new-metadataXml").getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    clean();
  } finally {
    await browser.close();
    idp.stop();
  }
});

/** Adds a provider from the IdP's metadata through the page; its section and id. */
async function addProvider(page, idp, name) {
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.locator("#f-new-metadataXml").fill(metadata(idp, "ok"));
  await page.getByRole("button", { name: "Add identity provider" }).click();
  await page.getByText("is added. Give the IdP our entity ID").waitFor();
  const id = await page.locator("section.saml-provider").last().getAttribute("data-provider");
  return { id, section: () => page.locator(`section[data-provider="${id}"]`) };
}

test("SSO page: certificate rotation (an expired one shown and removed) and the Enabled and JIT settings", async () => {
  const idp = await startIdp(["old:-9:40"]);
  const browser = await launch();
  try {
    const { page, clean } = await openSignedIn(browser, "saml@browser.test", "saml", "SSO (SAML)");
    const { id, section } = await addProvider(page, idp, "Rotation IdP");

    // Rotation: the second certificate (expired 9 days ago) goes in next to the first.
    await section().locator(`#f-${id}-certificates`).fill(idp.certOf("old"));
    await section().getByRole("button", { name: "Add certificate" }).click();
    await page.getByText("A second certificate is added to Rotation IdP.").waitFor();
    assert.equal(await section().locator(".certificate").count(), 2);
    const expired = await section().locator(".certificate", { hasText: "old signing" }).locator(".expiry.problem").textContent();
    assert.match(expired, /^Expired on .+: add the IdP's current certificate\.$/);
    assert.equal(await section().locator(".certificate", { hasText: "soon signing" }).locator(".expiry.note").count(), 1);
    assert.equal(await section().getByRole("button", { name: "Add certificate" }).count(), 0, "no third certificate");
    await audit(page, "saml-rotation");

    // Remove the expired one: Cancel keeps it, Remove (by keyboard) takes it away.
    const remove = section().getByRole("button", { name: /^Remove certificate \d \(CN=old signing/ });
    await remove.click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    assert.equal(await section().locator(".certificate").count(), 2, "cancel removes nothing");
    await remove.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Remove" }).focus();
    await page.keyboard.press("Enter");
    await page.getByText("A certificate of Rotation IdP is removed.").waitFor();
    assert.equal(await section().locator(".certificate").count(), 1);
    assert.equal(await section().locator(".cert-subject").textContent(), "CN=soon signing (expires soon), O=AxisSynapse test fixtures, C=US");
    const saved = await call(page, "GET", `/api/settings/saml-providers/${id}`);
    assert.deepEqual(saved.body.certificates.map((c) => c.subject), ["CN=soon signing (expires soon), O=AxisSynapse test fixtures, C=US"]);

    // Settings: JIT off and the provider disabled, saved with one PATCH and read back.
    await section().getByLabel(/^Just-in-time provisioning/).uncheck();
    await section().getByLabel(/^Enabled/).uncheck();
    await section().getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Rotation IdP is disabled, just-in-time provisioning off.").waitFor();
    const after = await call(page, "GET", `/api/settings/saml-providers/${id}`);
    assert.equal(after.body.enabled, false);
    assert.equal(after.body.jitProvisioning, false);
    assert.equal(await section().getByLabel(/^Enabled/).isChecked(), false, "the page shows the saved state");
    await audit(page, "saml-settings");
    clean();
  } finally {
    await browser.close();
    idp.stop();
  }
});
