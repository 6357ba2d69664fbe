// Layouts that follow events and the clock, on the console (backend/rules): a notice when a rule switches the
// wall (which rule, why, which screens, until when) and, while an alarm holds a region, a chip in the top bar
// saying so, with "Back now" for those who may change the wall.

import { request } from "./api.js";
import { el } from "./events-model.js";
import { notify } from "./notice.js";
import { clockTime } from "./district-time.js";

export class RulesStatus {
  constructor(root, { canWrite }) {
    this.root = root;
    this.canWrite = canWrite;
    this.active = new Map();  // alarm rule -> its state (reason, screens, until)
    root.hidden = true;
  }

  async load() {
    try {
      const { alarms } = await request("GET", "/api/rules");
      this.active = new Map(alarms.filter((a) => a.active).map((a) => [a.name, a.active]));
    } catch {
      this.active = new Map();
    }
    this.render();
  }

  /** A `rule` notice: an alarm switched the wall or went back, a schedule applied, or a rule failed. */
  onNotice(n) {
    const screens = (n.screens || []).join(", ");
    if (n.kind === "alarm") {
      this.active.set(n.rule, n);
      notify(`Alarm "${n.rule}" put the map of ${n.title} and the nearest cameras on ${screens}: ${n.reason}. `
        + `Back at ${clockTime(n.until * 1000)}.`, { kind: "warn", timeout: 20000 });
    } else if (n.kind === "revert") {
      this.active.delete(n.rule);
      const how = n.by?.startsWith("rule:") ? "its time is up" : `by ${n.by}`;
      notify(n.restored ? `Alarm "${n.rule}" is over (${how}): ${screens} show what they showed before.`
        : `Alarm "${n.rule}" is over (${how}); its screens had been changed since, so they stay as they are.`,
      { kind: "info" });
    } else if (n.kind === "schedule") {
      notify(`Schedule "${n.rule}" applied ${n.reason}.`, { kind: "info" });
    } else if (n.kind === "failed") {
      notify(`Rule "${n.rule}" could not change the wall (${n.reason}): ${n.error}`, { kind: "error", timeout: 0 });
    }
    this.render();
  }

  render() {
    this.root.hidden = !this.active.size;
    this.root.replaceChildren(...[...this.active.values()].map((a) => {
      const chip = el("span", { class: "rule-chip", testid: `rule-active-${a.rule}`,
        title: a.reason, textContent: `Alarm "${a.rule}" on ${(a.screens || []).join(", ")} until ${clockTime(a.until * 1000)}: ${a.title}` });
      if (this.canWrite()) {
        const back = el("button", { class: "btn btn-sm", testid: `rule-revert-${a.rule}`, textContent: "Back now",
          type: "button" });
        back.addEventListener("click", async () => {
          back.disabled = true;
          try {
            await request("POST", `/api/rules/alarms/${encodeURIComponent(a.rule)}/revert`);
          } catch (e) {
            notify(`Putting the wall back: ${e.message}`, { kind: "error" });
            back.disabled = false;
          }
        });
        chip.append(" ", back);
      }
      return chip;
    }));
  }
}
