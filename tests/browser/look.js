// What a person would see wrong on the page, from the boxes the browser laid out (issue 17):
// a toast or the docked tour panel over a control, an element wider than its blade, cut text.
// Run by tests/browser/test_look.py with page.evaluate; returns a list of readable problems.
() => {
  const problems = [];
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && style.display !== "none";
  };
  const name = (el) => {
    const text = (el.innerText || el.getAttribute("aria-label") || el.value || "").trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""} «${text}»`;
  };
  // The part of an element a person sees: its box cut by every ancestor that clips (a grid
  // that scrolls inside itself hides its far columns; they are under nothing).
  const seen = (el) => {
    const box = el.getBoundingClientRect();
    let [left, top, right, bottom] = [box.left, box.top, box.right, box.bottom];
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX === "visible" && getComputedStyle(up).overflowY === "visible") continue;
      const clip = up.getBoundingClientRect();
      [left, top, right, bottom] = [Math.max(left, clip.left), Math.max(top, clip.top), Math.min(right, clip.right), Math.min(bottom, clip.bottom)];
    }
    return { left, top, right, bottom };
  };
  const meets = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const controls = [...document.querySelectorAll("button, a[href], input:not([type=hidden]), select, textarea, summary")].filter(shown);

  // Toasts: never over the header, the breadcrumb, the blade's header and command bar, a pane's
  // header or the tour panel; at most three.
  const toasts = [...document.querySelectorAll("#toasts [data-toast]")].filter(shown);
  if (toasts.length > 3) problems.push(`${toasts.length} toasts visible (at most 3)`);
  const guarded = controls.filter((el) => el.closest(".topbar, .breadcrumb, .blade-header, .commandbar, .wizard-nav, .pane-header, .tour-panel"));
  for (const toast of toasts) {
    const box = toast.getBoundingClientRect();
    for (const el of guarded) {
      if (!toast.contains(el) && meets(box, seen(el))) problems.push(`toast over ${name(el)}`);
    }
  }
  // The docked tour panel: beside the content, over none of it.
  const tour = document.querySelector("#tour-panel:not([hidden])");
  if (tour && shown(tour)) {
    const box = tour.getBoundingClientRect();
    for (const el of controls) {
      if (el.closest("#journey") && meets(box, seen(el))) problems.push(`tour panel over ${name(el)}`);
    }
  }
  // Nothing wider than its blade: the page never scrolls sideways, and no element of the journey
  // or the pane passes its right edge unless a scrolling region (a grid) holds it.
  if (document.scrollingElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`the page scrolls sideways (${document.scrollingElement.scrollWidth} > ${window.innerWidth})`);
  }
  const clipsX = (el) => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(el).overflowX);
  for (const container of document.querySelectorAll("#journey, #pane, .asm-main, main, #screen")) {
    if (!shown(container)) continue;
    const edge = container.getBoundingClientRect().right + 1;
    for (const el of container.querySelectorAll("*")) {
      if (!shown(el) || el.getBoundingClientRect().right <= edge) continue;
      let holder = el.parentElement;
      while (holder && holder !== container && !clipsX(holder)) holder = holder.parentElement;
      if (holder === container || !holder) {
        problems.push(`${name(el)} passes the right edge of ${name(container).split(" ")[0]}`);
        break;
      }
    }
  }
  // A table that scrolls sideways hides columns from a person: only the devices grid, which
  // scrolls inside itself as Intune's grids do (with « Columns »), may.
  for (const holder of document.querySelectorAll("#journey *, #pane *")) {
    if (!["auto", "scroll"].includes(getComputedStyle(holder).overflowX) || holder.matches(".grid-scroll, pre, textarea")) continue;
    if (shown(holder) && holder.scrollWidth > holder.clientWidth + 1) {
      problems.push(`${name(holder)} scrolls sideways (${holder.scrollWidth} > ${holder.clientWidth})`);
    }
  }
  // No cut text: a label or a cell whose text is wider than its box, unless it ends in an
  // ellipsis on purpose and says the whole text in a title.
  const texts = "label, th, td, dt, dd, .command, button, .chip, h1, h2, h3, .blade-menu-item, .tour-step-title, .toast-title, .wizard-nav-label, .leftnav-item, .pill";
  for (const el of document.querySelectorAll(texts)) {
    if (!shown(el) || el.closest(".visually-hidden") || el.scrollWidth <= el.clientWidth + 1 || !clipsX(el)) continue;
    if (["auto", "scroll"].includes(getComputedStyle(el).overflowX)) continue;  // scrolls: not cut
    const titled = el.closest("[title]");
    if (getComputedStyle(el).textOverflow === "ellipsis" && titled) continue;
    problems.push(`cut text: ${name(el)} (${el.scrollWidth} > ${el.clientWidth})`);
  }
  return [...new Set(problems)];
}
