// The events' words and the district's clock for the events tab and the field page, from GET /api/hall
// (backend/events/vocab.py): every state, action, channel, level, urgency and close type with its label, and
// times shown in the district's time zone whatever the browser's.

const hall = { timezone: undefined, events: null };
const formats = new Map();

/** Load the hall's words once; `request(method, path)` is the page's own API call (it carries its token). */
export async function loadHall(request) {
  const answer = await request("GET", "/api/hall");
  hall.timezone = answer.timezone;
  hall.events = answer.events;
  formats.clear();
  return answer;
}

/** The terms of one vocabulary: "states", "actions", "channels", "levels", "urgencies" or "close_types". */
export function terms(kind) {
  return hall.events?.[kind] || [];
}

/** Underscores as spaces ("work_hours" -> "work hours"): for words of no vocabulary (a node, an audit step). */
export const words = (s) => String(s ?? "").replaceAll("_", " ");

/** The label of one word of a vocabulary (e.g. "To dispatch"); an unknown word reads as words. */
export function label(kind, value) {
  return terms(kind).find((t) => t.value === value)?.label ?? words(value);
}

/** The states an event can still move from (not closed, refused, cancelled or a duplicate). */
export const openStates = () => terms("states").filter((s) => s.open).map((s) => s.value);
export const isOpen = (state) => openStates().includes(state);
/** Overlays (supervise, urgency, escalate) are open in every open state: alone they make no task. */
export const isOverlay = (action) => terms("actions").some((a) => a.value === action && a.overlay);

/** The district's time zone (GET /api/hall), e.g. "Asia/Shanghai". */
export const timezone = () => hall.timezone;

function format(seconds) {
  const key = String(seconds);
  if (!formats.has(key)) {
    formats.set(key, new Intl.DateTimeFormat("en-GB", {
      timeZone: hall.timezone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      ...(seconds ? { second: "2-digit" } : {}), hourCycle: "h23",
    }));
  }
  return formats.get(key);
}

/**
 * A moment (ISO text, epoch seconds or a Date) on the district's clock: "06-02 09:30:15"; `seconds: false`
 * drops the seconds, `date: false` the day.
 */
export function districtTime(v, { seconds = true, date = true } = {}) {
  if (v == null || v === "") return "";
  const d = v instanceof Date ? v : typeof v === "number" ? new Date(v * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  const p = Object.fromEntries(format(seconds).formatToParts(d).map((x) => [x.type, x.value]));
  const time = `${p.hour}:${p.minute}${seconds ? `:${p.second}` : ""}`;
  return date ? `${p.month}-${p.day} ${time}` : time;
}
