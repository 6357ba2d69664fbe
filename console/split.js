// Quick split: divide the selected screens into 1/4/9/16 or rows x cols video windows.

import { state, screenById, sourceById } from "./store.js";
import { actions } from "./actions.js";
import { notify } from "./notice.js";

function intersects(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Sources already shown on the given screens, top-left first, each once. */
export function sourcesShownOn(screens, windows) {
  const hits = windows
    .filter((w) => w.kind === "video" && w.source && screens.some((s) => intersects(w.rect, s.canvas)))
    .sort((a, b) => a.rect.y - b.rect.y || a.rect.x - b.rect.x || a.z - b.z);
  return [...new Set(hits.map((w) => w.source))];
}

export class SplitPanel {
  constructor(root) {
    this.root = root;
    this.target = root.querySelector("#split-target");
    this.sourcesLine = root.querySelector("#split-sources");
    for (const b of root.querySelectorAll("button.split")) {
      b.addEventListener("click", () => this.split({ n: Number(b.dataset.n) }));
    }
    root.querySelector("#split-custom").addEventListener("click", () => {
      const rows = Number(root.querySelector("#split-rows").value);
      const cols = Number(root.querySelector("#split-cols").value);
      this.split({ rows, cols });
    });
  }

  chosenSources() {
    if (state.selectedSources.length) return { ids: state.selectedSources, from: "selected" };
    const screens = state.selectedScreens.map(screenById).filter(Boolean);
    return { ids: sourcesShownOn(screens, state.layout?.windows || []), from: "shown" };
  }

  render() {
    const n = state.selectedScreens.length;
    this.target.textContent = n
      ? `Target: ${state.selectedScreens.join(", ")}`
      : "Select one or more screens on the wall.";
    this.target.classList.toggle("muted", !n);
    const { ids, from } = this.chosenSources();
    const names = ids.map((id) => sourceById(id)?.name || id);
    this.sourcesLine.textContent = ids.length
      ? `${from === "selected" ? "Selected sources" : "Sources shown there"}: ${names.join(", ")}`
      : "Tick sources in the list, or split screens that already show some.";
    for (const b of this.root.querySelectorAll("button")) b.disabled = !n;
  }

  async split(grid) {
    if (!state.selectedScreens.length) {
      notify("Select the screens to split first (click a screen, shift-click for more).", { kind: "warn" });
      return;
    }
    const { ids } = this.chosenSources();
    if (!ids.length) {
      notify("Choose the sources to show: click them in the source list.", { kind: "warn" });
      return;
    }
    await actions.split({ screens: [...state.selectedScreens], sources: ids, ...grid });
  }
}
