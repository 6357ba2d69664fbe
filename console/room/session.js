// Who this room page speaks as: an invited expert's link (its token kept in this tab's sessionStorage and taken
// out of the address bar at once), else the console's or the field page's session of this tab (a room opened
// from either comes with it), else a log-in here.

import { readJson, ApiError } from "/console/api.js";

const INVITE_KEY = (room) => `hall.room.invite.${room}`;
// the console's and the field page's own keys (console/api.js, console/field/api.js): the same tab's session
const SESSIONS = [["hall.token", "hall.user"], ["hall.field.token", "hall.field.user"]];

/** The page's address: the room, its picture size ("small" on phones), the hall's own audio (`?hall=1`). */
export function pageParams(location = window.location) {
  const room = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
  const q = new URLSearchParams(location.search);
  return { room, size: q.get("size") === "small" ? "small" : "large", hall: q.get("hall") === "1" };
}

/** Keep an invitation's token (`?invite=`) for this tab and take it out of the address bar (and so out of the
 * history, screenshots and anything copied from it). */
export function keepInvite(room) {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("invite");
  if (!token) return;
  sessionStorage.setItem(INVITE_KEY(room), token);
  url.searchParams.delete("invite");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
}

export class RoomSession {
  constructor(room) {
    this.room = room;
  }

  /** The token to speak with, and whether it is a guest's invitation. */
  get token() { return this.invite || this.session?.[0] || null; }
  get guest() { return Boolean(this.invite); }
  get invite() { return sessionStorage.getItem(INVITE_KEY(this.room)); }
  get session() {
    for (const [tk, uk] of SESSIONS) {
      const token = sessionStorage.getItem(tk);
      if (token) return [token, uk];
    }
    return null;
  }

  /** The hall no longer knows the token: forget it (an ended invitation, an expired session). */
  forget() {
    if (this.invite) sessionStorage.removeItem(INVITE_KEY(this.room));
    else if (this.session) {
      const [tk, uk] = SESSIONS.find(([t]) => sessionStorage.getItem(t));
      sessionStorage.removeItem(tk);
      sessionStorage.removeItem(uk);
    }
  }

  /** Log in here (a room link opened in a tab of its own): the console's session for this tab. */
  async login(username, password) {
    const res = await readJson(await fetch("/api/auth/login", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ username, password }),
    }).catch(() => { throw new ApiError(0, { message: "The server cannot be reached" }); }));
    sessionStorage.setItem(SESSIONS[0][0], res.token);
    sessionStorage.setItem(SESSIONS[0][1], JSON.stringify(res.user));
    return res.user;
  }

  /** The page's REST calls, with its token (JSON in and out, ApiError on a refusal). */
  request = async (method, path, body) => {
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      throw new ApiError(0, { error: "network", message: "The server cannot be reached" });
    }
    return readJson(res);
  };
}
