// Kommon widgets: <kommon-residents>, <kommon-agenda>, <kommon-map>, <kommon-calls> and
// <kommon-form> show a place's (or a network's) views inside any website. Each element fetches
// the server's HTML for its view and renders it in a shadow root, so the host page's styles do
// not leak in; CSS custom properties (--kommon-accent, --kommon-text, --kommon-background,
// --kommon-font, --kommon-radius) set on the element or an ancestor theme it. Forms are sent
// with fetch and their answer replaces the form. Iframes marked data-kommon are sized to their
// content. Licence AGPL-3.0-or-later.
(() => {
  "use strict";
  const me = document.currentScript;
  const origin = me ? new URL(me.src, location.href).origin : location.origin;
  const views = {
    "kommon-residents": "residentotheque",
    "kommon-resident": "resident",
    "kommon-agenda": "agenda",
    "kommon-map": "carte",
    "kommon-calls": "appels",
    "kommon-form": null,
  };
  const forms = { benevolat: 1, "coup-de-main": 1, adhesion: 1 };

  function url(el, view, extra) {
    const base = el.getAttribute("server") || origin;
    const place = el.getAttribute("place") || "";
    const u = new URL(`/embed/${encodeURIComponent(place)}/${view}`, base);
    u.searchParams.set("fragment", "1");
    const of = el.getAttribute("of");
    if (of) u.searchParams.set("of", of);
    if (extra) for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
    return u;
  }

  function show(root, html, started) {
    root.innerHTML = html;
    const t = Math.round(performance.now() - started);
    root.host.dataset.renderedMs = String(t);
    root.host.dispatchEvent(new CustomEvent("kommon:rendered", { detail: { ms: t }, bubbles: true }));
  }

  function failed(root, status) {
    root.innerHTML =
      `<p role="alert" style="font-family:var(--kommon-font,system-ui,sans-serif)">Contenu Kommon indisponible (${status}). <span lang="en">Kommon content unavailable.</span></p>`;
  }

  function wireForms(el, root, started) {
    for (const form of root.querySelectorAll("form[data-kommon-form]")) {
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const button = form.querySelector("button");
        if (button) button.disabled = true;
        const action = new URL(form.getAttribute("action"));
        action.searchParams.set("fragment", "1");
        try {
          const r = await fetch(action, {
            method: "POST",
            body: new URLSearchParams(new FormData(form)),
            credentials: "omit",
          });
          show(root, await r.text(), started);
          wireForms(el, root, started);
          const focus = root.querySelector("[role=status],[role=alert]");
          if (focus) {
            focus.setAttribute("tabindex", "-1");
            focus.focus();
          }
        } catch (e) {
          failed(root, e.message);
        }
      });
    }
  }

  class KommonView extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      const root = this.attachShadow({ mode: "open" });
      const started = performance.now();
      let view = views[this.localName];
      if (view === null) {
        view = this.getAttribute("type") || "benevolat";
        if (!forms[view]) return failed(root, "type");
      }
      root.innerHTML = `<p aria-busy="true" style="font-family:var(--kommon-font,system-ui,sans-serif)">Chargement… <span lang="en">Loading…</span></p>`;
      const extra = this.getAttribute("lang") === "en" ? { lang: "en" } : null;
      fetch(url(this, view, extra), { credentials: "omit" })
        .then(async (r) => {
          if (!r.ok) return failed(root, r.status);
          show(root, await r.text(), started);
          wireForms(this, root, started);
        })
        .catch((e) => failed(root, e.message));
    }
  }
  for (const name of Object.keys(views)) {
    if (!customElements.get(name)) customElements.define(name, class extends KommonView {});
  }

  // Iframes of Kommon's embed pages tell their height; those marked data-kommon follow it.
  addEventListener("message", (ev) => {
    const d = ev.data;
    if (!d || d.kommon !== "height" || typeof d.height !== "number") return;
    for (const f of document.querySelectorAll("iframe[data-kommon]")) {
      if (f.contentWindow === ev.source && new URL(f.src).origin === ev.origin) {
        f.style.height = `${Math.min(Math.max(d.height, 50), 20000)}px`;
      }
    }
  });
})();
