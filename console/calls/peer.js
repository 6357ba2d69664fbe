// A call's side (the console's or the phone's): the page's media through the hall's media server
// (console/webrtc.js), joined at POST /api/calls/{id}/join, and joined again into the same call after a drop.

import { MediaPeer, JoinError, cameraConstraints, localMedia as pageMedia } from "/console/webrtc.js";

export { JoinError, cameraConstraints };

export class CallPeer extends MediaPeer {
  /** `callId`, and MediaPeer's options (`graceS`: calls.reconnect_grace_s); the call always offers a camera
   * section, so a camera may be put in later (replaceCamera). */
  constructor({ callId, ...options }) {
    super({ ...options, cameraSection: "always", joinUrl: () => `/api/calls/${encodeURIComponent(callId)}/join` });
    this.callId = callId;
  }
}

/** This device's camera (the back one first on a phone) and microphone; `problem` says what is missing and why. */
export function localMedia({ facingMode = "environment" } = {}) {
  return pageMedia({ video: cameraConstraints(facingMode) });
}

/** Let go of a localMedia() being opened or opened (`media`: its promise, or null) once it has opened. */
export function stopMedia(media) {
  media?.then(({ stream }) => { for (const t of stream.getTracks()) t.stop(); });
}
