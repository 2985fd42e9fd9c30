// Audit log (issue 18): filters kept in the URL, keyset paging as the list scrolls (and a
// "Load more" button), each row's full data on demand, CSV/NDJSON export of the same filters,
// the hash chain's integrity, a chart of events per hour by category
// (GET /api/settings/audit-log/histogram), and the signed checkpoints of the chain (issue 20).
import { h, show, field, when, section, status, said, busy, download } from "./dom.js";
import { api, problem } from "./api.js";
import { HOUR, hourlyChart } from "./chart.js";

const LOG = "/api/settings/audit-log";
/** The API's filter parameters, as kept in the page's URL. */
const FILTERS = ["userId", "action", "resourceType", "resourceId", "from", "to", "q"];
const PAGE = 50;
const MAX_HOURS = 744;
/** Category colours (AA contrast against white for the legend swatches' borders). */
const COLOURS = { ACCOUNT: "#1f4fd1", WORKSPACE: "#b4530a", SCIM: "#1b6b3a", SAML: "#7b2cbf", WEBHOOK: "#a4161a" };
const colour = (category, i) => COLOURS[category] || ["#4a5568", "#0e7490", "#9d174d"][i % 3];

/** The filters of the current URL, as API parameters (empty ones left out). */
function current() {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || ""]).filter(([, v]) => v));
}

const query = (filters, extra = {}) => new URLSearchParams({ ...filters, ...extra }).toString();

/** An RFC 3339 time as the value of a datetime-local input (the viewer's time zone). */
function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export async function render(main) {
  const filters = current();
  const form = filterForm(filters);
  const badge = h("p", { class: "chain", "aria-live": "polite" }, h("span", { class: "badge" }, "Checking the chain…"));
  const chart = h("section", { "aria-labelledby": "chart-title" });
  const list = h("section", { "aria-labelledby": "events-title" });
  show(main,
    h("h1", {}, "Audit log"),
    badge,
    form,
    h("div", { class: "actions exports" },
      h("span", { class: "muted" }, "Export these events:"),
      h("a", { class: "button", href: `${LOG}/export?${query(filters, { format: "csv" })}`, download: "" }, "Download CSV"),
      h("a", { class: "button", href: `${LOG}/export?${query(filters, { format: "ndjson" })}`, download: "" }, "Download NDJSON"),
      h("a", { class: "button", href: `${LOG}/export?format=checkpoint`, download: "" }, "Download checkpoint"),
      h("span", { class: "muted" }, "(of your latest export: a CSV's proof)")),
    chart,
    list,
    checkpoints());
  await Promise.all([integrity(badge), drawChart(chart, filters), events(list, filters)]);
}

function filterForm(filters) {
  const form = h("form", { class: "filters", novalidate: true, "aria-label": "Filters" },
    h("div", { class: "filter-grid" },
      field({ label: "Actor (user id)", name: "userId", value: filters.userId || "", placeholder: "u_…", autocomplete: "off" }),
      field({ label: "Action", name: "action", value: filters.action || "", hint: "A code, or a prefix ending in * (ACCOUNT_SIGNIN_*)",
        list: "action-codes", autocomplete: "off" }),
      field({ label: "Resource type", name: "resourceType", value: filters.resourceType || "", autocomplete: "off" }),
      field({ label: "Resource id", name: "resourceId", value: filters.resourceId || "", autocomplete: "off" }),
      field({ label: "From", name: "from", type: "datetime-local", value: filters.from ? toLocalInput(filters.from) : "" }),
      field({ label: "To", name: "to", type: "datetime-local", value: filters.to ? toLocalInput(filters.to) : "" }),
      field({ label: "Text", name: "q", type: "search", value: filters.q || "", hint: "Within the action, resource id and data" })),
    h("datalist", { id: "action-codes" }),
    h("div", { class: "form-error" }),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Apply filters"),
      h("button", { type: "button", onclick: () => apply({}) }, "Clear")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = {};
    for (const name of FILTERS) {
      const value = form.elements[name].value.trim();
      if (!value) continue;
      // datetime-local is the viewer's local time; the API takes RFC 3339.
      next[name] = name === "from" || name === "to" ? new Date(value).toISOString() : value;
    }
    apply(next);
  });
  catalogCodes(form.querySelector("datalist"));
  return form;
}

/** Keeps the filters in the URL (a reload or a shared link shows the same view) and redraws. */
function apply(filters) {
  const search = query(filters);
  history.replaceState(null, "", `${location.pathname}${search ? `?${search}` : ""}`);
  const main = document.getElementById("main");
  render(main).then(() => main.querySelector("form.filters button[type=submit]")?.focus());
}

async function catalogCodes(list) {
  const catalog = await api("GET", "/api/developers/events.json");
  if (!catalog.ok) return;
  const codes = catalog.body.events.map((e) => e.type);
  const prefixes = [...new Set(codes.map((c) => `${c.split("_")[0]}_*`))];
  show(list, [...prefixes, ...codes].map((c) => h("option", { value: c })));
}

async function integrity(badge) {
  const result = await api("GET", `${LOG}/verify`);
  if (!result.ok) return show(badge, await problem(result));
  if (result.body.ok) {
    return show(badge, h("span", { class: "badge good" }, "Chain intact"),
      ` ${result.body.rows} events verified, newest seq ${result.body.headSeq}.`);
  }
  show(badge, h("span", { class: "badge bad" }, `Chain broken at seq ${result.body.brokenAtSeq}`),
    " ", h("span", { class: "muted" }, result.body.break || ""));
}

// ---------------------------------------------------------------------------------------------
// The list: keyset pages, newest first
// ---------------------------------------------------------------------------------------------

async function events(section, filters) {
  const body = h("tbody");
  const status = h("p", { class: "muted", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "load-more", hidden: true }, "Load more");
  const sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });
  const table = h("table", { class: "audit-table" },
    h("caption", { class: "visually-hidden" }, "Audit events, newest first"),
    h("thead", {}, h("tr", {},
      ["Time", "Action", "Actor", "Resource", "Data"].map((t) => h("th", { scope: "col" }, t)))),
    body);
  const box = h("div", { class: "form-error" });
  show(section, h("h2", { id: "events-title" }, "Events"), box, h("div", { class: "table-wrap" }, table), status, more, sentinel);

  let cursor = null;
  let count = 0;
  let loading = false;
  let done = false;
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) load();
  }, { rootMargin: "200px" });

  async function load() {
    if (loading || done) return;
    loading = true;
    more.disabled = true;
    const result = await api("GET", `${LOG}?${query(filters, { limit: PAGE, ...(cursor ? { cursor } : {}) })}`);
    loading = false;
    more.disabled = false;
    if (!result.ok) {
      show(box, await problem(result));
      done = true;
      observer.disconnect();
      more.hidden = true;
      return;
    }
    for (const item of result.body.items) body.append(...row(item));
    count += result.body.items.length;
    cursor = result.body.nextCursor;
    done = !cursor;
    more.hidden = done;
    status.textContent = count === 0 ? "No events match these filters."
      : done ? `All ${count} matching events shown.` : `${count} events shown; more load as you scroll.`;
    if (done) observer.disconnect();
  }
  more.addEventListener("click", async () => {
    const before = body.rows.length;
    await load();
    // Keyboard users continue from the first new row.
    body.rows[before]?.querySelector("button")?.focus();
  });
  await load();
  if (!done) observer.observe(sentinel);
}

function actorText(item) {
  return item.actor.id ? `${item.actor.id}` : item.actor.type;
}

function row(item) {
  const id = `data-${item.seq}`;
  const pre = h("pre", {}, JSON.stringify(item, null, 2));
  const detail = h("tr", { id, class: "audit-data", hidden: true },
    h("td", { colspan: 5 }, h("p", { class: "muted" }, `Event ${item.id}, seq ${item.seq}`), pre));
  const toggle = h("button", { type: "button", class: "link", "aria-expanded": "false", "aria-controls": id,
    "aria-label": `Show data of event ${item.seq} (${item.action})` }, "Show");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Hide" : "Show";
    toggle.setAttribute("aria-label", `${open ? "Hide" : "Show"} data of event ${item.seq} (${item.action})`);
    detail.hidden = !open;
  });
  const resource = item.resource ? `${item.resource.type}${item.resource.id ? ` ${item.resource.id}` : ""}` : "–";
  return [
    h("tr", { class: "audit-row", "data-seq": item.seq },
      h("td", { "data-label": "Time" }, h("time", { datetime: item.occurredAt }, when(item.occurredAt))),
      h("td", { "data-label": "Action" }, h("code", {}, item.action)),
      h("td", { "data-label": "Actor" }, actorText(item), item.ip ? h("span", { class: "muted" }, ` · ${item.ip}`) : null),
      h("td", { "data-label": "Resource" }, resource),
      h("td", { "data-label": "Data" }, toggle)),
    detail,
  ];
}

// ---------------------------------------------------------------------------------------------
// The chart: events per hour, stacked by category
// ---------------------------------------------------------------------------------------------

async function drawChart(section, filters) {
  const title = h("h2", { id: "chart-title" }, "Events per hour");
  const to = filters.to ? Date.parse(filters.to) : Date.now();
  const from = filters.from ? Date.parse(filters.from) : to - 24 * HOUR + 1;
  if (Math.floor(to / HOUR) - Math.floor(from / HOUR) >= MAX_HOURS) {
    return show(section, title, h("p", { class: "note" }, "The chart covers at most 31 days: narrow the time range to see it."));
  }
  const params = { ...filters };
  delete params.from;
  delete params.to;
  const result = await api("GET", `${LOG}/histogram?${query(params, { from: new Date(from).toISOString(), to: new Date(to).toISOString() })}`);
  if (!result.ok) return show(section, title, await problem(result));
  show(section, title, hourlyChart(section, { id: "chart", title: "Events per hour by category", data: result.body,
    keys: result.body.categories, colour, noun: "event", legend: "Categories" }));
}

// ---------------------------------------------------------------------------------------------
// Signed checkpoints: the chain head signed with Ed25519, verifiable offline
// ---------------------------------------------------------------------------------------------

function checkpoints() {
  const outcome = status();
  const body = h("tbody");
  const sign = h("button", { type: "button" }, "Sign the chain head now");
  const box = section("checkpoints", "Signed checkpoints",
    h("p", { class: "muted" }, "Each checkpoint is an Ed25519 signature over the chain's newest row. Keep one, and ",
      h("code", {}, "audit-verify"), " proves a later export rewrote nothing before it. Keys: ",
      h("a", { href: "/api/developers/audit-keys.json" }, "audit-keys.json"), "."),
    h("div", { class: "actions" }, sign), outcome,
    h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "visually-hidden" }, "Checkpoints, newest first"),
      h("thead", {}, h("tr", {}, ["Signed", "Head seq", "Made by", "Key", ""].map((t) => h("th", { scope: "col" }, t)))),
      body)));
  let latest = 0; // a slower, older load must not overwrite a newer one
  const load = async () => {
    const mine = ++latest;
    const result = await api("GET", `${LOG}/checkpoints?limit=10`);
    if (mine !== latest) return;
    if (!result.ok) return show(body, h("tr", {}, h("td", { colspan: 5 }, await problem(result))));
    if (!result.body.items.length) return show(body, h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No checkpoint yet.")));
    show(body, result.body.items.map((c) => h("tr", {},
      h("td", { "data-label": "Signed" }, h("time", { datetime: c.time }, when(c.time))),
      h("td", { "data-label": "Head seq" }, String(c.seq)),
      h("td", { "data-label": "Made by" }, c.source),
      h("td", { "data-label": "Key" }, h("code", {}, c.kid)),
      h("td", {}, h("button", { type: "button", class: "link", "aria-label": `Download checkpoint at seq ${c.seq}`,
        onclick: () => download(`audit-checkpoint-${c.seq}.json`, JSON.stringify(c, null, 2), "application/json") }, "Download")))));
  };
  sign.addEventListener("click", () => busy(sign, async () => {
    const result = await api("POST", `${LOG}/checkpoints`);
    if (!result.ok) return show(outcome, await problem(result));
    await load();
    said(outcome, `Signed the head at seq ${result.body.seq}.`);
  }));
  load();
  return box;
}
