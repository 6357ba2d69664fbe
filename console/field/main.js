// The field page: log in, keep to grid workers and departments, and switch between tasks, one event and a report.

import { api, session, whenUnauthorized } from "./api.js";
import { EventDetail } from "./detail.js";
import { DutyBar } from "./duty.js";
import { FieldCall } from "./call.js";
import { connectField } from "./live.js";
import { TaskList } from "./list.js";
import { ReportForm } from "./report.js";
import { errorText, say } from "./ui.js";

const FIELD_ROLES = new Set(["worker", "department"]);
const ROLE_NAMES = { worker: "grid worker", department: "department handler" };
const $ = (id) => document.getElementById(id);

let views = null;  // {tasks, detail, report} once logged in
let field = null;  // {socket, duty, call}: the /field connection, a worker's duty switch and calls
let pushed = null; // a list reload asked for by a `tasks` push, a moment later (pushes come in bursts)

function show(section) {
  for (const id of ["login", "denied", "app"]) $(id).hidden = id !== section;
}

function showLogin(message = "") {
  stopViews();
  show("login");
  say($("login-error"), message, "error");
  $("login-username").focus();
}

function showDenied(user) {
  show("denied");
  $("denied-role").textContent = user.role;
  $("denied-link").focus();
}

function stopViews() {
  views?.tasks.stop();
  views = null;
  field?.duty?.stop();
  field?.duty?.el.remove();
  field?.call?.stop();
  field?.socket.disconnect();
  field = null;
  $("views").replaceChildren();
}

function startApp(user) {
  stopViews();
  show("app");
  $("who").textContent = `${user.name} · ${ROLE_NAMES[user.role]}`;
  views = {
    tasks: new TaskList(user.role),
    detail: new EventDetail(),
    report: new ReportForm(user.role, (event, created) => {
      location.hash = "#/tasks";
      flash(created ? `Report sent: ${event.id}.` : `This report had already reached the hall: ${event.id}.`, "ok");
    }),
  };
  $("views").append(views.tasks.el, views.detail.el, views.report.el);
  connectLive(user);
  route();
}

/** The /field connection: the list reloads when the hall says an event of this user changed (and after a
 * reconnect, when pushes may have been missed); a worker gets the duty switch and the centre's calls. */
function connectLive(user) {
  const reloadList = () => {
    if (views && !views.tasks.el.hidden && !pushed) {
      pushed = setTimeout(() => { pushed = null; views?.tasks.refresh(); }, 1000);
    }
  };
  let reconnect = false;  // the first connect follows the list's own first load
  const socket = connectField(session.token, {
    tasks: reloadList,
    connect: () => { if (reconnect) reloadList(); reconnect = true; },
  });
  const duty = user.role === "worker" ? new DutyBar(socket) : null;
  if (duty) $("app").insertBefore(duty.el, $("flash"));
  const call = user.role === "worker" ? new FieldCall(socket, user, { flash }) : null;  // the centre calls workers
  field = { socket, duty, call };
}

function flash(text, kind = "info") {
  say($("flash"), text, kind);
}

/** #/tasks (default), #/event/<id>, #/report. */
function route() {
  if (!views) return;
  const [, name, arg] = (location.hash || "#/tasks").match(/^#\/([a-z]+)(?:\/(.+))?$/) || [];
  let id = null;
  try { id = name === "event" && arg ? decodeURIComponent(arg) : null; } catch { /* a mangled link: the list */ }
  const view = id ? "detail" : name === "report" ? "report" : "tasks";
  for (const [key, v] of Object.entries(views)) v.el.hidden = key !== view;
  document.querySelectorAll(".bottom-nav a").forEach((a) => {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  });
  window.scrollTo(0, 0);
  if (view === "tasks") {
    views.tasks.el.querySelector("h1").focus({ preventScroll: true });
    views.tasks.start();
    return;  // a notice (e.g. "report sent") stays with the list it was given on
  }
  views.tasks.stop();
  say($("flash"), "");
  if (view === "detail") views.detail.open(id);  // focuses its heading once loaded
  else {
    views.report.el.querySelector("h1").focus({ preventScroll: true });
    views.report.open();
  }
}

async function login(e) {
  e.preventDefault();
  const button = $("login-submit");
  button.disabled = true;
  say($("login-error"), "");
  try {
    const res = await api.login($("login-username").value.trim(), $("login-password").value);
    session.save(res.token, res.user);
    $("login-password").value = "";
    enter(res.user);
  } catch (err) {
    say($("login-error"), err.status === 401 ? "Wrong user name or password." : errorText(err), "error");
  } finally {
    button.disabled = false;
  }
}

function enter(user) {
  if (FIELD_ROLES.has(user.role)) startApp(user);
  else showDenied(user);
}

async function logout() {
  try { await api.logout(); } catch { /* the token is forgotten here either way */ }
  session.clear(true);
  location.hash = "";
  showLogin();
}

async function boot() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("denied-logout").addEventListener("click", logout);
  window.addEventListener("hashchange", route);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && views && !views.tasks.el.hidden) views.tasks.refresh();
  });
  whenUnauthorized(() => {
    session.clear();
    showLogin("Your session has ended: please log in again.");
  });
  if (!session.token) return showLogin();
  try {
    const me = await api.me();
    enter(me);
  } catch (err) {
    if (err.status === 401) return;  // whenUnauthorized has shown the login
    // Offline at start: trust the stored identity; the views say when the hall cannot be reached.
    if (session.user) enter(session.user); else showLogin(errorText(err));
  }
}

boot();
