// Shared by the portal's browser tests (tests/browser/portal-*.test.mjs): headless Chromium
// (Debian's) with a CDP virtual authenticator, the portal's own sign-in form, axe-core on a
// page, screenshots at 1280 and 375 px, and a watch on everything the page must never do
// (a JavaScript error, a Content-Security-Policy violation, a script a server string injected).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

export const base = process.env.AXIS_BROWSER_URL;
/** Where screenshots go (CI keeps the directory as an artifact). */
export const ARTIFACTS = process.env.AXIS_ARTIFACTS || "target/browser-artifacts";
/** The password of every portal fixture user (src/bin/seed.rs). */
export const PASSWORD = "portal-test-password";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export async function launch() {
  assert.ok(base, "AXIS_BROWSER_URL is set by scripts/test.sh");
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

/** Adds a virtual CTAP2 authenticator with user verification; returns its id. */
export async function authenticator(cdp) {
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", ctap2Version: "ctap2_1", transport: "internal", hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return authenticatorId;
}

/**
 * A page in a fresh context with a virtual authenticator. `problems` collects page errors and
 * CSP violations; `clean()` asserts there were none.
 */
export async function open(browser, { withAuthenticator = true, viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const authenticatorId = withAuthenticator ? await authenticator(cdp) : null;
  const clean = () => assert.deepEqual(problems, [], "no page errors or CSP violations");
  return { context, page, cdp, authenticatorId, problems, clean };
}

/** Signs in through the portal's form; resolves once the URL leaves the sign-in page. */
export async function signIn(page, email, password = PASSWORD) {
  await page.goto(`${base}/portal`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/**
 * A fresh page (no authenticator) signed in as `email` and opened at `/portal/<name>`, once its
 * heading `title` shows; the same as open().
 */
export async function openSignedIn(browser, email, name, title) {
  const opened = await open(browser, { withAuthenticator: false });
  await signIn(opened.page, email);
  await opened.page.getByRole("button", { name: "Sign out" }).waitFor();
  await opened.page.goto(`${base}/portal/${name}`);
  await opened.page.getByRole("heading", { name: title }).waitFor();
  return opened;
}

/** axe-core on the current page: no serious or critical violation. */
export async function accessible(page, name) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `axe-core on ${name}`);
}

/** Full-page screenshots at 1280 and 375 px wide, as ARTIFACTS/<name>-<width>.png. */
export async function screenshots(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const before = page.viewportSize();
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${ARTIFACTS}/${name}-${width}.png`, fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/** accessible() and screenshots() of the page as it is now. */
export async function audit(page, name) {
  await accessible(page, name);
  await screenshots(page, name);
}

/**
 * A member signs in and is refused admin pages: each of `pages` ([path, screenshot name, its
 * navigation link's name]) is not in the navigation and says in an alert that it is for owners
 * and admins (axe-core and screenshots of it); the API behind them (`api`, a GET) answers 403.
 */
export async function memberRefused(email, pages, api) {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser, { withAuthenticator: false });
    await signIn(page, email);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    for (const [path, name, link] of pages) {
      assert.equal(await page.getByRole("link", { name: link, exact: true }).count(), 0, `${link}: not in the navigation`);
      await page.goto(`${base}${path}`);
      const alert = page.getByRole("alert");
      await alert.waitFor();
      assert.match(await alert.textContent(), /owners and admins/);
      await audit(page, name);
    }
    assert.equal((await call(page, "GET", api)).status, 403);
    clean();
  } finally {
    await browser.close();
  }
}

/** RFC 4648 base32 (no padding) → bytes. */
export function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (SHA-1, 6 digits) of an absolute 30-second step. */
export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** The current 30-second step. The server takes the steps next to its own, each once, in order. */
export const step = () => Math.floor(Date.now() / 30_000);

/** A same-origin API call from the page (its cookie), as {status, body}. */
export function call(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const r = await fetch(p, { method: m, headers: b ? { "content-type": "application/json" } : {}, body: b ? JSON.stringify(b) : undefined });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }, [method, path, body]);
}

/**
 * Enrols an authenticator app for the signed-in user through the API, confirming with the code
 * of the step before now, so the next two steps stay free for a sign-in and a step-up.
 * Returns {secret, backupCodes, next}: `next()` gives the next unused code.
 */
export async function enrolTotp(page) {
  const started = await call(page, "POST", "/api/me/totp");
  assert.equal(started.status, 201, JSON.stringify(started));
  const secret = base32(started.body.secret);
  let used = step() - 1;
  const done = await call(page, "POST", "/api/me/totp/confirm", { code: totp(secret, used) });
  assert.equal(done.status, 200, JSON.stringify(done));
  return { secret, backupCodes: done.body.backupCodes, next: () => totp(secret, ++used) };
}
