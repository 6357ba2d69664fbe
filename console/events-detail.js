// One event in the events panel's drawer: every field, photos, audit trail, duplicates, and the actions the
// user's role may take now, each asking for what it needs and sending the version shown (409 -> reload).

import { ApiError, fetchImage, session } from "./api.js";
import { notify } from "./notice.js";
import { reportError } from "./actions.js";
import { eventRooms } from "./rooms/event-rooms.js";
import {
  el,
  eventsApi, fieldsOf, actionBody, words, label, terms, when, DANGER_ACTIONS,
} from "./events-model.js";
import { eventMap, dropEventMap } from "./map/event-map.js";
import { callDock } from "./calls/view.js";
import { callSection } from "./calls/buttons.js";

const opt = (value, label, selected = false) => el("option", { value, textContent: label, selected });

// The fields shown in the detail's table, in this order (the rest of the view is shown elsewhere or internal).
const FIELDS = [
  ["state", (e) => label("states", e.state)], ["version", (e) => e.version],
  ["channel", (e) => label("channels", e.channel)],
  ["class", (e) => (e.category ? `${e.category} · ${e.category_name || ""}` : "unclassified")],
  ["conditions", (e) => e.conditions], ["description", (e) => e.description],
  ["place", (e) => e.place], ["address", (e) => e.address], ["position", (e) => (e.lat != null ? `${e.lat}, ${e.lon}` : "")],
  ["grid", (e) => [e.grid, e.community, e.street].filter(Boolean).join(" · ")
    || (e.outside_grid ? "outside the grids" : "")],
  ["reporter", (e) => `${e.reporter} (${e.reporter_role})`], ["contact", (e) => e.contact],
  ["urgency", (e) => label("urgencies", e.urgency)], ["level", (e) => label("levels", e.level)],
  ["supervised", (e) => (e.supervised ? "yes" : "no")],
  ["overdue", (e) => (e.overdue ? `yes, since ${when(e.overdue_since)}` : "no")],
  ["countdown", (e) => countdownText(e.countdown)],
  ["department", (e, name) => name(e.department)],
  ["co-handlers", (e, name) => (e.co_handlers || []).map(name).join(", ")],
  ["dispatcher", (e) => e.dispatcher],
  ["departments tried", (e, name) => (e.departments_tried || []).map(name).join(" → ")],
  ["reported", (e) => when(e.reported_at_local)],
  ["registered", (e) => (e.registered_by ? `${e.registered_by}, ${when(e.registered_at)}` : "")],
  ["dispatched", (e) => when(e.dispatched_at)], ["handled", (e) => when(e.handled_at)],
  ["closed", (e) => (e.closed_at ? `${when(e.closed_at)} (${label("close_types", e.close_type)})` : "")],
  ["result", (e) => e.result],
  ["rating", (e) => (e.rating ? `${e.rating} / 5${e.evaluation ? ` · ${e.evaluation}` : ""}` : "")],
  ["rework", (e) => e.rework_count || ""], ["postponed", (e) => e.postpone_count || ""],
  ["suspended", (e) => e.suspend_count || ""],
  ["pending", (e) => (e.pending ? `${e.pending.kind} asked by ${e.pending.by}: ${e.pending.reason || ""}` : "")],
  ["duplicate of", (e) => e.duplicate_of],
];

function countdownText(c) {
  if (!c) return "";
  return `${c.light} · ${words(c.node)} · due ${when(c.due_at)}${c.running ? "" : " (stopped)"}`;
}

export class EventDetail {
  constructor(root, { panel, readOnly }) {
    this.root = root;
    this.panel = panel;
    this.readOnly = readOnly;
    this.id = null;
    this.event = null;
    this.audit = [];
    this.action = null;     // the action whose form is open
    this.urls = [];         // object URLs of the photos shown
    this.seq = 0;
  }

  // --- opening, closing, reloading ---------------------------------------------------

  async show(id) {
    this.id = id;
    this.action = null;
    this.root.hidden = false;
    this.root.closest(".events")?.classList.add("with-detail");
    await this.reload();
  }

  close() {
    this.id = null;
    this.event = null;
    this.action = null;
    this.root.hidden = true;
    this.root.closest(".events")?.classList.remove("with-detail");
    dropEventMap(this);
    this.dropPhotos();
    this.root.replaceChildren();
  }

  async reload() {
    if (!this.id) return null;
    const seq = ++this.seq;
    const id = this.id;
    try {
      const [one, audit] = await Promise.all([eventsApi.get(id), eventsApi.audit(id)]);
      if (seq !== this.seq || this.id !== id) return null;
      this.event = one.event;
      this.audit = audit.audit || [];
      this.render();
      this.panel.place(this.event);
      return this.event;
    } catch (e) {
      if (seq !== this.seq) return null;
      if (e instanceof ApiError && e.status === 404) {
        notify(`Event ${id} is no longer there for you.`, { kind: "warn" });
        this.close();
      } else {
        reportError(e, "Loading the event");
      }
      return null;
    }
  }

  /** A live notice: reload what is shown, unless an action is being decided on it (then say it changed). */
  onNotice(n) {
    if (n.id !== this.id || !this.event || n.version <= this.event.version) return;
    if (this.action) {
      const banner = this.root.querySelector("[data-testid=detail-stale]");
      banner.hidden = false;
      banner.querySelector("span").textContent =
        `Changed meanwhile by ${n.by} (${label("actions", n.action)}, now ${label("states", n.state)}, `
        + `version ${n.version}).`;
    } else {
      this.reload();
    }
  }

  // --- drawing -------------------------------------------------------------------------

  render() {
    const ev = this.event;
    this.dropPhotos();
    const closeBtn = el("button", {
      class: "btn btn-ghost btn-sm", testid: "detail-close", textContent: "✕", title: "Close",
    });
    closeBtn.addEventListener("click", () => {
      this.close();
      for (const tr of this.panel.rows.querySelectorAll("tr.selected")) tr.classList.remove("selected");
    });
    const reloadBtn = el("button", { class: "btn btn-sm", textContent: "Reload" });
    reloadBtn.addEventListener("click", () => { this.action = null; this.reload(); });
    const stale = el("div", { class: "detail-stale", testid: "detail-stale", hidden: true },
      el("span"), reloadBtn);

    // the sections an event does not have (no routing, no photos, ...) are null: left out, not printed
    this.root.replaceChildren(...[
      el("div", { class: "detail-head" },
        el("div", { class: "detail-title" },
          el("div", { class: "detail-class", textContent: ev.category_name || ev.category || "Unclassified event" }),
          el("div", { class: "ev-sub" },
            el("span", { testid: "detail-id", textContent: ev.id }), " · v",
            el("span", { testid: "detail-version", textContent: String(ev.version) }))),
        el("span", { class: `state state-${ev.state}`, testid: "detail-state", textContent: label("states", ev.state) }),
        closeBtn),
      stale,
      this.actionsBox(),
      this.callBox(),
      this.fieldsBox(),
      eventMap(this, ev, { token: session.token, host: { notify, canWall: !this.readOnly() } }),
      eventRooms(ev, { readOnly: this.readOnly() }),
      this.routingBox(),
      this.photosBox("Photos", ev.photos, "detail-photos"),
      this.photosBox("Result photos", ev.result_photos, "detail-result-photos"),
      this.duplicatesBox(),
      this.auditBox(),
    ].filter(Boolean));
  }

  /** The call buttons (Call nearest, Ring nearest N) and the event's calls; the call runs in the call view. */
  callBox() {
    const dock = callDock();
    return dock && !this.readOnly() ? callSection(this.event, dock, { reload: () => this.reload() }) : null;
  }

  fieldsBox() {
    const dl = el("dl", { class: "detail-fields", testid: "detail-fields" });
    const name = (id) => (id ? this.panel.departmentName(id) : "");
    for (const [title, get] of FIELDS) {
      const v = get(this.event, name);
      if (v === "" || v == null) continue;
      dl.append(el("dt", { textContent: title }),
        el("dd", { textContent: String(v), dataset: { field: title.replaceAll(" ", "-") } }));
    }
    return el("section", { class: "detail-sec" }, dl);
  }

  routingBox() {
    const r = this.event.routing;
    if (!r || !(r.candidates || []).length) return null;
    const ul = el("ol", { class: "candidates", testid: "detail-routing" });
    for (const c of r.candidates) {
      ul.append(el("li", {},
        el("b", { textContent: this.panel.departmentName(c.department) }),
        el("span", { class: "muted", textContent: ` · score ${c.score} · ${c.reason}` })));
    }
    return el("section", { class: "detail-sec" },
      el("h3", {
        textContent: `Routing (${r.mode}${r.department ? `: ${this.panel.departmentName(r.department)}` : ""})`,
      }), ul);
  }

  photosBox(title, shas, testid) {
    if (!shas || !shas.length) return null;
    const box = el("div", { class: "photos", testid });
    for (const sha of shas) {
      const img = el("img", { alt: `photo ${sha.slice(0, 8)}`, dataset: { sha } });
      const link = el("a", { target: "_blank", rel: "noopener" }, img);
      box.append(link);
      fetchImage(`/api/events/photos/${sha}`).then((blob) => {
        if (!img.isConnected) return;
        const url = URL.createObjectURL(blob);
        this.urls.push(url);
        img.src = url;
        link.href = url;
      }).catch(() => { img.alt = "photo not available"; img.classList.add("missing"); });
    }
    return el("section", { class: "detail-sec" }, el("h3", { textContent: title }), box);
  }

  dropPhotos() {
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
  }

  duplicatesBox() {
    const ev = this.event;
    const dups = ev.duplicates || [];
    if (!dups.length && !ev.duplicate_of) return null;
    const link = (id) => {
      const a = el("button", { class: "link", textContent: id, dataset: { id } });
      a.addEventListener("click", () => this.panel.select(id));
      return a;
    };
    return el("section", { class: "detail-sec", testid: "detail-duplicates" },
      el("h3", { textContent: "Duplicates" }),
      ev.duplicate_of ? el("p", {}, "Duplicate of ", link(ev.duplicate_of)) : null,
      dups.length
        ? el("p", {}, "Reported again as: ", ...dups.flatMap((d, i) => (i ? [", ", link(d)] : [link(d)])))
        : null);
  }

  auditBox() {
    const ol = el("ol", { class: "audit", testid: "detail-audit" });
    for (const a of [...this.audit].reverse()) {
      const change = a.from && a.to && a.from !== a.to
        ? `${label("states", a.from)} → ${label("states", a.to)}` : "";
      const extra = [
        a.level ? `level ${label("levels", a.level.from)} → ${label("levels", a.level.to)}` : "",
        a.urgency ? `urgency ${label("urgencies", a.urgency.from)} → ${label("urgencies", a.urgency.to)}` : "",
        a.extra ? `+${a.extra.value} ${words(a.extra.unit)}` : "",
      ].filter(Boolean).join(" · ");
      ol.append(el("li", { dataset: { action: a.action } },
        el("div", {}, el("b", { textContent: words(a.action) }), ` by ${a.by}`,
          a.role ? el("span", { class: "muted", textContent: ` (${a.role})` }) : null,
          el("span", { class: "audit-at", textContent: when(a.at) })),
        change || extra
          ? el("div", { class: "muted", textContent: [change, extra].filter(Boolean).join(" · ") })
          : null,
        a.note ? el("div", { class: "audit-note", textContent: a.note }) : null));
    }
    return el("section", { class: "detail-sec" }, el("h3", { textContent: "Audit trail" }), ol);
  }

  // --- actions ---------------------------------------------------------------------------

  actionsBox() {
    if (this.readOnly()) {
      return el("p", {
        class: "muted small read-only-note", testid: "detail-read-only", textContent: "Read only for your role.",
      });
    }
    const actions = this.event.actions || [];
    const bar = el("div", { class: "detail-actions", testid: "detail-actions" });
    if (!actions.length) bar.append(el("span", { class: "muted small", textContent: "No action open to you now." }));
    for (const a of actions) {
      const b = el("button", {
        class: `btn btn-sm${DANGER_ACTIONS.has(a) ? " btn-danger" : ""}${this.action === a ? " active" : ""}`,
        testid: `action-${a}`, textContent: label("actions", a),
      });
      b.addEventListener("click", () => { this.action = this.action === a ? null : a; this.render(); });
      bar.append(b);
    }
    return el("section", { class: "detail-sec" }, bar, this.action ? this.form(this.action) : null);
  }

  form(action) {
    const ev = this.event;
    const version = ev.version;  // the version this decision is taken on
    const form = el("form", { class: "action-form", testid: "action-form", dataset: { action } });
    form.noValidate = true;  // the server's 422 names the field; required fields are also checked here
    form.append(el("h3", { textContent: label("actions", action) }));
    const inputs = {};
    for (const [name, kind, required] of fieldsOf(action)) {
      const { node, read, refill } = this.input(name, kind, required, inputs);
      inputs[name] = { read, required, node, refill };
      form.append(el("div", { class: "field", dataset: { name } }, node,
        el("div", { class: "field-error", testid: `field-error-${name}`, hidden: true })));
    }
    const general = el("ul", { class: "form-errors", testid: "action-errors", hidden: true });
    const submit = el("button", {
      type: "submit", class: "btn btn-primary btn-sm", testid: "action-submit",
      textContent: `Send: ${label("actions", action)}`,
    });
    const cancel = el("button", {
      type: "button", class: "btn btn-ghost btn-sm", testid: "action-cancel", textContent: "Cancel",
    });
    cancel.addEventListener("click", () => { this.action = null; this.render(); });
    form.append(general, el("div", { class: "row form-buttons" }, submit, cancel));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const values = {};
      const missing = [];
      for (const [name, { read, required }] of Object.entries(inputs)) {
        values[name] = read();
        const empty = values[name] === "" || values[name] == null;
        if (required && empty) missing.push({ path: name, message: "required" });
      }
      this.showErrors(form, missing);
      if (missing.length) return;
      submit.disabled = true;
      try {
        await this.send(action, actionBody(values, version), form);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  /** One input of an action form: its element and how to read its value. */
  input(name, kind, required, inputs) {
    const ev = this.event;
    const meta = this.panel.meta || { taxonomy: [], departments: [] };
    const labelled = (text, node) => el("label", { class: "field-label" },
      el("span", { textContent: text + (required ? " *" : "") }), node);
    const select = (options) => el("select", { name, testid: `field-${name}` }, ...options);
    switch (kind) {
      case "note": {
        const t = el("textarea", { name, rows: 2, testid: `field-${name}`, maxLength: 2000,
          placeholder: required ? "Required" : "Optional" });
        return { node: labelled("Note", t), read: () => t.value.trim() };
      }
      case "result": {
        const t = el("textarea", { name, rows: 3, testid: `field-${name}`, maxLength: 2000 });
        return { node: labelled("What was done", t), read: () => t.value.trim() };
      }
      case "original": {
        const i = el("input", { name, testid: `field-${name}`, placeholder: "EV…", maxLength: 64 });
        return { node: labelled("Original event id", i), read: () => i.value.trim() };
      }
      case "category": {
        const keep = ev.category ? `keep ${ev.category} · ${ev.category_name || ""}` : "choose a class…";
        const s = select([opt("", keep)]);
        for (const major of meta.taxonomy) {
          const g = el("optgroup", { label: `${major.code} ${major.name}` });
          for (const m of major.minors) g.append(opt(m.code, `${m.code} · ${m.name}`));
          s.append(g);
        }
        s.addEventListener("change", () => inputs.conditions?.refill?.());
        return { node: labelled(ev.category ? "Class" : "Class (missing)", s),
          read: () => (s.value && s.value !== ev.category ? s.value : "") };
      }
      case "conditions": {
        const s = select([]);
        const refill = () => {
          const code = inputs.category?.read() || ev.category;
          const minor = meta.taxonomy.flatMap((m) => m.minors).find((m) => m.code === code);
          const conds = Object.entries(minor?.deadlines || {});
          s.replaceChildren(...(conds.length ? conds : [["default", null]]).map(([k, lim]) =>
            opt(k, lim ? `${k} · ${lim.value} ${words(lim.unit)}` : k, k === (ev.conditions || "default"))));
        };
        refill();
        return { node: labelled("Case conditions", s), read: () => s.value, refill };
      }
      case "urgency": {
        const s = select(terms("urgencies").map((u) => opt(u.value, u.label, u.value === ev.urgency)));
        return { node: labelled("Urgency", s), read: () => s.value };
      }
      case "close_type": {
        const s = select([opt("", "automatic (normal, or overdue if late)"),
          ...terms("close_types").map((c) => opt(c.value, c.label))]);
        return { node: labelled("Close type", s), read: () => s.value };
      }
      case "level": {
        const levels = terms("levels");
        const above = levels.slice(levels.findIndex((l) => l.value === ev.level) + 1);
        const s = select([opt("", "one level up"), ...above.map((l) => opt(l.value, l.label))]);
        return { node: labelled("Escalate to", s), read: () => s.value };
      }
      case "rating": {
        const box = el("div", { class: "rating", testid: `field-${name}` });
        for (let n = 1; n <= 5; n++) {
          box.append(el("label", { class: "chip-radio" },
            el("input", { type: "radio", name: "rating", value: String(n), dataset: { testid: `rating-${n}` } }),
            el("span", { textContent: "★".repeat(n) })));
        }
        const read = () => {
          const c = box.querySelector("input:checked");
          return c ? Number(c.value) : "";
        };
        return { node: labelled("Rating", box), read };
      }
      case "extra": {
        const v = el("input", { type: "number", min: "0.5", step: "0.5", value: "1", testid: "field-extra-value" });
        const u = el("select", { testid: "field-extra-unit" },
          ...["work_hours", "work_days", "hours", "minutes"].map((x) => opt(x, words(x))));
        return { node: labelled("More time", el("div", { class: "row", testid: `field-${name}` }, v, u)),
          read: () => (v.value ? { value: Number(v.value), unit: u.value } : "") };
      }
      case "department": return this.departmentInput(name, required);
      case "co_handlers": {
        const box = el("div", { class: "co-handlers", testid: `field-${name}` });
        for (const d of meta.departments) {
          box.append(el("label", { class: "chip-check" },
            el("input", { type: "checkbox", value: d.id, dataset: { testid: `co-${d.id}` } }),
            el("span", { textContent: d.name })));
        }
        return { node: labelled("Co-handlers", box),
          read: () => [...box.querySelectorAll("input:checked")].map((c) => c.value) };
      }
      default: {
        const i = el("input", { name, testid: `field-${name}` });
        return { node: labelled(words(name), i), read: () => i.value.trim() };
      }
    }
  }

  /** The main handler: the routing candidates first, with their reasons (the first preselected when the
   * hall recommends), then every other department. */
  departmentInput(name, required) {
    const ev = this.event;
    const meta = this.panel.meta || { departments: [] };
    const cands = ev.routing?.candidates || [];
    const box = el("div", { class: "departments", testid: `field-${name}` });
    const radio = (id, checked) => el("input", { type: "radio", name: "department", value: id, checked });
    if (cands.length) {
      const heading = ev.routing.mode === "recommended" ? "Recommended" : "Candidates";
      box.append(el("div", { class: "dept-group", textContent: heading }));
      cands.forEach((c, i) => {
        box.append(el("label", { class: "dept-choice candidate", testid: `candidate-${c.department}` },
          radio(c.department, i === 0 && ev.routing.mode === "recommended"),
          el("span", { class: "dept-name", textContent: this.panel.departmentName(c.department) }),
          el("span", { class: "dept-reason", textContent: `${c.reason} · score ${c.score}` })));
      });
    }
    const others = meta.departments.filter((d) => !cands.some((c) => c.department === d.id));
    if (others.length) {
      box.append(el("div", { class: "dept-group", textContent: cands.length ? "Other departments" : "Departments" }));
      for (const d of others) {
        box.append(el("label", { class: "dept-choice", testid: `dept-${d.id}` },
          radio(d.id, false), el("span", { class: "dept-name", textContent: d.name })));
      }
    }
    const read = () => box.querySelector("input[name=department]:checked")?.value || "";
    const title = el("span", { textContent: "Main handler" + (required ? " *" : "") });
    return { node: el("div", { class: "field-label" }, title, box), read };
  }

  showErrors(form, errors) {
    for (const e of form.querySelectorAll(".field-error")) { e.hidden = true; e.textContent = ""; }
    for (const f of form.querySelectorAll(".field.invalid")) f.classList.remove("invalid");
    const general = form.querySelector("[data-testid=action-errors]");
    general.replaceChildren();
    general.hidden = true;
    for (const err of errors) {
      const top = String(err.path).split(/[.[]/)[0];
      const slot = form.querySelector(`[data-testid="field-error-${CSS.escape(top)}"]`);
      if (slot) {
        slot.hidden = false;
        slot.textContent = slot.textContent ? `${slot.textContent}; ${err.message}` : err.message;
        slot.closest(".field")?.classList.add("invalid");
      } else {
        general.hidden = false;
        general.append(el("li", { textContent: `${err.path}: ${err.message}` }));
      }
    }
  }

  async send(action, body, form) {
    const shown = this.event;
    try {
      const res = await eventsApi.act(shown.id, action, body);
      this.action = null;
      this.event = res.event;
      notify(`${label("actions", action)}: ${res.event.id} is now ${label("states", res.event.state)}.`,
        { kind: "ok", timeout: 4000 });
      this.panel.place(res.event);
      await this.reload();
    } catch (e) {
      if (!(e instanceof ApiError)) { reportError(e, label("actions", action)); return; }
      if (e.status === 409) {
        await this.conflict(action, shown, e.body || {});
      } else if (e.status === 422) {
        const errors = e.body?.errors?.length ? e.body.errors
          : [{ path: "(body)", message: e.body?.message || "not valid" }];
        this.showErrors(form, errors);
      } else {
        reportError(e, label("actions", action));
      }
    }
  }

  /** 409: someone changed the event (or it moved on): reload it and say who did what. */
  async conflict(action, shown, body) {
    this.action = null;
    const ev = await this.reload();
    const later = this.audit.filter((a) => a.version > shown.version);
    const last = later[later.length - 1] || this.audit[this.audit.length - 1];
    const who = last ? `${last.by} (${words(last.action)})` : "someone else";
    const now = ev ? `now ${label("states", ev.state)}, version ${ev.version}` : "reloaded";
    const open = body.allowed
      ? `open to you now: ${body.allowed.map((a) => label("actions", a)).join(", ") || "nothing"}` : "";
    notify(`${shown.id} was changed by ${who} while you decided; your ${words(action)} was not applied. `
      + `Reloaded: ${now}.`, {
      kind: "warn",
      details: [body.message, open].filter(Boolean),
      timeout: 15000,
    });
  }
}
