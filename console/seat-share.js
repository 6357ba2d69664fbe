// "Share my screen": this workstation's screen (a seat's management system, any application) onto the wall while
// the operator shares it. The screen goes to the hall as the source seat:<user> (POST /api/wall/share), placed on
// the wall's next free place when asked; stopping (here, or the browser's own "Stop sharing") ends it there.

import { session } from "./api.js";
import { actions, reportError } from "./actions.js";
import { state, subscribe } from "./store.js";
import { notify } from "./notice.js";
import { endSession, offerTo } from "./intercom/rtc.js";

export class SeatShare {
  constructor(host) {
    this.pc = null;
    this.stream = null;
    this.location = null;
    this.button = document.createElement("button");
    this.button.className = "btn";
    this.button.dataset.testid = "seat-share";
    this.button.title = "Show this workstation's screen on the wall (as the source \"<you>'s screen\")";
    this.button.addEventListener("click", () => (this.location || this.pc ? this.stop() : this.start()));
    const label = document.createElement("label");
    label.className = "toggle";
    label.title = "Put the shared screen at the wall's next free place at once (else drag it from Sources)";
    this.place = document.createElement("input");
    this.place.type = "checkbox";
    this.place.className = "switch";
    this.place.checked = true;
    this.place.dataset.testid = "seat-share-place";
    label.append(this.place, "On the wall");
    // Once stopped, the wall shows ENDED where the screen was: offered here to remove in one click.
    this.remove = document.createElement("button");
    this.remove.className = "btn";
    this.remove.dataset.testid = "seat-share-remove";
    this.remove.textContent = "Remove ended screen";
    this.remove.title = "Remove the windows that show your ended screen";
    this.remove.hidden = true;
    this.remove.addEventListener("click", () => this.removeEnded());
    host.append(this.button, label, this.remove);
    subscribe((_, patch) => { if ("layout" in patch || "sources" in patch) this.render(); });
    this.render();
    window.addEventListener("pagehide", () => this.stop({ quiet: true }));
  }

  render() {
    const sharing = Boolean(this.pc);
    this.button.textContent = sharing ? "■ Stop sharing" : "▣ Share my screen";
    this.button.classList.toggle("btn-danger", sharing);
    this.button.dataset.state = this.location ? "sharing" : sharing ? "starting" : "idle";
    this.place.disabled = sharing;
    this.remove.hidden = sharing || this.endedWindows().length === 0;
  }

  /** The wall's windows showing this user's screen after it ended. */
  endedWindows() {
    const id = `seat:${state.user?.name}`;
    const mine = (state.sources || []).find((s) => s.id === id);
    if (!mine || mine.state !== "ended") return [];
    return (state.layout?.windows || []).filter((w) => w.source === id);
  }

  async removeEnded() {
    for (const w of this.endedWindows()) await actions.deleteWindow(w.id);
  }

  async start() {
    if (!navigator.mediaDevices?.getDisplayMedia) {
      notify("This browser cannot share its screen.", { kind: "warn" });
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    } catch (e) {
      if (e.name !== "NotAllowedError" && e.name !== "AbortError") notify(`Screen sharing failed: ${e.message}`, { kind: "error" });
      return;  // the operator chose not to share
    }
    const [track] = stream.getVideoTracks();
    const pc = new RTCPeerConnection();
    this.pc = pc;
    this.stream = stream;
    this.render();
    // The browser's own "Stop sharing" bar, or a window closed: the wall shows it ended.
    track.addEventListener("ended", () => { if (this.pc === pc) this.stop(); });
    pc.addEventListener("connectionstatechange", () => {
      if (this.pc === pc && pc.connectionState === "failed") {
        notify("The shared screen lost its connection to the hall.", { kind: "warn" });
        this.stop();
      }
    });
    pc.addTransceiver(track, { direction: "sendonly" });
    try {
      const headers = await offerTo(pc, `/api/wall/share${this.place.checked ? "?place=next" : ""}`, session.token);
      if (this.pc !== pc) { endSession(headers.get("Location"), session.token); return; }  // stopped meanwhile
      this.location = headers.get("Location");
      notify(headers.get("X-Hall-Window") ? "Your screen is on the wall." : "Your screen is in Sources (Seats): " +
        "drag it onto the wall.", { kind: "ok" });
    } catch (e) {
      if (this.pc === pc) this.stop({ quiet: true });
      reportError(e, "Sharing your screen");
      return;
    }
    this.render();
  }

  /** End the share: the hall's source ends (ENDED where the wall shows it), the capture stops. */
  stop({ quiet = false } = {}) {
    if (!this.pc) return;
    endSession(this.location, session.token);
    this.location = null;
    this.pc.close();
    this.pc = null;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.render();
    if (!quiet) notify("You stopped sharing your screen.");
  }
}
