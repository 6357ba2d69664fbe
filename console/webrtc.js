// A page's media through the hall's media server, for every page that takes part (a call's sides, a room's
// participants): one peer connection, joined by POSTing its offer, and a new one into the same call or room when
// it fails or stays disconnected (docs/api.md "Calls", "Consultation rooms").
//
// The offer's sections, in the order the server reads them: the picture it receives (H.264), the voice both
// ways, this side's camera (sent). aiortc takes no trickled candidates and cannot restart ICE: the offer goes once
// gathering is complete (or after a short cap), and a dropped connection is replaced, never restarted.

import { gathered } from "/wall/assets/whep-player.js";

const DISCONNECTED_MS = 2000;  // "disconnected" often heals by itself; longer than this, the page joins again
const WATCH_MS = 1000;         // a peer connection closed under us fires no event: look at it this often
const RETRY_MS = [500, 1000, 2000, 3000, 5000];
const GIVE_UP = [401, 403, 404, 409];  // token ended, removed, locked, gone, closed, full: joining again cannot help

/** A join the hall refused: `status` 0 means the network, 401/403/404/409 that it is no longer ours to join. */
export class JoinError extends Error {
  constructor(status, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
  }
}

/** Offer `pc` to the hall at `url` (POST application/sdp, once ICE gathering is done or its cap passed) and apply
 * the answer; a refusal throws JoinError with the server's message. */
export async function offerTo(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  let res;
  try {
    res = await fetch(url, {
      method: "POST", cache: "no-store", body: pc.localDescription.sdp,
      headers: { "Content-Type": "application/sdp", Authorization: `Bearer ${token}` },
    });
  } catch {
    throw new JoinError(0, "No connection to the hall");
  }
  const text = await res.text();
  if (res.status !== 201) {
    let message = text;
    try { message = JSON.parse(text).message; } catch { /* not JSON */ }
    throw new JoinError(res.status, message);
  }
  await pc.setRemoteDescription({ type: "answer", sdp: text });
}

export class MediaPeer {
  /**
   * `joinUrl()`: where the offer goes (POST, application/sdp, 201 with the answer); `token()`: the page's bearer
   * token; `iceServers`; `local`: this side's MediaStream (microphone and camera; either may be missing);
   * `graceS`: how long a dropped side may take to come back; `cameraSection`: "always" (a camera may be put in
   * later by replaceCamera) or "if-any" (no camera, no section: the server then shows a name card).
   * `onState(state)`: "connecting", "connected", "reconnecting" or "failed" (gave up; `failure` says why);
   * `onRemote(stream)`: the picture and sound received, again after each rejoin.
   */
  constructor({ joinUrl, token, iceServers = [], local, graceS = 30, cameraSection = "always",
    onState = () => {}, onRemote = () => {} }) {
    Object.assign(this, { joinUrl, token, iceServers, local, graceS, cameraSection, onState, onRemote });
    this.pc = null;
    this.camera = null;     // the transceiver that sends this side's camera
    this.voice = null;      // the transceiver of the voice (sendrecv)
    this.state = "new";
    this.failure = null;    // the JoinError that made it give up
    this.joins = 0;
    this.closed = false;
    this.rejoining = null;  // the promise of a rejoin under way
    this.dropTimer = null;
    this.watch = null;
  }

  /** Join (throws JoinError if the hall refuses), then keep the connection up by itself; a hall out of reach at
   * first is tried again as after a drop. */
  async start() {
    this.setState("connecting");
    this.watch = setInterval(() => {
      if (!this.closed && !this.rejoining && this.pc?.connectionState === "closed") this.rejoin();
    }, WATCH_MS);
    try {
      await this.connect();
    } catch (err) {
      if (err.status === 0 || err.status >= 500) { this.rejoin(); return; }
      this.failure = err;
      this.setState("failed");
      throw err;
    }
    if (this.pc.connectionState === "connected") this.setState("connected");
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  /** A new peer connection: offer, POST it, answer. */
  async connect() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const picture = pc.addTransceiver("video", { direction: "recvonly" });
    const mic = this.local?.getAudioTracks()[0];
    const cam = this.local?.getVideoTracks()[0];
    const streams = this.local ? [this.local] : [];
    const voice = pc.addTransceiver(mic || "audio", { direction: "sendrecv", streams });
    const camera = cam || this.cameraSection === "always"
      ? pc.addTransceiver(cam || "video", { direction: "sendonly", streams }) : null;
    pc.addEventListener("connectionstatechange", () => this.changed(pc));
    try {
      await offerTo(pc, this.joinUrl(), this.token());
      if (this.closed) throw new JoinError(0, "left meanwhile");
    } catch (err) {
      pc.close();
      throw err;
    }
    const old = this.pc;
    Object.assign(this, { pc, camera, voice, joins: this.joins + 1 });
    if (old) old.close();
    this.onRemote(new MediaStream([picture.receiver.track, voice.receiver.track]));
    return pc;
  }

  changed(pc) {
    if (pc !== this.pc || this.closed) return;
    const s = pc.connectionState;
    clearTimeout(this.dropTimer);
    if (s === "connected") this.setState("connected");
    else if (s === "failed" || s === "closed") this.rejoin();
    else if (s === "disconnected") {
      this.setState("reconnecting");
      this.dropTimer = setTimeout(() => { if (pc === this.pc && pc.connectionState !== "connected") this.rejoin(); },
        DISCONNECTED_MS);
    }
  }

  /** The connection is gone: join again with a new peer connection, retrying while the hall's grace lasts; a
   * refusal that joining again cannot mend (removed, locked, closed) stops it. */
  rejoin() {
    if (this.rejoining || this.closed) return this.rejoining;
    this.setState("reconnecting");
    const until = Date.now() + this.graceS * 1000;
    this.rejoining = (async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        try {
          await this.connect();
          if (this.pc.connectionState === "connected") this.setState("connected");
          return;
        } catch (err) {
          if (GIVE_UP.includes(err.status) || Date.now() > until) {
            this.failure = err;
            if (!this.closed) this.setState("failed");
            return;
          }
        }
        await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
      }
    })().finally(() => { this.rejoining = null; });
    return this.rejoining;
  }

  /** Send another camera (the phone's front or back one) in the same section: no renegotiation. */
  async replaceCamera(track) {
    const old = this.local?.getVideoTracks()[0];
    if (this.camera) await this.camera.sender.replaceTrack(track);
    if (this.local) {
      if (old) this.local.removeTrack(old);
      this.local.addTrack(track);
    }
  }

  /** Stop sending this side's voice (the hall is told separately). */
  setMuted(muted) {
    for (const t of this.local?.getAudioTracks() || []) t.enabled = !muted;
  }

  /** What has been received: decoded frames, audio samples and their energy (for the pages' health and tests). */
  async stats() {
    const out = { framesDecoded: 0, audioSamples: 0, audioEnergy: 0, joins: this.joins, state: this.state };
    if (!this.pc) return out;
    (await this.pc.getStats()).forEach((s) => {
      if (s.type !== "inbound-rtp") return;
      if (s.kind === "video") out.framesDecoded = s.framesDecoded || 0;
      else if (s.kind === "audio") {
        out.audioSamples = s.totalSamplesReceived || 0;
        out.audioEnergy = s.totalAudioEnergy || 0;
      }
    });
    return out;
  }

  /** Leave on this side: the connection and the page's camera and microphone. */
  close() {
    this.closed = true;
    clearInterval(this.watch);
    clearTimeout(this.dropTimer);
    this.pc?.close();
    for (const t of this.local?.getTracks() || []) t.stop();
  }
}

/** This device's microphone and (unless `video` is false) camera with `video`'s constraints; whatever is refused
 * or missing is left out (a side without a camera still carries the voice). `problem` says what is missing. */
export async function localMedia({ video = cameraConstraints("environment") } = {}) {
  const stream = new MediaStream();
  const md = navigator.mediaDevices;
  if (!md?.getUserMedia) {
    return { stream, problem: "This page cannot use the camera or microphone here (it needs https: see the README)." };
  }
  // asked for apart (a page without a camera still talks) and at once (each open takes a while)
  const take = async (constraints, what) => {
    try {
      return { tracks: (await md.getUserMedia(constraints)).getTracks() };
    } catch (err) {
      return { problem: `${what}: ${err.name === "NotAllowedError" ? "not allowed" : err.message || err.name}` };
    }
  };
  const got = await Promise.all([take({ audio: { echoCancellation: true, noiseSuppression: true } }, "microphone"),
    video ? take({ video }, "camera") : { tracks: [] }]);
  for (const t of got.flatMap((g) => g.tracks || [])) stream.addTrack(t);
  const problems = got.map((g) => g.problem).filter(Boolean);
  return { stream, problem: problems.length ? `No ${problems.join("; ")}` : "" };
}

/** A camera facing `facingMode` ("environment": the back one, "user": the front one), or any camera. */
export function cameraConstraints(facingMode, { width = 1280, height = 720, frameRate } = {}) {
  return { facingMode: { ideal: facingMode }, width: { ideal: width }, height: { ideal: height },
    ...(frameRate ? { frameRate: { ideal: frameRate } } : {}) };
}
