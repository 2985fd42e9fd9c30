// The portal's webhooks page in headless Chromium (issue 19 point 5), against a receiver this
// test runs itself (node:http on 127.0.0.1, which the development worker may deliver to): add a
// subscription (its secret shown once), a test send, deliveries in the log with what was sent
// and what came back, the health chart, the circuit opening on failures and parking deliveries,
// re-enabling with the parked count, a 410 that fails a delivery for good and its redelivery
// "failed since", rotating the secret (shown once, with the overlap's end), editing, deleting.
// The receiver's answers and the edited name carry markup, which must show as text.
// ws_portal_hooks (src/bin/seed.rs) is this test's own workspace, so no other test's events
// reach its subscription.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { launch, open, signIn, audit, base, call, memberRefused } from "./portal.mjs";

const MARKUP = "<img src=x onerror=\"window.__xss=1\">";
const FILTER = "WORKSPACE_*";

/** A receiver verifying nothing: answers `status` with a body carrying markup; counts hits. */
async function receiver() {
  const state = { status: 200, hits: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      state.hits += 1;
      res.writeHead(state.status, { "content-type": "text/plain" });
      res.end(`${MARKUP} answered ${state.status}`);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${server.address().port}/hook`;
  state.close = () => new Promise((resolve) => server.close(resolve));
  return state;
}

/** An audited workspace change: one WORKSPACE_SETTINGS_UPDATED event for the subscription. */
async function event(page) {
  const r = await call(page, "PATCH", "/api/settings/workspace", { mfaRequired: false });
  assert.equal(r.status, 200, JSON.stringify(r));
}

/** Deliveries are asynchronous: refreshes the subscription until `check()` holds (60 s at most). */
async function until(page, what, check) {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.locator("#detail h2").waitFor();
    await page.waitForTimeout(400);
  }
}

const shown = (locator) => locator.count().then((n) => n > 0);

test("webhooks: add, test, log, health, circuit, re-enable, redeliver, rotate, edit, delete", async () => {
  const hook = await receiver();
  const browser = await launch();
  try {
    const { page, clean } = await open(browser, { withAuthenticator: false });
    await signIn(page, "hooks@portal-hooks.test");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    const started = await page.evaluate(() => Date.now());
    await page.goto(`${base}/portal/webhooks`);
    await page.getByRole("heading", { name: "Webhooks", level: 1 }).waitFor();
    await page.getByText("No subscriptions yet").waitFor();

    // Add one: workspace events only, the circuit opening at the first failure.
    await page.getByLabel("Name", { exact: true }).fill("Receiver");
    await page.getByLabel("Receiver URL").fill(hook.url);
    await page.getByLabel("Events", { exact: true }).selectOption([FILTER]);
    await page.getByLabel("Failures in a row that open the circuit").fill("1");
    await page.getByRole("button", { name: "Add subscription" }).click();
    const secret = page.locator("#webhook-secret");
    await secret.waitFor();
    const first = await secret.textContent();
    assert.match(first, /^whsec_[A-Za-z0-9+/=]{32,}$/);
    await page.getByText("This signing secret is shown once.").waitFor();
    await page.getByRole("button", { name: "Done" }).click();
    assert.equal(await secret.count(), 0, "the secret is gone once dismissed");
    const row = page.locator("tr[data-webhook]");
    assert.match(await row.textContent(), /Receiver.*WORKSPACE_\*.*closed/);

    // Manage it (by keyboard), send a test: the receiver's markup shows as text.
    await page.getByRole("button", { name: "Manage Receiver" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Receiver", level: 2 }).waitFor();
    assert.match(page.url(), /\?id=wh_/);
    await page.getByRole("button", { name: "Send a test" }).click();
    const result = page.locator(".test-result");
    await result.waitFor();
    assert.match(await result.textContent(), /axissynapse\.webhook\.test .*answered 200/);
    assert.equal(await result.locator("pre").textContent(), `${MARKUP} answered 200`);
    assert.equal(await result.locator("img").count(), 0);

    // A real event: delivered, in the log with its request and response.
    await event(page);
    await until(page, "a delivery", () => shown(page.locator("tr.delivery[data-outcome=delivered]")));
    const delivered = page.locator("tr.delivery[data-outcome=delivered]").first();
    assert.match(await delivered.textContent(), /WORKSPACE_SETTINGS_UPDATED attempt 1.*delivered.*200.*ms/);
    const messageId = await delivered.getAttribute("data-message");
    await page.getByRole("button", { name: "Show request and response of WORKSPACE_SETTINGS_UPDATED attempt 1" }).first().click();
    const detail = page.locator("tr.delivery-detail:not([hidden])");
    const headers = await detail.locator(".request-headers").textContent();
    assert.match(headers, new RegExp(`webhook-id: ${messageId}`));
    assert.match(headers, /webhook-timestamp: \d{10}/);
    assert.doesNotMatch(headers, /signature|whsec_/);
    const sent = JSON.parse(await detail.locator(".request-body").textContent());
    assert.equal(sent.type, "WORKSPACE_SETTINGS_UPDATED");
    assert.equal(await detail.locator(".response-body").textContent(), `${MARKUP} answered 200`);
    assert.equal(await detail.locator("img").count(), 0);
    // The health chart: one delivered bar this hour, latency in words.
    await page.locator("svg.chart rect.bar[data-category=delivered]").first().waitFor();
    assert.match(await page.locator("#health-summary").textContent(), /^1 attempt .*delivered 1.*Latency p50 \d+ ms, p95 \d+ ms over 1 attempt/);
    await audit(page, "webhooks");

    // Failures open the circuit (threshold 1); the retry and later events park.
    hook.status = 500;
    await event(page);
    await until(page, "the circuit to open", () => shown(page.locator(".circuit-open")));
    await event(page);
    // The failed delivery parks when its retry comes due (5 s), the new one at once.
    await until(page, "two parked deliveries", async () => /2 deliveries parked/.test(await page.locator("#detail").textContent()));
    assert.match(await page.locator(".circuit-open").textContent(), /Circuit open.*open since .* after 1 failure in a row/);
    assert.match(await row.locator("td[data-label=Parked]").textContent(), /^2$/);
    assert.match(await row.textContent(), /open/);
    const failed = page.locator("tr.delivery[data-outcome=retrying]").first();
    assert.match(await failed.textContent(), /retrying.*500/);
    await audit(page, "webhooks-open");

    // Re-enable (confirmed by keyboard): the parked deliveries go out once the receiver is fixed.
    hook.status = 200;
    await page.getByRole("button", { name: "Re-enable and deliver 2 parked deliveries" }).click();
    const dialog = page.getByRole("dialog", { name: "Re-enable Receiver?" });
    assert.match(await dialog.textContent(), /the 2 parked deliveries are sent in event order/);
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Enter");
    await page.getByText("Receiver is enabled again; 2 parked deliveries on the way.").waitFor();
    await until(page, "the parked deliveries", async () =>
      (await page.locator("tr.delivery[data-outcome=delivered]").count()) >= 3);
    assert.equal(await page.locator(".circuit-open").count(), 0, "the circuit is closed");
    // The backlog drains (a delivery can still show as pending on the refresh that lists the third).
    await until(page, "an empty backlog", async () =>
      /0 pending, 0 parked, 0 failed/.test(await page.locator("#detail dl").textContent()));

    // A 410 fails a delivery for good and disables the endpoint; enabled again, it is
    // redelivered with "failed since" a time before it.
    hook.status = 410;
    await event(page);
    await until(page, "the 410", () => shown(page.locator("tr.delivery[data-outcome=gone]")));
    await until(page, "the endpoint disabled", async () => /410 Gone/.test(await page.locator("#detail").textContent()));
    const gone = await page.locator("tr.delivery[data-outcome=gone]").first().getAttribute("data-message");
    hook.status = 200;
    await page.getByRole("button", { name: "Re-enable and deliver 0 parked deliveries" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Re-enable" }).click();
    await page.getByText("Receiver is enabled again; 0 parked deliveries on the way.").waitFor();
    await page.locator(".badge", { hasText: "Circuit closed" }).waitFor();
    const since = await page.evaluate((ms) => {
      const d = new Date(ms - 60_000);
      const pad = (n) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    }, started);
    await page.getByLabel("Failed since").fill(since);
    await page.getByRole("button", { name: "Redeliver failed" }).click();
    await page.getByText("1 delivery queued again for Receiver.").waitFor();
    await until(page, "the redelivery", () => shown(page.locator(`tr.delivery[data-message="${gone}"][data-outcome=delivered]`)));

    // Rotate: the new secret once, with the end of the old one's overlap.
    await page.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate" }).click();
    await secret.waitFor();
    const second = await secret.textContent();
    assert.match(second, /^whsec_/);
    assert.notEqual(second, first);
    assert.match(await page.locator("#detail .once").textContent(), /keeps signing until .*\d/);
    await page.getByRole("button", { name: "Done" }).click();
    assert.ok(!(await page.content()).includes(second), "the secret is not left in the page");
    await page.getByText(/^still signs until /).waitFor();
    await audit(page, "webhooks-rotated");

    // Edit: a refused name shows next to its field; a name that is markup is saved, shown as text.
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    const edit = page.getByRole("form", { name: "Edit Receiver" });
    const name = edit.getByLabel("Name", { exact: true });
    await name.fill(" ");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await page.locator("#edit-name-error").filter({ hasText: /\S/ }).waitFor();
    assert.equal(await name.getAttribute("aria-invalid"), "true");
    await name.fill(MARKUP);
    await edit.getByRole("button", { name: "Save changes" }).click();
    await page.getByText(`${MARKUP} is saved.`).waitFor();
    await page.getByRole("heading", { name: MARKUP, level: 2 }).waitFor();
    await page.locator("tr[data-webhook] td", { hasText: MARKUP }).waitFor();
    assert.equal(await page.locator("main img").count(), 0);

    // Delete, confirmed.
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog", { name: `Delete ${MARKUP}?` }).getByRole("button", { name: "Delete" }).click();
    await page.getByText(`${MARKUP} is deleted.`).waitFor();
    await page.getByText("No subscriptions yet").waitFor();
    assert.equal(await page.evaluate(() => window.__xss), undefined, "no markup ran");
    clean();
  } finally {
    await browser.close();
    await hook.close();
  }
});

test("a member is refused the webhooks page", () => memberRefused("refused@browser.test",
  [["/portal/webhooks", "webhooks-refused", "Webhooks"]], "/api/settings/webhooks"));
