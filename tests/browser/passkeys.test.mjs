// Browser e2e: real headless Chromium (Debian's) with a CDP virtual authenticator (CTAP2, user
// verification on) drives /account/security against the worker under `wrangler dev`:
// passkey enrolment, step-up with the passkey, single use of the token, and an enrolment
// refused by the attestation policy. Run by scripts/test.sh with AXIS_BROWSER_URL set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.env.AXIS_BROWSER_URL;
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

async function virtualAuthenticator(cdp) {
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      ctap2Version: "ctap2_1",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}

test("passkey enrolment, step-up, single-use token and attestation policy in a real browser", async () => {
  assert.ok(base, "AXIS_BROWSER_URL is set by scripts/test.sh");
  const browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const first = await virtualAuthenticator(cdp);
    await page.goto(`${base}/account/security`);
    const axis = (fn, ...args) => page.evaluate(([name, a]) => window.axis[name](...a), [fn, args]);

    const login = await axis("login", "owner@browser.test", "browser-owner-password");
    assert.equal(login.status, 200, JSON.stringify(login));

    // No factor yet: a phishing-resistant purpose has nothing to offer.
    const none = await axis("stepUp", "PAYROLL_SEAL");
    assert.equal(none.status, 403);
    assert.equal(none.body.code, "NO_FACTOR_AVAILABLE");

    const enrolled = await axis("enrolPasskey", "Virtual key");
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled));
    assert.equal(enrolled.body.nickname, "Virtual key");
    const aaguid = enrolled.body.aaguid;
    assert.match(aaguid, /^[0-9a-f-]{36}$/);
    if (process.env.AXIS_CAPTURE_FILE) {
      // How tests/fixtures/webauthn/chromium-virtual-authenticator.json was recorded.
      const ceremony = await page.evaluate(() => window.axis.lastCeremony);
      writeFileSync(process.env.AXIS_CAPTURE_FILE, JSON.stringify(ceremony, null, 2) + "\n");
    }

    const listed = await axis("passkeys");
    assert.equal(listed.body.passkeys.length, 1);

    // Without a token the protected action is refused, naming the ceremony.
    const bare = await axis("protectedAction", "PAYROLL_SEAL", "");
    assert.equal(bare.status, 401);
    assert.equal(bare.body.code, "STEP_UP_REQUIRED");
    assert.equal(bare.body.purpose, "PAYROLL_SEAL");
    assert.equal(bare.body.requiresPhishingResistant, true);

    const stepped = await axis("stepUp", "PAYROLL_SEAL");
    assert.equal(stepped.status, 200, JSON.stringify(stepped));
    assert.equal(stepped.body.factor, "webauthn");
    const token = stepped.body.token;
    const used = await axis("protectedAction", "PAYROLL_SEAL", token);
    assert.equal(used.status, 200, JSON.stringify(used));
    assert.equal(used.body.performed, "PAYROLL_SEAL");
    const reused = await axis("protectedAction", "PAYROLL_SEAL", token);
    assert.equal(reused.status, 401);
    assert.equal(reused.body.code, "STEP_UP_REUSED");

    // Block this authenticator model, then try to enrol another of the same model.
    const policyStep = await axis("stepUp", "SETTINGS_ATTESTATION_POLICY");
    assert.equal(policyStep.status, 200, JSON.stringify(policyStep));
    const policy = { mode: "deny_list", aaguids: [aaguid], blockSynced: false, requireAttestation: false };
    const put = await axis("setAttestationPolicy", policy, policyStep.body.token);
    assert.equal(put.status, 200, JSON.stringify(put));

    await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: first });
    await virtualAuthenticator(cdp);
    const blocked = await axis("enrolPasskey", "Second key");
    assert.equal(blocked.status, 403, JSON.stringify(blocked));
    assert.equal(blocked.body.code, "ATTESTATION_BLOCKED");
    assert.equal(blocked.body.rule, "deny_list");
    const [kept] = (await axis("passkeys")).body.passkeys;
    assert.equal(kept.nickname, "Virtual key");

    // Rename and remove it through the same session.
    const call = (method, path, body) => page.evaluate(async ([m, p, b]) => {
      const r = await fetch(p, { method: m, headers: b ? { "content-type": "application/json" } : {}, body: b ? JSON.stringify(b) : undefined });
      return { status: r.status, body: await r.json() };
    }, [method, path, body]);
    const renamed = await call("PATCH", `/api/me/passkeys/${kept.id}`, { nickname: "Desk key" });
    assert.equal(renamed.status, 200, JSON.stringify(renamed));
    assert.equal(renamed.body.nickname, "Desk key");
    assert.equal((await call("PATCH", `/api/me/passkeys/${kept.id}`, { nickname: "" })).body.code, "ValidationError");
    assert.equal((await call("DELETE", `/api/me/passkeys/${kept.id}`)).status, 200);
    assert.equal((await call("DELETE", `/api/me/passkeys/${kept.id}`)).body.code, "NotFound");
    assert.equal((await axis("passkeys")).body.passkeys.length, 0);
  } finally {
    await browser.close();
  }
});
