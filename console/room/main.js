// The consultation room's page (/room/{id}): the room's one composed picture and its sound (everyone but
// yourself), who is in it and how they are connected, the event it is about, the host's controls, and this
// page's own: join (camera or a name card), mute, share my screen, leave. A dropped connection comes back by
// itself (a new peer connection into the same room); `?size=small` for phones, `?hall=1` for the hall's own
// microphone and speakers (no camera, shown as "Hall").

import { io } from "/vendor/socket.io.esm.min.js";
import { el } from "/console/events-model.js";
import { MediaPeer, cameraConstraints, localMedia } from "/console/webrtc.js";
import { roomsApi } from "/console/rooms/api.js";
import { RoomSession, keepInvite, pageParams } from "./session.js";
import { Hearing } from "./hearing.js";
import { People } from "./people.js";
import { HostBar } from "./host.js";
import { ScreenShare } from "./screen-share.js";

const $ = (id) => document.getElementById(id);
const tid = (id) => document.querySelector(`[data-testid="${id}"]`);
const enc = encodeURIComponent;
// The camera a room needs: its tile is at most a quarter of the picture; more only costs the phone's battery.
const CAMERA = { width: 640, height: 360, frameRate: 15 };
const LOG_LINES = 30;

const params = pageParams();
keepInvite(params.room);
const session = new RoomSession(params.room);
const rooms = roomsApi(session.request);

const page = {
  room: null,      // the newest Room (room:state)
  you: null,       // {id, admin}: who this page is in the room (admin: the host's rights without being the host)
  iceServers: [],
  graceS: 30,
  socket: null,
  peer: null,      // MediaPeer while joined
  share: null,     // ScreenShare while sharing
  out: false,      // removed, closed or left for good: nothing comes back by itself
};

const hearing = new Hearing($("sound"), tid("meter"));
const people = new People({
  list: tid("participants"), count: tid("participant-count"), speaker: tid("room-speaker"),
  act: (what, m) => hostAct(what, m),
});
const host = new HostBar({
  root: tid("host-controls"), rooms, request: session.request, token: () => session.token, say,
});

// --- what the page says ---------------------------------------------------------------------------------

/** The notice line (newest first in the log beside it). */
function say(text, kind = "info") {
  const line = tid("room-notice");
  line.textContent = text;
  line.dataset.kind = kind;
  const log = tid("room-log");
  const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  log.prepend(el("li", { dataset: { kind } }, el("span", { class: "muted" }, `${time} `), text));
  while (log.children.length > LOG_LINES) log.lastElementChild.remove();
}

function show(section) {
  for (const id of ["login", "gone", "app"]) $(id).hidden = id !== section;
}

/** This page is out of the room for good (removed, closed, an ended invitation): say why, stop everything. */
function gone(text, { back = false } = {}) {
  page.out = true;
  stopMedia();
  page.socket?.disconnect();
  tid("room-gone").textContent = text;
  $("gone-back").hidden = !back || session.guest;
  show("gone");
}

const name = (id) => page.room?.members?.[id]?.name || id;

// --- entering -------------------------------------------------------------------------------------------

async function enter() {
  let got;
  try {
    got = await rooms.get(params.room);
  } catch (e) {
    if (e.status === 401) {
      const guest = session.guest;
      session.forget();
      if (guest) return gone("This invitation has ended or was withdrawn by the host.");
      return showLogin("Your session has ended: please log in again.");
    }
    if (e.status === 404) return gone("There is no such room, or it is not open to you.", { back: true });
    if (e.status === 403) return gone(e.message, { back: true });
    return gone(`The room cannot be reached: ${e.message}`, { back: true });
  }
  page.iceServers = got.ice_servers || [];
  page.graceS = got.reconnect_grace_s || 30;
  const you = got.room.you || {};
  page.you = { id: you.id, admin: Boolean(you.host) && got.room.host !== you.id };
  if (got.room.closed_at) return gone("This room has been closed.", { back: true });
  show("app");
  document.body.classList.toggle("small", params.size === "small");
  document.body.classList.toggle("hall-audio", params.hall);
  prejoin();
  apply(got.room);
  connect();
}

function prejoin() {
  tid("prejoin-what").textContent = params.hall
    ? "The hall's microphone and speakers join as one participant, “Hall”, without a camera."
    : "You join with your microphone and, if you like, your camera (without it, the room shows your name).";
  tid("prejoin-camera-label").hidden = params.hall;
  tid("prejoin").hidden = false;
  tid("join").disabled = false;
}

/** The /room socket: the room's state and everything that happens in it, as it happens. */
function connect() {
  const socket = io("/room", { auth: { token: session.token, room: params.room } });
  page.socket = socket;
  const conn = tid("room-conn");
  const setConn = (s) => { conn.dataset.state = s; conn.textContent = s; };
  socket.on("connect", () => setConn("connected"));
  socket.on("disconnect", () => setConn("disconnected"));
  socket.io.on("reconnect_attempt", () => setConn("reconnecting"));
  socket.on("connect_error", () => {
    setConn("disconnected");
    if (!socket.active && !page.out) recheck();  // refused, not the network: the token or the room may have ended
  });
  socket.on("session:ended", () => { if (!page.out) recheck(); });
  socket.on("room:state", apply);
  socket.on("room:joined", (m) => say(`${m.name} joined`));
  socket.on("room:rejoined", (m) => say(`${m.name} is back`, "ok"));
  socket.on("room:left", (m) => say(m.why && m.why !== "left" ? `${m.name} left: ${m.why}` : `${m.name} left`));
  socket.on("room:muted", (m) => say(`${name(m.id)} ${m.muted ? "muted" : "unmuted"}${m.by !== m.id ? ` by ${name(m.by)}` : ""}`));
  socket.on("room:host", (m) => say(`${m.name} now leads the room`));
  socket.on("room:removed", (m) => {
    if (m.id === page.you.id) gone(`${name(m.by)} removed you from this room.`, { back: true });
    else say(`${name(m.id)} was removed by ${name(m.by)}`, "warn");
  });
  socket.on("room:closed", (m) => gone(`${name(m.by)} closed the room.`, { back: true }));
}

/** The socket was refused: ask the room itself; an ended token or room says so, anything else tries again. */
async function recheck() {
  try {
    await rooms.get(params.room);
  } catch (e) {
    if (e.status === 401 && session.guest) return gone("This invitation has ended or was withdrawn by the host.");
    if (e.status === 401) { session.forget(); return gone("Your session has ended: log in again to come back.", { back: true }); }
    if (e.status === 404 || e.status === 403) return gone("This room is no longer open to you.", { back: true });
  }
  setTimeout(() => { if (!page.out && page.socket && !page.socket.connected) page.socket.connect(); }, 3000);
}

// --- the room as it is now ------------------------------------------------------------------------------

function apply(room) {
  const before = page.room?.members || {};
  for (const m of Object.values(room.members || {})) {
    const was = before[m.id]?.state;
    if (m.state === "reconnecting" && was && was !== "reconnecting") say(`${m.name} is reconnecting`, "warn");
  }
  const youHost = !session.guest && (room.host === page.you.id || page.you.admin);
  page.room = { ...room, you: { id: page.you.id, host: youHost } };
  render();
}

function render() {
  const room = page.room;
  document.title = `${room.title} · Consultation room`;
  tid("room-title").textContent = room.title + (room.locked ? " (locked)" : "");
  const me = room.members?.[page.you.id];
  tid("room-you").textContent = me ? me.name : page.you.id;
  renderEvent(room.event);
  people.render(room);
  host.render(room);
  const mute = tid("mute");
  mute.textContent = me?.muted ? "Unmute" : "Mute";
  mute.dataset.muted = String(Boolean(me?.muted));
  page.peer?.setMuted(Boolean(me?.muted));  // a muted microphone sends nothing at all
  tid("share-screen").textContent = page.share ? "Stop sharing my screen" : "Share my screen";
}

function renderEvent(ev) {
  const box = tid("room-event");
  box.hidden = !ev;
  if (!ev) return;
  const words = (s) => String(s ?? "").replaceAll("_", " ");
  box.replaceChildren(el("h2", {}, "About the event"),
    el("div", { class: "room-event-class" }, ev.category_name || "Unclassified event"),
    el("p", { class: "room-event-desc" }, ev.description || ""),
    el("dl", { class: "room-event-fields" },
      el("dt", {}, "Place"), el("dd", {}, ev.place || "–"),
      el("dt", {}, "State"), el("dd", {}, words(ev.state)),
      el("dt", {}, "Urgency"), el("dd", {}, words(ev.urgency)),
      el("dt", {}, "Event"), el("dd", { class: "mono" }, ev.id)));
}

// --- taking part ----------------------------------------------------------------------------------------

async function join() {
  const button = tid("join");
  const problem = tid("prejoin-problem");
  button.disabled = true;
  problem.hidden = true;
  const camera = !params.hall && tid("prejoin-camera").checked;
  const { stream, problem: missing } = await localMedia({ video: camera ? cameraConstraints("user", CAMERA) : false });
  const query = `size=${params.size}${params.hall ? "&hall=true" : ""}`;
  const peer = new MediaPeer({
    joinUrl: () => `/api/rooms/${enc(params.room)}/join?${query}`,
    token: () => session.token, iceServers: page.iceServers, local: stream, graceS: page.graceS,
    cameraSection: "if-any",
    onState: (s) => peerState(peer, s),
    onRemote: (remote) => {
      $("picture").srcObject = new MediaStream(remote.getVideoTracks());
      hearing.hear(new MediaStream(remote.getAudioTracks()));
    },
  });
  $("picture").roomPeer = peer;  // the page's own health (and the tests') read its getStats
  $("picture").hearing = hearing;
  try {
    await peer.start();
  } catch (e) {
    peer.close();
    problem.textContent = e.status === 403 || e.status === 409 ? e.message : `Could not join: ${e.message}`;
    problem.hidden = false;
    button.disabled = false;
    return;
  }
  page.peer = peer;
  page.out = false;
  tid("prejoin").hidden = true;
  for (const b of ["mute", "share-screen", "leave"]) tid(b).disabled = false;
  if (missing) say(`${missing}: the room shows your name instead of a camera.`, "warn");
  render();
}

function peerState(peer, state) {
  if (peer !== page.peer && page.peer) return;
  const words = { connecting: "Connecting…", connected: "Connected", reconnecting: "Reconnecting…", failed: "Disconnected" };
  const line = tid("room-state");
  line.textContent = words[state] || state;
  line.dataset.state = state;
  if (state !== "failed" || page.out) return;
  const why = peer.failure;
  if (why?.status === 403 && /removed/.test(why.message)) gone(why.message, { back: true });
  else if (why?.status === 409 && /closed/.test(why.message)) gone("The room has been closed.", { back: true });
  else {
    stopMedia();
    say(`The connection to the room is lost${why ? `: ${why.message}` : ""}.`, "error");
    prejoin();
  }
}

function stopMedia() {
  page.share?.stop();
  page.share = null;
  page.peer?.close();
  page.peer = null;
  hearing.stop();
  $("picture").srcObject = null;
  for (const b of ["mute", "share-screen", "leave"]) tid(b).disabled = true;
  tid("room-state").textContent = "Not joined";
}

async function leave() {
  stopMedia();
  try { await rooms.leave(params.room); } catch { /* gone already: the hall drops us after its grace anyway */ }
  say("You left the room.");
  prejoin();
  tid("join").textContent = "Join again";
}

async function toggleMute() {
  const me = page.room.members?.[page.you.id];
  if (!me) return;
  try {
    await rooms.mute(params.room, page.you.id, !me.muted);
  } catch (e) {
    say(e.message, "error");
  }
}

async function toggleShare() {
  if (page.share) {
    page.share.stop();
    page.share = null;
    render();
    return;
  }
  const share = new ScreenShare({
    shareUrl: `/api/rooms/${enc(params.room)}/share`, token: () => session.token, iceServers: page.iceServers,
    onEnd: () => { if (page.share === share) { page.share = null; render(); say("Your screen is no longer shared."); } },
  });
  try {
    await share.start();
  } catch (e) {
    say(`Your screen cannot be shared: ${e.message}`, "error");
    return;
  }
  page.share = share;
  render();
}

/** A host's button on a participant. */
async function hostAct(what, m) {
  const id = params.room;
  try {
    if (what === "mute" || what === "unmute") await rooms.mute(id, m.id, what === "mute");
    else if (what === "spotlight") await rooms.spotlight(id, m.id);
    else if (what === "unspotlight") await rooms.spotlight(id, null);
    else if (what === "remove") await rooms.remove(id, m.id);
  } catch (e) {
    say(e.message, "error");
  }
}

// --- log in (a room link opened in a tab of its own) ------------------------------------------------------

function showLogin(message = "") {
  show("login");
  const err = tid("login-error");
  err.textContent = message;
  err.hidden = !message;
  tid("login-username").focus();
}

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  const err = tid("login-error");
  err.hidden = true;
  try {
    await session.login(form.username.value.trim(), form.password.value);
    form.password.value = "";
    enter();
  } catch (ex) {
    err.textContent = ex.status === 401 ? "Wrong user name or password." : ex.message;
    err.hidden = false;
  }
});

tid("join").addEventListener("click", join);
tid("leave").addEventListener("click", leave);
tid("mute").addEventListener("click", toggleMute);
tid("share-screen").addEventListener("click", toggleShare);
// Closing the tab leaves the room at once (not after the reconnect grace); keepalive lets it out as the page goes.
window.addEventListener("pagehide", () => {
  if (!page.peer || !session.token) return;
  fetch(`/api/rooms/${enc(params.room)}/leave`, { method: "POST", keepalive: true,
    headers: { Authorization: `Bearer ${session.token}` } }).catch(() => {});
});

if (!params.room) gone("This address names no room.");
else if (!session.token) showLogin();
else enter();
