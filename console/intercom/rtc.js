// Sending to the hall over WebRTC as the pages do it (a shared screen, a talkgroup's voice): one offer with its ICE
// candidates gathered, the hall's answer, and the session's Location to DELETE when the page stops.

import { ApiError, readJson } from "/console/api.js";

const GATHER_MS = 3000;  // a network without a reachable STUN server never completes gathering: send what we have

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    const timer = setTimeout(done, GATHER_MS);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** Offer `pc` to the hall at `url` (POST application/sdp with the bearer token); resolves to the answer's headers
 * once the answer is applied. A refusal throws the hall's error (an ApiError naming the field). */
export async function offerTo(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  let res;
  try {
    res = await fetch(url, { method: "POST", body: pc.localDescription.sdp, cache: "no-store",
      headers: { "Content-Type": "application/sdp", Accept: "application/sdp, application/json",
        Authorization: `Bearer ${token}` } });
  } catch {
    throw new ApiError(0, { error: "network", message: "The hall cannot be reached" });
  }
  if (!res.ok) await readJson(res, ApiError);  // throws with the hall's message
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  return res.headers;
}

/** End a session the hall made (its Location); a page going away still sends it (keepalive). */
export function endSession(location, token) {
  if (!location) return Promise.resolve();
  return fetch(location, { method: "DELETE", keepalive: true, headers: { Authorization: `Bearer ${token}` } })
    .catch(() => null);
}
