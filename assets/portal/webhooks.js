// Webhooks (issue 19): webhook health. Placeholder until the page lands.
import { h, show } from "./dom.js";

export async function render(main) {
  show(main, h("h1", {}, "Webhooks"), h("p", { class: "muted" }, "This page is being built."));
}
