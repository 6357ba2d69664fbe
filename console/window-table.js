// The list of windows on the wall, under the picture: what is where, click to select.

import { state, update, windowTitle } from "./store.js";

function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  if (text instanceof Node) td.append(text); else td.textContent = text;
  return td;
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
    const windows = [...(state.layout?.windows || [])].sort((a, b) => (b.z ?? 0) - (a.z ?? 0));
    this.count.textContent = String(windows.length);
    const rows = windows.map((w) => {
      const tr = document.createElement("tr");
      tr.dataset.window = w.id;
      if (w.id === state.selectedWindow) tr.className = "selected";
      const chip = document.createElement("span");
      chip.className = `kind-chip ${w.kind}`;
      chip.textContent = w.kind;
      const screens = (state.wall?.screens || []).filter((s) => overlaps(w.rect, s.canvas)).map((s) => s.id);
      const r = w.rect;
      tr.append(cell(windowTitle(w)), cell(chip), cell(screens.join(", ") || "—", "mono"),
        cell(`${r.w}×${r.h} at ${r.x},${r.y}`, "mono"), cell(String(w.z ?? 0), "mono"));
      return tr;
    });
    if (!rows.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("The wall is empty: drag a source from the list onto a screen.");
      td.colSpan = 5;
      tr.append(td);
      rows.push(tr);
    }
    this.body.replaceChildren(...rows);
  }
}
