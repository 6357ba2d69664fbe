// The consultation rooms' REST calls (docs/api.md "Consultation rooms"), for the console, the room's page and the
// field page alike: each page passes its own `request(method, path, body)` (it carries that page's token).

const enc = encodeURIComponent;

export function roomsApi(request) {
  const base = (id) => `/api/rooms/${enc(id)}`;
  return {
    list: ({ event, open = true } = {}) => request("GET", `/api/rooms?${new URLSearchParams(
      { ...(event ? { event } : {}), open: String(open) })}`),
    get: (id) => request("GET", base(id)),
    open: (title, event) => request("POST", "/api/rooms", { title, ...(event ? { event } : {}) }),
    invite: (id, name, hours) => request("POST", `${base(id)}/invite`, { name, ...(hours ? { hours } : {}) }),
    leave: (id) => request("POST", `${base(id)}/leave`),
    mute: (id, pid, muted) => request("POST", `${base(id)}/participants/${enc(pid)}/mute`, { muted }),
    remove: (id, pid) => request("DELETE", `${base(id)}/participants/${enc(pid)}`),
    spotlight: (id, participant) => request("POST", `${base(id)}/spotlight`, { participant }),
    shareSource: (id, source) => request("POST", `${base(id)}/share-source`, { source }),
    lock: (id, locked) => request("POST", `${base(id)}/lock`, { locked }),
    recording: (id, on) => request("POST", `${base(id)}/recording`, { on }),
    close: (id) => request("POST", `${base(id)}/close`),
    toWall: (id, place = {}) => request("POST", `${base(id)}/wall`, place),
  };
}

/** The room page's address: `size` "small" for phones, `hall` for the hall's own microphone and speakers. */
export function roomPage(id, { size, hall } = {}) {
  const q = new URLSearchParams({ ...(size ? { size } : {}), ...(hall ? { hall: "1" } : {}) });
  return `/room/${enc(id)}${q.size ? `?${q}` : ""}`;
}

/** Who is in a room, in the order they came: [{id, name, state, muted, camera, screen, ...}]. */
export const membersOf = (room) => Object.values(room?.members || {}).sort((a, b) => a.joined_at - b.joined_at);

/** Fetch a room's recording with the page's token and give it a blob: URL a link can open (the route needs the
 * Authorization header, which a plain link cannot send). */
export async function recordingUrl(path, token) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  if (!res.ok) throw new Error(`the recording cannot be read (HTTP ${res.status})`);
  return URL.createObjectURL(await res.blob());
}
