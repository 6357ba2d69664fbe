// The list of windows on the wall, under the picture: what is where, click to select. Windows that show
// nowhere (covered by higher ones, or only in seams) are marked, with buttons to bring them forward or remove them.

import { state, update, windowTitle } from "./store.js";
import { actions } from "./actions.js";
import { overlaps, visibleWindowIds } from "./geometry.js";

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  if (text instanceof Node) td.append(text); else td.textContent = text;
  return td;
}

function rowButton(label, testid, title, onClick) {
  const b = document.createElement("button");
  b.className = "btn btn-sm";
  b.textContent = label;
  b.title = title;
  b.dataset.testid = testid;
  b.addEventListener("click", (e) => { e.stopPropagation(); onClick(); });
  return b;
}

export class WindowTable {
  constructor(body, count) {
    this.body = body;
    this.count = count;
    body.addEventListener("click", (e) => {
      const tr = e.target.closest("tr[data-window]");
      if (tr) update({ selectedWindow: tr.dataset.window });
    });
  }

  render() {
    const all = state.layout?.windows || [];
    const windows = [...all].sort((a, b) => (b.z ?? 0) - (a.z ?? 0));
    const shown = state.wall ? visibleWindowIds(state.wall, all) : new Set(all.map((w) => w.id));
    const hidden = all.length - all.filter((w) => shown.has(w.id)).length;
    this.count.textContent = hidden ? `${windows.length} · ${hidden} hidden` : String(windows.length);
    this.count.classList.toggle("has-hidden", hidden > 0);
    const rows = windows.map((w) => {
      const tr = document.createElement("tr");
      tr.dataset.window = w.id;
      tr.dataset.testid = `window-row-${w.id}`;
      if (w.id === state.selectedWindow) tr.classList.add("selected");
      const chip = document.createElement("span");
      chip.className = `kind-chip ${w.kind}`;
      chip.textContent = w.kind;
      const screens = (state.wall?.screens || []).filter((s) => overlaps(w.rect, s.canvas)).map((s) => s.id);
      const r = w.rect;
      const title = cell(windowTitle(w));
      const act = cell("", "row-actions");
      if (!shown.has(w.id)) {
        tr.classList.add("hidden-win");
        tr.dataset.hidden = "true";
        const tag = document.createElement("span");
        tag.className = "hidden-tag";
        tag.textContent = "hidden";
        tag.title = "No part of this window shows on any screen: it is behind other windows";
        title.prepend(tag);
        act.append(
          rowButton("Front", `window-front-${w.id}`, "Bring it to the front", () => actions.bringToFront(w.id)),
          rowButton("Remove", `window-remove-${w.id}`, "Remove it from the wall", () => actions.deleteWindow(w.id)));
      }
      tr.append(title, cell(chip), cell(screens.join(", ") || "—", "mono"),
        cell(`${r.w}×${r.h} at ${r.x},${r.y}`, "mono"), cell(String(w.z ?? 0), "mono"), act);
      return tr;
    });
    if (!rows.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("The wall is empty: drag a source from the list onto a screen.");
      td.colSpan = 6;
      tr.append(td);
      rows.push(tr);
    }
    this.body.replaceChildren(...rows);
  }
}
