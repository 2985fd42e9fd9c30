// The account security page (/portal/security, issue 18) in headless Chromium, driven through
// its UI: passkeys (enrol with the virtual authenticator, name and icon, rename, a nickname
// that is markup shown as text, an attestation policy that blocks the model, delete), the
// single-use step-up token, the authenticator app through the page's QR flow with backup codes
// shown once, a personal access token minted with step-up and shown once, sessions (a second
// browser signed out from here), the password change, and the enrolment-only page.
// Replaces tests/browser/passkeys.test.mjs, which drove the removed /account/security page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { launch, open, signIn, audit, authenticator, base, base32, call, totp, step, PASSWORD } from "./portal.mjs";

const atSecurity = async (page, heading = "Account security") => {
  await page.waitForURL((url) => url.pathname === "/portal/security");
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
};

const MARKUP = "<img src=x onerror=window.__xss=1>";

test("passkeys: enrol, name and icon, rename, markup as text, single-use step-up, attestation policy, delete", async () => {
  const browser = await launch();
  try {
    const { page, cdp, authenticatorId, clean } = await open(browser);
    if (process.env.AXIS_CAPTURE_FILE) {
      // How tests/fixtures/webauthn/chromium-virtual-authenticator.json is recorded: the
      // creation options the worker sent, the origin, and the browser's credential.toJSON().
      await page.addInitScript(() => {
        const parse = PublicKeyCredential.parseCreationOptionsFromJSON;
        PublicKeyCredential.parseCreationOptionsFromJSON = (json) => {
          window.__ceremony = { origin: location.origin, options: json };
          return parse(json);
        };
        const create = navigator.credentials.create.bind(navigator.credentials);
        navigator.credentials.create = async (o) => {
          const credential = await create(o);
          const toJSON = credential.toJSON.bind(credential);
          credential.toJSON = () => (window.__ceremony.credential ??= toJSON());
          return credential;
        };
      });
    }
    await signIn(page, "passkeys@portal-sec.test");
    await atSecurity(page);
    await page.getByText("No passkeys yet.").waitFor();
    await audit(page, "security-empty");

    // No factor yet: a phishing-resistant purpose has nothing to offer.
    const none = await call(page, "POST", "/api/auth/step-up/challenge-options", { purpose: "PAYROLL_SEAL" });
    assert.equal(none.status, 403);
    assert.equal(none.body.code, "NO_FACTOR_AVAILABLE");

    // Enrol with a nickname that is markup: it must show as text.
    await page.getByLabel("Name for the new passkey").fill(MARKUP);
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await page.getByRole("status").filter({ hasText: "added" }).waitFor();
    if (process.env.AXIS_CAPTURE_FILE) {
      writeFileSync(process.env.AXIS_CAPTURE_FILE, JSON.stringify(await page.evaluate(() => window.__ceremony), null, 2) + "\n");
    }
    const item = page.locator(".passkey").first();
    assert.equal(await item.locator(".passkey-name").textContent(), MARKUP);
    assert.equal(await page.locator(".passkeys img").count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    // The catalog's name (or, for an AAGUID it does not know, words saying so) and an icon.
    const listed = (await call(page, "GET", "/api/me/passkeys")).body.passkeys;
    assert.equal(listed.length, 1);
    const [passkey] = listed;
    assert.ok("authenticatorCategory" in passkey, JSON.stringify(passkey));
    const kind = await item.locator("svg.passkey-icon").getAttribute("data-kind");
    assert.ok(["key", "platform", "manager", "phone", "unknown"].includes(kind), kind);
    assert.ok(await item.locator("svg.passkey-icon *").count() >= 2, "the icon is drawn");
    const words = await item.locator(".passkey-text").textContent();
    if (passkey.authenticator) assert.ok(words.includes(passkey.authenticator), words);
    else assert.match(words, /not in the catalog/);

    // Rename: an empty name is refused next to the field, then a real one is saved.
    await page.getByRole("button", { name: `Rename passkey ${MARKUP}` }).click();
    const rename = page.getByLabel(/New name for passkey/);
    await rename.fill("   ");
    await page.getByRole("button", { name: "Save name" }).click();
    const renameError = page.locator("#passkey-rename-0-nickname-error");
    await renameError.filter({ hasText: /\S/ }).waitFor();
    assert.equal(await rename.getAttribute("aria-invalid"), "true");
    await audit(page, "security-passkey-rename-error");
    await rename.fill("Desk key");
    await page.getByRole("button", { name: "Save name" }).click();
    await page.locator(".passkey-name", { hasText: "Desk key" }).waitFor();
    await audit(page, "security-passkeys");

    // The step-up token is single use (an API-level check from the page, with this passkey).
    const bare = await call(page, "POST", "/api/step-up/actions/PAYROLL_SEAL");
    assert.equal(bare.status, 401);
    assert.equal(bare.body.code, "STEP_UP_REQUIRED");
    assert.equal(bare.body.requiresPhishingResistant, true);
    const token = await page.evaluate(async () => {
      const { get } = await import("/portal/assets/webauthn.js");
      const post = (path, body) => fetch(path, { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify(body) }).then((r) => r.json());
      const options = await post("/api/auth/step-up/challenge-options", { purpose: "PAYROLL_SEAL" });
      const webauthn = await get(options.publicKey);
      return (await post("/api/auth/step-up/verify", { purpose: "PAYROLL_SEAL", webauthn })).token;
    });
    const act = () => page.evaluate(async (t) => {
      const r = await fetch("/api/step-up/actions/PAYROLL_SEAL", { method: "POST", headers: { "x-step-up-token": t } });
      return { status: r.status, body: await r.json() };
    }, token);
    const used = await act();
    assert.equal(used.status, 200, JSON.stringify(used));
    assert.equal(used.body.performed, "PAYROLL_SEAL");
    const reused = await act();
    assert.equal(reused.status, 401);
    assert.equal(reused.body.code, "STEP_UP_REUSED");

    // Block this authenticator model: PUT through guarded(), whose dialog asks for the passkey.
    const policy = { mode: "deny_list", aaguids: [passkey.aaguid], blockSynced: false, requireAttestation: false };
    const put = page.evaluate(async (p) => {
      const { guarded } = await import("/portal/assets/api.js");
      const r = await guarded("PUT", "/api/settings/attestation-policy", p);
      return { status: r.status, body: r.body };
    }, policy);
    await page.getByRole("heading", { name: "Confirm it’s you" }).waitFor();
    await audit(page, "security-stepup-dialog");
    await page.getByRole("button", { name: "Use a passkey" }).click();
    const stored = await put;
    assert.equal(stored.status, 200, JSON.stringify(stored));

    // A second authenticator of the same model is refused, in words.
    await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
    await authenticator(cdp);
    await page.getByLabel("Name for the new passkey").fill("Second key");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    const refusal = page.locator(".add-passkey .problem");
    await refusal.waitFor();
    const text = await refusal.textContent();
    assert.match(text, /ATTESTATION_BLOCKED/);
    assert.match(text, /attestation/i);
    assert.match(text, /administrator|policy/i);
    await audit(page, "security-attestation-blocked");
    assert.equal((await call(page, "GET", "/api/me/passkeys")).body.passkeys.length, 1);

    // Delete, confirmed in a dialog (Cancel first keeps it).
    await page.getByRole("button", { name: "Delete passkey Desk key" }).click();
    await page.getByRole("heading", { name: "Delete this passkey?" }).waitFor();
    await audit(page, "security-passkey-delete-confirm");
    await page.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await call(page, "GET", "/api/me/passkeys")).body.passkeys.length, 1);
    await page.getByRole("button", { name: "Delete passkey Desk key" }).click();
    await page.getByRole("button", { name: "Delete passkey", exact: true }).click();
    await page.getByText("No passkeys yet.").waitFor();
    assert.equal((await call(page, "GET", "/api/me/passkeys")).body.passkeys.length, 0);
    clean();
  } finally {
    await browser.close();
  }
});

test("authenticator app through the QR flow, backup codes shown once, then a token minted with step-up", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser, { withAuthenticator: false });
    await signIn(page, "security@browser.test");
    await atSecurity(page);
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    const qr = page.getByRole("img", { name: /QR code/ });
    await qr.waitFor();
    assert.ok(await qr.locator("rect").count() > 50, "the QR code is drawn in the page");
    const secretText = (await page.locator("#totp-secret").textContent()).replace(/\s+/g, "");
    assert.match(secretText, /^[A-Z2-7]{32}$/);
    const secret = base32(secretText);
    await audit(page, "security-totp-qr");

    let used = step() - 1;
    const codeField = page.getByLabel("Code from the app");
    await codeField.fill(totp(secret, used - 20));
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.locator("#totp-code-error").filter({ hasText: /\S/ }).waitFor();
    assert.match(await page.locator("#totp-code-error").textContent(), /code/i);
    await audit(page, "security-totp-wrong-code");

    // The current step, taken now: the accessibility audit above can outlast a step boundary,
    // after which the step before it would be two behind (the window is one either side).
    used = step();
    await codeField.fill(totp(secret, used));
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByRole("heading", { name: "Your backup codes" }).waitFor();
    const codes = await page.locator(".codes li").allTextContents();
    assert.ok(codes.length >= 8, codes.join(","));
    assert.match(await page.locator(".backup-codes").textContent(), /you will not see them again/);
    await page.getByRole("button", { name: "Download (.txt)" }).waitFor();
    await page.getByRole("button", { name: "Copy" }).waitFor();
    await audit(page, "security-totp-backup-codes");

    // Shown once: a reload does not show them, and a second enrolment is refused in words.
    await page.reload();
    await atSecurity(page);
    assert.equal(await page.getByText(codes[0]).count(), 0);
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    await page.locator("#totp .ok").filter({ hasText: /already set up/ }).waitFor();

    // A personal access token: minting asks for a step-up (the app's next code).
    await page.getByLabel("Token name").fill("CI deploy");
    await page.getByLabel("Expires after (days, optional)").fill("30");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("heading", { name: "Confirm it’s you" }).waitFor();
    used = Math.max(used + 1, step());
    await page.getByLabel("Code from your authenticator app").fill(totp(secret, used));
    await page.getByRole("button", { name: "Verify code" }).click();
    const shown = page.locator("#new-token");
    await shown.waitFor();
    const pat = await shown.textContent();
    assert.match(await page.locator(".minted").textContent(), /will not see this token again/);
    await page.getByRole("button", { name: "Copy token" }).waitFor();
    await page.locator("#tokens tr", { hasText: "CI deploy" }).getByText("Active").waitFor();
    await audit(page, "security-token-minted");
    const asToken = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${pat}` } });
    assert.equal(asToken.status, 200);

    await page.reload();
    await atSecurity(page);
    assert.equal(await page.getByText(pat).count(), 0, "the token is shown once");
    await page.getByRole("button", { name: "Revoke token CI deploy" }).click();
    await page.getByRole("button", { name: "Revoke token", exact: true }).click();
    await page.locator("#tokens tr", { hasText: "CI deploy" }).getByText("Revoked").waitFor();
    const after = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${pat}` } });
    assert.equal(after.status, 401);
    await audit(page, "security-token-revoked");
    clean();
  } finally {
    await browser.close();
  }
});

test("sessions: another browser is listed, signed out from here, and signed out there; then the password", async () => {
  const browser = await launch();
  try {
    const email = "sessions@portal-sec.test";
    const here = await open(browser, { withAuthenticator: false });
    const there = await open(browser, { withAuthenticator: false });
    const third = await open(browser, { withAuthenticator: false });
    const { page, clean } = here;
    await signIn(page, email);
    await atSecurity(page);
    await signIn(there.page, email);
    await atSecurity(there.page);
    await page.reload();
    await atSecurity(page);
    const rows = page.locator("#sessions tbody tr");
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    assert.equal(await page.locator("#sessions tbody tr[data-current]").count(), 1);
    await page.locator("#sessions tr[data-current]").getByText("This device").waitFor();
    await audit(page, "security-sessions");

    await page.locator("#sessions tbody tr:not([data-current])").getByRole("button", { name: /^End session: / }).click();
    await page.getByRole("status").filter({ hasText: "Ended the session" }).waitFor();
    assert.equal(await rows.count(), 1);
    assert.equal((await call(there.page, "GET", "/api/me")).status, 401);
    await there.page.reload();
    await there.page.waitForURL((url) => url.pathname === "/portal");

    // End every other session, after a confirmation.
    await signIn(third.page, email);
    await atSecurity(third.page);
    await page.reload();
    await atSecurity(page);
    await rows.nth(1).waitFor();
    await page.getByRole("button", { name: "End all other sessions" }).click();
    await page.getByRole("button", { name: "End them" }).click();
    await page.getByRole("status").filter({ hasText: "Ended 1 other session" }).waitFor();
    assert.equal((await call(third.page, "GET", "/api/me")).status, 401);
    assert.equal((await call(page, "GET", "/api/me")).status, 200);

    // Password: too short and a wrong current password, each next to its field; then a change.
    const current = page.getByLabel("Current password");
    const fresh = page.getByLabel("New password", { exact: true });
    await current.fill(PASSWORD);
    await fresh.fill("short");
    await page.getByRole("button", { name: "Change password" }).click();
    const weak = page.locator("#password-newPassword-error");
    await weak.filter({ hasText: /\S/ }).waitFor();
    assert.match(await weak.textContent(), /longer|12/);
    assert.equal(await fresh.getAttribute("aria-invalid"), "true");
    await audit(page, "security-password-weak");
    await current.fill("not the password at all");
    await fresh.fill("a much longer passphrase, 2026");
    await page.getByRole("button", { name: "Change password" }).click();
    const wrong = page.locator("#password-currentPassword-error");
    await wrong.filter({ hasText: /\S/ }).waitFor();
    assert.equal(await weak.textContent(), "");
    await current.fill(PASSWORD);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("status").filter({ hasText: "Password changed." }).waitFor();
    await audit(page, "security-password-changed");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/portal");
    await signIn(page, email, "a much longer passphrase, 2026");
    await atSecurity(page);
    clean();
  } finally {
    await browser.close();
  }
});

test("enrolment-only: only the two ways to add a factor, then sign in again with it", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser);
    const email = "enrol-security@portal-mfa.test";
    await signIn(page, email);
    await atSecurity(page, "Set up a second factor");
    assert.match(await page.locator("main .note").first().textContent(), /requires a second factor/);
    for (const heading of ["Sessions", "Password", "Personal access tokens"]) {
      assert.equal(await page.getByRole("heading", { name: heading }).count(), 0, heading);
    }
    await page.getByRole("button", { name: "Set up an authenticator app" }).waitFor();
    await audit(page, "security-enrolment");

    await page.getByLabel("Name for the new passkey").fill("Enrolment key");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    const again = page.getByRole("button", { name: "Sign in again" });
    await again.waitFor();
    await audit(page, "security-enrolment-done");
    await again.click();
    await page.waitForURL((url) => url.pathname === "/portal");
    await signIn(page, email);
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await atSecurity(page);
    await page.locator(".passkey-name", { hasText: "Enrolment key" }).waitFor();
    clean();
  } finally {
    await browser.close();
  }
});
