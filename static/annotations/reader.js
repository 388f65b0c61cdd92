/* The article reader: turn a text selection into a claim, pick layered claims, keyboard
 * shortcuts. No inline script anywhere (the CSP forbids it); everything is wired here by
 * event delegation, so it keeps working after htmx swaps parts of the page.
 *
 * Offsets sent to the server count Unicode code points. The DOM counts UTF-16 units, so every
 * highlight segment carries data-s (its code-point start) and only the text inside one segment
 * is ever measured: whatever the DOM structure, start = data-s + code points before the caret.
 *
 * The headline, the standfirst and the body are each a selection root ([data-part]); offsets
 * count from the start of the root's own text, and a selection must stay within one root.
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  let pending = null; // the selection the "Add claim" control refers to
  let current = null; // the claim id chosen with j/k or a click
  let scheduled = false;
  let caretMode = false; // "Select with keyboard": the body has a caret, its text stays read-only
  let dragging = false; // the mouse button is down in the article: a selection is being drawn
  let savingFrom = null; // the panel form whose save is on its way (focus follows its answer)

  // htmx arrives after the article's first frame (see the end of this file). Until it has,
  // whatever needs it waits; should it fail to load, links and forms work as plain HTML.
  let htmxSettled; // called with htmx, or with null when it could not be loaded
  let htmxPending = !window.htmx;
  const htmxReady = htmxPending
    ? new Promise((resolve) => {
        htmxSettled = (htmx) => {
          htmxPending = false;
          resolve(htmx);
        };
      })
    : Promise.resolve(window.htmx);
  function withHtmx(action, withoutHtmx) {
    htmxReady.then((htmx) => (htmx ? action(htmx) : withoutHtmx && withoutHtmx()));
  }

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

  /** Code-point offset in its part's text (root) of a DOM boundary point (node, offset). */
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

  /** The part of the article (headline, standfirst, body) a DOM node lies in. */
  function partRoot(node) {
    const element = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    return element ? element.closest(".reader [data-part]") : null;
  }

  function selectionInBody() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    const root = partRoot(range.startContainer);
    if (!root || !root.contains(range.endContainer)) return null;
    const quote = range.toString();
    if (!quote.trim()) return null;
    const start = bodyOffset(root, range.startContainer, range.startOffset);
    const end = bodyOffset(root, range.endContainer, range.endOffset);
    if (end <= start) return null;
    return {
      part: root.getAttribute("data-part"),
      start: start,
      end: end,
      quote: quote,
      range: range,
      rect: range.getBoundingClientRect(),
    };
  }

  function place(element, rect) {
    // Setting CSSOM properties from script is allowed by the CSP (style attributes are not).
    element.style.top = Math.round(rect.bottom + window.scrollY + 6) + "px";
    element.style.left = Math.round(rect.left + window.scrollX) + "px";
  }

  /** Put the "Add claim" control beside the selection without covering any line of it: under
   * its last line, or over its first when the window has no room below; within the window's
   * width. (It is shown only once the mouse button is up: while a selection is drawn, the
   * control would sit on the very line the pointer is heading for.) */
  function placeAction(action, selected) {
    action.hidden = false; // to be measured
    const box = action.getBoundingClientRect();
    const lines = Array.from(selected.range.getClientRects()).filter((r) => r.width && r.height);
    const rect = selected.rect;
    const gap = 6;
    let top = rect.bottom + gap;
    let line = lines[lines.length - 1] || rect;
    if (top + box.height > window.innerHeight && rect.top - gap - box.height >= 0) {
      top = rect.top - gap - box.height;
      line = lines[0] || rect;
    }
    const width = document.documentElement.clientWidth;
    const left = Math.max(4, Math.min(line.left, width - box.width - 4));
    // Setting CSSOM properties from script is allowed by the CSP (style attributes are not).
    action.style.top = Math.round(top + window.scrollY) + "px";
    action.style.left = Math.round(left + window.scrollX) + "px";
  }

  /** One "Add" button at a time: while words are selected, the selection's (a adds them); the
   * current suggestion's, which it hides, comes back once the selection is gone. */
  let suggestionYielded = false; // the suggestion's button was hidden for a selection

  function updateSelectionAction() {
    const action = $("selection-action");
    if (!action) return;
    const selected = dragging ? null : selectionInBody();
    if (selected) {
      pending = selected;
      const offered = $("suggestion-action");
      if (offered && !offered.hidden) {
        offered.hidden = true;
        suggestionYielded = true;
      }
      placeAction(action, selected);
    } else if (dragging || !action.contains(document.activeElement)) {
      action.hidden = true;
      if (suggestionYielded && !dragging) {
        suggestionYielded = false;
        if (suggestionIndex >= 0 && !suggestionsHidden()) showSuggestion(false);
      }
    }
  }

  // --- Unsaved work in the panel ------------------------------------------------------------
  // Whatever would replace the panel (another claim, Esc, a new selection, an htmx request
  // aimed at it, leaving the page) first asks before dropping what was typed in it. A field
  // holds typed work when it differs from what the server drew; a form the server sent back
  // refused (the typed text kept, an error shown) holds it too, until it is saved.
  const DISCARD_QUESTION = "Discard what you typed in this claim?";
  const refusedForms = new WeakSet(); // forms sent back refused: the text in them was typed
  const REFUSAL = "[aria-invalid=true], .alert.error, .errorlist";
  const discardedPanels = new WeakSet(); // panels whose typed text the reviewer chose to drop
  const TYPING_IGNORED = new Set(["hidden", "submit", "button", "reset", "image", "file"]);

  function fieldChanged(field) {
    if (field.tagName === "SELECT") {
      const options = Array.from(field.options);
      if (field.multiple) return options.some((option) => option.selected !== option.defaultSelected);
      const drawn = options.findIndex((option) => option.defaultSelected);
      return field.selectedIndex !== (drawn === -1 ? 0 : drawn);
    }
    if (field.tagName === "INPUT" && TYPING_IGNORED.has(field.type)) return false;
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    return field.value !== field.defaultValue;
  }

  /** The panel holds typed work outside ``except`` (the form being saved, if any). */
  function holdsTypedWork(panel, except) {
    if (!panel || discardedPanels.has(panel)) return false;
    const fields = Array.from(panel.querySelectorAll("form textarea, form input, form select"));
    const outside = fields.filter((field) => !(except && except.contains(field)));
    const typedBefore = (field) =>
      refusedForms.has(field.form) && !TYPING_IGNORED.has(field.type) && field.value.trim() !== "";
    return outside.some((field) => fieldChanged(field) || typedBefore(field));
  }

  /** True when the panel may be replaced: nothing typed in it, or the reviewer said discard. */
  function mayDropPanel(except) {
    const panel = $("claim-panel");
    if (!holdsTypedWork(panel, except)) return true;
    if (!window.confirm(DISCARD_QUESTION)) return false;
    discardedPanels.add(panel);
    return true;
  }

  /** After a refused save: the form sent (drawn anew with the same action) and any form
   * showing an error hold typed text. Live updates then leave the panel as it is (live.js). */
  function markRefused(panel, sent) {
    const refused = Array.from(panel.querySelectorAll(REFUSAL));
    if (!refused.length) return;
    const action = sent && sent.getAttribute("action");
    const forms = refused.map((marker) => marker.closest("form"));
    panel.querySelectorAll("form").forEach((form) => {
      if (forms.includes(form) || (action && form.getAttribute("action") === action)) {
        refusedForms.add(form);
        panel.dataset.liveDirty = "1";
      }
    });
  }

  /** What the script wrote into a form counts as drawn, not typed. */
  function takeAsDrawn(form) {
    form.querySelectorAll("textarea, input").forEach((field) => {
      if (field.type === "checkbox" || field.type === "radio") field.defaultChecked = field.checked;
      else if (!TYPING_IGNORED.has(field.type)) field.defaultValue = field.value;
    });
    form.querySelectorAll("select option").forEach((option) => {
      option.defaultSelected = option.selected;
    });
  }

  function addClaim() {
    const selected = selectionInBody() || pending;
    const template = $("new-claim-template");
    const panel = $("claim-panel");
    if (!selected || !template || !panel) return false;
    if (!mayDropPanel(null)) return false;
    const fresh = template.content.firstElementChild.cloneNode(true);
    fresh.querySelector("[name=part]").value = selected.part;
    fresh.querySelector("[name=start]").value = selected.start;
    fresh.querySelector("[name=end]").value = selected.end;
    fresh.querySelector("[name=quote]").value = selected.quote;
    fresh.querySelector("[data-role=quote]").textContent = selected.quote.trim();
    if (caretMode) exitCaretMode();
    panel.replaceWith(fresh);
    withHtmx((htmx) => htmx.process(fresh));
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
    const marks = document.querySelectorAll('[data-part] mark[data-claims~="' + id + '"]');
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
    if (!link || !mayDropPanel(null)) return;
    setCurrent(id, false);
    withHtmx(
      (htmx) =>
        htmx
          .ajax("GET", link.getAttribute("href"), { target: "#claim-panel", swap: "outerHTML" })
          .then(() => {
            const panel = $("claim-panel");
            if (panel && panel.getAttribute("data-claim-id") === String(id)) showPanel(panel);
          }),
      () => window.location.assign(link.href),
    );
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
    if (!panel || !mayDropPanel(null)) return;
    discardedPanels.delete(panel);
    const placeholder = document.createElement("p");
    placeholder.className = "muted placeholder";
    placeholder.textContent =
      "Select words in the article to add a claim, or pick a claim from the list.";
    panel.className = "panel panel-empty";
    panel.removeAttribute("data-claim-id");
    panel.replaceChildren(placeholder);
  }

  // --- A panel out of sight ----------------------------------------------------------------
  // Where the panel sits below the article (a phone, a narrow window), a claim opened from the
  // text would load out of sight: bring it into view with focus on its heading; its "Back to
  // the text" link returns to the claim's words. Beside the article, nothing moves.
  function panelBelowText(panel) {
    const text = document.querySelector(".reader");
    return Boolean(text) && panel.getBoundingClientRect().left < text.getBoundingClientRect().right;
  }

  function showPanel(panel) {
    if (!panelBelowText(panel)) return;
    const box = panel.getBoundingClientRect();
    const inView = box.top >= 0 && box.top < window.innerHeight * 0.6;
    const heading = panel.querySelector("h2");
    if (!inView) panel.scrollIntoView({ block: "start" });
    if (heading && !panel.contains(document.activeElement)) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }

  function backToText(link) {
    const panel = link.closest("#claim-panel");
    const id = panel && panel.getAttribute("data-claim-id");
    const mark = id && document.querySelector('[data-part] mark[data-claims~="' + id + '"]');
    if (!mark) return false;
    mark.tabIndex = -1;
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
    mark.addEventListener("blur", () => mark.removeAttribute("tabindex"), { once: true });
    return true;
  }

  function toggleHelp(show) {
    const help = $("shortcut-help");
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
    if (!help.hidden) help.querySelector("button").focus();
  }

  // --- Check-worthy suggestions ------------------------------------------------------------
  // The server sends the unreviewed suggestions as JSON (#suggestion-data); they are drawn as
  // CSS custom highlights (a dotted underline), which leave the article's DOM untouched: the
  // selection offsets and the server's paragraph redraws work as before. n/N move between
  // them, a adds the current one as a claim (prefilled), x dismisses it. Hiding them is
  // remembered in this browser.
  const HIDE_KEY = "factcheck.suggestions.hidden";
  let suggestions = [];
  let suggestionIndex = -1;
  const highlights = window.CSS && CSS.highlights && window.Highlight ? CSS.highlights : null;

  function suggestionsHidden() {
    try {
      return window.localStorage.getItem(HIDE_KEY) === "1";
    } catch (error) {
      return false;
    }
  }

  /** The DOM point (text node, offset) at code-point ``offset`` of a part's text (root);
   * ``isEnd`` picks the end of a segment over the start of the next one. */
  function domPoint(root, offset, isEnd) {
    const leaves = root.querySelectorAll("[data-s]:not(p)");
    let low = 0;
    let high = leaves.length - 1;
    let leaf = null;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const start = Number(leaves[mid].getAttribute("data-s"));
      if (start < offset || (!isEnd && start === offset)) {
        leaf = leaves[mid];
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (!leaf) return null;
    let left = offset - Number(leaf.getAttribute("data-s"));
    const walker = document.createTreeWalker(leaf, NodeFilter.SHOW_TEXT);
    let node = walker.nextNode();
    let last = null;
    while (node) {
      const text = node.data;
      let units = 0;
      while (units < text.length && left > 0) {
        const unit = text.charCodeAt(units);
        units += unit >= 0xd800 && unit <= 0xdbff && units + 1 < text.length ? 2 : 1;
        left -= 1;
      }
      if (left === 0) return { node: node, offset: units };
      last = node;
      node = walker.nextNode();
    }
    return last ? { node: last, offset: last.data.length } : null;
  }

  function suggestionRange(suggestion) {
    const root = document.querySelector('.reader [data-part="' + suggestion.part + '"]');
    if (!root) return null;
    const start = domPoint(root, suggestion.start, false);
    const end = domPoint(root, suggestion.end, true);
    if (!start || !end) return null;
    const range = document.createRange();
    range.setStart(start.node, start.offset);
    range.setEnd(end.node, end.offset);
    return range;
  }

  function drawSuggestions() {
    if (!highlights) return;
    highlights.delete("suggestion");
    highlights.delete("suggestion-current");
    if (suggestionsHidden()) return;
    const ranges = suggestions.map(suggestionRange).filter(Boolean);
    highlights.set("suggestion", new Highlight(...ranges));
    const chosen = suggestions[suggestionIndex];
    const range = chosen && suggestionRange(chosen);
    if (range) highlights.set("suggestion-current", new Highlight(range));
  }

  function hideSuggestionAction() {
    suggestionYielded = false;
    const action = $("suggestion-action");
    if (action) action.hidden = true;
  }

  function showSuggestion(scroll) {
    const chosen = suggestions[suggestionIndex];
    const action = $("suggestion-action");
    drawSuggestions();
    if (!chosen || !action) return hideSuggestionAction();
    const range = suggestionRange(chosen);
    if (!range) return hideSuggestionAction();
    action.querySelector("[data-role=why]").textContent = "Suggested: it " + chosen.why + ".";
    action.querySelector("[data-role=dismiss-suggestion]").setAttribute("action", chosen.dismiss_url);
    // Published fact-checks of the sentence, asked for once it is shown (not for every one);
    // an answer arriving after another sentence was shown is dropped.
    const checks = $("suggestion-checks");
    const wanted = String(chosen.id);
    if (checks && checks.dataset.for !== wanted) {
      checks.replaceChildren();
      checks.dataset.for = wanted;
      fetch(chosen.checks_url, {
        headers: { "HX-Request": "true", "HX-Target": "suggestion-checks" },
        credentials: "same-origin",
      })
        .then((response) => (response.ok ? response.text() : ""))
        .then((html) => {
          if (!html || checks.dataset.for !== wanted) return;
          const page = new DOMParser().parseFromString(html, "text/html");
          const fresh = page.getElementById("suggestion-checks");
          if (fresh) checks.replaceChildren(...fresh.childNodes);
        })
        .catch(() => {});
    }
    if (scroll) {
      const rect = range.getBoundingClientRect();
      window.scrollBy({ top: rect.top - window.innerHeight / 3, behavior: "instant" });
    }
    placeAction(action, { range: range, rect: range.getBoundingClientRect() });
  }

  let suggestionData = null; // the JSON element read last

  function readSuggestions() {
    const data = (suggestionData = $("suggestion-data"));
    const previous = suggestions[suggestionIndex];
    try {
      suggestions = data ? JSON.parse(data.textContent) || [] : [];
    } catch (error) {
      suggestions = [];
    }
    // Keep the place: the next suggestion after the one dismissed (in reading order).
    if (previous) {
      const order = ["headline", "standfirst", "body"];
      const rank = (s) => [order.indexOf(s.part), s.start];
      const after = (a, b) => a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);
      suggestionIndex = suggestions.findIndex((s) => after(rank(s), rank(previous)));
    }
    if (suggestionIndex >= suggestions.length) suggestionIndex = -1;
    const toggle = document.querySelector("[data-action=toggle-suggestions]");
    if (toggle) {
      const hidden = suggestionsHidden();
      toggle.setAttribute("aria-pressed", hidden ? "true" : "false");
      toggle.textContent = hidden ? "Show suggestions" : "Hide suggestions";
    }
    if (suggestionIndex >= 0 && !suggestionsHidden()) showSuggestion(false);
    else {
      hideSuggestionAction();
      drawSuggestions();
    }
  }

  function moveSuggestion(step) {
    if (!suggestions.length || suggestionsHidden()) return false;
    if (selectionInBody()) {
      // Moving on to a suggestion leaves the words selected before (one "Add" button shows).
      window.getSelection().removeAllRanges();
      $("selection-action").hidden = true;
      pending = null;
    }
    if (suggestionIndex === -1) suggestionIndex = step > 0 ? 0 : suggestions.length - 1;
    else suggestionIndex = Math.max(0, Math.min(suggestions.length - 1, suggestionIndex + step));
    showSuggestion(true);
    return true;
  }

  function toggleSuggestions() {
    try {
      window.localStorage.setItem(HIDE_KEY, suggestionsHidden() ? "0" : "1");
    } catch (error) {
      return;
    }
    if (suggestionsHidden()) suggestionIndex = -1;
    readSuggestions();
  }

  /** A claim saved over a suggestion reviews it (as the server counts it): drop the ones a
   * highlight now covers, whether the claim came from the suggestion or from a selection. */
  function dropCoveredSuggestions() {
    const marks = Array.from(document.querySelectorAll(".reader [data-part] mark[data-claims]"));
    const left = suggestions.filter((s) => {
      const range = suggestionRange(s);
      return !range || !marks.some((mark) => range.intersectsNode(mark));
    });
    if (left.length === suggestions.length) return drawSuggestions();
    suggestions = left;
    suggestionIndex = -1;
    const count = $("suggestion-count");
    if (count) count.textContent = String(suggestions.length);
    hideSuggestionAction();
    drawSuggestions();
  }

  /** Open the new-claim form on the current suggestion: its claim-bearing clause as the
   * quote, the statement, claimant and category worked out by the server. */
  function acceptSuggestion() {
    const chosen = !suggestionsHidden() && suggestions[suggestionIndex];
    if (!chosen) return false;
    window.getSelection().removeAllRanges();
    pending = {
      part: chosen.part,
      start: chosen.quote_start,
      end: chosen.quote_end,
      quote: chosen.quote,
    };
    if (!addClaim()) return false;
    const panel = $("claim-panel");
    const fill = (name, value) => {
      const field = panel.querySelector("[name=" + name + "]");
      if (field && value) field.value = value;
      return field;
    };
    fill("statement", chosen.statement);
    fill("claimant", chosen.claimant);
    const category = fill("category", chosen.category);
    panel.querySelectorAll("form").forEach(takeAsDrawn);
    // The reader's own guess from the words must not override the suggestion's category.
    if (category) category.setAttribute("data-chosen", "");
    hideSuggestionAction();
    return true;
  }

  function dismissSuggestion(form) {
    const chosen = suggestions[suggestionIndex];
    if (!chosen) return;
    form.setAttribute("action", chosen.dismiss_url);
    withHtmx(
      (htmx) =>
        htmx.ajax("POST", chosen.dismiss_url, {
          source: form,
          target: "#suggestions",
          swap: "outerHTML",
        }),
      () => form.submit(),
    );
  }

  // --- Selecting with the keyboard --------------------------------------------------------
  // Browsers show no caret in ordinary text (caret browsing is off by default). The mode makes
  // each part of the article (headline, standfirst, body) an editing host — which gives a caret
  // that arrows move and Shift+arrows extend, and Tab goes from part to part — and refuses every
  // edit: beforeinput, paste, cut, drop, drag and IME composition are stopped, and a
  // MutationObserver puts back anything that slips through. Parts the server redraws (htmx
  // out-of-band swaps) are let through and the guard re-armed on them.
  const GUARD_OPTIONS = { childList: true, subtree: true, characterData: true };
  const CARET_KEYS = new Set([
    "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown",
    "Tab", "Shift", "Control", "Alt", "Meta", "CapsLock",
  ]);
  const SHORTCUTS_IN_CARET_MODE = new Set(["a", "j", "k", "v", "?"]);
  const PART_LABELS = { headline: "Headline", standfirst: "Standfirst", body: "Article text" };
  let guard = null; // MutationObserver on the armed parts
  const snapshots = new Map(); // each armed part → its children when armed, to put back
  let suspended = false; // editing briefly off to end an IME composition

  function caretRoots() {
    return Array.from(document.querySelectorAll(".reader [data-part]"));
  }

  /** The armed part a node lies in, if any. */
  function armedRoot(node) {
    const root = partRoot(node);
    return caretMode && root && root.isContentEditable ? root : null;
  }

  function observeArmed() {
    snapshots.forEach((_, root) => guard.observe(root, GUARD_OPTIONS));
  }

  function firstTextIn(element) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) =>
        node.data.trim() && node.parentNode !== element.closest("#article-body")
          ? NodeFilter.FILTER_ACCEPT
          : NodeFilter.FILTER_SKIP,
    });
    return walker.nextNode();
  }

  /** The caret starts at the current claim's first highlight, else at the article's start. */
  function placeCaret(root) {
    const mark = current && root.querySelector('mark[data-claims~="' + current + '"]');
    const text = firstTextIn(mark || root);
    if (!text) return;
    window.getSelection().collapse(text, 0);
    text.parentElement.scrollIntoView({ block: "nearest" });
  }

  function restoreParts(records) {
    // Something changed the text despite the guards: put the armed parts back as they were.
    if (!caretMode) return;
    const changed = new Set(records.map((record) => partRoot(record.target)));
    guard.disconnect();
    changed.forEach((root) => {
      const snapshot = root && snapshots.get(root);
      if (snapshot) root.replaceChildren(...snapshot.map((node) => node.cloneNode(true)));
    });
    observeArmed();
    if (current) setCurrent(current, false);
    const focused = partRoot(document.activeElement);
    if (focused && changed.has(focused)) placeCaret(focused);
  }

  function arm(root) {
    root.contentEditable = "true";
    root.spellcheck = false;
    root.setAttribute("autocorrect", "off");
    root.setAttribute("autocapitalize", "off");
    root.setAttribute("role", "textbox");
    root.setAttribute("aria-multiline", "true");
    root.setAttribute("aria-readonly", "true");
    const label = PART_LABELS[root.getAttribute("data-part")] || PART_LABELS.body;
    root.setAttribute(
      "aria-label",
      label + " (read-only): arrows move, Shift+arrows select, Tab goes to the next part",
    );
    root.classList.add("caret-mode");
    snapshots.forEach((_, armedBefore) => {
      if (!armedBefore.isConnected) snapshots.delete(armedBefore); // swapped out by htmx
    });
    snapshots.set(root, Array.from(root.childNodes, (node) => node.cloneNode(true)));
    if (!guard) guard = new MutationObserver(restoreParts);
    guard.observe(root, GUARD_OPTIONS);
  }

  function disarm(root) {
    snapshots.delete(root);
    root.removeAttribute("contenteditable");
    ["spellcheck", "autocorrect", "autocapitalize", "role", "aria-multiline", "aria-readonly",
      "aria-label"].forEach((name) => root.removeAttribute(name));
    root.classList.remove("caret-mode");
  }

  function showCaretMode() {
    document.querySelectorAll("[data-action=caret-mode]").forEach((button) => {
      button.setAttribute("aria-pressed", String(caretMode));
    });
  }

  function enterCaretMode() {
    const body = $("article-body");
    if (!body) return;
    caretMode = true;
    caretRoots().forEach(arm);
    // The caret goes where a selection already is, else to the current claim's part, else to
    // the body.
    const selection = window.getSelection();
    const holding = selection.rangeCount ? armedRoot(selection.getRangeAt(0).startContainer) : null;
    const mark = current && document.querySelector('.reader [data-part] mark[data-claims~="' + current + '"]');
    const root = holding || (mark && partRoot(mark)) || body;
    root.focus({ preventScroll: true });
    if (!holding || selection.isCollapsed) placeCaret(root); // keep a selection made already
    showCaretMode();
  }

  function exitCaretMode() {
    caretMode = false;
    if (guard) guard.disconnect();
    caretRoots().forEach(disarm); // the selection stays, for "Add claim"
    snapshots.clear();
    showCaretMode();
  }

  function toggleCaretMode() {
    if (caretMode) exitCaretMode();
    else enterCaretMode();
  }

  /** Keys on the armed body: caret keys move or select, shortcuts run, anything else is
   * refused (it would type). Returns true when the key is dealt with here. */
  function caretModeKey(event) {
    const key = event.key;
    if (event.isComposing || key === "Process" || key === "Dead" || event.keyCode === 229) {
      event.preventDefault();
      return true;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) {
      // Copy and select-all read; paste, cut, undo, bold and the rest would edit.
      if (!CARET_KEYS.has(key) && !/^[ac]$/i.test(key)) event.preventDefault();
      return true;
    }
    if (key === "Tab") {
      // To the next (previous) part of the article, past the controls between them; from the
      // last (first) part, out of the article, which ends the mode.
      const roots = caretRoots();
      const next = roots[roots.indexOf(partRoot(event.target)) + (event.shiftKey ? -1 : 1)];
      if (next) {
        event.preventDefault();
        next.focus({ preventScroll: true });
        placeCaret(next);
      }
      return true;
    }
    if (CARET_KEYS.has(key)) return true;
    event.preventDefault();
    if (key === "Escape") {
      exitCaretMode();
      return true;
    }
    return !SHORTCUTS_IN_CARET_MODE.has(key);
  }

  ["beforeinput", "paste", "cut", "drop", "dragstart"].forEach((type) => {
    document.addEventListener(
      type,
      (event) => {
        if (armedRoot(event.target)) event.preventDefault();
      },
      true,
    );
  });

  // A composition (IME) cannot be cancelled: end it by making the text not editable for a
  // moment, then give the caret back.
  document.addEventListener(
    "compositionstart",
    (event) => {
      const root = armedRoot(event.target);
      if (!root) return;
      const selection = window.getSelection();
      const range = selection.rangeCount ? selection.getRangeAt(0).cloneRange() : null;
      suspended = true;
      root.contentEditable = "false";
      window.setTimeout(() => {
        suspended = false;
        if (!caretMode || !root.isConnected) return;
        root.contentEditable = "true";
        root.focus({ preventScroll: true });
        if (range && root.contains(range.startContainer)) {
          selection.removeAllRanges();
          selection.addRange(range);
        } else {
          placeCaret(root);
        }
      }, 0);
    },
    true,
  );

  // Leaving the article (Tab past the body, a click elsewhere, the claim form after "a") ends
  // the mode; Tab from one part to another keeps it.
  document.addEventListener("focusout", (event) => {
    const root = armedRoot(event.target);
    if (!root || event.target !== root) return;
    window.setTimeout(() => {
      if (suspended || !caretMode || !root.isConnected || !document.hasFocus()) return;
      if (!armedRoot(document.activeElement)) exitCaretMode();
    }, 0);
  });

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
    if (event.target.closest("#selection-action, [data-action=caret-mode]")) event.preventDefault();
    else if (event.button === 0 && event.target.closest("[data-part]")) dragging = true;
  });
  document.addEventListener("mouseup", () => {
    if (!dragging) return;
    dragging = false;
    updateSelectionAction();
  });

  // Re-attaching an orphaned claim sends the words selected in the article (a plain form
  // post: the page reloads with the claim in its new place).
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-reattach]");
    if (!form) return;
    const selected = selectionInBody() || pending;
    if (!selected) {
      event.preventDefault();
      let note = form.querySelector("[data-role=reattach-note]");
      if (!note) {
        note = document.createElement("p");
        note.className = "error";
        note.setAttribute("role", "alert");
        note.setAttribute("data-role", "reattach-note");
        form.appendChild(note);
      }
      note.textContent = "First select the words in the article that this claim is about.";
      return;
    }
    form.querySelector("[name=part]").value = selected.part;
    form.querySelector("[name=start]").value = selected.start;
    form.querySelector("[name=end]").value = selected.end;
    form.querySelector("[name=quote]").value = selected.quote;
  }, true);

  document.addEventListener("click", (event) => {
    const action = event.target.closest("[data-action]");
    if (action) {
      const name = action.getAttribute("data-action");
      if (name === "add-claim") addClaim();
      else if (name === "close-panel") closePanel();
      else if (name === "close-help") toggleHelp(false);
      else if (name === "choose") openClaim(action.getAttribute("data-claim-id"));
      else if (name === "caret-mode") toggleCaretMode();
      else if (name === "toggle-suggestions") toggleSuggestions();
      else if (name === "accept-suggestion") acceptSuggestion();
      else if (name === "back-to-text" && backToText(action)) event.preventDefault();
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
    const mark = event.target.closest("[data-part] mark[data-claims]");
    if (mark) {
      if (!window.getSelection().isCollapsed) return; // the end of a drag, not a click
      if (caretMode) return; // a click places the caret
      const ids = mark.getAttribute("data-claims").split(" ");
      if (ids.length === 1) openClaim(ids[0]);
      else showChooser(mark, ids);
      return;
    }
    if (!event.target.closest("#claim-chooser")) hideChooser();
  });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (armedRoot(target)) {
      if (caretModeKey(event)) return;
    } else {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target.closest && target.closest("input, textarea, select, [contenteditable]")) {
        if (event.key === "Escape") target.blur();
        return;
      }
    }
    switch (event.key) {
      case "a":
        if (selectionInBody() ? addClaim() : acceptSuggestion() || addClaim()) {
          event.preventDefault();
        }
        break;
      case "n":
        if (moveSuggestion(1)) event.preventDefault();
        break;
      case "N":
        if (moveSuggestion(-1)) event.preventDefault();
        break;
      case "x":
        if (suggestionIndex >= 0 && !$("suggestion-action").hidden) {
          event.preventDefault();
          dismissSuggestion($("suggestion-action").querySelector("[data-role=dismiss-suggestion]"));
        }
        break;
      case "v":
        event.preventDefault();
        toggleCaretMode();
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

  document.addEventListener("submit", (event) => {
    const form = event.target.closest && event.target.closest("[data-role=dismiss-suggestion]");
    if (!form) return;
    event.preventDefault();
    dismissSuggestion(form);
  });
  readSuggestions();

  // A long claim list waits for the article's first frame (reader.css, .claim-rows.pending):
  // the article and its highlights show first, the list is laid out right after.
  window.requestAnimationFrame(() =>
    window.setTimeout(() => {
      document.querySelectorAll(".claim-rows.pending").forEach((rows) => rows.classList.remove("pending"));
    }, 0),
  );

  // htmx's scripts wait in <template id="deferred-scripts"> until the first frame after the
  // page's load event: parsing htmx and its walk over every element would otherwise delay the
  // highlights. (htmx initialises at once only when the document is complete by then.)
  function runDeferredScripts() {
    const template = $("deferred-scripts");
    const originals = template ? Array.from(template.content.querySelectorAll("script[src]")) : [];
    if (!originals.length) {
      htmxSettled(window.htmx || null);
      return;
    }
    let waiting = originals.length;
    const settled = () => {
      waiting -= 1;
      if (!waiting) htmxSettled(window.htmx || null);
    };
    originals.forEach((original) => {
      const script = document.createElement("script");
      for (const { name, value } of original.attributes) script.setAttribute(name, value);
      script.async = false; // in the template's order
      script.addEventListener("load", settled);
      script.addEventListener("error", settled);
      document.head.append(script);
    });
    template.remove();
  }
  if (htmxPending) {
    const afterNextFrame = () =>
      window.requestAnimationFrame(() => window.setTimeout(runDeferredScripts, 0));
    if (document.readyState === "complete") afterNextFrame();
    else window.addEventListener("load", afterNextFrame, { once: true });

    // An htmx form or control used in the first instants waits for htmx, then goes through it
    // (or, if it failed to load, acts as plain HTML): a bare form post would leave the reader.
    const HTMX_CONTROLS = "[hx-get], [hx-post], [hx-put], [hx-patch], [hx-delete]";
    const holdUntilHtmx = (event) => {
      if (!htmxPending || !event.target.closest) return;
      const control = event.target.closest(HTMX_CONTROLS);
      if (!control || (event.type === "click" && control.tagName === "FORM")) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const submitter = event.submitter || null;
      htmxReady.then(() =>
        event.type === "submit" ? control.requestSubmit(submitter) : control.click(),
      );
    };
    document.addEventListener("submit", holdUntilHtmx, true);
    document.addEventListener("click", holdUntilHtmx, true);
  }

  // The server's redraw of paragraphs or of a whole part is no edit: the guard steps aside for
  // it, then watches the new text (a part swapped whole is armed again after it settles).
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    if (guard && event.detail.target && armedRoot(event.detail.target)) guard.disconnect();
  });
  document.addEventListener("htmx:oobAfterSwap", (event) => {
    if (!caretMode || !guard) return;
    const target = event.detail.target;
    const root = target && target.isConnected ? armedRoot(target) : null;
    if (root) arm(root);
    observeArmed();
  });

  // The number of claims this page shows: the server sends the whole claim list (and body)
  // instead of one row when the article has changed in other hands meanwhile.
  document.addEventListener("htmx:configRequest", (event) => {
    const count = $("claim-count");
    if (count) event.detail.headers["X-Claim-Count"] = count.textContent.trim();
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    // The suggestions after a dismissal.
    if ($("suggestion-data") !== suggestionData) readSuggestions();
    // The article's parts may have been drawn anew, with a new claim's highlight.
    dropCoveredSuggestions();
    // A part swapped in by htmx comes from the server without a caret: arm it again.
    const body = $("article-body");
    const swapped = caretMode ? caretRoots().filter((root) => !root.isContentEditable) : [];
    if (swapped.length) {
      const focusLost = !document.activeElement || document.activeElement === document.body;
      swapped.forEach(arm);
      if (focusLost) {
        const root = swapped.includes(body) ? body : swapped[0];
        root.focus({ preventScroll: true });
        placeCaret(root);
      }
    }
    // The body may have been re-rendered: mark the current claim again. A claim panel just
    // drawn makes its claim the current one; any other redraw (a part the panel loads after
    // it is drawn, a live update) keeps the claim the reader has since moved to with j/k.
    const panel = $("claim-panel");
    const id = panel && panel.getAttribute("data-claim-id");
    const panelDrawn = panel && event.target === panel;
    if (id && (panelDrawn || !current)) {
      const selection = window.getSelection();
      if (selection && !selection.isCollapsed && !selectionInBody()) selection.removeAllRanges();
      setCurrent(id, false);
    } else if (current) {
      setCurrent(current, false);
    }
  });

  // An htmx request that would replace the panel asks first; saving a form of the panel asks
  // only for what was typed in its other forms. (A control marked data-drops-typing says so.)
  document.addEventListener("htmx:beforeRequest", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== "claim-panel") return;
    const elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("[data-drops-typing]")) {
      discardedPanels.add(target);
      return;
    }
    const saving = elt && elt.tagName === "FORM" && target.contains(elt) ? elt : null;
    if (!mayDropPanel(saving)) event.preventDefault();
  });

  // Leaving the page asks too (the browser's own question). A form posted as a plain page
  // (without htmx) leaves with its own text: only the other forms' text counts then.
  let leavingBy = null;
  document.addEventListener("submit", (event) => {
    if (!event.defaultPrevented) leavingBy = event.target;
  });
  window.addEventListener("beforeunload", (event) => {
    if (!holdsTypedWork($("claim-panel"), leavingBy)) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers ask only when this is set
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.defaultPrevented) return;
    const elt = event.detail.elt;
    if (!elt || elt.tagName !== "FORM" || !elt.closest("#claim-panel")) return;
    savingFrom = elt;
    const section = elt.closest(".panel-section[aria-labelledby]");
    keptSection = section && KEPT_SECTIONS.has(section.getAttribute("aria-labelledby"))
      ? { heading: section.getAttribute("aria-labelledby"), top: section.getBoundingClientRect().top }
      : null;
    if (elt.closest(".panel-new")) window.getSelection().removeAllRanges();
  });

  // A citation added or removed keeps the sources section where it was on screen (the panel is
  // drawn anew, and focus going back to the claim's row would scroll the list into view): focus
  // goes to the section's heading instead, from where j/k/Enter still work.
  const KEPT_SECTIONS = new Set(["citations-title"]);
  let keptSection = null; // the section of the form being saved, and its place on screen

  function scrollerOf(element) {
    for (let box = element.parentElement; box; box = box.parentElement) {
      const overflow = window.getComputedStyle(box).overflowY;
      if ((overflow === "auto" || overflow === "scroll") && box.scrollHeight > box.clientHeight) {
        return box;
      }
    }
    return document.scrollingElement || document.documentElement;
  }

  function keepSection(panel, kept) {
    const heading = $(kept.heading);
    const section = heading && panel.contains(heading) && heading.closest(".panel-section");
    if (!section) return false;
    const id = panel.getAttribute("data-claim-id");
    if (id) setCurrent(id, false);
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
    scrollerOf(section).scrollTop += section.getBoundingClientRect().top - kept.top;
    const box = heading.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) heading.scrollIntoView({ block: "nearest" });
    return true;
  }

  // After a save in the panel a keyboard user keeps their place: the form they used is gone,
  // so focus goes to the claim (its row in the list, which j/k/Enter start from), or to what
  // needs fixing when the save was refused.
  function keepPlace(panel, sent) {
    const id = panel.getAttribute("data-claim-id");
    if (!panel.querySelector(".alert.success")) markRefused(panel, sent);
    const row = id && claimLink(id);
    const kept = keptSection;
    keptSection = null;
    if (row && panel.querySelector(".alert.success")) {
      if (kept && keepSection(panel, kept)) return;
      setCurrent(id, false);
      row.focus();
      return;
    }
    const active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return; // not lost
    const invalid = panel.querySelector("[aria-invalid=true]");
    const alert = panel.querySelector(".alert.error");
    if (invalid) {
      invalid.focus();
    } else if (alert) {
      alert.tabIndex = -1;
      alert.focus();
    } else if (row) {
      setCurrent(id, false);
      row.focus();
    }
  }

  document.addEventListener("htmx:afterSettle", (event) => {
    const config = event.detail.requestConfig;
    if (!savingFrom || !config || config.elt !== savingFrom) return;
    const sent = savingFrom;
    savingFrom = null;
    const panel = $("claim-panel");
    if (panel) keepPlace(panel, sent);
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt === savingFrom && event.detail.failed) savingFrom = null;
  });

  // The category the server suggests for the selected words never overrides a choice the
  // reviewer made (or is making) before the suggestion arrived.
  document.addEventListener("change", (event) => {
    if (event.target.closest && event.target.closest("#new-claim-category")) {
      event.target.setAttribute("data-chosen", "");
    }
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== "new-claim-category") return;
    if (target.querySelector("[data-chosen]") || target.contains(document.activeElement)) {
      event.detail.shouldSwap = false;
    }
  });
})();
