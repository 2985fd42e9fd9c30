// Audit log (issue 18). Built out by its own change.
import { h, show } from "./dom.js";

export async function render(main) {
  show(main, h("h1", {}, "Audit log"));
}
