// "Share my screen": the screen (getDisplayMedia) into the room over a second peer connection with one sendonly
// video (POST /api/rooms/{id}/share); shown large to everyone while it lasts. Stopping it (here, or in the
// browser's own "stop sharing") closes that connection, and the room's picture goes back to the participants.

import { offerTo } from "/console/webrtc.js";

export class ScreenShare {
  /** `shareUrl`: the room's share route; `token()`, `iceServers`; `onEnd()`: the share stopped by itself. */
  constructor({ shareUrl, token, iceServers = [], onEnd = () => {} }) {
    Object.assign(this, { shareUrl, token, iceServers, onEnd });
    this.pc = null;
    this.stream = null;
  }

  get active() { return this.pc !== null; }

  async start() {
    if (!navigator.mediaDevices?.getDisplayMedia) throw new Error("this browser cannot share its screen here");
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 10 } }, audio: false });
    const track = stream.getVideoTracks()[0];
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    try {
      await offerTo(pc, this.shareUrl, this.token());
    } catch (err) {
      pc.close();
      for (const t of stream.getTracks()) t.stop();
      throw err;
    }
    this.pc = pc;
    this.stream = stream;
    track.addEventListener("ended", () => { if (this.pc === pc) { this.stop(); this.onEnd(); } });
    pc.addEventListener("connectionstatechange", () => {
      if (this.pc === pc && ["failed", "closed"].includes(pc.connectionState)) { this.stop(); this.onEnd(); }
    });
  }

  stop() {
    this.pc?.close();
    for (const t of this.stream?.getTracks() || []) t.stop();
    this.pc = null;
    this.stream = null;
  }
}
