// Short, unobtrusive notices in a polite live region (errors, confirmations).

const SHOW_MS = 6000;

export function showNotice(text, { kind = "info", timeout = SHOW_MS } = {}) {
  const region = document.getElementById("notices");
  if (!region) return;
  const item = document.createElement("p");
  item.className = `notice notice-${kind}`;
  item.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "notice-close link";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "×";
  close.addEventListener("click", () => item.remove());
  item.append(close);
  region.append(item);
  // Keep the pile short: old notices go first.
  while (region.children.length > 3) region.firstElementChild.remove();
  if (timeout) setTimeout(() => item.remove(), timeout);
}
