// Authenticator icons: what kind of authenticator a passkey lives on (from the AAGUID
// catalog's category and the transports) and an inline SVG for each kind, with the words
// that say the same. The security page's passkeys and the passkey-policy page's catalog.
import { svg } from "./dom.js";

export const KINDS = {
  key: "Security key",
  platform: "Built into a device",
  manager: "Password manager (synced)",
  phone: "Phone",
  unknown: "Authenticator not in the catalog",
};

/** What kind of authenticator a passkey lives on, from the catalog category and transports. */
export function kindOf(passkey) {
  const category = passkey.authenticatorCategory;
  if (category === "hardware" || category === "fips_hardware") return "key";
  if (category === "platform") return "platform";
  if (category === "synced") return "manager";
  if ((passkey.transports || []).includes("hybrid")) return "phone";
  return "unknown";
}

const SHAPES = {
  key: [["rect", { x: 8, y: 2, width: 8, height: 6, rx: 1 }], ["rect", { x: 5, y: 8, width: 14, height: 14, rx: 3 }],
    ["circle", { cx: 12, cy: 15, r: 2.5 }]],
  platform: [["rect", { x: 4, y: 5, width: 16, height: 11, rx: 1.5 }], ["path", { d: "M2 19.5h20" }]],
  manager: [["path", { d: "M7 19h10a4 4 0 0 0 .6-7.95A6 6 0 0 0 6.2 9.6 4.7 4.7 0 0 0 7 19z" }],
    ["circle", { cx: 12, cy: 14, r: 1.6 }]],
  phone: [["rect", { x: 7, y: 2, width: 10, height: 20, rx: 2 }], ["path", { d: "M11 18.5h2" }]],
  unknown: [["circle", { cx: 12, cy: 12, r: 9 }], ["path", { d: "M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5v.6" }],
    ["circle", { cx: 12, cy: 16.8, r: 0.4 }]],
};

/** The category's icon: decorative (the words next to it say the same). */
export function icon(kind) {
  return svg("svg", { class: "passkey-icon", viewBox: "0 0 24 24", width: 32, height: 32, "aria-hidden": "true",
    focusable: "false", "data-kind": kind, fill: "none", stroke: "currentColor", "stroke-width": 1.8,
    "stroke-linecap": "round", "stroke-linejoin": "round" },
  SHAPES[kind].map(([tag, attrs]) => svg(tag, attrs)));
}

