// Every control a person can use with the mouse is reached with the keyboard and shows where the
// focus is (issue 17). Run by tests/browser/test_look.py after one Tab press: the browser then
// treats a script's focus() as keyboard focus, so :focus-visible applies as it does while tabbing.
// Transitions are off (the page's style is read at once, not at the start of a fade).
() => {
  const problems = [];
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    // checkVisibility: a closed <details>' content keeps its boxes but is not rendered.
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && el.checkVisibility({ visibilityProperty: true });
  };
  const name = (el) => {
    const text = (el.innerText || el.getAttribute("aria-label") || el.value || el.name || "").trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""} «${text}»`;
  };
  // What may show the focus: the control, its label or wrapper (a switch styles its track), the
  // element after it (a visually hidden radio's button face).
  const look = (el) => {
    if (!el) return "";
    const s = getComputedStyle(el);
    const box = el.getBoundingClientRect();  // a skip link comes into view
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor, s.backgroundColor, s.color, s.textDecorationLine, box.left, box.top].join("|");
  };
  const around = (el) => [el, el.parentElement, el.nextElementSibling, el.labels && el.labels[0]];
  const native = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  // What else a click acts on: htmx on a click (a form submits, a region loads by itself).
  const clicked = (el) => !el.matches("form") && (el.getAttribute("hx-trigger") || "click").includes("click");
  const selector = `${native}, [hx-get], [hx-post], [onclick], [role=button], [role=tab], [role=link], [tabindex]:not([tabindex='-1'])`;
  const controls = [...document.querySelectorAll(selector)].filter(
    (el) =>
      (el.matches(native) || el.matches("[onclick], [role], [tabindex]") || clicked(el)) &&
      shown(el) && !el.disabled && !el.closest("[inert], [aria-hidden=true], fieldset[disabled]"),
  );
  // The Tab press that set the keyboard's mode focused the first control: start from none.
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  for (const el of controls) {
    const before = around(el).map(look);
    el.focus({ preventScroll: true });
    if (document.activeElement !== el) {
      problems.push(`the keyboard cannot reach ${name(el)}`);
      continue;
    }
    if (el.tabIndex < 0) problems.push(`out of the Tab order: ${name(el)}`);
    if (!el.matches(":focus-visible")) problems.push(`no keyboard focus style applies to ${name(el)}`);
    else if (around(el).map(look).every((value, index) => value === before[index])) problems.push(`no visible focus on ${name(el)}`);
    el.blur();
  }
  return [...new Set(problems)];
}
