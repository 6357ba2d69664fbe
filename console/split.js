// Quick split: divide the selected screens into 1/4/9/16 or rows x cols video windows, from the buttons
// or the keys 1, 4 and 9 (16: "1" then "6" within SIXTEEN_MS).

import { state, screenById, sourceById } from "./store.js";
import { actions } from "./actions.js";
import { notify } from "./notice.js";
import { overlaps } from "./geometry.js";

/** How long a typed "1" waits for a "6" (making 16) before it splits into 1. */
export const SIXTEEN_MS = 600;

/** Sources already shown on the given screens, top-left first, each once. */
export function sourcesShownOn(screens, windows) {
  const hits = windows
    .filter((w) => w.kind === "video" && w.source && screens.some((s) => overlaps(w.rect, s.canvas)))
    .sort((a, b) => a.rect.y - b.rect.y || a.rect.x - b.rect.x || a.z - b.z);
  return [...new Set(hits.map((w) => w.source))];
}

export class SplitPanel {
  constructor(root) {
    this.root = root;
    this.pendingOne = null;  // the timer of a typed "1" that may still become "16"
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

  /** A key typed on the wall view: true when it was a quick-split key (1, 4, 9, or 1 then 6). */
  key(k) {
    if (this.pendingOne && k === "6") {
      clearTimeout(this.pendingOne);
      this.pendingOne = null;
      this.split({ n: 16 });
      return true;
    }
    if (!["1", "4", "9"].includes(k)) return false;
    if (this.pendingOne) {  // "1" then another split key: the later one counts
      clearTimeout(this.pendingOne);
      this.pendingOne = null;
    }
    if (k === "1") {
      this.pendingOne = setTimeout(() => { this.pendingOne = null; this.split({ n: 1 }); }, SIXTEEN_MS);
    } else {
      this.split({ n: Number(k) });
    }
    return true;
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
