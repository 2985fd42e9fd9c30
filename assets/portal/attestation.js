// Passkey policy (issue 19): the attestation policy. Placeholder until the page lands.
import { h, show } from "./dom.js";

export async function render(main) {
  show(main, h("h1", {}, "Passkey policy"), h("p", { class: "muted" }, "This page is being built."));
}
