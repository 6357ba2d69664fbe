// Taking part in a talkgroup, as the field page and the console do it: the group's voice connection (the microphone
// is always sent: the hall mixes only the floor holder's, so an open microphone never leaks), push to talk (hold the
// button or the space key), the floor in words, and what arrives measured for the page's level meter.

import { endSession, offerTo } from "./rtc.js";

const enc = encodeURIComponent;
const METER_MS = 500;

export function ordinal(n) {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th"}`;
}

/** The floor in the group's words, for `me`: "You have the floor", "Waiting for the floor (2nd)", "Chen talks". */
export function floorText(floor, me) {
  if (!floor) return "";
  const name = (n) => floor.names?.[n] || n;
  if (floor.holder === me) return "You have the floor: talk now";
  const place = (floor.queue || []).indexOf(me);
  const talking = floor.holder ? `${name(floor.holder)} talks` : "The floor is free";
  return place >= 0 ? `Waiting for the floor (${ordinal(place + 1)}) · ${talking}` : talking;
}

/** A press of `button` (pointer) or of the space key starts `down`; letting go (or leaving, or losing the window)
 * calls `up` once. Returns a function that unbinds it. */
export function holdToTalk(button, { down, up }) {
  let held = false;
  const start = (e) => {
    if (held || button.disabled) return;
    held = true;
    e?.preventDefault?.();
    button.classList.add("pressed");
    button.setAttribute("aria-pressed", "true");
    down();
  };
  const stop = () => {
    if (!held) return;
    held = false;
    button.classList.remove("pressed");
    button.setAttribute("aria-pressed", "false");
    up();
  };
  const onKey = (e) => {
    if (e.code !== "Space" || e.target.closest?.("input, textarea, select") || !button.isConnected
      || button.closest("[hidden]")) return;
    e.preventDefault();
    if (e.type === "keydown" && !e.repeat) start(e); else if (e.type === "keyup") stop();
  };
  const onPointerDown = (e) => { button.setPointerCapture?.(e.pointerId); start(e); };
  button.addEventListener("pointerdown", onPointerDown);
  button.addEventListener("pointerup", stop);
  button.addEventListener("pointercancel", stop);
  button.addEventListener("contextmenu", (e) => e.preventDefault());  // a long press on a phone is not a menu
  document.addEventListener("keydown", onKey);
  document.addEventListener("keyup", onKey);
  window.addEventListener("blur", stop);
  return () => {
    stop();
    button.removeEventListener("pointerdown", onPointerDown);
    button.removeEventListener("pointerup", stop);
    button.removeEventListener("pointercancel", stop);
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("keyup", onKey);
    window.removeEventListener("blur", stop);
  };
}

/** One group's voice: `connect()` (asks for the microphone), the floor (`request`, `release`, `take`), `close()`.
 * `request(method, path, body)` is the page's JSON client; `token()` its bearer token; `onLevel(energy)` is told
 * what arrived (the inbound audio's total energy) while connected. */
export class Talk {
  constructor(groupId, { request, token, onLevel = () => {} }) {
    this.id = groupId;
    this.request = request;
    this.token = token;
    this.onLevel = onLevel;
    this.pc = null;
    this.mic = null;
    this.location = null;
    this.audio = null;
    this.meter = null;
    this.closed = false;
  }

  get path() { return `/api/intercom/groups/${enc(this.id)}`; }

  async connect() {
    this.mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    if (this.closed) { this.mic.getTracks().forEach((t) => t.stop()); return; }
    const pc = new RTCPeerConnection();
    this.pc = pc;
    this.audio = document.createElement("audio");
    this.audio.autoplay = true;
    this.audio.hidden = true;
    document.body.append(this.audio);
    pc.addEventListener("track", (e) => {
      this.audio.srcObject = new MediaStream([e.track]);
      this.audio.play().catch(() => { /* played at the next press (a gesture) */ });
    });
    pc.addTransceiver(this.mic.getAudioTracks()[0], { direction: "sendrecv" });
    let headers;
    try {
      headers = await offerTo(pc, `${this.path}/join`, this.token());
    } catch (err) {
      if (this.closed) return;  // left (or replaced by a new voice) while joining: nothing to say
      throw err;
    }
    this.location = headers.get("Location");
    if (this.closed) { this.close(); return; }
    this.meter = setInterval(() => this.measure(), METER_MS);
  }

  async measure() {
    if (!this.pc) return;
    const stats = await this.pc.getStats();
    stats.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") this.onLevel(s.totalAudioEnergy || 0, s.audioLevel || 0);
    });
  }

  /** Push to talk: the floor when it is free, else a place in the queue ({floor, position}). */
  press() {
    this.audio?.play().catch(() => {});  // a press is a gesture: the group's sound may play from now on
    return this.request("POST", `${this.path}/floor/request`, {});
  }

  release() { return this.request("POST", `${this.path}/floor/release`, {}); }

  take() { return this.request("POST", `${this.path}/floor/take`, {}); }

  close() {
    this.closed = true;
    clearInterval(this.meter);
    endSession(this.location, this.token());
    this.location = null;
    this.pc?.close();
    this.pc = null;
    this.mic?.getTracks().forEach((t) => t.stop());
    this.audio?.remove();
    this.audio = null;
  }
}

/** A clip as an <audio> the page may play: fetched with the bearer token (the clip is not public), once asked. */
export async function clipAudio(clip, token) {
  const res = await fetch(clip.url, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  if (!res.ok) throw new Error(res.status === 404 ? "This transmission is no longer kept" : `HTTP ${res.status}`);
  return URL.createObjectURL(await res.blob());
}
