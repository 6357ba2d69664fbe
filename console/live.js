// The /console Socket.IO connection: layout, presets, scenes and media health pushed by the server.

import { update, setLayout } from "./store.js";
import { api } from "./api.js";
import { setHealth } from "./health.js";
import { notify } from "./notice.js";

/** Connect with the session token; returns a function that disconnects. `on`: more listeners by event name
 * (the events panel's `event` and `event:warning` notices, and `connect` to resync after a reconnect). */
export function connectLive(token, { onUnauthorized, on = {} }) {
  // `io` is the global from /vendor/socket.io.min.js (socket.io-client, served locally).
  const socket = window.io("/console", { auth: { token } });

  let fresh = true;  // the first layout after a (re)connect is taken even if its version went down
  socket.on("connect", () => { fresh = true; update({ connection: "connected" }); });
  socket.on("disconnect", () => { update({ connection: "disconnected" }); setHealth(null); });
  socket.io.on("reconnect_attempt", () => update({ connection: "reconnecting" }));
  socket.on("connect_error", async () => {
    update({ connection: "disconnected" });
    if (socket.active) return;  // a network failure: the client retries by itself
    // The server refused us: the token may have expired.
    try {
      await api.me();
      setTimeout(() => socket.connect(), 3000);
    } catch (e) {
      if (e.status === 401) onUnauthorized("Your session has ended; please log in again.");
      else setTimeout(() => socket.connect(), 3000);
    }
  });

  socket.on("layout", (layout) => { setLayout(layout, { force: fresh }); fresh = false; });
  socket.on("presets", (msg) => update({ presets: msg.presets || [] }));
  socket.on("scenes", (msg) => update({ scenes: msg.scenes || [] }));
  socket.on("media:health", (msg) => setHealth(msg));
  // Sources that come and go (calls, rooms, shared screens) join the configured ones.
  socket.on("sources", (msg) => update({ sources: msg.sources || [] }));
  // Stored state the hall could not read: it runs on the last valid version; the operator should know.
  socket.on("hall:problems", (msg) => notify("The hall found stored settings it cannot use and runs on the last " +
    "valid ones:", { kind: "error", timeout: 0,
    details: (msg.problems || []).map((p) => `${p.key}: ${p.message} (now: ${p.fallback})`) }));
  // The token was revoked (logged out elsewhere, the user removed): the server has dropped this connection.
  socket.on("session:ended", (msg) => onUnauthorized((msg && msg.message) || "Your session has ended."));
  for (const [name, fn] of Object.entries(on)) socket.on(name, fn);

  return () => { socket.disconnect(); setHealth(null); };
}
