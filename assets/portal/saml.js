// SSO (SAML) (issue 19): SAML setup. Placeholder until the page lands.
import { h, show } from "./dom.js";

export async function render(main) {
  show(main, h("h1", {}, "SSO (SAML)"), h("p", { class: "muted" }, "This page is being built."));
}
