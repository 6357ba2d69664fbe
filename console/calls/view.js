// The console's call view: the one call this console makes, over whichever tab is open. Ringing: who rings, who
// declined or let it ring out, who was not rung and why; connected: the worker's camera and voice through the
// media server, instructions to the phone, snapshot to the event, mute, camera switch, on the wall, hang up;
// ended: the outcome, and the wall window that still shows the call, to remove.

import { ApiError, fetchImage, request, session } from "../api.js";
import { actions } from "../actions.js";
import { clockTime } from "../district-time.js";
import { el, words } from "../events-model.js";
import { notify } from "../notice.js";
import { state } from "../store.js";
import { CallPeer, JoinError, localMedia, stopMedia } from "./peer.js";

const enc = encodeURIComponent;
// The call this tab makes, kept across a reload so the reloaded page goes back into it (and only this tab: a second
// console of the same user never takes the media over)
const CALL_KEY = "hall.call";

export const callsApi = {
  start: (body) => request("POST", "/api/calls", body),
  get: (id) => request("GET", `/api/calls/${enc(id)}`),
  list: (query) => request("GET", `/api/calls?${new URLSearchParams(query)}`),
  act: (id, what, body = {}) => request("POST", `/api/calls/${enc(id)}/${what}`, body),
};

/** The hall's call settings (GET /api/hall `calls`), null before they are loaded. */
export const callSettings = () => state.hall?.calls || null;

/** May this console's user start calls (calls.callers)? */
export const mayCall = () => !!callSettings()?.callers.includes(session.user?.role);

const metres = (d) => (d == null ? "" : d < 1000 ? `${Math.round(d)} m` : `${(d / 1000).toFixed(1)} km`);
const RUNG = { ringing: "ringing", answered: "answered", declined: "declined", missed: "did not answer", cancelled: "stopped ringing" };
const ENDED = { answered: "Call ended", declined: "Every worker rung declined", missed: "Nobody answered",
  failed: "The call failed", cancelled: "Call cancelled" };
const SIDE = { waiting: "waiting", connecting: "connecting…", connected: "connected", reconnecting: "reconnecting…", left: "left" };

function duration(s) {
  if (s == null) return "";
  const m = Math.floor(s / 60);
  return m ? `${m} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;
}

function button(text, testid, onclick, cls = "btn btn-sm") {
  const b = el("button", { type: "button", class: cls, textContent: text, testid });
  b.addEventListener("click", onclick);
  return b;
}

export class CallDock {
  constructor(root) {
    this.root = root;
    this.call = null;        // the call shown (GET /api/calls/{id}'s Call), or null
    this.nobodyFit = null;   // a 409's body when nobody could be rung
    this.peer = null;
    this.local = null;       // this console's camera and microphone
    this.problem = "";       // what is missing on this side (no camera, ...)
    this.muted = false;
    this.log = [];           // [{at, text}]: what happened, newest last
    this.seen = null;        // what the log has already said of the call
    this.photoUrls = new Map();
    this.listeners = new Set();
    this.build();
    document.addEventListener("hall:call", (e) => this.take(e.detail.call));
    this.timer = setInterval(() => { if (this.call?.state === "ringing") this.renderRinging(); }, 1000);
  }

  /** Told of every change (the event detail's call buttons follow it). */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    for (const fn of [...this.listeners]) fn(this);
  }

  get busy() { return !!this.call && this.call.state !== "ended"; }

  // --- starting, taking over, resuming ------------------------------------------------------------------

  /** POST /api/calls; nobody to ring shows the server's explanation (who was skipped and why). */
  async start(body, what = "Calling") {
    if (this.busy) { notify("Hang up the call under way first.", { kind: "warn" }); return null; }
    // the camera and microphone open while the hall finds and rings the worker: this side joins the moment the
    // call exists, so the worker's picture is there when they answer
    const media = localMedia({ facingMode: "user" });
    try {
      const { call } = await callsApi.start(body);
      this.take(call, media);
      return call;
    } catch (e) {
      stopMedia(media);
      if (e instanceof ApiError && e.status === 409 && e.body?.skipped) {
        this.showNobody(body, e.body);
      } else {
        notify(`${what}: ${e.message}`, { kind: e.status === 409 ? "warn" : "error" });
      }
      return null;
    }
  }

  /** A call this console started (here or from the map's Call button): show it and join its media at once, so
   * the worker's picture is there the moment they answer. */
  take(call, media = null) {
    if (!call || call.id === this.call?.id) { stopMedia(media); return; }
    if (this.busy) {  // one call at a time here: the one just started (the map's Call) stops ringing at once
      stopMedia(media);
      callsApi.act(call.id, "hangup").catch(() => {});
      notify("Hang up the call under way first: the new one was cancelled.", { kind: "warn" });
      return;
    }
    this.dropMedia();
    this.call = call;
    sessionStorage.setItem(CALL_KEY, call.id);
    this.nobodyFit = null;
    this.log = [];
    this.seen = { state: null, rung: {}, callee: null, calleeUp: false, texts: 0, snapshots: 0, wall: null };
    this.muted = false;
    this.note(call.mode === "ring" ? "Ringing the nearest workers together" : call.mode === "worker"
      ? "Ringing the chosen worker" : "Ringing the nearest worker");
    this.apply(call);
    this.root.hidden = false;
    this.joinMedia(call.id, media);
  }

  /** After a reload (or a dropped socket): the call this tab was making goes on, without a click. */
  async resume() {
    try {
      if (this.call) {
        const { call } = await callsApi.get(this.call.id);
        this.onState(call);
        return;
      }
      const kept = sessionStorage.getItem(CALL_KEY);
      if (!kept) return;
      const { call } = await callsApi.get(kept);
      if (call.caller.name === session.user?.name && call.state !== "ended") this.take(call);
      else sessionStorage.removeItem(CALL_KEY);
    } catch { /* the hall is not reachable now: the socket's next connect tries again */ }
  }

  /** `media`: this side's camera and microphone already being opened (localMedia's promise), if any. */
  async joinMedia(callId, media = null) {
    const { stream, problem } = await (media || localMedia({ facingMode: "user" }));
    if (this.call?.id !== callId || this.call.state === "ended") {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    this.local = stream;
    this.problem = problem;
    this.self.srcObject = stream.getVideoTracks().length ? stream : null;
    this.peer = new CallPeer({
      callId, token: () => session.token, iceServers: state.hall?.ice_servers || [], local: stream,
      graceS: callSettings()?.reconnect_grace_s ?? 30,
      onState: (s) => {
        if (s === "reconnecting") this.note("This console's connection dropped: joining the call again");
        else if (s === "connected" && this.seen?.selfDropped) this.note("This console is back in the call");
        if (this.seen) this.seen.selfDropped = s === "reconnecting";
        this.renderMedia();
      },
      onRemote: (remote) => { this.video.srcObject = remote; this.video.play?.().catch(() => {}); },
    });
    this.root.callPeer = this.peer;  // its stats, for the page's health (and the tests)
    try {
      await this.peer.start();
    } catch (e) {
      if (!(e instanceof JoinError && e.status === 409)) this.problem = `Could not join the call's media: ${e.message}`;
    }
    this.enumerateCameras();
    this.renderMedia();
  }

  dropMedia() {
    this.peer?.close();
    this.peer = null;
    this.root.callPeer = null;
    for (const t of this.local?.getTracks() || []) t.stop();
    this.local = null;
    this.video.srcObject = null;
    this.self.srcObject = null;
  }

  // --- the hall's word on the call (call:state) ------------------------------------------------------------

  onState(call) {
    if (!this.call || call.id !== this.call.id) return;
    this.apply(call);
  }

  /** Take a newer view of the call: what changed goes into the log, then the view is drawn again. */
  apply(call) {
    const s = this.seen;
    for (const r of call.rung || []) {
      if (s.rung[r.name] === r.outcome) continue;
      const dist = r.distance_m != null ? ` (${metres(r.distance_m)} away)` : "";
      this.note(r.outcome === "ringing" ? `${r.display_name}'s phone rings${dist}` : `${r.display_name}: ${RUNG[r.outcome] || r.outcome}`);
      s.rung[r.name] = r.outcome;
    }
    const callee = call.sides?.callee;
    if (call.state !== "ended" && call.callee && callee !== s.callee) {
      const who = call.callee.display_name;
      if (callee === "connected") this.note(s.calleeUp ? `${who} is back` : `${who} is connected`);
      else if ((callee === "reconnecting" || callee === "connecting") && s.calleeUp) this.note(`${who} is reconnecting…`);
      if (callee === "connected") s.calleeUp = true;
      s.callee = callee;
    }
    for (const t of (call.texts || []).slice(s.texts)) this.note(`Instruction sent: ${t.text}`);
    s.texts = (call.texts || []).length;
    if ((call.snapshots || []).length > s.snapshots) this.note("Snapshot attached to the event");
    s.snapshots = (call.snapshots || []).length;
    if (call.on_wall && call.on_wall !== s.wall) this.note(`On the wall (window ${call.on_wall})`);
    s.wall = call.on_wall;
    if (call.state !== s.state && call.state === "ended") {
      this.note(`${ENDED[call.outcome] || "Ended"}${call.reason ? `: ${call.reason}` : ""}`);
      this.dropMedia();
      sessionStorage.removeItem(CALL_KEY);
    }
    s.state = call.state;
    this.call = call;
    this.render();
    this.changed();
  }

  note(text) {
    this.log.push({ at: Date.now(), text });
  }

  /** The peer's side as the commander should read it: a side coming back after a drop is "reconnecting". */
  calleeState() {
    const c = this.call;
    const s = c?.sides?.callee;
    if (!c?.callee) return "waiting";
    if (s === "connecting" && this.seen?.calleeUp) return "reconnecting";
    return s;
  }

  // --- the view ---------------------------------------------------------------------------------------

  build() {
    this.title = el("div", { class: "call-title", testid: "call-title" });
    this.status = el("div", { class: "call-status muted", testid: "call-status" });
    this.head = el("header", { class: "call-head" }, el("div", {}, this.title, this.status),
      this.closeBtn = button("✕", "call-close", () => this.dismiss(), "btn btn-ghost btn-sm"));
    this.rungBox = el("div", { class: "call-rung" });
    this.video = el("video", { class: "call-remote", autoplay: true, playsInline: true, testid: "call-video" });
    this.self = el("video", { class: "call-self", autoplay: true, playsInline: true, muted: true, testid: "call-self" });
    this.peerState = el("span", { class: "call-peer-state", testid: "call-peer-state" });
    this.media = el("div", { class: "call-media" }, this.video, this.self, this.peerState);
    this.muteBtn = button("Mute", "call-mute", () => this.toggleMute());
    this.cameraBtn = button("Camera", "call-camera", () => this.switchCamera());
    this.snapBtn = button("Snapshot", "call-snapshot", () => this.snapshot());
    this.wallTarget = el("select", { class: "call-wall-target", testid: "call-wall-target", title: "Where on the wall" });
    this.wallBtn = button("On the wall", "call-wall", () => this.toWall());
    this.hangupBtn = button("Hang up", "call-hangup", () => this.hangup(), "btn btn-sm btn-danger");
    this.controls = el("div", { class: "call-controls" }, this.muteBtn, this.cameraBtn, this.snapBtn,
      el("span", { class: "call-wall-pick" }, this.wallTarget, this.wallBtn), this.hangupBtn);
    this.textInput = el("input", { class: "call-text-input", testid: "call-text-input", maxLength: 500,
      placeholder: "Instruction to the worker's screen…" });
    this.textForm = el("form", { class: "call-text" }, this.textInput,
      el("button", { type: "submit", class: "btn btn-sm btn-primary", textContent: "Send", testid: "call-text-send" }));
    this.textForm.addEventListener("submit", (e) => { e.preventDefault(); this.sendText(); });
    this.snaps = el("div", { class: "call-snapshots", testid: "call-snapshots" });
    this.endBox = el("div", { class: "call-ended", testid: "call-ended" });
    this.problemLine = el("div", { class: "call-problem", testid: "call-problem" });
    this.logList = el("ol", { class: "call-log", testid: "call-log" });
    this.root.replaceChildren(this.head, this.rungBox, this.media, this.problemLine, this.controls, this.textForm,
      this.snaps, this.endBox, el("details", { class: "call-log-box" }, el("summary", { textContent: "What happened" }),
        this.logList));
    this.root.querySelector(".call-log-box").open = true;
  }

  render() {
    const c = this.call;
    if (!c) return;
    const live = c.state !== "ended";
    this.root.dataset.state = c.state;
    this.root.dataset.call = c.id;
    const about = c.event ? ` · ${c.event.category_name || "event"} ${c.event.id}` : "";
    this.title.textContent = (c.callee ? `Call with ${c.callee.display_name}` : "Calling…") + about;
    this.status.textContent = c.state === "ringing" ? "Ringing"
      : c.state === "connected" ? `Connected since ${clockTime(c.answered_at * 1000)}`
        : `${ENDED[c.outcome] || "Ended"}${c.duration_s != null ? ` · ${duration(c.duration_s)}` : ""}`;
    this.closeBtn.hidden = live;
    this.renderRinging();
    this.media.hidden = !live;
    this.controls.hidden = !live;
    this.textForm.hidden = c.state !== "connected";
    const connected = c.state === "connected";
    for (const b of [this.snapBtn, this.wallBtn, this.wallTarget]) b.disabled = !connected;
    this.hangupBtn.textContent = connected ? "Hang up" : "Cancel";
    this.renderWallTargets();
    this.renderMedia();
    this.renderSnapshots();
    this.renderEnded();
    this.logList.replaceChildren(...this.log.map((l) => el("li", {},
      el("span", { class: "call-log-at", textContent: clockTime(l.at) }), ` ${l.text}`)));
  }

  renderRinging() {
    const c = this.call;
    const rung = c.rung || [];
    const now = Date.now() / 1000;
    const rows = rung.map((r) => {
      const left = r.outcome === "ringing" ? Math.max(0, Math.round(r.until - now)) : null;
      return el("li", { testid: `call-rung-${r.name}`, dataset: { outcome: r.outcome } },
        el("b", { textContent: r.display_name }),
        el("span", { class: "muted", textContent: [metres(r.distance_m), RUNG[r.outcome] || r.outcome,
          left != null ? `${left} s left` : ""].filter(Boolean).join(" · ") }));
    });
    const skipped = c.skipped || [];
    const skippedBox = skipped.length ? skippedList(skipped, `${skipped.length} not rung`) : null;
    this.rungBox.hidden = c.state === "connected" || (!rows.length && !skipped.length);
    this.rungBox.replaceChildren(el("ol", { class: "call-rung-list", testid: "call-rung" }, ...rows), skippedBox);
  }

  renderMedia() {
    const c = this.call;
    if (!c) return;
    const side = this.calleeState();
    this.peerState.dataset.state = side || "";
    this.peerState.textContent = c.callee ? `${c.callee.display_name}: ${SIDE[side] || side}` : "waiting for an answer";
    const mine = this.peer?.state;
    const problems = [this.problem,
      mine === "reconnecting" ? "This console is reconnecting…" : "",
      mine === "failed" && c.state !== "ended" ? "This console could not rejoin the call's media." : "",
      c.muted?.callee ? `${c.callee?.display_name || "The worker"} muted their microphone.` : ""].filter(Boolean);
    this.problemLine.textContent = problems.join(" ");
    this.problemLine.hidden = !problems.length;
    this.muteBtn.textContent = this.muted ? "Unmute" : "Mute";
    this.muteBtn.classList.toggle("active", this.muted);
    this.cameraBtn.disabled = !(this.cameras?.length > 1);
    this.cameraBtn.title = this.cameraBtn.disabled ? "This console has one camera" : "Switch to the next camera";
  }

  renderWallTargets() {
    const screens = state.wall?.screens || [];
    const keep = this.wallTarget.value;
    if (this.wallTarget.options.length === screens.length + 1) return;
    this.wallTarget.replaceChildren(el("option", { value: "", textContent: "next free place" }),
      ...screens.map((s) => el("option", { value: s.id, textContent: `on ${s.name || s.id}` })));
    this.wallTarget.value = keep;
  }

  renderSnapshots() {
    const shas = this.call.snapshots || [];
    this.snaps.hidden = !shas.length;
    this.snaps.replaceChildren(...shas.map((sha) => {
      const img = el("img", { alt: `snapshot ${sha.slice(0, 8)}`, dataset: { sha } });
      const known = this.photoUrls.get(sha);
      if (known) img.src = known;
      else {
        fetchImage(`/api/events/photos/${sha}`).then((blob) => {
          const url = URL.createObjectURL(blob);
          this.photoUrls.set(sha, url);
          img.src = url;
        }).catch(() => { img.alt = "snapshot not available"; });
      }
      return img;
    }));
  }

  /** The end: the outcome, and the wall window still showing the call (its ENDED slate) to remove. */
  renderEnded() {
    const c = this.call;
    this.endBox.hidden = c.state !== "ended";
    if (this.endBox.hidden) return;
    const win = (state.layout?.windows || []).find((w) => w.source === c.source);
    const parts = [el("p", { testid: "call-outcome", dataset: { outcome: c.outcome || "" },
      textContent: `${ENDED[c.outcome] || "Ended"}${c.reason ? ` (${c.reason})` : ""}` })];
    if (win) {
      parts.push(el("p", { class: "muted small", textContent: "The wall still shows this call (ENDED)." }),
        button("Remove it from the wall", "call-wall-remove", async () => {
          await actions.deleteWindow(win.id);
          this.renderEnded();
        }));
    }
    this.endBox.replaceChildren(...parts);
  }

  /** The wall changed (a window removed elsewhere): the end's offer follows. */
  onLayout() {
    if (this.call?.state === "ended") this.renderEnded();
  }

  showNobody(body, answer) {
    this.dropMedia();
    this.call = null;
    this.nobodyFit = answer;
    this.root.hidden = false;
    this.root.dataset.state = "nobody";
    this.title.textContent = "Nobody could be rung";
    this.status.textContent = answer.message || "";
    this.closeBtn.hidden = false;
    for (const part of [this.media, this.controls, this.textForm, this.snaps, this.endBox, this.problemLine]) part.hidden = true;
    this.rungBox.hidden = false;
    this.rungBox.replaceChildren(el("p", { testid: "call-nobody", textContent: answer.message || "No grid worker is available." }),
      answer.skipped?.length ? skippedList(answer.skipped, `Not rung (${answer.skipped.length})`, true) : null);
    this.log = [];
    this.logList.replaceChildren();
    this.changed();
  }

  dismiss() {
    if (this.busy) return;
    for (const u of this.photoUrls.values()) URL.revokeObjectURL(u);
    this.photoUrls.clear();
    this.call = null;
    this.nobodyFit = null;
    this.root.hidden = true;
    this.changed();
  }

  /** Logged out: hang up this side and forget everything. */
  reset() {
    this.dropMedia();
    this.call = null;
    sessionStorage.removeItem(CALL_KEY);
    this.dismiss();
  }

  // --- what the commander does ------------------------------------------------------------------------

  async act(what, body, label) {
    const c = this.call;
    if (!c) return null;
    try {
      return await callsApi.act(c.id, what, body);
    } catch (e) {
      notify(`${label}: ${e.message}`, { kind: e.status === 409 ? "warn" : "error" });
      return null;
    }
  }

  async hangup() {
    const res = await this.act("hangup", {}, "Hanging up");
    if (res?.call) this.onState(res.call);
  }

  async toggleMute() {
    const muted = !this.muted;
    this.peer?.setMuted(muted);
    this.muted = muted;
    this.renderMedia();
    await this.act("mute", { muted }, "Muting");
  }

  async sendText() {
    const text = this.textInput.value.trim();
    if (!text) return;
    const res = await this.act("text", { text }, "Sending the instruction");
    if (res?.call) { this.textInput.value = ""; this.onState(res.call); }
  }

  async snapshot() {
    this.snapBtn.disabled = true;
    const res = await this.act("snapshot", {}, "Snapshot");
    this.snapBtn.disabled = this.call?.state !== "connected";
    if (res) notify("Snapshot attached to the event's photos.", { kind: "ok", timeout: 4000 });
  }

  async toWall() {
    const screen = this.wallTarget.value;
    const res = await this.act("wall", screen ? { screen } : {}, "On the wall");
    if (res?.window) notify(`The call is on the wall (window ${res.window.id}).`, { kind: "ok", timeout: 4000 });
  }

  async enumerateCameras() {
    try {
      this.cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
    } catch { this.cameras = []; }
    this.renderMedia();
  }

  /** The next camera of this console, in the same sent section (replaceTrack: no renegotiation). */
  async switchCamera() {
    if (!this.peer || !(this.cameras?.length > 1)) return;
    const current = this.local?.getVideoTracks()[0]?.getSettings().deviceId;
    const at = this.cameras.findIndex((d) => d.deviceId === current);
    const next = this.cameras[(at + 1) % this.cameras.length];
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: next.deviceId } } });
      const old = this.local.getVideoTracks()[0];
      await this.peer.replaceCamera(stream.getVideoTracks()[0]);
      old?.stop();
      this.self.srcObject = this.local;
    } catch (e) {
      notify(`Switching the camera: ${e.message}`, { kind: "error" });
    }
  }
}

let theDock = null;
/** The console's one call view: made on `root` the first time, then the same one for everyone who asks. */
export function callDock(root = null) {
  if (!theDock && root) theDock = new CallDock(root);
  return theDock;
}

/** Workers not rung and why (the nearest search's reasons: off duty, busy, in a call, position stale, too far). */
function skippedList(skipped, summary, open = false) {
  const box = el("details", { class: "call-skipped", testid: "call-skipped", open },
    el("summary", { textContent: summary }),
    el("ul", {}, ...skipped.map((s) => el("li", { testid: `call-skipped-${s.name}`, dataset: { reason: s.reason || "" } },
      el("b", { textContent: s.display_name || s.name }),
      el("span", { class: "muted", textContent: ` · ${s.why || words(s.reason)}${s.distance_m != null ? ` · ${metres(s.distance_m)}` : ""}` })))));
  return box;
}
