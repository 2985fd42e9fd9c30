// The portal's network-policy page in headless Chromium (issue 19 point 3): a rule label that is
// markup shown as text; add, edit (keyboard) and delete rules; a bad CIDR refused next to its
// field; pasted CIDRs imported with a per-line report; an address tested live as it is typed;
// a what-if over a ledger with a known answer; the lockout guard explained, the server's
// refusal shown in words, then a save that passes. Workspace ws_portal_net (src/bin/seed.rs) is
// this file's alone. Every request carries a set client address (the development-only header).
import { test } from "node:test";
import assert from "node:assert/strict";
import { launch, open, signIn, audit, base, call, PASSWORD } from "./portal.mjs";

const ADMIN = "admin@portal-net.test";
const MEMBER = "member@portal-net.test";
const ADMIN_IP = "198.51.100.20";
const MARKUP = "<img src=x onerror=alert(1)>";

async function signInFrom(email, ip) {
  const r = await fetch(`${base}/api/auth/login`, { method: "POST",
    headers: { "content-type": "application/json", "x-axissynapse-client-ip": ip },
    body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(r.status, 200, await r.text());
}

const texts = (locator) => locator.evaluateAll((els) => els.map((e) => e.textContent.trim()));

test("network policy: rules, import, test an address, what-if, lockout guard, save", async () => {
  // The ledger the what-if replays: the member signs in twice from a café, once from the office.
  await signInFrom(MEMBER, "203.0.113.5");
  await signInFrom(MEMBER, "203.0.113.5");
  await signInFrom(MEMBER, "198.51.100.9");
  const browser = await launch();
  try {
    const { page, context, clean } = await open(browser, { withAuthenticator: false });
    await context.setExtraHTTPHeaders({ "x-axissynapse-client-ip": ADMIN_IP });
    await signIn(page, ADMIN);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    // A stored rule whose label is markup.
    const stored = await call(page, "PUT", "/api/settings/network-policy",
      { mode: "denylist", rules: [{ id: "xss", cidr: "192.0.2.0/24", label: MARKUP }] });
    assert.equal(stored.status, 200, JSON.stringify(stored));
    await page.goto(`${base}/portal/network`);
    await page.getByRole("heading", { name: "Network policy" }).waitFor();
    assert.equal(await page.locator('[data-rule="0"] td[data-label="Label"]').textContent(), MARKUP);
    assert.equal(await page.locator("main img").count(), 0, "the label is text, not an element");

    // Add a rule with the keyboard; a CIDR with host bits is refused next to its field.
    const cidr = page.getByLabel("Address or CIDR");
    await cidr.focus();
    await page.keyboard.type("10.0.0.1/8");
    await page.keyboard.press("Enter");
    await page.locator("#f-cidr-error", { hasText: /did you mean 10\.0\.0\.0\/8\?/ }).waitFor();
    assert.equal(await cidr.getAttribute("aria-invalid"), "true");
    await cidr.fill("203.0.113.0/24");
    await page.getByLabel("Label", { exact: true }).fill("Café");
    await page.keyboard.press("Enter");
    await page.locator('[data-rule="1"]').waitFor();
    assert.deepEqual(await texts(page.locator('[data-rule="1"] td').first()), ["203.0.113.0/24"]);
    // Edit it: the form takes the rule, Enter saves.
    await page.getByRole("button", { name: "Edit rule rule-2" }).press("Enter");
    await page.getByRole("heading", { name: "Edit rule rule-2" }).waitFor();
    assert.equal(await cidr.inputValue(), "203.0.113.0/24");
    await page.getByLabel("Label", { exact: true }).fill("Café wifi");
    await page.getByRole("button", { name: "Save rule" }).click();
    await page.getByRole("heading", { name: "Add a rule" }).waitFor();
    assert.equal(await page.locator('[data-rule="1"] td[data-label="Label"]').textContent(), "Café wifi");

    // Import pasted CIDRs: two good lines, two bad ones reported by line and left in the box.
    await page.getByLabel("CIDRs to add").fill("198.51.100.0/24 Office\n10.0.0.1/8\nnot-an-ip\n2001:DB8::/32, VPN");
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText("2 rules added to the draft.").waitFor();
    const errors = await texts(page.locator(".import-errors li"));
    assert.equal(errors.length, 2);
    assert.match(errors[0], /^Line 2: 10\.0\.0\.1\/8 — .*did you mean 10\.0\.0\.0\/8\?/);
    assert.match(errors[1], /^Line 3: not-an-ip — .*not an IPv4 or IPv6 address/);
    assert.equal(await page.getByLabel("CIDRs to add").inputValue(), "10.0.0.1/8\nnot-an-ip");
    assert.deepEqual(await texts(page.locator(".rules-table td[data-label=CIDR]")),
      ["192.0.2.0/24", "203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32"]);
    // Delete the markup-labelled rule with the keyboard.
    await page.getByRole("button", { name: "Delete rule xss" }).press("Enter");
    assert.deepEqual(await texts(page.locator(".rules-table td[data-label=ID]")), ["rule-2", "rule-3", "rule-4"]);

    // Test an address as it is typed: the draft (denylist) blocks the café.
    const address = page.getByLabel("Address", { exact: true });
    await address.focus();
    await page.keyboard.type("203.0.113.77");
    const answer = page.locator(".test-answer");
    await answer.getByText("Blocked").waitFor();
    assert.match(await answer.textContent(), /matches denylist rule rule-2 \(203\.0\.113\.0\/24\)/);
    await address.fill("192.0.2.1");
    await answer.getByText("Allowed").waitFor();

    // What if: the draft over the last 7 days of this workspace's ledger (the member's three
    // sign-ins, the admin's sign-in and policy change, all from denied networks).
    await page.getByRole("button", { name: "Run what-if" }).click();
    const signIns = page.locator('.whatif-table tr[data-surface="SIGN_IN"] td');
    await signIns.first().waitFor();
    assert.deepEqual(await texts(signIns), ["4", "0", "4", "0", "0", "4", "0"]);
    assert.deepEqual(await texts(page.locator('.whatif-table tr[data-surface="DASHBOARD"] td')), ["1", "0", "1", "0", "0", "1", "0"]);
    assert.deepEqual(await texts(page.locator("#blocked-addresses li")),
      ["198.51.100.20 — 2 rows", "203.0.113.5 — 2 rows", "198.51.100.9 — 1 row"]);
    assert.deepEqual(await texts(page.locator("#affected-users li")), [`${MEMBER} — 3 rows`, `${ADMIN} — 2 rows`]);
    // A window the API refuses: the error is next to the field it names.
    await page.getByLabel("From", { exact: true }).fill("2026-01-01T00:00");
    await page.getByLabel("To", { exact: true }).fill("2026-06-01T00:00");
    await page.getByRole("button", { name: "Run what-if" }).click();
    await page.locator("#f-from-error").getByText(/90 days/).waitFor();
    await page.getByLabel("From", { exact: true }).fill("");
    await page.getByLabel("To", { exact: true }).fill("");
    await page.getByRole("button", { name: "Run what-if" }).click();
    await page.locator(".whatif-table").waitFor();
    assert.equal(await page.locator("#f-from-error").textContent(), "", "the error goes once the window is fine");

    // Saving: the guard is explained first; this draft blocks the admin's own office address.
    assert.match(await page.locator("#lockout-explained").textContent(), /NETWORK_POLICY_LOCKOUT/);
    await page.getByRole("button", { name: "Save policy" }).click();
    const refusal = page.locator(".save-outcome .problem");
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /would block your current IP 198\.51\.100\.20 on DASHBOARD/);
    assert.match(await page.locator(".save-outcome").textContent(), /The rule that decides is rule-3\./);
    assert.ok(await page.getByRole("button", { name: "Save anyway" }).isDisabled());
    await audit(page, "network-policy");
    // Exempting admins passes the guard.
    await page.getByLabel("Admins are exempt from the policy.").check();
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.locator(".save-outcome .ok").getByText(/Saved: version 2/).waitFor();
    await page.getByText(/^Version 2 is in force\./).waitFor();
    const saved = await call(page, "GET", "/api/settings/network-policy");
    assert.deepEqual(saved.body.policy.rules.map((r) => [r.id, r.cidr, r.label]),
      [["rule-2", "203.0.113.0/24", "Café wifi"], ["rule-3", "198.51.100.0/24", "Office"], ["rule-4", "2001:db8::/32", "VPN"]]);
    assert.equal(saved.body.policy.adminBypass.type, "adminsExempt");
    await page.setViewportSize({ width: 375, height: 900 });
    await audit(page, "network-policy-saved");
    clean();
  } finally {
    await browser.close();
  }
});
