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
 * A labelled input: {label, name, type, ...attributes}, with the id `${prefix}-${name}` (a
 * prefix keeps ids apart when several forms on one page share names); `type: "textarea"`
 * makes a textarea. The error slot follows the input.
 */
export function field({ label, name, type = "text", hint, prefix = "f", ...attrs }) {
  const id = `${prefix}-${name}`;
  const described = { "aria-describedby": `${id}-error${hint ? ` ${id}-hint` : ""}`, ...attrs };
  const input = type === "textarea" ? h("textarea", { id, name, ...described }) : h("input", { id, name, type, ...described });
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { id: `${id}-hint`, class: "hint" }, hint) : null,
    input,
    h("p", { id: `${id}-error`, class: "field-error", "aria-live": "polite" }));
}

/** A section titled by its heading, whose id is `${id}-title`. */
export function section(id, title, ...children) {
  return h("section", { id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), ...children);
}

/** A live region for a section's outcome ("Passkey added."). */
export const status = () => h("div", { class: "status", role: "status", "aria-live": "polite" });

/** Says `text` in a live region made by status(); an empty text clears it. */
export const said = (el, text, kind = "ok") => show(el, text ? h("p", { class: kind }, text) : null);

/** Runs `work` with `button` disabled meanwhile; its result. */
export async function busy(button, work) {
  button.disabled = true;
  try {
    return await work();
  } finally {
    button.disabled = false;
  }
}

/** A confirmation in a modal dialog (keyboard: focus trapped, Escape cancels); true to go on. */
export function confirmAction(title, text, yes) {
  let d = document.getElementById("confirm-dialog");
  if (!d) {
    d = h("dialog", { id: "confirm-dialog", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-text" });
    document.body.append(d);
  }
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const done = (answer) => {
      if (d.open) d.close();
      resolve(answer);
    };
    show(d,
      h("h2", { id: "confirm-title" }, title),
      h("p", { id: "confirm-text" }, text),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "danger", onclick: () => done(true) }, yes),
        h("button", { type: "button", onclick: () => done(false) }, "Cancel")));
    d.addEventListener("close", () => {
      resolve(false);
      if (opener?.isConnected) opener.focus();
    }, { once: true });
    d.showModal();
    d.querySelector("button:last-child").focus();
  });
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

/**
 * Text copied to the clipboard, with a spoken confirmation. A button named by `aria-label`
 * ("Copy the base URL") says "Copied the base URL" meanwhile, so its name keeps its visible text.
 */
export async function copy(text, button) {
  await navigator.clipboard.writeText(text);
  const [before, label] = [button.textContent, button.getAttribute("aria-label")];
  button.textContent = "Copied";
  if (label) button.setAttribute("aria-label", label.replace(/^Copy\b/, "Copied"));
  setTimeout(() => {
    button.textContent = before;
    if (label) button.setAttribute("aria-label", label);
  }, 1500);
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

/**
 * A secret shown once (a token, a signing secret): `lines` of explanation, the value (its
 * element gets `id`), Copy (selecting the text where the clipboard is refused) and Done, which
 * calls `done`. Returns {box, copyButton}.
 */
export function shownOnce({ lines, label, value, id, done }) {
  const secret = h("p", { class: "secret", id }, value);
  const copyButton = h("button", { type: "button" }, "Copy");
  copyButton.addEventListener("click", async () => {
    try {
      await copy(value, copyButton);
    } catch {
      getSelection().selectAllChildren(secret);
      copyButton.textContent = "Press Ctrl+C to copy";
    }
  });
  const box = h("div", { class: "ok" },
    lines.map((line) => h("p", {}, line)),
    h("p", { class: "visually-hidden" }, label),
    secret,
    h("div", { class: "actions" }, copyButton, h("button", { type: "button", class: "link", onclick: done }, "Done")));
  return { box, copyButton };
}
