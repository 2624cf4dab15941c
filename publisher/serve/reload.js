// publish serve: reload this page when its article is rebuilt, keeping the scroll position, and
// lay the diagnostics of a broken save over it; link the article's PDF and EPUB. Injected
// into served pages only.
(() => {
  "use strict";
  const slug = location.pathname.split("/")[1] || "";
  const key = "publish-serve-scroll:" + location.pathname;
  const saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    const [x, y] = JSON.parse(saved);
    history.scrollRestoration = "manual";
    const restore = () => window.scrollTo(x, y);
    restore();
    addEventListener("DOMContentLoaded", restore);
    addEventListener("load", restore);
  }
  const OVERLAY = "publish-serve-overlay";
  function hide() {
    const old = document.getElementById(OVERLAY);
    if (old) old.remove();
  }
  function show(lines) {
    hide();
    const box = document.createElement("div");
    box.id = OVERLAY;
    box.setAttribute("role", "alert");
    // "all:initial" first: the theme's own rules for div, p and pre must not reach in.
    box.style.cssText = "all:initial;display:block;position:fixed;left:0;right:0;bottom:0;" +
      "max-height:60vh;overflow:auto;z-index:2147483647;padding:1em 1.25em;" +
      "background:#2b0b0e;color:#fde8e8;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;" +
      "border-top:4px solid #e5484d;box-shadow:0 -4px 24px rgba(0,0,0,.4)";
    const title = document.createElement("p");
    title.style.cssText = "all:initial;display:block;margin:0 0 .5em;font:inherit;" +
      "font-weight:bold;color:inherit";
    title.textContent = "publish serve: this save has errors; the page shows the last good build.";
    const list = document.createElement("pre");
    list.style.cssText = "all:initial;display:block;margin:0;white-space:pre-wrap;" +
      "font:inherit;color:inherit";
    list.textContent = lines.join("\n");
    box.append(title, list);
    document.body.append(box);
  }
  // The article's PDF and EPUB, built when asked for: a small bar in the corner, part of the
  // preview like this script (the built page itself links neither).
  const BAR = "publish-serve-formats";
  function formats() {
    if (!slug || document.getElementById(BAR)) return;
    const bar = document.createElement("nav");
    bar.id = BAR;
    bar.setAttribute("aria-label", "This article's other formats (preview)");
    bar.style.cssText = "all:initial;position:fixed;top:.5em;right:.5em;z-index:2147483646;" +
      "padding:.3em .5em;background:#1f2937;color:#f9fafb;border-radius:4px;" +
      "font:13px/1.4 system-ui,sans-serif";
    for (const [label, ext] of [["PDF", "pdf"], ["EPUB", "epub"]]) {
      const link = document.createElement("a");
      link.href = "/" + slug + "/" + slug + "." + ext;
      link.textContent = label;
      link.style.cssText = "all:initial;margin:0 .35em;color:#bfdbfe;text-decoration:underline;" +
        "cursor:pointer;font:inherit";
      bar.append(link);
    }
    document.body.append(bar);
  }
  formats();
  function reload() {
    sessionStorage.setItem(key, JSON.stringify([scrollX, scrollY]));
    events.close();
    location.reload();
  }
  // A change of the text: the new page's body, and the elements of its head that changed, put
  // in place of the old, without a navigation: quicker than a reload, and the scroll position stays. A change
  // of the theme or of an image reloads the page (the browser must fetch them again).
  async function swap() {
    try {
      const response = await fetch(location.href, {cache: "no-store"});
      if (!response.ok) throw new Error(String(response.status));
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const script of fresh.querySelectorAll("script[data-publish-serve]")) script.remove();
      const [x, y] = [scrollX, scrollY];
      const [before, after] = [document.head.children, fresh.head.children];
      if (before.length !== after.length) throw new Error("the head changed its shape");
      // Only the elements that differ (the title, the description): the stylesheet's <link>
      // stays, so it is not fetched again and nothing flashes unstyled.
      [...after].forEach((element, i) => {
        if (!element.isEqualNode(before[i])) before[i].replaceWith(document.adoptNode(element));
      });
      document.body.replaceWith(document.adoptNode(fresh.body));
      formats();
      window.scrollTo(x, y);
      window.__publishServeSwaps = (window.__publishServeSwaps || 0) + 1;
    } catch (error) {
      reload();
    }
  }
  const events = new EventSource("/__publish__/events");
  events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.slug !== "*" && event.slug !== slug) return;
    if (event.kind === "reload") {
      if (event.full) reload(); else swap();
    } else if (event.kind === "errors") {
      show(event.lines);
    } else if (event.kind === "clear") {
      hide();
    }
  };
  events.onopen = () => { window.__publishServeOpen = true; };
  addEventListener("pagehide", () => events.close());
})();
