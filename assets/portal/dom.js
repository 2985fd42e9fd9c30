// DOM helpers. Every string, above all every string a server sent, goes into the page as
// text (textContent, attribute values), never as HTML: there is no innerHTML in the portal.

/** An element: h("button", {class: "primary", onclick: fn}, "Save"). */
export function h(tag, props = {}, ...children) {
  return fill(document.createElement(tag), props, children);
}

/** An SVG element, for charts and QR codes. */
export function svg(tag, props = {}, ...children) {
  return fill(document.createElementNS("http://www.w3.org/2000/svg", tag), props, children);
}

function fill(el, props, children) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.setAttribute("class", value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function show(el, ...children) {
  el.replaceChildren();
  return fill(el, {}, children);
}

/**
 * A labelled input: {label, name, type, ...attributes}; `type: "textarea"` makes a textarea;
 * `id` (default `f-<name>`) when a page shows the same field more than once. The error slot
 * follows the input.
 */
export function field({ label, name, type = "text", hint, id = `f-${name}`, ...attrs }) {
  const described = { "aria-describedby": `${id}-error${hint ? ` ${id}-hint` : ""}`, ...attrs };
  const input = type === "textarea" ? h("textarea", { id, name, ...described }) : h("input", { id, name, type, ...described });
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { id: `${id}-hint`, class: "hint" }, hint) : null,
    input,
    h("p", { id: `${id}-error`, class: "field-error", "aria-live": "polite" }));
}

/** The values of a form's named inputs. */
export function values(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/** A date for people, in their own locale and time zone. */
export function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** Text copied to the clipboard, with a spoken confirmation. */
export async function copy(text, button) {
  await navigator.clipboard.writeText(text);
  const before = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = before; }, 1500);
}

/** Offers `text` as a file download. */
export function download(name, text, type = "text/plain") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A confirmation in a modal dialog (focus trapped, returned on close); resolves true or false. */
export function confirmAction({ title, text, action }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" });
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      opener?.focus?.();
      resolve(answer);
    };
    show(dialog,
      h("h2", { id: "confirm-title" }, title),
      h("p", {}, text),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "danger", onclick: () => done(true) }, action),
        h("button", { type: "button", onclick: () => done(false) }, "Cancel")));
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("button:last-child").focus();
  });
}
