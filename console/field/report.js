// Report an event from the field: class, description, location, photos, urgency (and "fixed it myself").
// One idempotency key per submission, kept with the draft until the hall has it: a retry never files twice.

import { api, loadWords, newKey, session } from "./api.js";
import { PhotoPicker } from "./photos.js";
import { clearFieldErrors, errorText, h, say, showFieldErrors } from "./ui.js";
import { terms } from "/console/events-vocab.js";

// The draft survives the phone reloading the tab (e.g. after the camera) and an expired session; logging out
// drops it (api.js: session.clear).
const DRAFT_KEY = "hall.field.draft";  // the same name in api.js
const TEXT_FIELDS = ["major", "category", "description", "lat", "lon", "address", "urgency", "result"];

let seq = 0;
function field(path, label, control, hint = null) {
  control.id ||= `report-${path}-${++seq}`;
  return h("div", { class: "field", "data-field": path }, h("label", { for: control.id }, label), control,
    hint ? h("p", { class: "hint" }, hint) : null);
}

/** A number if the text is one, the text itself otherwise (so the server names the bad field), or undefined. */
function coordinate(text) {
  const t = text.trim();
  if (t === "") return undefined;
  return Number.isFinite(Number(t)) ? Number(t) : t;
}

export class ReportForm {
  /** `onSent(event, created)` is called once the hall has the report. */
  constructor(role, onSent) {
    this.role = role;
    this.onSent = onSent;
    this.key = null;
    this.taxonomy = null;
    const c = this.c = {
      major: h("select", { "data-testid": "report-major", onchange: () => { this.fillMinors(); this.save(); } }),
      category: h("select", { "data-testid": "report-category" }),
      description: h("textarea", { rows: "3", "data-testid": "report-description", "aria-required": "true" }),
      lat: h("input", { inputmode: "decimal", autocomplete: "off", "data-testid": "report-lat" }),
      lon: h("input", { inputmode: "decimal", autocomplete: "off", "data-testid": "report-lon" }),
      address: h("input", { autocomplete: "street-address", "data-testid": "report-address" }),
      urgency: h("select", { "data-testid": "report-urgency" }),  // the hall's urgencies, once loaded
      selfHandled: h("input", { type: "checkbox", role: "switch", "data-testid": "report-self-handled",
        onchange: () => this.showResult() }),
      result: h("textarea", { rows: "2", "data-testid": "report-result" }),
    };
    this.picker = new PhotoPicker({ label: "Photos", testid: "report-photo-input", onchange: () => this.save() });
    this.geoStatus = h("p", { class: "hint", "data-testid": "geo-status", "aria-live": "polite" });
    this.status = h("p", { class: "notice", role: "alert", "data-testid": "report-status", hidden: true });
    this.submit = h("button", { type: "submit", class: "btn btn-primary btn-wide", "data-testid": "report-submit" },
      "Send report");
    this.resultField = field("result", "What you did", c.result);
    this.form = h("form", { class: "report-form", novalidate: true, "data-testid": "report-form" },
      field("major", "Class", c.major), field("category", "Minor class", c.category),
      field("description", "What is wrong (required)", c.description),
      h("fieldset", { class: "location" }, h("legend", {}, "Location"),
        h("button", { type: "button", class: "btn btn-secondary", "data-testid": "locate",
          onclick: () => this.locate() }, "Use my location"),
        this.geoStatus,
        h("div", { class: "field-row" }, field("lat", "Latitude", c.lat), field("lon", "Longitude", c.lon)),
        field("address", "Address or landmark", c.address)),
      this.picker.el,
      field("urgency", "Urgency", c.urgency),
      role === "worker" ? h("div", { class: "field switch", "data-field": "self_handled" },
        h("label", {}, c.selfHandled, " I fixed it myself (small matter, done at once)")) : null,
      role === "worker" ? this.resultField : null,
      this.status,
      h("div", { class: "form-buttons" }, this.submit,
        h("button", { type: "button", class: "btn btn-ghost", "data-testid": "report-clear",
          onclick: () => this.clear() }, "Clear")));
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.send(); });
    this.form.addEventListener("input", () => this.save());
    this.el = h("section", { class: "view", "data-view": "report", "aria-labelledby": "report-title" },
      h("h1", { id: "report-title", tabindex: "-1" }, "Report an event"), this.form);
    this.showResult();
  }

  /** Called each time the form is shown: start a submission (new key) unless one is under way. */
  async open() {
    if (!this.taxonomy) await this.loadTaxonomy();
    if (!this.key) {
      const draft = this.restore();
      this.key = draft?.key || newKey();
      this.save();
    }
    if (!this.c.lat.value && !this.c.lon.value) this.locate();
  }

  async loadTaxonomy() {
    try {
      this.taxonomy = (await api.taxonomy()).taxonomy;
    } catch (err) {
      say(this.status, `The classes could not be loaded (${errorText(err)}); you can report without one.`, "warn");
      this.taxonomy = null;
    }
    await loadWords().catch(() => null);  // without them the hall's default urgency applies
    const urgency = this.c.urgency.value;
    this.c.urgency.replaceChildren(...terms("urgencies").map((u) => h("option", { value: u.value }, u.label)));
    if (urgency) this.c.urgency.value = urgency;
    const [major, minor] = [this.c.major.value, this.c.category.value];  // a restored draft keeps its class
    this.c.major.replaceChildren(h("option", { value: "" }, "— not sure —"),
      ...(this.taxonomy || []).map((m) => h("option", { value: m.code }, `${m.code} ${m.name}`)));
    this.c.major.value = major;
    this.fillMinors();
    this.c.category.value = minor;
  }

  fillMinors() {
    const major = (this.taxonomy || []).find((m) => m.code === this.c.major.value);
    this.c.category.replaceChildren(h("option", { value: "" }, major ? "— pick one —" : "— pick a class first —"),
      ...(major?.minors || []).map((m) => h("option", { value: m.code }, `${m.code} ${m.name}`)));
    this.c.category.disabled = !major;
  }

  showResult() {
    this.resultField.hidden = !this.c.selfHandled.checked;
  }

  locate() {
    if (!navigator.geolocation) {
      this.geoStatus.textContent = "This browser gives no location here (it needs https): enter it by hand.";
      return;
    }
    this.geoStatus.textContent = "Finding your location…";
    navigator.geolocation.getCurrentPosition((pos) => {
      this.c.lat.value = pos.coords.latitude.toFixed(6);
      this.c.lon.value = pos.coords.longitude.toFixed(6);
      this.geoStatus.textContent = `Location found (±${Math.round(pos.coords.accuracy)} m).`;
      this.save();
    }, (err) => {
      this.geoStatus.textContent = `No location (${err.message || "refused"}): enter the coordinates or the address.`;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  body() {
    const c = this.c;
    const selfHandled = this.role === "worker" && c.selfHandled.checked;
    return {
      channel: this.role === "worker" ? "worker" : "department",
      description: c.description.value.trim(),
      category: c.category.value || undefined,
      lat: coordinate(c.lat.value), lon: coordinate(c.lon.value),
      address: c.address.value.trim() || undefined,
      photos: this.picker.shas,
      urgency: c.urgency.value || undefined,  // none loaded: the hall's default
      self_handled: selfHandled,
      result: selfHandled ? c.result.value.trim() || undefined : undefined,
      idempotency_key: this.key,
    };
  }

  async send() {
    clearFieldErrors(this.form);
    this.submit.disabled = true;
    say(this.status, "Sending…");
    try {
      await this.picker.settled();
      const { event, created } = await api.report(this.body());
      this.reset();
      this.onSent(event, created);
    } catch (err) {
      if (err.status === 422) {
        const rest = showFieldErrors(this.form, err);
        say(this.status, `Not sent: please correct the marked fields.${rest.length ? ` ${rest.join("; ")}` : ""}`,
          "error");
      } else {
        say(this.status, `Not sent: ${errorText(err)}. Your report is kept here: press “Send report” again `
          + "(it will not be filed twice).", "error");
      }
    } finally {
      this.submit.disabled = false;
    }
  }

  // -- the draft (content + idempotency key) in sessionStorage ------------------------------------
  save() {
    if (!this.key) return;
    const d = { user: session.user?.name, key: this.key, photos: this.picker.shas,
      self_handled: this.c.selfHandled.checked };
    for (const f of TEXT_FIELDS) d[f] = this.c[f].value;
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify(d));
  }

  restore() {
    let d = null;
    try { d = JSON.parse(sessionStorage.getItem(DRAFT_KEY)); } catch { /* no draft */ }
    if (!d || d.user !== session.user?.name) return null;  // someone else's draft in this tab: not ours
    this.c.major.value = d.major || "";
    this.fillMinors();
    for (const f of TEXT_FIELDS) if (f !== "major" && d[f] !== undefined) this.c[f].value = d[f];
    this.c.selfHandled.checked = !!d.self_handled;
    this.showResult();
    for (const sha of d.photos || []) this.picker.add(sha);
    return d;
  }

  /** Empty the form; the next open starts a new submission. */
  reset() {
    sessionStorage.removeItem(DRAFT_KEY);
    this.key = null;
    this.form.reset();
    this.fillMinors();
    this.picker.reset();
    this.showResult();
    clearFieldErrors(this.form);
    say(this.status, "");
    this.geoStatus.textContent = "";
  }

  clear() {
    this.reset();
    this.open();
  }
}
