// The portal's sign-in page and step-up dialog in headless Chromium (issue 18): password, a
// passkey user signing in again, a TOTP-only user signing in and stepping up, the
// enrolment-only session, SSO_REQUIRED, lockout in words, keyboard-only sign-in and step-up,
// markup in a display name shown as text, and the headers that make the page safe to run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launch, open, signIn, audit, base, call, enrolTotp, PASSWORD } from "./portal.mjs";

const signedInAt = async (page, path = "/portal/security") => {
  await page.waitForURL((url) => url.pathname === path);
  await page.getByRole("button", { name: "Sign out" }).waitFor();
};

test("the page is served with a CSP that allows this origin's scripts only", async () => {
  const resp = await fetch(`${base}/portal`);
  assert.equal(resp.status, 200);
  const csp = resp.headers.get("content-security-policy");
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  assert.equal(resp.headers.get("x-content-type-options"), "nosniff");
  const old = await fetch(`${base}/account/security`, { redirect: "manual" });
  assert.equal(old.status, 308);
  assert.equal(old.headers.get("location"), "/portal/security");
  const missing = await fetch(`${base}/portal/nowhere`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).code, "NotFound");
  const js = await fetch(`${base}/portal/assets/app.js`);
  const again = await fetch(`${base}/portal/assets/app.js`, { headers: { "if-none-match": js.headers.get("etag") } });
  assert.equal(again.status, 304);
});

test("password sign-in, a wrong password in words, and a passkey user signing in again", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser);
    await page.goto(`${base}/portal`);
    await audit(page, "signin");

    await signIn(page, "signin@browser.test", "not the password");
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.textContent(), /email or password is incorrect/i);
    assert.match(await alert.textContent(), /Check the password/);

    await signIn(page, "signin@browser.test");
    await signedInAt(page);
    // A passkey, enrolled through the API from this page (the security page has its own test).
    const enrolled = await page.evaluate(async () => {
      const { create } = await import("/portal/assets/webauthn.js");
      const options = await fetch("/api/me/passkeys/registration-options", { method: "POST" }).then((r) => r.json());
      const credential = await create(options.publicKey);
      const r = await fetch("/api/me/passkeys", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ credential, nickname: "Sign-in key" }) });
      return r.status;
    });
    assert.equal(enrolled, 201);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/portal");

    await signIn(page, "signin@browser.test");
    await page.getByRole("heading", { name: "Confirm it’s you" }).waitFor();
    await audit(page, "signin-second-factor");
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await signedInAt(page);
    const me = await call(page, "GET", "/api/me");
    assert.equal(me.body.user.email, "signin@browser.test");
    clean();
  } finally {
    await browser.close();
  }
});

test("a TOTP-only user signs in with a code and steps up in the dialog to mint a token", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser, { withAuthenticator: false });
    await signIn(page, "totp@browser.test");
    await signedInAt(page);
    const app = await enrolTotp(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/portal");

    await signIn(page, "totp@browser.test");
    await page.getByLabel("Code from your authenticator app").fill(app.next());
    await page.getByRole("button", { name: "Verify code" }).click();
    await signedInAt(page);

    // Minting a token needs a step-up once a factor is enrolled: the dialog opens, says what the
    // purpose accepts, takes the code, and the call is retried with the token.
    const minted = page.evaluate(async () => {
      const { guarded } = await import("/portal/assets/api.js");
      const r = await guarded("POST", "/api/me/tokens", { name: "From the dialog" });
      return { status: r.status, body: r.body };
    });
    const dialog = page.getByRole("dialog", { name: "Confirm it’s you" });
    await dialog.waitFor();
    assert.equal(await dialog.getByRole("button", { name: "Use a passkey" }).count(), 0, "no passkey: not offered");
    await audit(page, "step-up-dialog");
    await dialog.getByLabel("Code from your authenticator app").fill(app.next());
    await dialog.getByRole("button", { name: "Verify code" }).click();
    const result = await minted;
    assert.equal(result.status, 201, JSON.stringify(result));
    assert.match(result.body.token, /^pat_/);
    assert.equal(await dialog.isVisible(), false);
    clean();
  } finally {
    await browser.close();
  }
});

test("an MFA-required workspace's user without a factor lands in enrolment", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser);
    await signIn(page, "enrol@portal-mfa.test");
    await page.waitForURL((url) => url.pathname === "/portal/security");
    const me = await call(page, "GET", "/api/me");
    assert.equal(me.body.enrolmentOnly, true);
    // Only the security page is offered, and the others send back to it.
    assert.equal(await page.getByRole("navigation", { name: "Portal" }).getByRole("link").count(), 1);
    await page.goto(`${base}/portal/audit`);
    await page.waitForURL((url) => url.pathname === "/portal/security");
    clean();
  } finally {
    await browser.close();
  }
});

test("SSO_REQUIRED turns into identifier-first SSO, and a lockout reads as a sentence", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser);
    await signIn(page, "user@sso.test", "sso-user-password");
    await page.getByRole("heading", { name: "Sign in with SSO" }).waitFor();
    assert.match(await page.getByRole("alert").first().textContent(), /requires single sign-on/i);
    assert.equal(await page.getByLabel("Work email").inputValue(), "user@sso.test");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.locator(".providers a, .providers [role=alert]").first().waitFor();
    await audit(page, "signin-sso");

    for (let i = 0; i < 6; i++) {
      await signIn(page, "lockout@browser.test", `wrong password ${i}`);
      await page.getByRole("alert").waitFor();
    }
    const text = await page.getByRole("alert").textContent();
    assert.match(text, /locked/i, text);
    assert.match(text, /Try again in \d+ (seconds|minutes)/, text);
    clean();
  } finally {
    await browser.close();
  }
});

test("keyboard only: sign in, then step up in the dialog", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser, { withAuthenticator: false });
    await signIn(page, "keyboard@browser.test");
    await signedInAt(page);
    const app = await enrolTotp(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/portal");
    await page.getByLabel("Email").waitFor();

    // The email field has focus on arrival; Tab reaches the password; Enter submits.
    await page.keyboard.type("keyboard@browser.test");
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByLabel("Code from your authenticator app").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.name), "totp");
    await page.keyboard.type(app.next());
    await page.keyboard.press("Enter");
    await signedInAt(page);

    const minted = page.evaluate(async () => {
      const { guarded } = await import("/portal/assets/api.js");
      return (await guarded("POST", "/api/me/tokens", { name: "Keyboard" })).status;
    });
    await page.getByRole("dialog").waitFor();
    await page.waitForFunction(() => document.activeElement?.name === "totp");
    await page.keyboard.type(app.next());
    await page.keyboard.press("Enter");
    assert.equal(await minted, 201);
    clean();
  } finally {
    await browser.close();
  }
});

test("a display name that is markup is shown as text", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser);
    await signIn(page, "xss@browser.test");
    await signedInAt(page);
    await page.getByText('<img src=x onerror="window.__xss=1">', { exact: false }).first().waitFor();
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await page.locator("#who img").count(), 0);
    clean();
  } finally {
    await browser.close();
  }
});
