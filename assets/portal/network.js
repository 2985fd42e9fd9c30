// Network policy (issue 19): the network-policy editor. Placeholder until the page lands.
import { h, show } from "./dom.js";

export async function render(main) {
  show(main, h("h1", {}, "Network policy"), h("p", { class: "muted" }, "This page is being built."));
}
