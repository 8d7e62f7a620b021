// Rooms open in place: a click on any room link (a[data-room-link], in the
// sidebar or anywhere else on the chat page) or the browser's Back and
// Forward buttons open that room without a page load (history API). The
// address stays the room's own, so a reload or a shared link opens it too.

export class Router {
  /**
   * roomUrl(slug): the address of a room; slugOf(pathname): the slug an
   * address names, or null; open(slug, {fromHistory}): show that room.
   */
  constructor({ roomUrl, slugOf, open }) {
    this.roomUrl = roomUrl;
    this.slugOf = slugOf;
    this.open = open;
    document.addEventListener("click", (event) => this._click(event));
    window.addEventListener("popstate", () => {
      const slug = this.slugOf(window.location.pathname);
      if (slug) this.open(slug, { fromHistory: true });
      else window.location.reload();
    });
  }

  /** Open a room and make its address the current entry. */
  go(slug, { replace = false } = {}) {
    const url = this.roomUrl(slug);
    if (replace) window.history.replaceState({ slug }, "", url);
    else if (window.location.pathname !== url) window.history.pushState({ slug }, "", url);
    this.open(slug, { fromHistory: false });
  }

  _click(event) {
    if (event.defaultPrevented || event.button !== 0) return;
    // A new tab or window is the browser's business.
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[data-room-link]");
    if (!link || link.target === "_blank") return;
    event.preventDefault();
    this.go(link.dataset.roomLink);
  }
}

/** slugOf for a room address template with a placeholder for the slug. */
export function slugMatcher(template, placeholder) {
  const [before, after] = template.split(placeholder);
  return (pathname) => {
    if (!pathname.startsWith(before) || !pathname.endsWith(after)) return null;
    const slug = decodeURIComponent(pathname.slice(before.length, pathname.length - after.length));
    return /^[-a-zA-Z0-9_]{1,50}$/.test(slug) ? slug : null;
  };
}
