// The passkey-policy page in headless Chromium (issue 19 point 4): the AAGUID catalog grouped
// by category with icons and a filter, a deny list picked by keyboard, "Test an
// authenticator" with its verdict in words (and a pasted AAGUID that is not one, refused next
// to its field), saving through the passkey step-up dialog, and the policy as saved after a
// reload. ws_portal_att (src/bin/seed.rs) is this test's alone: its policy blocks nobody else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launch, open, signIn, audit, base, call } from "./portal.mjs";

const YUBIKEY_5 = "ee882879-721c-4913-9775-3dfcce97072a";

test("passkey policy: catalog, deny list, a verdict, saved with the passkey step-up, persisted", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser);
    await signIn(page, "admin@portal-att.test");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    // The admin's passkey, enrolled through the API as the security page does: the step-up
    // for this policy takes a passkey only.
    const enrolled = await page.evaluate(async () => {
      const { create } = await import("/portal/assets/webauthn.js");
      const post = (path, body) => fetch(path, { method: "POST", headers: { "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const options = await post("/api/me/passkeys/registration-options");
      const credential = await create(options.body.publicKey);
      return post("/api/me/passkeys", { credential, nickname: "Policy key" });
    });
    assert.ok([200, 201].includes(enrolled.status), JSON.stringify(enrolled));

    await page.goto(`${base}/portal/attestation`);
    await page.getByRole("heading", { name: "Passkey policy", level: 1 }).waitFor();
    // The catalog, grouped by category, each group with its icon.
    const groups = page.locator("fieldset.catalog-group");
    assert.deepEqual(await groups.evaluateAll((fs) => fs.map((f) => f.dataset.category)),
      ["fips_hardware", "hardware", "platform", "synced"]);
    for (const [category, kind] of [["fips_hardware", "key"], ["hardware", "key"], ["platform", "platform"], ["synced", "manager"]]) {
      const group = page.locator(`fieldset.catalog-group[data-category=${category}]`);
      assert.equal(await group.locator("legend svg.passkey-icon").getAttribute("data-kind"), kind);
      assert.ok(await group.locator("li").count() >= 1, category);
    }
    const yubikey = page.locator(`fieldset[data-category=hardware] li[data-aaguid="${YUBIKEY_5}"]`);
    assert.match(await yubikey.textContent(), /YubiKey 5 Series/);
    assert.ok(await page.getByLabel("Any authenticator").isChecked(), "the default policy");
    await audit(page, "attestation");

    // The filter narrows the catalog.
    await page.getByLabel("Filter the catalog").fill("yubikey 5 series");
    await page.getByText(/^\d+ of \d+ authenticators shown\.$/).waitFor();
    assert.ok(await yubikey.isVisible());
    assert.ok(await page.locator("fieldset[data-category=platform] li:not([hidden])").count() === 0);
    await page.getByLabel("Filter the catalog").fill("");

    // A deny list of the YubiKey 5, picked with the keyboard.
    const deny = page.getByLabel(/All but listed authenticators/);
    await deny.focus();
    await page.keyboard.press("Space");
    assert.ok(await deny.isChecked());
    const box = yubikey.getByRole("checkbox");
    await box.focus();
    await page.keyboard.press("Space");
    assert.ok(await box.isChecked());

    // Test an authenticator against the policy as edited: the YubiKey is refused, in words.
    await page.getByLabel("Authenticator", { exact: true }).selectOption(YUBIKEY_5);
    assert.equal(await page.getByLabel("AAGUID", { exact: true }).inputValue(), YUBIKEY_5);
    await page.getByRole("button", { name: "Test", exact: true }).click();
    const verdict = page.locator("#test-verdict");
    await verdict.filter({ hasText: /^Refused\./ }).waitFor();
    assert.match(await verdict.textContent(), /YubiKey 5 Series.*deny list/);
    await audit(page, "attestation-verdict");
    // Another model is allowed; a pasted text that is no AAGUID is refused next to its field.
    const other = await page.locator("fieldset[data-category=platform] li").first().getAttribute("data-aaguid");
    await page.getByLabel("AAGUID", { exact: true }).fill(other);
    await page.getByRole("button", { name: "Test", exact: true }).click();
    await verdict.filter({ hasText: /^Allowed\./ }).waitFor();
    await page.getByLabel("AAGUID", { exact: true }).fill("not-an-aaguid");
    await page.getByRole("button", { name: "Test", exact: true }).click();
    await page.locator("#test-aaguid-error").filter({ hasText: /\S/ }).waitFor();
    assert.equal(await page.getByLabel("AAGUID", { exact: true }).getAttribute("aria-invalid"), "true");

    // Save: the step-up dialog asks for the passkey.
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.getByRole("heading", { name: "Confirm it’s you" }).waitFor();
    await audit(page, "attestation-stepup");
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await page.getByText("Policy saved: All but listed authenticators.").waitFor();
    const stored = (await call(page, "GET", "/api/settings/attestation-policy")).body.policy;
    assert.equal(stored.mode, "deny_list");
    assert.deepEqual(stored.aaguids, [YUBIKEY_5]);

    // A reload shows the policy as saved.
    await page.reload();
    await page.getByRole("heading", { name: "Passkey policy", level: 1 }).waitFor();
    assert.ok(await page.getByLabel(/All but listed authenticators/).isChecked());
    assert.ok(await yubikey.getByRole("checkbox").isChecked());
    assert.equal(await page.locator("fieldset.catalog-group input:checked").count(), 1);
    await audit(page, "attestation-saved");
    clean();
  } finally {
    await browser.close();
  }
});
