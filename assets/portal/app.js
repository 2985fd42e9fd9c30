// The portal's entry module: who is signed in (GET /api/me), the navigation, and the page for
// the path (/portal, /portal/security, /portal/audit, /portal/users, /portal/saml, /portal/scim,
// /portal/network, /portal/attestation, /portal/webhooks). Pages are modules with
// `render(main, me)`.
import { h, show } from "./dom.js";
import { api } from "./api.js";

const PAGES = {
  signin: { title: "Sign in", load: () => import("./signin.js") },
  security: { title: "Account security", load: () => import("./security.js"), signedIn: true },
  audit: { title: "Audit log", load: () => import("./audit.js"), signedIn: true, admin: true },
  users: { title: "Users", load: () => import("./users.js"), signedIn: true, admin: true },
  saml: { title: "SSO", load: () => import("./saml.js"), signedIn: true, admin: true },
  scim: { title: "Directory sync", load: () => import("./scim.js"), signedIn: true, admin: true },
  network: { title: "Network policy", load: () => import("./network.js"), signedIn: true, admin: true },
  attestation: { title: "Passkey policy", load: () => import("./attestation.js"), signedIn: true, admin: true },
  webhooks: { title: "Webhooks", load: () => import("./webhooks.js"), signedIn: true, admin: true },
};

const isAdmin = (me) => me && ["owner", "admin"].includes(me.user.role) && !me.enrolmentOnly;

function nav(current, me) {
  const links = Object.entries(PAGES)
    .filter(([name, p]) => name !== "signin" && me && (!p.admin || isAdmin(me)) && (!me.enrolmentOnly || name === "security"))
    .map(([name, p]) => h("a", { href: `/portal/${name}`, "aria-current": name === current ? "page" : null }, p.title));
  show(document.getElementById("nav"), ...links);
  show(document.getElementById("who"),
    me ? h("span", { class: "muted" }, me.user.displayName ? `${me.user.displayName} · ${me.user.email}` : me.user.email) : null,
    me ? h("button", { type: "button", class: "link", onclick: signOut }, "Sign out") : null);
}

async function signOut() {
  await api("POST", "/api/auth/logout");
  location.assign("/portal");
}

/** Renders the page for the current path. */
export async function route() {
  const name = location.pathname.split("/")[2] || "signin";
  const page = PAGES[name] || PAGES.signin;
  const main = document.getElementById("main");
  const me = await api("GET", "/api/me");
  const who = me.ok ? me.body : null;
  if (page.signedIn && !who) {
    location.replace(`/portal?next=${encodeURIComponent(location.pathname + location.search)}`);
    return;
  }
  if (who?.enrolmentOnly && name !== "security") {
    location.replace("/portal/security");
    return;
  }
  nav(name, who);
  document.title = `${page.title} · AxisSynapse`;
  if (page.admin && !isAdmin(who)) {
    show(main, h("h1", {}, page.title), h("p", { role: "alert" }, "This page is for workspace owners and admins."));
    return;
  }
  const module = await page.load();
  show(main);
  await module.render(main, who);
}

/** Where to go after signing in: a `next` that is a portal path, else the security page. */
export function next() {
  const target = new URLSearchParams(location.search).get("next") || "";
  return /^\/portal(\/[a-z]+)?(\?[\w=&%.-]*)?$/.test(target) ? target : "/portal/security";
}

route();
