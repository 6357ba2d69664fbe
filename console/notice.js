// One non-blocking notice line at the bottom of the console (conflicts, errors, confirmations).

let hideTimer = null;

export function notify(message, { kind = "info", details = [], timeout = 8000 } = {}) {
  const host = document.getElementById("notices");
  let el = host.querySelector("[data-testid=notice]");
  if (!el) {
    el = document.createElement("div");
    el.dataset.testid = "notice";
    el.setAttribute("role", "status");
    host.append(el);
  }
  el.className = `notice notice-${kind}`;
  el.replaceChildren();
  const text = document.createElement("div");
  text.className = "notice-text";
  text.textContent = message;
  el.append(text);
  if (details.length) {
    const ul = document.createElement("ul");
    for (const d of details) {
      const li = document.createElement("li");
      li.textContent = d;
      ul.append(li);
    }
    el.append(ul);
  }
  const close = document.createElement("button");
  close.className = "notice-close";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "×";
  close.onclick = () => el.remove();
  el.append(close);
  clearTimeout(hideTimer);
  if (timeout) hideTimer = setTimeout(() => el.remove(), timeout);
}
