// On a phone the sidebar and the members panel are drawers: a toggle in the
// room header opens one over the room, Escape, its close button or a tap
// beside it closes it, and focus goes into it and back to its toggle. On
// wider screens both panels are always shown and this does nothing.

const NARROW = "(max-width: 760px)";

export class Drawer {
  /** panel: the drawer; toggle: the button that opens it; backdrop: shared. */
  constructor({ panel, toggle, backdrop, others = [] }) {
    this.panel = panel;
    this.toggle = toggle;
    this.backdrop = backdrop;
    this.others = others; // elements made inert while it is open
    this.media = window.matchMedia(NARROW);
    toggle.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    panel.querySelector("[data-drawer-close]")?.addEventListener("click", () => this.close());
    backdrop.addEventListener("click", () => this.close(false));
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.isOpen) {
        event.preventDefault();
        this.close();
      }
    });
    this.media.addEventListener("change", () => this.close(false));
    this.close(false);
  }

  get isOpen() {
    return this.panel.classList.contains("open");
  }

  get narrow() {
    return this.media.matches;
  }

  open() {
    if (!this.narrow) return;
    Drawer.current?.close(false);
    Drawer.current = this;
    this.panel.classList.add("open");
    this.panel.removeAttribute("inert");
    this.backdrop.hidden = false;
    this.toggle.setAttribute("aria-expanded", "true");
    for (const element of this.others) element.inert = true;
    const target = this.panel.querySelector("[aria-current=page]") || this.panel.querySelector("a, button, input");
    target?.focus();
  }

  /** Close; focus returns to the toggle unless told otherwise. */
  close(refocus = true) {
    const wasOpen = this.isOpen;
    this.panel.classList.remove("open");
    this.toggle.setAttribute("aria-expanded", "false");
    if (Drawer.current === this) {
      Drawer.current = null;
      this.backdrop.hidden = true;
      for (const element of this.others) element.inert = false;
    }
    // A closed drawer on a phone is off screen: keep it out of Tab order.
    this.panel.inert = this.narrow;
    if (wasOpen && refocus) this.toggle.focus();
  }
}
Drawer.current = null;
