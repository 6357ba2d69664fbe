// One event: what, where, who to call, photos, audit trail, and a button (with its form) per allowed action.

import { api, departmentNames, loadWords, session } from "./api.js";
import { eventMap } from "/console/map/event-map.js";
import { PhotoPicker, thumbnails } from "./photos.js";
import { actionLabel, clearFieldErrors, errorText, fill, h, isOverlay, light, localTime, say, showFieldErrors, stateLabel }
  from "./ui.js";
import { label, terms } from "/console/events-vocab.js";

const UNITS = { minutes: "minutes", hours: "hours", work_hours: "working hours", work_days: "working days" };

// What each action asks for (NEEDS in backend/routes/events.py); the server checks, its 422 names the field.
const FORMS = {
  verify: { note: "What you saw on site" },
  dismiss: { note: "Why: not found, or not as reported", required: ["note"] },
  check_pass: { note: "Note" },
  check_fail: { note: "What is still wrong", required: ["note"] },
  return: { note: "Why the matter is not your department's", required: ["note"] },
  request_postpone: { extra: true, note: "Reason for more time", required: ["extra", "note"] },
  request_suspend: { note: "Reason for suspending", required: ["note"] },
  feedback: { result: true, photos: true, note: "Note", required: ["result"] },
  escalate: { level: true, note: "Why" },
};

let seq = 0;
const uid = (p) => `${p}-${++seq}`;

/** A labelled control wrapped in a box named by the API field path (where its 422 message goes). */
function field(path, label, control, required = false) {
  control.id ||= uid(path.replace(/\W/g, "-"));
  if (required) control.setAttribute("aria-required", "true");
  return h("div", { class: "field", "data-field": path },
    h("label", { for: control.id }, label, required ? h("span", { class: "req" }, " (required)") : null), control);
}

function contactLink(contact) {
  if (!contact) return null;
  if (/^[+\d][\d\s()-]{4,}$/.test(contact)) {
    return h("a", { href: `tel:${contact.replace(/[^\d+]/g, "")}`, class: "btn btn-secondary call",
      "data-testid": "contact-call" }, `Call ${contact}`);
  }
  if (contact.includes("@")) return h("a", { href: `mailto:${contact}`, "data-testid": "contact-mail" }, contact);
  return h("span", { "data-testid": "contact-text" }, contact);
}

function fact(label, value) {
  return value === null || value === undefined || value === "" ? null : [h("dt", {}, label), h("dd", {}, value)];
}

export class EventDetail {
  constructor() {
    this.notice = h("p", { class: "notice", role: "status", "data-testid": "detail-notice", hidden: true });
    this.body = h("div", { class: "detail-body" });
    this.el = h("section", { class: "view", "data-view": "detail", "aria-labelledby": "detail-title" },
      h("a", { href: "#/tasks", class: "back", "data-testid": "back" }, "← My tasks"),
      this.notice, this.body);
    this.ev = null;
    this.loadSeq = 0;
  }

  /** Show event `id` (loaded fresh); `notice` is kept above it. */
  async open(id, notice = null) {
    const mine = ++this.loadSeq;
    if (!this.ev || this.ev.id !== id) this.body.replaceChildren(h("p", { class: "hint" }, "Loading…"));
    if (notice) say(this.notice, notice.text, notice.kind); else say(this.notice, "");
    try {
      const [{ event }, { audit }, names] = await Promise.all([api.event(id), api.audit(id),
        departmentNames().catch(() => new Map()), loadWords().catch(() => null)]);
      if (mine !== this.loadSeq) return;
      this.ev = event;
      this.departments = names;
      this.render(event, audit);
      if (!this.el.contains(document.activeElement)) this.el.querySelector("h1").focus({ preventScroll: true });
    } catch (err) {
      if (mine !== this.loadSeq) return;
      this.ev = null;
      this.body.replaceChildren(h("p", { class: "hint" }, err.status === 404
        ? "This event is not (or no longer) in your scope." : `Could not load the event: ${errorText(err)}`),
      h("button", { type: "button", class: "btn btn-secondary", onclick: () => this.open(id) }, "Try again"));
    }
  }

  render(ev, audit) {
    const dept = (id) => this.departments?.get(id) || id;
    const where = [ev.place, ev.address, ev.lat != null ? `${ev.lat.toFixed(5)}, ${ev.lon.toFixed(5)}` : null]
      .filter(Boolean).join(" · ") || "no location given";
    this.actionsBox = h("div", { class: "action-form-slot" });
    fill(this.body,
      h("header", { class: "detail-head" },
        h("h1", { id: "detail-title", tabindex: "-1" }, ev.category_name || "Unclassified"),
        h("div", { class: "detail-meta" }, light(ev.countdown),
          h("span", { class: "state", "data-testid": "detail-state", "data-state": ev.state }, stateLabel(ev.state))),
        h("p", { class: "hint" }, `${ev.id} · version ${ev.version}`)),
      h("p", { class: "desc", "data-testid": "detail-description" }, ev.description),
      ev.photos?.length ? thumbnails(ev.photos, "detail-photos") : null,
      h("h2", {}, "Where"),
      h("p", { "data-testid": "detail-where" }, where,
        ev.lat != null ? [" ", h("a", { href: `geo:${ev.lat},${ev.lon}` }, "open in maps")] : null),
      eventMap(this, ev, { token: session.token, nearby: false, radius: 300 }),
      ev.contact ? [h("h2", {}, "Resident contact"), h("p", {}, contactLink(ev.contact))] : null,
      h("dl", { class: "facts" },
        fact("Reported", localTime(ev.reported_at)), fact("Channel", label("channels", ev.channel)),
        fact("Grid", ev.grid || (ev.outside_grid ? "outside every grid" : null)),
        fact("Urgency", label("urgencies", ev.urgency)), fact("Level", label("levels", ev.level)),
        fact("Department", ev.department ? dept(ev.department) : null),
        fact("Co-handlers", (ev.co_handlers || []).map(dept).join(", ")),
        fact("Supervised", ev.supervised ? "yes (pressed by a leader)" : null),
        fact("Postponements", ev.postpone_count || null), fact("Reworks", ev.rework_count || null),
        fact("Same matter reported as", (ev.duplicates || []).join(", "))),
      ev.pending ? h("p", { class: "hint" }, `Waiting for approval: ${ev.pending.kind}`
        + (ev.pending.reason ? ` (${ev.pending.reason})` : "")) : null,
      ev.result ? [h("h2", {}, "Result"), h("p", { "data-testid": "detail-result" }, ev.result)] : null,
      ev.result_photos?.length ? thumbnails(ev.result_photos, "detail-result-photos") : null,
      h("h2", {}, "Your actions"),
      ev.actions.length
        ? h("div", { class: "actions", "data-testid": "actions" }, ev.actions.map((a) => h("button", {
          type: "button", class: isOverlay(a) ? "btn btn-secondary" : "btn btn-primary", "data-testid": `action-${a}`,
          onclick: () => this.showForm(a) }, actionLabel(a))))
        : h("p", { class: "hint" }, "Nothing for you to do here now."),
      this.actionsBox,
      h("h2", {}, "History"),
      h("ol", { class: "audit", "data-testid": "audit" }, audit.map((a) => h("li", {},
        h("span", { class: "audit-at" }, localTime(a.at)), " ",
        h("b", {}, a.action.replace(/_/g, " ")), ` by ${a.by} (${a.role})`,
        a.to && a.to !== a.from ? ` → ${stateLabel(a.to)}` : "",
        a.note ? h("div", { class: "audit-note" }, a.note) : null))));
  }

  /** The form of one action: what it needs, then send with the version this screen shows. */
  showForm(action) {
    const spec = FORMS[action] || { note: "Note" };
    const req = new Set(spec.required || []);
    const controls = {};
    const parts = [];
    if (spec.result) {
      controls.result = h("textarea", { rows: "3", "data-testid": "input-result" });
      parts.push(field("result", "What was done", controls.result, true));
    }
    let picker = null;
    if (spec.photos) {
      picker = new PhotoPicker({ label: "Photos of the result", testid: "action-photo-input" });
      parts.push(picker.el);
    }
    if (spec.extra) {
      controls.value = h("input", { type: "number", min: "0.5", step: "0.5", inputmode: "decimal",
        "data-testid": "input-extra-value" });
      controls.unit = h("select", { "data-testid": "input-extra-unit" },
        Object.entries(UNITS).map(([u, label]) => h("option", { value: u }, label)));
      controls.unit.value = this.ev.countdown?.unit || "work_hours";
      parts.push(h("div", { class: "field-row", "data-field": "extra" }, field("extra.value", "More time", controls.value, true),
        field("extra.unit", "Unit", controls.unit)));
    }
    if (spec.level) {
      const levels = terms("levels");
      const above = levels.slice(levels.findIndex((l) => l.value === this.ev.level) + 1);
      controls.level = h("select", { "data-testid": "input-level" }, h("option", { value: "" }, "one level up"),
        above.map((l) => h("option", { value: l.value }, l.label)));
      parts.push(field("level", "Escalate to", controls.level));
    }
    if (spec.note) {
      controls.note = h("textarea", { rows: "2", "data-testid": "input-note" });
      parts.push(field("note", spec.note, controls.note, req.has("note")));
    }
    const status = h("p", { class: "notice", role: "alert", "data-testid": "action-status", hidden: true });
    const submit = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "action-submit" },
      `Send: ${actionLabel(action)}`);
    const form = h("form", { class: "action-form", "data-testid": `form-${action}`, novalidate: true },
      h("h3", {}, actionLabel(action)), ...parts, status,
      h("div", { class: "form-buttons" }, submit,
        h("button", { type: "button", class: "btn btn-ghost", onclick: () => this.actionsBox.replaceChildren() },
          "Cancel")));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send(action, form, controls, picker, status, submit);
    });
    this.actionsBox.replaceChildren(form);
    form.scrollIntoView({ block: "nearest" });
    (form.querySelector("textarea, input, select") || submit).focus();
  }

  async send(action, form, controls, picker, status, submit) {
    const body = { version: this.ev.version };
    const text = (c) => (c && c.value.trim()) || undefined;
    body.note = text(controls.note);
    body.result = text(controls.result);
    if (controls.value?.value) body.extra = { value: Number(controls.value.value), unit: controls.unit.value };
    if (controls.level?.value) body.level = controls.level.value;
    clearFieldErrors(form);
    say(status, "");
    submit.disabled = true;
    try {
      if (picker) {
        say(status, "Waiting for the photos to be sent…");
        await picker.settled();
        body.photos = picker.shas;
      }
      const { event } = await api.act(this.ev.id, action, body);
      await this.open(event.id, { text: `Done: ${actionLabel(action)}. Now: ${stateLabel(event.state)}.`, kind: "ok" });
    } catch (err) {
      submit.disabled = false;
      if (err.status === 409) {  // the event moved on meanwhile: show what it is now
        const text = form.dataset.lost  // an earlier try whose answer was lost may be what changed it
          ? "The event has changed: your earlier try may have reached the hall. The screen has been reloaded: "
            + "check the history before acting again."
          : "This event was changed meanwhile, so nothing was done. The screen has been reloaded: "
            + "check it and act again if still needed.";
        await this.open(this.ev.id, { kind: "warn", text });
      } else if (err.status === 422) {
        const rest = showFieldErrors(form, err);
        say(status, rest.length ? rest.join("; ") : "Please correct the marked field.", "error");
      } else if (err.status === 0) {
        form.dataset.lost = "true";
        say(status, `${err.message}. Nothing is lost: press send again.`, "error");
      } else {
        say(status, errorText(err), "error");
      }
    }
  }
}
