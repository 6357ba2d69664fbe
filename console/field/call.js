// A grid worker's calls on the phone: the full-screen ringing (who calls, about which event, a ring tone made with
// Web Audio and vibration where the browser allows), answer or decline, then the call itself in portrait: the
// commander's picture and voice through the hall's media server, the back camera by default with a switch, the
// commander's instructions on screen, mute and hang up. A dropped network comes back into the same call by itself.

import { CallPeer, JoinError, cameraConstraints, localMedia, stopMedia } from "/console/calls/peer.js";
import { ApiError, loadWords, request, session } from "./api.js";
import { errorText, fill, h } from "./ui.js";

const enc = encodeURIComponent;
const callsApi = {
  act: (id, what, body = {}) => request("POST", `/api/calls/${enc(id)}/${what}`, body),
  active: () => request("GET", "/api/calls?active=true&limit=10"),
  get: (id) => request("GET", `/api/calls/${enc(id)}`),
};
// Two glyphs drawn as SVG (phones' fonts may lack the emoji): a handset and a microphone (Material icons' shapes).
const GLYPHS = {
  handset: "M6.6 10.8c1.4 2.8 3.8 5.1 6.6 6.6l2.2-2.2c.3-.3.7-.4 1-.2 1.1.4 2.3.6 3.6.6.6 0 1 .4 1 1V20c0 .6-.4 1-1 "
    + "1-9.4 0-17-7.6-17-17 0-.6.4-1 1-1h3.5c.6 0 1 .4 1 1 0 1.3.2 2.5.6 3.6.1.3 0 .7-.2 1L6.6 10.8z",
  mic: "M12 14c1.66 0 3-1.34 3-3V5c0-1.66-1.34-3-3-3S9 3.34 9 5v6c0 1.66 1.34 3 3 3zm5.3-3c0 3-2.54 5.1-5.3 5.1S6.7 "
    + "14 6.7 11H5c0 3.41 2.72 6.23 6 6.72V21h2v-3.28c3.28-.48 6-3.3 6-6.72h-1.7z",
};

function glyph(name, cls = "") {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  if (cls) svg.setAttribute("class", cls);
  const path = document.createElementNS(NS, "path");
  path.setAttribute("d", GLYPHS[name]);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return h("span", { "aria-hidden": "true" }, svg);
}

// The call this tab is in, kept across a reload so the reloaded page goes back into it (a second phone or tab of
// the same worker never takes the media over)
const CALL_KEY = "hall.field.call";
const RING_PATTERN = [700, 300, 700, 2300];  // vibration: two pulses every 4 s (ms on, off, on, off)
const ENDED_SHOWN_MS = 5000;

/** The ring tone: two short bursts of two mixed tones every 4 s, made here (nothing is loaded). One AudioContext
 * for the page, created at the first touch (browsers start audio only after one) and kept. */
class RingTone {
  constructor() {
    this.ctx = null;
    this.timer = null;
    const unlock = () => { this.context(); this.ctx?.resume?.().catch(() => {}); };
    document.addEventListener("pointerdown", unlock, { capture: true, passive: true });
    document.addEventListener("keydown", unlock, { capture: true });
  }

  context() {
    if (!this.ctx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx) this.ctx = new Ctx();
    }
    return this.ctx;
  }

  /** Start ringing; resolves to "playing" or "blocked" (the browser keeps the audio off until a touch). */
  async start() {
    this.stop();
    const ctx = this.context();
    if (!ctx) return "blocked";
    // without a touch first, resume() may wait for ever: ring anyway, silently if the browser says no
    await Promise.race([ctx.resume().catch(() => {}), new Promise((r) => setTimeout(r, 300))]);
    const burst = () => {
      if (ctx.state !== "running") return;
      const t0 = ctx.currentTime + 0.05;
      const gain = ctx.createGain();
      gain.connect(ctx.destination);
      gain.gain.setValueAtTime(0, t0);
      for (const at of [0, 0.55]) {  // two 0.4 s bursts, soft edges (no clicks)
        gain.gain.linearRampToValueAtTime(0.25, t0 + at + 0.02);
        gain.gain.setValueAtTime(0.25, t0 + at + 0.38);
        gain.gain.linearRampToValueAtTime(0, t0 + at + 0.4);
      }
      for (const hz of [440, 480]) {
        const osc = ctx.createOscillator();
        osc.frequency.value = hz;
        osc.connect(gain);
        osc.start(t0);
        osc.stop(t0 + 1.0);
      }
    };
    burst();
    this.timer = setInterval(burst, 4000);
    this.vibrate();
    return ctx.state === "running" ? "playing" : "blocked";
  }

  vibrate() {
    if (!navigator.vibrate) return;
    navigator.vibrate(RING_PATTERN);
    this.buzz = setInterval(() => navigator.vibrate(RING_PATTERN), 4000);
  }

  stop() {
    clearInterval(this.timer);
    clearInterval(this.buzz);
    this.timer = this.buzz = null;
    navigator.vibrate?.(0);
  }
}

export class FieldCall {
  /** `socket`: the page's /field connection; `user`: {name}; `flash(text, kind)`: the page's notice line. */
  constructor(socket, user, { flash }) {
    this.socket = socket;
    this.user = user;
    this.flash = flash;
    this.tone = new RingTone();
    this.ringing = null;     // the call:ring message shown
    this.call = null;        // the call answered here (Call)
    this.peer = null;
    this.local = null;
    this.facing = "environment";
    this.muted = false;
    this.texts = [];
    this.endTimer = null;
    this.el = h("section", { class: "call-screen", "data-testid": "call-screen", role: "dialog", "aria-modal": "true",
      "aria-label": "Video call", hidden: true });
    document.body.append(this.el);
    socket.on("call:ring", (m) => this.ring(m));
    socket.on("call:cancel", (m) => this.cancelled(m));
    socket.on("call:state", (c) => this.onState(c));
    socket.on("call:text", (t) => this.onText(t));
    socket.on("connect", () => this.resume());
  }

  stop() {
    this.tone.stop();
    this.peer?.close();
    this.peer = null;
    this.el.remove();
  }

  // --- ringing ----------------------------------------------------------------------------------------

  async ring(m) {
    if (this.call && this.call.state !== "ended") return;  // in a call: the hall does not ring this phone
    // how long it rings, counted on this phone's clock from now (a phone's clock may be off the hall's)
    this.ringing = { ...m, localUntil: Date.now() / 1000 + (m.ring_s ?? m.until - Date.now() / 1000) };
    this.renderRinging();
    const shown = this.ringing;
    const sound = await this.tone.start();
    if (this.ringing === shown) this.el.dataset.sound = sound;
  }

  renderRinging() {
    const m = this.ringing;
    const ev = m.event;
    this.show("ringing");
    const left = h("span", { "data-testid": "call-ring-left" });
    const tick = () => {
      const s = Math.max(0, Math.round(m.localUntil - Date.now() / 1000));
      left.textContent = `${s} s`;
      if (s <= 0) this.stopRinging();
    };
    tick();
    clearInterval(this.ringTimer);
    this.ringTimer = setInterval(tick, 1000);
    const answer = h("button", { type: "button", class: "call-round call-answer", "data-testid": "call-answer",
      onclick: () => this.answer(m) }, glyph("handset"), "Answer");
    const decline = h("button", { type: "button", class: "call-round call-decline", "data-testid": "call-decline",
      onclick: () => this.decline(m) }, glyph("handset", "hang"), "Decline");
    fill(this.el,
      h("div", { class: "call-ring-top" },
        h("p", { class: "call-kind" }, "Incoming video call"),
        h("h1", { class: "call-who", "data-testid": "call-caller" }, m.caller.display_name),
        h("p", { class: "call-ring-time" }, "Rings for ", left)),
      ev ? h("div", { class: "call-event", "data-testid": "call-event" },
        h("p", { class: "call-event-class" }, ev.category_name || "Event", ev.urgency && ev.urgency !== "normal"
          ? h("span", { class: `badge urgency-${ev.urgency}` }, ev.urgency) : null),
        ev.description ? h("p", { class: "call-event-desc" }, ev.description) : null,
        ev.place || ev.address ? h("p", { class: "call-event-where" }, ev.place || ev.address) : null) : null,
      h("div", { class: "call-ring-buttons" }, decline, answer));
    answer.focus();
  }

  stopRinging() {
    clearInterval(this.ringTimer);
    this.tone.stop();
    this.ringing = null;
    if (!this.call) this.hide();
  }

  cancelled(m) {
    if (this.ringing?.id !== m.id) return;
    const who = this.ringing.caller.display_name;
    this.stopRinging();
    this.flash(`Missed call from ${who}: ${m.reason}.`, "warn");
  }

  async decline(m) {
    this.stopRinging();
    try { await callsApi.act(m.id, "decline"); } catch (err) { this.flash(`Declining: ${errorText(err)}`, "warn"); }
  }

  async answer(m) {
    this.stopRinging();
    const media = localMedia({ facingMode: this.facing });  // opens while the hall takes the answer
    let call;
    try {
      call = (await callsApi.act(m.id, "answer")).call;
    } catch (err) {
      stopMedia(media);
      this.flash(err instanceof ApiError && err.status === 409 ? `Too late: ${err.message}.` : `Answering: ${errorText(err)}`, "warn");
      return;
    }
    await this.enter(call, media);
  }

  // --- the call -------------------------------------------------------------------------------------

  /** Answered here (or resumed after a reload): this phone's camera and microphone (`media`: localMedia's promise,
   * already opening), and the call's media. */
  async enter(call, media = null) {
    this.call = call;
    this.callerUp = call.sides?.caller === "connected";
    sessionStorage.setItem(CALL_KEY, call.id);
    this.texts = [...(call.texts || [])];
    this.muted = !!call.muted?.callee;
    this.renderCall();
    const { stream, problem } = await (media || localMedia({ facingMode: this.facing }));
    if (this.call?.id !== call.id || this.call.state === "ended") { for (const t of stream.getTracks()) t.stop(); return; }
    this.local = stream;
    this.problem = problem;
    this.el.dataset.facing = this.facing;
    this.selfView.srcObject = stream.getVideoTracks().length ? stream : null;
    const hall = await loadWords().catch(() => ({}));
    this.peer = new CallPeer({
      callId: call.id, token: () => session.token, iceServers: hall.ice_servers || [], local: stream,
      graceS: hall.calls?.reconnect_grace_s ?? 30,
      onState: () => this.renderStatus(),
      onRemote: (remote) => { this.video.srcObject = remote; this.video.play?.().catch(() => {}); },
    });
    this.peer.setMuted(this.muted);
    this.el.callPeer = this.peer;  // its stats, for the page's health (and the tests)
    try {
      await this.peer.start();
    } catch (err) {
      if (!(err instanceof JoinError && err.status === 409)) this.problem = `Could not join the call: ${err.message}`;
    }
    this.renderStatus();
  }

  renderCall() {
    const c = this.call;
    this.show("connected");
    this.video = h("video", { class: "call-remote", autoplay: true, playsinline: true, "data-testid": "call-video" });
    this.selfView = h("video", { class: "call-self", autoplay: true, playsinline: true, muted: true, "data-testid": "call-self" });
    this.selfView.muted = true;
    this.statusLine = h("p", { class: "call-status", "data-testid": "call-status", "aria-live": "polite" });
    this.textBox = h("div", { class: "call-texts", "data-testid": "call-texts", "aria-live": "assertive" });
    this.muteBtn = h("button", { type: "button", class: "call-round call-mute", "data-testid": "call-mute",
      onclick: () => this.toggleMute() }, glyph("mic"), "Mute");
    const flip = h("button", { type: "button", class: "call-round call-flip", "data-testid": "call-camera",
      onclick: () => this.switchCamera() }, h("span", { "aria-hidden": "true" }, "⟲"), "Camera");
    const hang = h("button", { type: "button", class: "call-round call-decline", "data-testid": "call-hangup",
      onclick: () => this.hangup() }, glyph("handset", "hang"), "Hang up");
    fill(this.el,
      h("div", { class: "call-stage" }, this.video, this.selfView),
      h("div", { class: "call-top" }, h("p", { class: "call-who-small", "data-testid": "call-caller" },
        c.caller.display_name, c.event ? h("span", { class: "call-about" }, ` · ${c.event.category_name || "event"}`) : null),
      this.statusLine),
      this.textBox,
      h("div", { class: "call-buttons" }, this.muteBtn, flip, hang));
    this.renderTexts();
    this.renderStatus();
  }

  renderStatus() {
    const c = this.call;
    if (!c || !this.statusLine) return;
    const mine = this.peer?.state;
    const other = c.sides?.caller;
    let text;
    if (c.state === "ended") text = "Call ended";
    else if (mine === "reconnecting") text = "Reconnecting…";
    else if (mine === "failed") text = "Could not get back into the call";
    else if (this.callerUp && (other === "reconnecting" || other === "connecting")) text = "The centre is reconnecting…";
    else if (mine === "connected") text = c.muted?.caller ? "Connected · the centre has muted their microphone" : "Connected";
    else text = "Connecting…";
    this.statusLine.textContent = [text, this.problem].filter(Boolean).join(" · ");
    this.el.dataset.media = mine || "";
    this.muteBtn.lastChild.textContent = this.muted ? "Unmute" : "Mute";
    this.muteBtn.setAttribute("aria-pressed", String(this.muted));
  }

  renderTexts() {
    if (!this.textBox) return;
    const last = this.texts[this.texts.length - 1];
    fill(this.textBox, last ? h("p", { class: "call-text-now", "data-testid": "call-text" }, last.text) : null,
      this.texts.length > 1 ? h("ol", { class: "call-text-earlier" },
        this.texts.slice(0, -1).reverse().map((t) => h("li", {}, t.text))) : null);
    this.textBox.hidden = !last;
  }

  onText(t) {
    if (this.call?.id !== t.id) return;
    if (!this.texts.some((x) => x.at === t.at && x.text === t.text)) this.texts.push(t);
    this.renderTexts();
    navigator.vibrate?.(200);
  }

  /** The hall's word on the call: the other side's state, mute, the end. */
  onState(c) {
    if (this.call?.id !== c.id) return;
    this.call = c;
    if (c.sides?.caller === "connected") this.callerUp = true;  // a console that joins again is then "reconnecting"
    for (const t of c.texts || []) if (!this.texts.some((x) => x.at === t.at && x.text === t.text)) this.texts.push(t);
    this.renderTexts();
    if (c.state === "ended") this.ended(c);
    else this.renderStatus();
  }

  ended(c) {
    sessionStorage.removeItem(CALL_KEY);
    this.peer?.close();
    this.peer = null;
    this.el.callPeer = null;
    this.local = null;
    const mins = c.duration_s != null ? ` after ${Math.floor(c.duration_s / 60)} min ${Math.round(c.duration_s % 60)} s` : "";
    this.show("ended");
    fill(this.el, h("div", { class: "call-ended" },
      h("h1", {}, "Call ended"), h("p", { "data-testid": "call-ended" }, `${c.reason || ""}${mins}`),
      h("button", { type: "button", class: "btn btn-primary btn-wide", "data-testid": "call-close", onclick: () => this.close() }, "Close")));
    clearTimeout(this.endTimer);
    this.endTimer = setTimeout(() => this.close(), ENDED_SHOWN_MS);
  }

  close() {
    clearTimeout(this.endTimer);
    if (this.call?.state !== "ended") return;
    this.call = null;
    this.hide();
  }

  async hangup() {
    const c = this.call;
    if (!c) return;
    try {
      this.onState((await callsApi.act(c.id, "hangup")).call);
    } catch (err) {
      this.flash(`Hanging up: ${errorText(err)}`, "warn");
      if (err.status === 409) this.ended({ ...c, state: "ended", reason: err.message });
    }
  }

  async toggleMute() {
    this.muted = !this.muted;
    this.peer?.setMuted(this.muted);
    this.renderStatus();
    try { await callsApi.act(this.call.id, "mute", { muted: this.muted }); } catch { /* the page's own track is off either way */ }
  }

  /** The other camera (back <-> front) in the same sent section: replaceTrack, no renegotiation. Phones often
   * cannot open two cameras at once, so the old one is stopped first. */
  async switchCamera() {
    if (!this.peer || !navigator.mediaDevices?.getUserMedia) return;
    const next = this.facing === "environment" ? "user" : "environment";
    const old = this.local?.getVideoTracks()[0];
    old?.stop();
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: cameraConstraints(next) });
      await this.peer.replaceCamera(stream.getVideoTracks()[0]);
      this.facing = next;
    } catch (err) {
      this.flash(`Switching the camera: ${err.message}`, "warn");
      try {  // back to the camera we had
        const again = await navigator.mediaDevices.getUserMedia({ video: cameraConstraints(this.facing) });
        await this.peer.replaceCamera(again.getVideoTracks()[0]);
      } catch { /* no camera: the voice goes on */ }
    }
    this.el.dataset.facing = this.facing;
    this.selfView.classList.toggle("mirrored", this.facing === "user");
    this.selfView.srcObject = this.local;
  }

  /** After a reload or a dropped socket: a call still ringing for this worker rings again; the call this tab is in
   * goes on (a new peer connection into it), without a click. */
  async resume() {
    let calls;
    try { ({ calls } = await callsApi.active()); } catch { return; }
    const now = Date.now() / 1000;
    if (this.call) {
      const c = calls.find((x) => x.id === this.call.id) || (await callsApi.get(this.call.id).catch(() => null))?.call;
      if (c) this.onState(c);
      return;
    }
    const kept = sessionStorage.getItem(CALL_KEY);
    const mine = calls.find((c) => c.id === kept && c.state === "connected" && c.callee?.name === this.user.name);
    if (mine) { this.enter(mine); return; }
    if (kept && !calls.some((c) => c.id === kept)) sessionStorage.removeItem(CALL_KEY);
    for (const c of calls) {
      const r = (c.rung || []).find((x) => x.name === this.user.name && x.outcome === "ringing" && x.until > now);
      if (c.state === "ringing" && r && this.ringing?.id !== c.id) {
        this.ring({ id: c.id, caller: c.caller, mode: c.mode, event: c.event, until: r.until, ring_s: r.until - now });
        return;
      }
    }
  }

  show(state) {
    this.el.hidden = false;
    this.el.dataset.state = state;
    document.body.classList.add("in-call");
  }

  hide() {
    this.el.hidden = true;
    this.el.dataset.state = "";
    delete this.el.dataset.sound;
    document.body.classList.remove("in-call");
    this.el.replaceChildren();
  }
}
