// Webhooks (issue 19): the workspace's subscriptions with their circuit (closed or open, since
// when, how many deliveries are parked), adding one (event types from the catalog; the signing
// secret shown once), and one subscription managed at a time (?id=): its health over the last
// 24 hours (GET …/{id}/health, drawn by chart.js), a test send, editing, re-enabling after an
// open circuit or a 410 (PATCH {enabled: true} closes the circuit and drains what was parked),
// rotating the secret (the new one shown once, with the old one's overlap end), deleting,
// redelivering one delivery or everything failed since a time, and the delivery log with what
// each attempt sent and what came back. Every write goes through guarded(); destructive ones
// ask first.
import { h, show, field, values, when, confirmAction, shownOnce } from "./dom.js";
import { api, guarded, report, problem, submit } from "./api.js";
import { hourlyChart } from "./chart.js";

const BASE = "/api/settings/webhooks";
/** Outcome colours (AA against white): delivered green, retrying amber, failed red, gone grey. */
const COLOURS = { delivered: "#1b6b3a", retrying: "#7a4b00", failed: "#a4161a", gone: "#4a5568" };
const path = (id, rest = "") => `${BASE}/${encodeURIComponent(id)}${rest}`;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const parkedText = (n) => plural(n, "parked delivery", "parked deliveries");

export async function render(main) {
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const list = h("section", { "aria-labelledby": "subs-title" });
  const create = h("section", { "aria-labelledby": "create-title" });
  const detail = h("section", { "aria-labelledby": "detail-title", id: "detail", hidden: true });
  show(main, h("h1", {}, "Webhooks"), status, list, detail, create);
  const page = { status, list, detail, say: (text) => { status.textContent = text; } };
  page.refresh = () => listSubscriptions(page);
  page.open = (id) => openDetail(page, id);
  await Promise.all([page.refresh(), createForm(create, page)]);
  const id = new URLSearchParams(location.search).get("id");
  if (id) await page.open(id);
}

/** The circuit in words: "closed", "open since …", or why the endpoint is disabled. */
function circuitText(s) {
  if (!s.enabled) return s.disabledReason === "gone" ? "disabled: the receiver answered 410 Gone" : "disabled by an admin";
  if (s.circuit.state === "open") {
    return `open since ${when(s.circuit.openedAt)} after ${plural(s.circuit.consecutiveFailures, "failure")} in a row`;
  }
  return `closed (${s.circuit.consecutiveFailures} of ${s.circuit.threshold} failures)`;
}

const healthy = (s) => s.enabled && s.circuit.state !== "open";

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

async function listSubscriptions(page) {
  const title = h("h2", { id: "subs-title" }, "Subscriptions");
  const result = await api("GET", BASE);
  if (!result.ok) return show(page.list, title, await problem(result));
  const subs = result.body.webhooks;
  if (!subs.length) return show(page.list, title, h("p", { class: "muted" }, "No subscriptions yet: add one below."));
  const row = (s) => h("tr", { "data-webhook": s.id },
    h("td", { "data-label": "Name" }, s.name),
    h("td", { "data-label": "URL" }, h("code", {}, s.url)),
    h("td", { "data-label": "Events" }, s.eventFilters.join(", ")),
    h("td", { "data-label": "Circuit" },
      h("span", { class: `badge ${healthy(s) ? "good" : "bad"}` }, healthy(s) ? "closed" : s.enabled ? "open" : "disabled"),
      h("span", { class: "muted" }, ` ${circuitText(s)}`)),
    h("td", { "data-label": "Parked" }, String(s.backlog.parked)),
    h("td", { "data-label": "Actions" }, h("button", { type: "button", "aria-label": `Manage ${s.name}`,
      onclick: () => page.open(s.id) }, "Manage")));
  show(page.list, title, h("div", { class: "table-wrap" }, h("table", { class: "stack-table hooks-table" },
    h("caption", { class: "visually-hidden" }, "Webhook subscriptions"),
    h("thead", {}, h("tr", {}, ["Name", "URL", "Events", "Circuit", "Parked", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, subs.map(row)))));
}

// ---------------------------------------------------------------------------------------------
// Create and edit
// ---------------------------------------------------------------------------------------------

let catalog = null;
/** The event types a filter can name: "*", each category's prefix, then every type. */
async function eventTypes() {
  catalog ??= api("GET", "/api/developers/events.json").then((r) => (r.ok ? r.body.events.map((e) => e.type) : []));
  const codes = await catalog;
  return ["*", ...new Set(codes.map((c) => `${c.split("_")[0]}_*`)), ...codes];
}

/** The inputs shared by the create and edit forms, their ids prefixed with `prefix`. */
async function subscriptionFields(prefix, s = {}) {
  const chosen = new Set(s.eventFilters || ["*"]);
  const id = `${prefix}-eventFilters`;
  const filters = h("select", { id, name: "eventFilters", multiple: true, size: 8, "aria-describedby": `${id}-hint ${id}-error` },
    (await eventTypes()).map((t) => h("option", { value: t, selected: chosen.has(t) }, t)));
  return [
    field({ prefix, label: "Name", name: "name", value: s.name || "", required: true, autocomplete: "off" }),
    field({ prefix, label: "Receiver URL", name: "url", type: "url", value: s.url || "", required: true,
      hint: "HTTPS; it receives a signed POST (Standard Webhooks) for each event.", autocomplete: "off" }),
    h("div", { class: "field" }, h("label", { for: id }, "Events"),
      h("p", { id: `${id}-hint`, class: "hint" }, "Pick one or more: * is every event, ACCOUNT_* a whole category (Ctrl or Shift to pick several)."),
      filters, h("p", { id: `${id}-error`, class: "field-error", "aria-live": "polite" })),
    field({ prefix, label: "Failures in a row that open the circuit", name: "circuitThreshold",
      type: "number", min: 1, max: 100, value: s.circuit?.threshold ?? 5 }),
  ];
}

/** The form's values as the API's body. */
function subscriptionBody(form) {
  const body = values(form);
  body.eventFilters = [...form.elements.eventFilters.selectedOptions].map((o) => o.value);
  body.circuitThreshold = Number(body.circuitThreshold);
  return body;
}

async function createForm(section, page) {
  const once = h("div", { class: "once", "aria-live": "polite" });
  const form = h("form", { class: "card", novalidate: true },
    await subscriptionFields("new"),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add subscription")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await saveSubscription(form, "POST", BASE);
    if (!result) return;
    form.reset();
    showSecret(once, result.body, [`${result.body.name} is added.`], () => form.elements.name.focus());
    await page.refresh();
  });
  show(section, h("h2", { id: "create-title" }, "Add a subscription"), form, once);
}

/** Sends a subscription form (api.js submit()); the answer when it worked, else null (errors shown). */
async function saveSubscription(form, method, url) {
  const result = await submit(form, method, url, subscriptionBody(form));
  return result.ok ? result : null;
}

/** A new signing secret, shown once in `slot`. */
function showSecret(slot, sub, lines, after) {
  const { box, copyButton } = shownOnce({ id: "webhook-secret", value: sub.secret, label: "Signing secret:",
    lines: [...lines, [h("strong", {}, "This signing secret is shown once."), " Put it in your receiver now; it cannot be shown again."]],
    done: () => { slot.replaceChildren(); after(); } });
  show(slot, box);
  copyButton.focus();
}

// ---------------------------------------------------------------------------------------------
// One subscription
// ---------------------------------------------------------------------------------------------

async function openDetail(page, id) {
  history.replaceState(null, "", `${location.pathname}?id=${encodeURIComponent(id)}`);
  const result = await api("GET", path(id));
  page.detail.hidden = false;
  if (!result.ok) return show(page.detail, h("h2", { id: "detail-title" }, "Subscription"), await problem(result));
  const s = result.body;
  const parts = { once: h("div", { class: "once", "aria-live": "polite" }), out: h("div", { "aria-live": "polite" }),
    health: h("div"), log: h("div"), edit: h("div") };
  const reload = async (focus) => {
    await Promise.all([page.open(id), page.refresh()]);
    page.detail.querySelector(focus || "h2")?.focus();
  };
  show(page.detail,
    h("h2", { id: "detail-title", tabindex: "-1" }, s.name),
    h("dl", { class: "facts" },
      h("dt", {}, "URL"), h("dd", {}, h("code", {}, s.url)),
      h("dt", {}, "Events"), h("dd", {}, s.eventFilters.join(", ")),
      h("dt", {}, "Secret fingerprint"), h("dd", {}, h("code", {}, s.secretFingerprint)),
      s.rotation ? [h("dt", {}, "Previous secret"), h("dd", {}, `still signs until ${when(s.rotation.previousSecretValidUntil)}`)] : null,
      h("dt", {}, "Backlog"), h("dd", {}, `${s.backlog.pending} pending, ${s.backlog.parked} parked, ${s.backlog.failed} failed`)),
    circuitPanel(s, page, reload),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => testSend(s, parts.out) }, "Send a test"),
      h("button", { type: "button", onclick: () => editForm(s, parts.edit, page, reload) }, "Edit"),
      h("button", { type: "button", onclick: () => rotate(s, parts.once, page) }, "Rotate secret"),
      h("button", { type: "button", class: "danger", onclick: () => remove(s, page) }, "Delete"),
      h("button", { type: "button", class: "link", onclick: () => reload("#refresh") , id: "refresh" }, "Refresh")),
    parts.edit, parts.once, parts.out,
    h("h3", {}, "Last 24 hours"), parts.health,
    h("h3", {}, "Redeliver"), redeliverForm(s, page, reload),
    h("h3", {}, "Delivery log"), parts.log);
  await Promise.all([health(s, parts.health), deliveries(s, parts.log, page, reload)]);
}

function circuitPanel(s, page, reload) {
  if (healthy(s)) return h("p", {}, h("span", { class: "badge good" }, "Circuit closed"), " ", circuitText(s));
  const parked = s.backlog.parked;
  const button = h("button", { type: "button", class: "primary" }, `Re-enable and deliver ${parkedText(parked)}`);
  button.addEventListener("click", async () => {
    const sure = await confirmAction(`Re-enable ${s.name}?`,
      `The circuit closes and the ${parkedText(parked)} ${parked === 1 ? "is" : "are"} sent in event order. Fix the receiver first.`, "Re-enable");
    if (!sure) return;
    const result = await guarded("PATCH", path(s.id), { enabled: true });
    if (result.cancelled) return;
    if (!result.ok) return button.after(await problem(result));
    page.say(`${s.name} is enabled again; ${parkedText(parked)} on the way.`);
    await reload();
  });
  return h("div", { class: "note circuit-open" },
    h("p", {}, h("span", { class: "badge bad" }, s.enabled ? "Circuit open" : "Disabled"), " ", circuitText(s), "."),
    h("p", { class: "parked" }, `${plural(parked, "delivery", "deliveries")} parked: new events wait here until you re-enable the endpoint.`),
    button);
}

async function testSend(s, out) {
  show(out, h("p", { class: "muted" }, "Sending a signed test…"));
  const result = await api("POST", path(s.id, "/test"));
  const body = result.body || {};
  if (!result.ok && body.status === undefined) return show(out, await problem(result));
  show(out, h("div", { class: `test-result ${body.delivered ? "ok" : "note"}` },
    h("h3", {}, "Test send"),
    h("p", {}, `Sent ${body.type} as ${body.messageId}; the receiver answered ${body.status} in ${body.elapsedMs} ms.`),
    result.ok ? null : await problem(result),
    h("p", {}, "Response body:"), h("pre", {}, body.body ?? "")));
}

async function editForm(s, slot, page, reload) {
  const form = h("form", { class: "card", novalidate: true, "aria-label": `Edit ${s.name}` },
    await subscriptionFields("edit", s),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save changes"),
      h("button", { type: "button", onclick: () => slot.replaceChildren() }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!(await saveSubscription(form, "PATCH", path(s.id)))) return;
    page.say(`${form.elements.name.value} is saved.`);
    await reload();
  });
  show(slot, form);
  form.elements.name.focus();
}

async function rotate(s, slot, page) {
  const sure = await confirmAction(`Rotate the secret of ${s.name}?`,
    "A new secret signs from now on; the current one keeps signing too (a second signature) for 24 hours, so the receiver can switch over.", "Rotate");
  if (!sure) return;
  const result = await guarded("POST", path(s.id, "/rotate-secret"));
  if (result.cancelled) return;
  if (!result.ok) return show(slot, await problem(result));
  page.say(`The secret of ${s.name} is rotated.`);
  showSecret(slot, result.body, [`New secret for ${s.name}. The previous one keeps signing until ${when(result.body.rotation?.previousSecretValidUntil)}.`],
    () => page.open(s.id).then(() => page.detail.querySelector("h2")?.focus()));
}

async function remove(s, page) {
  const sure = await confirmAction(`Delete ${s.name}?`,
    "Deliveries stop at once; its delivery log and anything waiting are deleted.", "Delete");
  if (!sure) return;
  const result = await guarded("DELETE", path(s.id));
  if (result.cancelled) return;
  if (!result.ok) return page.say((await problem(result)).textContent);
  history.replaceState(null, "", location.pathname);
  page.detail.hidden = true;
  page.detail.replaceChildren();
  page.say(`${s.name} is deleted.`);
  await page.refresh();
  page.list.querySelector("h2")?.focus();
}

// ---------------------------------------------------------------------------------------------
// Health, redelivery and the log
// ---------------------------------------------------------------------------------------------

async function health(s, slot) {
  const result = await api("GET", path(s.id, "/health"));
  if (!result.ok) return show(slot, await problem(result));
  const { latency } = result.body;
  const note = latency.samples ? `Latency p50 ${latency.p50Ms} ms, p95 ${latency.p95Ms} ms over ${plural(latency.samples, "attempt")}.` : "";
  show(slot, hourlyChart(slot, { id: "health", title: "Delivery attempts per hour by outcome", data: result.body,
    keys: result.body.outcomes, colour: (k) => COLOURS[k], noun: "attempt", legend: "Outcomes", note }));
}

function redeliverForm(s, page, reload) {
  const form = h("form", { class: "redeliver", novalidate: true, "aria-label": "Redeliver failed deliveries" },
    field({ prefix: "redeliver", label: "Failed since", name: "failedSince", type: "datetime-local", required: true,
      hint: "Every delivery that failed for good (retries used up, or 410) since then is sent again with a fresh retry budget." }),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Redeliver failed")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const local = form.elements.failedSince.value;
    const since = local ? new Date(local).toISOString() : "";
    await redeliver(form, s, { failedSince: since }, page, reload);
  });
  return form;
}

async function redeliver(form, s, body, page, reload) {
  const result = await guarded("POST", path(s.id, "/redeliver"), body);
  if (result.cancelled) return;
  await report(form, result);
  if (!result.ok) return;
  page.say(`${plural(result.body.queued, "delivery", "deliveries")} queued again for ${s.name}.`);
  await reload("#refresh");
}

async function deliveries(s, slot, page, reload) {
  const result = await api("GET", path(s.id, "/deliveries"));
  if (!result.ok) return show(slot, await problem(result));
  const rows = result.body.deliveries;
  if (!rows.length) return show(slot, h("p", { class: "muted" }, "No deliveries yet. Events matching the filters show up here as they are sent."));
  const box = h("form", { class: "log", novalidate: true }, h("div", { class: "form-error" }),
    h("div", { class: "table-wrap" }, h("table", { class: "stack-table deliveries-table" },
      h("caption", { class: "visually-hidden" }, "Delivery attempts, newest first"),
      h("thead", {}, h("tr", {}, ["Time", "Event", "Outcome", "Status", "Duration", "Details"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}))));
  const again = (d) => redeliver(box, s, { messageId: d.messageId }, page, reload);
  box.querySelector("tbody").append(...rows.flatMap((d) => deliveryRow(d, again)));
  show(slot, box);
}

const OUTCOME_BADGE = { delivered: "good", retrying: "", failed: "bad", gone: "bad" };

function deliveryRow(d, again) {
  const id = `attempt-${d.id}`;
  const toggle = h("button", { type: "button", class: "link", "aria-expanded": "false", "aria-controls": id,
    "aria-label": `Show request and response of ${d.eventType} attempt ${d.attempt}` }, "Show");
  const detail = h("tr", { id, class: "delivery-detail", hidden: true }, h("td", { colspan: 6 }, exchange(d, again)));
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Hide" : "Show";
    toggle.setAttribute("aria-label", `${open ? "Hide" : "Show"} request and response of ${d.eventType} attempt ${d.attempt}`);
    detail.hidden = !open;
  });
  return [
    h("tr", { class: "delivery", "data-message": d.messageId, "data-outcome": d.outcome },
      h("td", { "data-label": "Time" }, h("time", { datetime: d.createdAt }, when(d.createdAt))),
      h("td", { "data-label": "Event" }, h("code", {}, d.eventType), h("span", { class: "muted" }, ` attempt ${d.attempt}`)),
      h("td", { "data-label": "Outcome" }, h("span", { class: `badge ${OUTCOME_BADGE[d.outcome] || ""}` }, d.outcome)),
      h("td", { "data-label": "Status" }, d.responseStatus ?? "–"),
      h("td", { "data-label": "Duration" }, `${d.elapsedMs} ms`),
      h("td", { "data-label": "Details" }, toggle)),
    detail,
  ];
}

/** What one attempt sent and what came back, as text. */
function exchange(d, again) {
  const headers = Object.entries(d.request.headers).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`).join("\n");
  return h("div", { class: "exchange" },
    h("div", {},
      h("h4", {}, "Request"),
      h("p", { class: "muted" }, `POST, sent ${when(d.sentAt || d.createdAt)}; the signature header is not kept.`),
      h("pre", { class: "request-headers", tabindex: 0 }, headers),
      h("pre", { class: "request-body", tabindex: 0 }, pretty(d.request.body))),
    h("div", {},
      h("h4", {}, "Response"),
      h("p", {}, d.responseStatus === null ? `No answer: ${d.error || "unknown error"}` : `Status ${d.responseStatus} after ${d.elapsedMs} ms`),
      d.nextRetryAt ? h("p", { class: "muted" }, `Next retry ${when(d.nextRetryAt)}.`) : null,
      h("pre", { class: "response-body", tabindex: 0 }, d.responseBody ?? "(no body)"),
      h("button", { type: "button", onclick: () => again(d), "aria-label": `Redeliver this message (${d.messageId})` }, "Redeliver this message")));
}

function pretty(body) {
  if (body === null || body === undefined) return "(the message is no longer stored)";
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
