// The field page's /field Socket.IO connection: `tasks` when an event that concerns this user changes (the
// list reloads: no polling), a worker's own `duty`, and the calls meant for them (call.js).

import { io } from "/vendor/socket.io.esm.min.js";
import { api } from "./api.js";

/** Connect with the session token; `on` maps server events to listeners. Returns the socket. */
export function connectField(token, on = {}) {
  const socket = io("/field", { auth: { token } });
  socket.on("connect_error", async () => {
    if (socket.active) return;  // the network: the client retries by itself
    // The server refused us: if the token has ended, api.me() brings the login back (whenUnauthorized).
    try { await api.me(); } catch { /* 401 handled by api.js; anything else: try again below */ }
    setTimeout(() => { if (!socket.connected) socket.connect(); }, 3000);
  });
  for (const [name, fn] of Object.entries(on)) socket.on(name, fn);
  return socket;
}

/** Send a message and wait for the server's answer ({ok, ...}); a lost connection answers {ok: false, status: 0}. */
export async function ask(socket, event, data, timeoutMs = 10_000) {
  if (!socket.connected) return { ok: false, status: 0, message: "No connection to the hall" };
  try {
    return await socket.timeout(timeoutMs).emitWithAck(event, data);
  } catch {
    return { ok: false, status: 0, message: "The hall did not answer in time" };
  }
}
