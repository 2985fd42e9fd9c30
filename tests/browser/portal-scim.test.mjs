// The directory-sync page in headless Chromium (issue 19 point 2): a SCIM token minted and
// shown once with the Okta and Entra values filled in and copied, a real SCIM create and a
// refused SCIM write made with that token and listed with their status and error, the user
// and group counts following, the token revoked; a user name and a token name that are markup
// shown as text; members refused this page and the passkey-policy page.
// ws_portal_scim (src/bin/seed.rs) is this test's alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launch, open, signIn, audit, base, memberRefused } from "./portal.mjs";

const MARKUP = "<img src=x onerror=window.__xss=1>";
const signedIn = (page) => page.getByRole("button", { name: "Sign out" }).waitFor();

/** A SCIM request with `token`, as an identity provider makes it: {status, body}. */
async function scim(token, method, path, body) {
  const r = await fetch(`${base}/api/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const count = async (page, id) => Number(await page.locator(`#${id}`).textContent());

test("SCIM setup: token once with the IdP values, a SCIM create and a refusal listed, counts, revoke", async () => {
  const browser = await launch();
  try {
    const { page, context, clean } = await open(browser, { withAuthenticator: false });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await signIn(page, "admin@portal-scim.test");
    await signedIn(page);
    await page.goto(`${base}/portal/scim`);
    await page.getByRole("heading", { name: "Directory sync (SCIM)", level: 1 }).waitFor();
    const baseUrl = `${base}/api/scim/v2`;
    await page.locator("#scim-base-url", { hasText: baseUrl }).waitFor();
    assert.equal(await page.locator("#okta-base-url").textContent(), baseUrl);
    assert.equal(await page.locator("#entra-base-url").textContent(), baseUrl);
    assert.ok(await page.getByRole("button", { name: "Copy Authorization" }).isDisabled(), "no token to copy yet");
    const [users, groups] = [await count(page, "scim-users"), await count(page, "scim-groups")];
    assert.ok(users >= 1, "the admin is a user");
    await page.getByText("No SCIM tokens yet: create one below.").waitFor();
    await audit(page, "scim-empty");

    // Mint a token whose name is markup: shown once, filled into both guides, copied.
    await page.getByLabel("Token name").fill(MARKUP);
    await page.getByRole("button", { name: "Create token" }).click();
    const token = await page.locator("#new-token").textContent();
    assert.match(token, /^scim_/);
    assert.match(await page.locator(".minted").textContent(), /will not see this token again/);
    assert.equal(await page.locator("#okta-token").textContent(), token);
    assert.equal(await page.locator("#entra-token").textContent(), token);
    await page.getByRole("button", { name: "Copy Authorization" }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    await page.getByRole("button", { name: "Copy Tenant URL" }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), baseUrl);
    await page.getByRole("button", { name: "Copy Unique identifier field for users" }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "userName");
    const tokenRow = page.locator("#scim-tokens tr", { hasText: MARKUP });
    await tokenRow.getByText("Active").waitFor();
    await audit(page, "scim-token-minted");

    // An identity provider's calls: a create, a group, and a write that is refused.
    const run = Date.now();
    const created = await scim(token, "POST", "/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `${MARKUP}${run}`,
      emails: [{ value: `xss.${run}@portal-scim.test`, primary: true }],
    });
    assert.equal(created.status, 201, JSON.stringify(created));
    const group = await scim(token, "POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: `Team ${run}` });
    assert.equal(group.status, 201, JSON.stringify(group));
    const refused = await scim(token, "PATCH", `/Users/u_missing${run}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }],
    });
    assert.equal(refused.status, 404);
    assert.equal((await scim(token, "GET", `/Users/u_missing${run}`)).status, 404, "a read, not recorded");

    // Refresh by keyboard: the requests, newest first, with status and error; the counts.
    const refresh = page.getByRole("button", { name: "Refresh" });
    await refresh.focus();
    await page.keyboard.press("Enter");
    const refusal = page.locator("tr[data-action=SCIM_REQUEST_REFUSED]").first();
    await refusal.waitFor();
    assert.match(await refusal.textContent(), new RegExp(`PATCH /Users/u_missing${run}`));
    assert.equal(await refusal.locator(".badge").textContent(), "404");
    assert.match(await refusal.textContent(), /USER_NOT_FOUND/);
    assert.equal(await refusal.locator("td[data-label=Token]").textContent(), MARKUP);
    const provisioned = page.locator("tr[data-action=SCIM_USER_PROVISIONED]").first();
    assert.match(await provisioned.textContent(), /POST \/Users/);
    assert.equal(await provisioned.locator(".badge").textContent(), "201");
    assert.equal(await provisioned.locator("td[data-label=Outcome]").textContent(), `User created: ${MARKUP}${run}`);
    assert.equal(await page.locator("tr[data-action=SCIM_GROUP_CREATED]").count(), 1);
    const actions = await page.locator("#scim-activity tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
    assert.deepEqual(actions, ["SCIM_REQUEST_REFUSED", "SCIM_GROUP_CREATED", "SCIM_USER_PROVISIONED"], "writes only, newest first");
    assert.equal(await count(page, "scim-users"), users + 1);
    assert.equal(await count(page, "scim-groups"), groups + 1);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Refresh", "focus stays on Refresh");
    assert.equal(await page.locator("main img").count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await audit(page, "scim-activity");

    // The token is shown once; revoking it (confirmed) stops the identity provider.
    await page.reload();
    await page.locator("#scim-activity tbody tr").first().waitFor();
    assert.ok(!(await page.locator("main").textContent()).includes(token), "the token is shown once");
    await page.getByRole("button", { name: `Revoke token ${MARKUP}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
    await tokenRow.getByText("Revoked").waitFor();
    assert.equal((await scim(token, "GET", "/Users")).status, 401);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    clean();
  } finally {
    await browser.close();
  }
});

test("a member is refused the SCIM and passkey-policy pages", () => memberRefused("refused@browser.test",
  [["/portal/scim", "scim-refused", "Directory sync"], ["/portal/attestation", "attestation-refused", "Passkey policy"]],
  "/api/settings/scim/summary"));
