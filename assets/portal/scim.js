// Directory sync (SCIM) (issue 19): SCIM setup. Placeholder until the page lands.
import { h, show } from "./dom.js";

export async function render(main) {
  show(main, h("h1", {}, "Directory sync (SCIM)"), h("p", { class: "muted" }, "This page is being built."));
}
