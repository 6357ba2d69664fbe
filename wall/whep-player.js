// A small WHEP player (RFC 9725 style): POST an SDP offer, play the answer's video, DELETE on stop.
// It keeps a screen playing by itself: after a network drop, a server restart or a stalled
// picture it starts a new session, waiting longer between attempts (1 s up to 10 s).

const STALL_MS = 4000;       // no new decoded frame for this long: reconnect
const GATHER_MS = 2000;      // the server takes no trickled candidates: wait for ours (bounded)

/** ICE gathering complete, or `capMs` gone (a candidate that never comes must not stall the offer); the calls'
 * pages (console/calls/peer.js) post their offers the same way. */
export function gathered(pc, capMs = GATHER_MS) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    const timer = setTimeout(done, capMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** One WHEP session: resolves with {pc, location, stop} once the answer is applied. */
export async function whepSession(url, token, videoEl) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addEventListener("track", (ev) => {
    videoEl.srcObject = ev.streams[0] || new MediaStream([ev.track]);
  });
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/sdp", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: pc.localDescription.sdp,
    });
    if (res.status !== 201) {
      const err = new Error(`WHEP ${res.status}: ${await res.text()}`);
      err.status = res.status;
      throw err;
    }
    const sessionUrl = new URL(res.headers.get("Location"), new URL(url, pageUrl())).href;
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    const stop = () => {
      pc.close();
      // keepalive: the DELETE still goes out when the page is being closed
      fetch(sessionUrl, { method: "DELETE", keepalive: true,
                        headers: token ? { Authorization: `Bearer ${token}` } : {} }).catch(() => {});
    };
    return { pc, location: sessionUrl, stop };
  } catch (err) {
    pc.close();
    throw err;
  }
}

function pageUrl() { return globalThis.location ? globalThis.location.href : "http://localhost/"; }

/**
 * Play `url` in `videoEl` for as long as the page lives; `onLive(bool)` reports when the
 * picture runs. Returns a function that stops playing (and ends the session on the server).
 */
export function playWhep(videoEl, url, { token, onLive = () => {}, onError = () => {} } = {}) {
  let session = null;
  let stopped = false;
  let retryMs = 1000;
  let watchdog = null;
  let retryTimer = null;
  let lastFrames = -1;
  let lastProgress = 0;

  const setLive = (live) => { videoEl.hidden = !live; onLive(live); };

  async function framesDecoded(pc) {
    let n = 0;
    const stats = await pc.getStats();
    stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") n = s.framesDecoded || 0; });
    return n;
  }

  function restart(why) {
    if (stopped) return;
    clearInterval(watchdog);
    if (session) { session.stop(); session = null; }
    setLive(false);
    onError(why);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(start, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  }

  async function start() {
    if (stopped) return;
    try {
      session = await whepSession(url, token, videoEl);
    } catch (err) {
      restart(err.message || String(err));
      return;
    }
    if (stopped) { session.stop(); return; }
    const pc = session.pc;
    lastFrames = -1;
    lastProgress = performance.now();
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed" || pc.connectionState === "closed") restart(`connection ${pc.connectionState}`);
    });
    videoEl.play?.().catch(() => {});
    watchdog = setInterval(async () => {
      if (session?.pc !== pc) return;
      const n = await framesDecoded(pc).catch(() => lastFrames);
      const now = performance.now();
      if (n > lastFrames) {
        if (lastFrames >= 0 && n > 0) { setLive(true); retryMs = 1000; }
        lastFrames = n;
        lastProgress = now;
      } else if (now - lastProgress > STALL_MS) {
        restart("no picture");
      }
    }, 500);
  }

  start();
  return () => {
    stopped = true;
    clearInterval(watchdog);
    clearTimeout(retryTimer);
    if (session) session.stop();
    session = null;
    setLive(false);
  };
}
