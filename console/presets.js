// Presets (saved layouts) and scenes (named sets of presets): list, save, apply, delete.

import { state } from "./store.js";
import { actions } from "./actions.js";
import { notify } from "./notice.js";
import { when } from "./district-time.js";

function button(label, testid, cls, onClick) {
  const b = document.createElement("button");
  b.className = `btn btn-sm ${cls}`;
  b.textContent = label;
  b.dataset.testid = testid;
  b.addEventListener("click", onClick);
  return b;
}


export class PresetPanel {
  constructor({ presetList, presetName, presetSave, sceneList, sceneName, sceneSave }) {
    Object.assign(this, { presetList, presetName, sceneList, sceneName });
    this.ticked = new Set();  // presets ticked for a new scene
    presetSave.addEventListener("click", () => this.savePreset());
    presetName.addEventListener("keydown", (e) => { if (e.key === "Enter") this.savePreset(); });
    sceneSave.addEventListener("click", () => this.saveScene());
  }

  async savePreset() {
    const name = this.presetName.value.trim();
    if (!name) { notify("Give the preset a name.", { kind: "warn" }); this.presetName.focus(); return; }
    if (await actions.savePreset(name)) this.presetName.value = "";
  }

  async saveScene() {
    const name = this.sceneName.value.trim();
    const presets = state.presets.map((p) => p.name).filter((n) => this.ticked.has(n));
    if (!name) { notify("Give the scene a name.", { kind: "warn" }); return; }
    if (!presets.length) { notify("Tick the presets the scene is made of.", { kind: "warn" }); return; }
    if (await actions.saveScene(name, presets)) { this.sceneName.value = ""; this.ticked.clear(); this.render(); }
  }

  render() {
    const names = new Set(state.presets.map((p) => p.name));
    for (const n of [...this.ticked]) if (!names.has(n)) this.ticked.delete(n);

    const items = state.presets.map((p) => {
      const li = document.createElement("li");
      li.dataset.testid = `preset-${p.name}`;
      const tick = document.createElement("input");
      tick.type = "checkbox";
      tick.title = "Use in a new scene";
      tick.checked = this.ticked.has(p.name);
      tick.dataset.testid = `preset-tick-${p.name}`;
      tick.addEventListener("change", () => (tick.checked ? this.ticked.add(p.name) : this.ticked.delete(p.name)));
      const text = document.createElement("div");
      text.className = "item-text";
      const title = document.createElement("div");
      title.className = "item-name";
      title.textContent = p.name;
      const meta = document.createElement("div");
      meta.className = "item-meta";
      const n = p.windows?.length ?? 0;
      // the time first: the side bar is narrow and the end of the line is cut
      meta.textContent = [when(p.updated_at), `${n} window${n === 1 ? "" : "s"}`, p.updated_by].filter(Boolean).join(" · ");
      meta.title = meta.textContent;
      meta.dataset.testid = `preset-meta-${p.name}`;
      text.append(title, meta);
      li.append(tick, text,
        button("Apply", `preset-apply-${p.name}`, "btn-primary", () => actions.applyPreset(p.name)),
        button("✕", `preset-delete-${p.name}`, "btn-ghost", () => actions.deletePreset(p.name)));
      li.lastChild.title = "Delete preset";
      return li;
    });
    if (!items.length) items.push(this.empty("No presets yet."));
    this.presetList.replaceChildren(...items);

    const scenes = state.scenes.map((s) => {
      const li = document.createElement("li");
      li.dataset.testid = `scene-${s.name}`;
      if (state.layout?.scene === s.name) li.classList.add("active");
      const text = document.createElement("div");
      text.className = "item-text";
      const title = document.createElement("div");
      title.className = "item-name";
      title.textContent = s.name;
      const meta = document.createElement("div");
      meta.className = "item-meta";
      meta.textContent = [when(s.updated_at), (s.presets || []).join(" + "), s.updated_by].filter(Boolean).join(" · ");
      meta.title = meta.textContent;
      meta.dataset.testid = `scene-meta-${s.name}`;
      text.append(title, meta);
      li.append(text,
        button("Apply", `scene-apply-${s.name}`, "btn-primary", () => actions.applyScene(s.name)),
        button("✕", `scene-delete-${s.name}`, "btn-ghost", () => actions.deleteScene(s.name)));
      li.lastChild.title = "Delete scene";
      return li;
    });
    if (!scenes.length) scenes.push(this.empty("No scenes yet."));
    this.sceneList.replaceChildren(...scenes);
  }

  empty(text) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = text;
    return li;
  }
}
