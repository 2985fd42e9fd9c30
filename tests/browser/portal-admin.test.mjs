// The portal's audit log and users pages in headless Chromium (issue 18 points 4 and 5):
// filters round-trip through the URL, paging as the list scrolls and by button, a row's data,
// CSV/NDJSON exports with the filter applied, the chain badge, the chart's bars; role change,
// disable with confirmation, an invitation's token shown once, revoke; members refused; a
// display name that is markup shown as text.
// ws_browser holds 120 seeded rows (src/bin/seed.rs): row n at 2026-01-01T00:00:00Z + n s by
// u_portal_audit, every 10th ACCOUNT_SIGNIN_FAILED, the rest ACCOUNT_SIGNIN_SUCCEEDED.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { launch, open, signIn, audit, base, call, memberRefused } from "./portal.mjs";

const signedIn = (page) => page.getByRole("button", { name: "Sign out" }).waitFor();
const FAILED_WINDOW = "from=2026-01-01T00%3A00%3A00.000Z&to=2026-01-01T00%3A02%3A00.000Z&action=ACCOUNT_SIGNIN_FAILED";

test("audit log: badge, chart, paging, a row's data, filters in the URL, exports", async () => {
  const browser = await launch();
  try {
    const { page, clean } = await open(browser, { withAuthenticator: false });
    await signIn(page, "audit@browser.test");
    await signedIn(page);
    await page.goto(`${base}/portal/audit`);
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    // The chain badge.
    await page.getByText("Chain intact").waitFor();
    // The chart of the last 24 hours: this sign-in is an ACCOUNT event.
    await page.locator("svg.chart rect.bar[data-category=ACCOUNT]").first().waitFor();
    assert.match(await page.locator("#chart-summary").textContent(), /ACCOUNT \d+/);
    // Paging: 50 rows, then 50 more once the list scrolls to its end, then the button.
    const rows = page.locator("tr.audit-row");
    await page.waitForFunction(() => document.querySelectorAll("tr.audit-row").length === 50);
    await audit(page, "audit-log");
    await page.locator(".sentinel").scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelectorAll("tr.audit-row").length >= 100);
    // Keyboard users page on with the button (other test files keep adding rows meanwhile).
    const more = page.getByRole("button", { name: "Load more" });
    for (let i = 0; i < 20 && await more.isVisible(); i++) {
      const before = await rows.count();
      await more.focus();
      await page.keyboard.press("Enter");
      await page.waitForFunction((n) => document.querySelectorAll("tr.audit-row").length > n || !document.querySelector(".load-more:not([hidden])"), before);
    }
    await page.getByText(/All \d+ matching events shown/).waitFor();
    const seqs = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.seq)));
    assert.equal(new Set(seqs).size, seqs.length, "no row twice");
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), "newest first");
    assert.equal(seqs.at(-1), 1, "down to the first seeded row");

    // Filters through the form land in the URL; a reload shows the same view.
    await page.getByLabel("Action", { exact: true }).fill("ACCOUNT_SIGNIN_FAILED");
    await page.getByLabel("Text", { exact: true }).fill("HYPERLINK");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL((url) => url.searchParams.get("action") === "ACCOUNT_SIGNIN_FAILED" && url.searchParams.get("q") === "HYPERLINK");
    await page.getByText(/All 12 matching events shown/).waitFor();
    await page.reload();
    await page.getByText(/All 12 matching events shown/).waitFor();
    assert.equal(await page.getByLabel("Action", { exact: true }).inputValue(), "ACCOUNT_SIGNIN_FAILED");
    assert.equal(await page.getByLabel("Text", { exact: true }).inputValue(), "HYPERLINK");

    // A shared link with a time range: the seeded failures of the first two minutes.
    await page.goto(`${base}/portal/audit?${FAILED_WINDOW}`);
    await page.getByText("All 12 matching events shown.").waitFor();
    assert.ok(await page.getByLabel("From", { exact: true }).inputValue(), "the range is in the form");
    const failedSeqs = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.seq)));
    assert.deepEqual(failedSeqs, [120, 110, 100, 90, 80, 70, 60, 50, 40, 30, 20, 10]);
    // The chart of that range: one hour, 12 ACCOUNT events.
    const bars = page.locator("svg.chart rect.bar");
    await bars.first().waitFor();
    assert.deepEqual(await bars.evaluateAll((rs) => rs.map((r) => [r.dataset.category, Number(r.dataset.count)])), [["ACCOUNT", 12]]);
    assert.match(await page.locator("#chart-summary").textContent(), /^12 events .*ACCOUNT 12/);
    // A row opens to its full data, as text.
    const toggle = page.getByRole("button", { name: "Show data of event 120 (ACCOUNT_SIGNIN_FAILED)" });
    await toggle.click();
    const hide = page.getByRole("button", { name: "Hide data of event 120 (ACCOUNT_SIGNIN_FAILED)" });
    assert.equal(await hide.getAttribute("aria-expanded"), "true");
    const data = page.locator("#data-120 pre");
    await data.waitFor();
    const shown = JSON.parse(await data.textContent());
    assert.equal(shown.data.code, "INVALID_CREDENTIALS");
    assert.equal(shown.data.note, "=HYPERLINK(\"x\")");
    await audit(page, "audit-log-filtered");

    // Exports carry the filter.
    for (const [name, format] of [["Download CSV", "csv"], ["Download NDJSON", "ndjson"]]) {
      const link = page.getByRole("link", { name });
      const href = new URL(await link.getAttribute("href"), base);
      assert.equal(href.searchParams.get("format"), format);
      assert.equal(href.searchParams.get("action"), "ACCOUNT_SIGNIN_FAILED");
      const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
      assert.match(download.suggestedFilename(), new RegExp(`^audit-log-.*\\.${format}$`));
      const text = readFileSync(await download.path(), "utf8");
      const lines = text.split(/\r?\n/).filter(Boolean);
      if (format === "csv") {
        assert.match(lines[0], /^id,seq,occurredAt,action/);
        assert.equal(lines.length, 13, text);
      } else {
        assert.equal(lines.length, 13, text);
        const parsed = lines.map((l) => JSON.parse(l));
        const checkpoint = parsed.pop();
        assert.deepEqual(parsed.map((l) => l.action), Array(12).fill("ACCOUNT_SIGNIN_FAILED"));
        assert.equal(checkpoint.type, "axissynapse.audit.checkpoint.v1", "the NDJSON ends with its checkpoint");
        assert.deepEqual(checkpoint.export.filters, Object.fromEntries([...href.searchParams].filter(([k]) => k !== "format")));
      }
    }
    // The CSV's proof: the checkpoint of the latest export (the NDJSON's, just above).
    const proof = page.getByRole("link", { name: "Download checkpoint" });
    const [sidecar] = await Promise.all([page.waitForEvent("download"), proof.click()]);
    assert.match(sidecar.suggestedFilename(), /^audit-log-.*\.checkpoint\.json$/);
    const stored = JSON.parse(readFileSync(await sidecar.path(), "utf8"));
    assert.equal(stored.source, "export");
    assert.match(stored.sig, /^[A-Za-z0-9_-]{86}$/);

    // Checkpoints: the exports' are listed; signing one now adds it at the top.
    const listed = page.locator("#checkpoints tbody tr");
    await page.getByRole("button", { name: "Sign the chain head now" }).click();
    await page.getByText(/^Signed the head at seq \d+\.$/).waitFor();
    assert.match(await listed.first().textContent(), /api/);
    assert.ok(await listed.count() >= 3, "the two exports' checkpoints and this one");
    const [saved] = await Promise.all([page.waitForEvent("download"),
      listed.first().getByRole("button", { name: /^Download checkpoint at seq \d+$/ }).click()]);
    const mine = JSON.parse(readFileSync(await saved.path(), "utf8"));
    assert.equal(mine.source, "api");
    assert.equal(mine.kid, "e2e-2026");
    await audit(page, "audit-log-checkpoints");

    // A filter the API refuses is explained, not thrown.
    await page.goto(`${base}/portal/audit?action=lower`);
    await page.getByRole("alert").first().waitFor();
    assert.match(await page.locator("section[aria-labelledby=events-title]").textContent(), /action/);
    clean();
  } finally {
    await browser.close();
  }
});

test("users: role change, disable with confirmation, invite shown once, revoke, markup as text", async () => {
  const browser = await launch();
  try {
    const { page, context, clean } = await open(browser, { withAuthenticator: false });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await signIn(page, "users@browser.test");
    await signedIn(page);
    await page.goto(`${base}/portal/users`);
    await page.getByRole("heading", { name: "Users and invitations" }).waitFor();
    const xssRow = page.locator("tr[data-user=u_portal_xss]");
    await xssRow.waitFor();
    assert.match(await xssRow.locator("td").first().textContent(), /<img src=x onerror="window.__xss=1">/);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await page.locator("main img").count(), 0);
    await audit(page, "users");

    // Role change.
    await page.getByRole("combobox", { name: "Role of Pro Mote" }).selectOption("admin");
    await page.getByRole("button", { name: "Save the role of Pro Mote" }).click();
    await page.getByText("Pro Mote is now admin.").waitFor();
    const promoted = await call(page, "GET", "/api/settings/users");
    assert.equal(promoted.body.users.find((u) => u.id === "u_portal_promote").role, "admin");

    // Disable: asks first; Cancel changes nothing, Disable does it.
    await page.getByRole("button", { name: "Disable Dis Able" }).click();
    const dialog = page.getByRole("dialog", { name: "Disable Dis Able?" });
    await dialog.waitFor();
    await audit(page, "users-confirm-disable");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await call(page, "GET", "/api/settings/users")).body.users.find((u) => u.id === "u_portal_disable").status, "active");
    await page.getByRole("button", { name: "Disable Dis Able" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Disable" }).click();
    await page.getByText("Dis Able is disabled.").waitFor();
    await page.getByRole("button", { name: "Enable Dis Able" }).waitFor();
    assert.equal(await page.locator("tr[data-user=u_portal_disable] .badge").textContent(), "disabled");

    // Invite: the server's refusal next to the field, then the token once.
    await page.getByLabel("Email", { exact: true }).fill("not-an-email");
    await page.getByRole("button", { name: "Invite" }).click();
    const emailError = page.locator("#f-email-error");
    await emailError.waitFor({ state: "visible" });
    assert.ok((await emailError.textContent()).length > 0);
    assert.equal(await page.getByLabel("Email", { exact: true }).getAttribute("aria-invalid"), "true");
    await page.getByLabel("Email", { exact: true }).fill("invitee@browser.test");
    await page.getByLabel("Role", { exact: true }).selectOption("admin");
    await page.getByRole("button", { name: "Invite" }).click();
    const token = await page.locator("#invitation-token").textContent();
    assert.match(token, /^inv_/);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    const invitation = page.locator("tr[data-invitation]", { hasText: "invitee@browser.test" });
    await invitation.waitFor();
    await audit(page, "users-invited");
    await page.reload();
    await invitation.waitFor();
    assert.ok(!(await page.locator("main").textContent()).includes(token), "the token is shown once");

    // Revoke, after confirming.
    await page.getByRole("button", { name: "Revoke the invitation for invitee@browser.test" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await page.getByText("The invitation for invitee@browser.test is revoked.").waitFor();
    await invitation.waitFor({ state: "detached" });
    const open_ = await call(page, "GET", "/api/settings/invitations");
    assert.ok(!open_.body.invitations.some((i) => i.email === "invitee@browser.test"));
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    clean();
  } finally {
    await browser.close();
  }
});

test("a member is refused the audit and users pages", () => memberRefused("refused@browser.test",
  [["/portal/audit", "audit-refused", "Audit log"], ["/portal/users", "users-refused", "Users"]],
  "/api/settings/audit-log/histogram"));
