// The district's time for every time the wall console shows: the hall's zone (`timezone` of GET /api/hall),
// whatever zone the browser is in; the browser's own zone only until the hall has told its zone.

let zone;  // an IANA zone name; undefined = the browser's
let format = null;  // its formatter, made on first use

function formatter() {
  format ??= new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  return format;
}

/** Use this zone from now on (an unknown name keeps the one before); true when it was taken. */
export function setDistrictZone(name) {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: name });
  } catch {
    console.warn(`unknown time zone ${name}; times stay in the browser's zone`);
    return false;
  }
  zone = name;
  format = null;
  return true;
}

export function districtZone() {
  return zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A Date from an ISO string, epoch milliseconds or a Date; null when it is not a time. */
function toDate(v) {
  if (v == null || v === "") return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** {year, month, day, hour, minute, second} (strings, zero-padded) of a time in the district. */
function partsOf(d) {
  const out = {};
  for (const p of formatter().formatToParts(d)) if (p.type !== "literal") out[p.type] = p.value;
  return out;
}

/** hh:mm:ss in the district. */
export function clockTime(v) {
  const d = toDate(v);
  if (!d) return "";
  const p = partsOf(d);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/** hh:mm when it is the district's today, else yyyy-mm-dd hh:mm (for saved presets, scenes and the like). */
export function when(v) {
  const d = toDate(v);
  if (!d) return "";
  const p = partsOf(d), now = partsOf(new Date());
  const day = `${p.year}-${p.month}-${p.day}`;
  const time = `${p.hour}:${p.minute}`;
  return day === `${now.year}-${now.month}-${now.day}` ? time : `${day} ${time}`;
}
