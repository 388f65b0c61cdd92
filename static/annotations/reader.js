/* The article reader: turn a text selection into a claim, pick layered claims, keyboard
 * shortcuts. No inline script anywhere (the CSP forbids it); everything is wired here by
 * event delegation, so it keeps working after htmx swaps parts of the page.
 *
 * Offsets sent to the server count Unicode code points. The DOM counts UTF-16 units, so every
 * highlight segment carries data-s (its code-point start) and only the text inside one segment
 * is ever measured: whatever the DOM structure, start = data-s + code points before the caret.
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  let pending = null; // the selection the "Add claim" control refers to
  let current = null; // the claim id chosen with j/k or a click
  let scheduled = false;

  function codePoints(text) {
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      // A low surrogate right after a high one completes a pair already counted.
      if (unit >= 0xdc00 && unit <= 0xdfff && i > 0) {
        const before = text.charCodeAt(i - 1);
        if (before >= 0xd800 && before <= 0xdbff) continue;
      }
      count++;
    }
    return count;
  }

  /** Code-point offset in the article body of a DOM boundary point (node, offset). */
  function bodyOffset(root, node, offset) {
    let anchor = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    while (anchor && anchor !== root && !anchor.hasAttribute("data-s")) {
      anchor = anchor.parentElement;
    }
    const base = anchor && anchor !== root ? Number(anchor.getAttribute("data-s")) : 0;
    const range = document.createRange();
    range.setStart(anchor || root, 0);
    range.setEnd(node, offset);
    return base + codePoints(range.toString());
  }

  function selectionInBody() {
    const root = $("article-body");
    const selection = window.getSelection();
    if (!root || !selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) return null;
    const quote = range.toString();
    if (!quote.trim()) return null;
    const start = bodyOffset(root, range.startContainer, range.startOffset);
    const end = bodyOffset(root, range.endContainer, range.endOffset);
    if (end <= start) return null;
    return { start: start, end: end, quote: quote, rect: range.getBoundingClientRect() };
  }

  function place(element, rect) {
    // Setting CSSOM properties from script is allowed by the CSP (style attributes are not).
    element.style.top = Math.round(rect.bottom + window.scrollY + 6) + "px";
    element.style.left = Math.round(rect.left + window.scrollX) + "px";
  }

  function updateSelectionAction() {
    const action = $("selection-action");
    if (!action) return;
    const selected = selectionInBody();
    if (selected) {
      pending = selected;
      place(action, selected.rect);
      action.hidden = false;
    } else if (!action.contains(document.activeElement)) {
      action.hidden = true;
    }
  }

  function addClaim() {
    const selected = selectionInBody() || pending;
    const template = $("new-claim-template");
    const panel = $("claim-panel");
    if (!selected || !template || !panel) return false;
    const fresh = template.content.firstElementChild.cloneNode(true);
    fresh.querySelector("[name=start]").value = selected.start;
    fresh.querySelector("[name=end]").value = selected.end;
    fresh.querySelector("[name=quote]").value = selected.quote;
    fresh.querySelector("[data-role=quote]").textContent = selected.quote.trim();
    panel.replaceWith(fresh);
    window.htmx.process(fresh);
    $("selection-action").hidden = true;
    pending = null;
    const field = fresh.querySelector("textarea");
    if (field) field.focus();
    return true;
  }

  // Claim list rows are links <a id="claim-item-<id>" class="claim-item …">statement</a>.
  function claimLink(id) {
    return $("claim-item-" + id);
  }

  function rowId(row) {
    return row.id.slice("claim-item-".length);
  }

  function setCurrent(id, scroll) {
    document.querySelectorAll(".current").forEach((el) => el.classList.remove("current"));
    current = id;
    if (!id) return;
    const marks = document.querySelectorAll('#article-body mark[data-claims~="' + id + '"]');
    marks.forEach((mark) => mark.classList.add("current"));
    const item = $("claim-item-" + id);
    if (item) item.classList.add("current");
    if (scroll) {
      if (marks.length) marks[0].scrollIntoView({ block: "center", behavior: "smooth" });
      if (item) item.scrollIntoView({ block: "nearest" });
    }
  }

  function openClaim(id) {
    const link = claimLink(id);
    hideChooser();
    if (!link) return;
    setCurrent(id, false);
    window.htmx.ajax("GET", link.getAttribute("href"), {
      target: "#claim-panel",
      swap: "outerHTML",
    });
  }

  function move(step) {
    const items = Array.from(document.querySelectorAll("#claim-list .claim-item"));
    if (!items.length) return;
    const ids = items.map(rowId);
    let index = ids.indexOf(current);
    index = index === -1 ? (step > 0 ? 0 : ids.length - 1) : index + step;
    index = Math.max(0, Math.min(ids.length - 1, index));
    setCurrent(ids[index], true);
  }

  function hideChooser() {
    const chooser = $("claim-chooser");
    if (chooser) chooser.hidden = true;
  }

  function showChooser(mark, ids) {
    const chooser = $("claim-chooser");
    chooser.replaceChildren();
    const title = document.createElement("p");
    title.className = "chooser-title";
    title.textContent = ids.length + " claims here — which one?";
    chooser.appendChild(title);
    ids.forEach((id) => {
      const item = $("claim-item-" + id);
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "menuitem");
      button.setAttribute("data-action", "choose");
      button.setAttribute("data-claim-id", id);
      const swatch = document.createElement("span");
      // The row's colour class (verdict-<id> or state-<x>) colours the swatch.
      const colour = item && Array.from(item.classList).find((name) => /^(verdict|state)-/.test(name));
      swatch.className = "swatch" + (colour ? " " + colour : "");
      button.appendChild(swatch);
      button.appendChild(document.createTextNode(item ? item.textContent : "Claim " + id));
      chooser.appendChild(button);
    });
    place(chooser, mark.getBoundingClientRect());
    chooser.hidden = false;
    chooser.querySelector("button").focus();
  }

  function closePanel() {
    const panel = $("claim-panel");
    if (!panel) return;
    const placeholder = document.createElement("p");
    placeholder.className = "muted placeholder";
    placeholder.textContent =
      "Select words in the article to add a claim, or pick a claim from the list.";
    panel.className = "panel panel-empty";
    panel.removeAttribute("data-claim-id");
    panel.replaceChildren(placeholder);
  }

  function toggleHelp(show) {
    const help = $("shortcut-help");
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
    if (!help.hidden) help.querySelector("button").focus();
  }

  document.addEventListener("selectionchange", () => {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(() => {
      scheduled = false;
      updateSelectionAction();
    });
  });

  // Keep the text selected while the "Add claim" button is pressed.
  document.addEventListener("mousedown", (event) => {
    if (event.target.closest("#selection-action")) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const action = event.target.closest("[data-action]");
    if (action) {
      const name = action.getAttribute("data-action");
      if (name === "add-claim") addClaim();
      else if (name === "close-panel") closePanel();
      else if (name === "close-help") toggleHelp(false);
      else if (name === "choose") openClaim(action.getAttribute("data-claim-id"));
      return;
    }
    // Claim list links: one listener here instead of htmx attributes on every item (a long
    // article lists a thousand); a modified click still opens the link as a page.
    const link = event.target.closest("#claim-list a.claim-item[href]");
    if (link) {
      if (event.button !== 0 || event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      event.preventDefault();
      openClaim(rowId(link));
      return;
    }
    const mark = event.target.closest("#article-body mark[data-claims]");
    if (mark) {
      if (!window.getSelection().isCollapsed) return; // the end of a drag, not a click
      const ids = mark.getAttribute("data-claims").split(" ");
      if (ids.length === 1) openClaim(ids[0]);
      else showChooser(mark, ids);
      return;
    }
    if (!event.target.closest("#claim-chooser")) hideChooser();
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    switch (event.key) {
      case "a":
        if (addClaim()) event.preventDefault();
        break;
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "Enter":
        if (current && !target.closest("a, button, summary")) {
          event.preventDefault();
          openClaim(current);
        }
        break;
      case "Escape":
        if (!$("shortcut-help").hidden) toggleHelp(false);
        else if (!$("claim-chooser").hidden) hideChooser();
        else closePanel();
        break;
      case "?":
        toggleHelp();
        break;
      default:
        return;
    }
  });

  document.addEventListener("htmx:afterSettle", () => {
    // The body may have been re-rendered: mark the open claim again.
    const panel = $("claim-panel");
    const id = panel && panel.getAttribute("data-claim-id");
    if (id) {
      const selection = window.getSelection();
      if (selection && !selection.isCollapsed && !selectionInBody()) selection.removeAllRanges();
      setCurrent(id, false);
    } else if (current) {
      setCurrent(current, false);
    }
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.target.closest && event.target.closest(".panel-new")) {
      window.getSelection().removeAllRanges();
    }
  });
})();
