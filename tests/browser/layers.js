// What axe's layout rules see of the page (run by tests/browser/test_look.py): every element that
// shows text, keyed for the life of the page, with what is on top at its centre when it is in
// view ("top" for itself, "out" out of view); and the regions that scroll. When a second size
// shows the same elements, none newly covered, and the same scrolling regions, axe's contrast and
// scrolling rules have nothing new to say there.
() => {
  const ids = (window.__lookIds = window.__lookIds || new WeakMap());
  const keyOf = (el) => {
    if (!ids.has(el)) ids.set(el, `${el.tagName}${(window.__lookNext = (window.__lookNext || 0) + 1)}`);
    return ids.get(el);
  };
  const texts = {};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.checkVisibility({ visibilityProperty: true })) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    let state = "out";
    if (x >= 0 && y >= 0 && x < innerWidth && y < innerHeight) {
      const top = document.elementFromPoint(x, y);
      state = !top || top === el || el.contains(top) || top.contains(el) ? "top" : `${top.tagName}.${top.className}`;
    }
    texts[keyOf(el)] = state;
  }
  const scrolls = (el) => {
    const s = getComputedStyle(el);
    return (["auto", "scroll"].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1) ||
      (["auto", "scroll"].includes(s.overflowY) && el.scrollHeight > el.clientHeight + 1);
  };
  const scrolling = [...document.body.querySelectorAll("*")].filter(scrolls).map(keyOf).sort();
  return { texts, scrolling };
}
