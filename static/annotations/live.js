/* Live updates (annotations/live.py, annotations/consumers.py): one WebSocket per page.
 *
 * Events say what changed, never content: the page asks the server for the fragments it draws,
 * through the ordinary role-checked views, and htmx swaps them in:
 *   - the reader: the claim's paragraphs, its row and the count (article-live, the same
 *     out-of-band fragments the author of the change got back), several events for one claim
 *     drawn once; the open claim panel reloaded, or, while its owner is typing in it, left as
 *     it is under a "Changed by … — see what changed" notice with the newer values;
 *   - the dashboard: its results (article-results) once a second at most;
 *   - every page: the inbox badge.
 * A lost connection is retried with growing pauses; once back, the page redraws what it shows
 * and says so, since events sent meanwhile are gone. Presence: the page says what it has open;
 * the server keeps every page's entry and sends the article's roster (annotations/presence.py).
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const me = script ? Number(script.dataset.me) : 0;
  const socketPath = script ? script.dataset.liveUrl : "/live/";
  const CLAIM_COALESCE_MS = 100;
  const MANY_CLAIMS = 20;
  const DASHBOARD_COALESCE_MS = 1000;

  let socket = null;
  let connectedOnce = false;
  let retries = 0;
  const pendingClaims = new Map(); // claim id → the latest event not yet drawn
  let claimTimer = null;
  let drawingClaims = false;
  let drawing = Promise.resolve();
  let dashboardTimer = null;
  let present = []; // everyone else on the article: {user, claim, editing}, from the server
  let editing = false;

  const $ = (id) => document.getElementById(id);
  const workspace = () => document.querySelector("[data-live-article]");
  const articleId = () => {
    const element = workspace();
    return element ? Number(element.dataset.liveArticle) : null;
  };

  // The reader loads htmx after its first frame: whatever needs it waits for it.
  function withHtmx(action) {
    if (window.htmx) return Promise.resolve(action(window.htmx));
    return new Promise((resolve) => {
      const started = Date.now();
      const poll = window.setInterval(() => {
        if (window.htmx || Date.now() - started > 15000) {
          window.clearInterval(poll);
          resolve(window.htmx ? action(window.htmx) : undefined);
        }
      }, 50);
    });
  }

  // --- Status line ----------------------------------------------------------------------------
  function status(text, kind) {
    let line = $("live-status");
    if (!line) {
      line = document.createElement("p");
      line.id = "live-status";
      line.className = "live-status";
      line.setAttribute("role", "status");
      document.body.append(line);
    }
    line.textContent = text;
    line.dataset.kind = kind || "";
    line.hidden = !text;
  }

  function clock(iso) {
    const when = iso ? new Date(iso) : new Date();
    return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // --- The socket -----------------------------------------------------------------------------
  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${window.location.host}${socketPath}`);
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      receive(event);
    });
    socket.addEventListener("close", (closed) => {
      socket = null;
      document.documentElement.dataset.live = "lost";
      if (closed.code === 4401 || closed.code === 4403) return; // signed out or no role
      status("Connection lost: reconnecting…", "lost");
      retries += 1;
      const pause = Math.min(10000, 500 * 2 ** Math.min(retries, 5)) * (0.75 + Math.random() / 2);
      window.setTimeout(connect, pause);
    });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function receive(event) {
    switch (event.event) {
      case "ready":
        retries = 0;
        document.documentElement.dataset.live = "connected";
        subscribe();
        if (connectedOnce) catchUp();
        connectedOnce = true;
        break;
      case "subscribed":
        // Tests and styles can tell a page that hears its article's changes.
        document.documentElement.dataset.live = `subscribed-${event.topic}`;
        break;
      case "claim":
        if (event.article === articleId()) claimChanged(event);
        break;
      case "article":
        dashboardChanged();
        break;
      case "family":
        if (event.article === articleId()) familyChanged(event);
        break;
      case "text":
        if (event.article === articleId()) textChanged();
        break;
      case "inbox":
        inboxChanged();
        break;
      case "presence":
        if (event.article === articleId()) {
          present = event.people;
          drawPresence();
        }
        break;
      default:
        break;
    }
  }

  function subscribe() {
    const article = articleId();
    if (article) {
      send({ action: "subscribe", topic: "article", article });
      announce();
    }
    if ($("article-results")) send({ action: "subscribe", topic: "dashboard" });
  }

  // Without a claim's details the live view answers with every region (list, headline,
  // standfirst, body).
  function redrawReader(element) {
    return withHtmx((htmx) => htmx.ajax("GET", element.dataset.liveUrl, { target: "body", swap: "none" }));
  }

  // The article's own text changed (its title edited): claims that kept their place were not
  // announced, so the whole reader is drawn again, after any claim redraws already asked for.
  function textChanged() {
    const element = workspace();
    if (!element) return;
    drawing = drawing.then(() => redrawReader(element)).catch(() => undefined);
  }

  // After a lost connection: redraw what the page shows, since events sent meanwhile are gone.
  function catchUp() {
    const done = [];
    const element = workspace();
    if (element) {
      done.push(redrawReader(element));
      const panel = openPanel();
      if (panel) done.push(panelChanged(panel, { by: "", at: "" }, true));
    }
    if ($("article-results")) done.push(refreshDashboard());
    inboxChanged();
    status("Reconnected: bringing the page up to date…", "catching-up");
    Promise.all(done).then(
      () => status(`Reconnected at ${clock()}: the page is up to date.`, "caught-up"),
      () =>
        status(
          `Reconnected at ${clock()}, but the page could not be brought up to date: reload it.`,
          "stale",
        ),
    );
  }

  // --- Reader ---------------------------------------------------------------------------------
  function openPanel() {
    const panel = $("claim-panel");
    return panel && panel.dataset.claimId ? panel : null;
  }

  // A comment redraws the panel only, a change its row too: one of each is kept per claim.
  function claimChanged(event) {
    pendingClaims.set(`${event.claim}:${event.kind === "discussed" ? "comment" : "claim"}`, event);
    if (!claimTimer) claimTimer = window.setTimeout(drawClaims, CLAIM_COALESCE_MS);
  }

  // One batch at a time: what arrives while a batch is drawn waits, coalesced per claim, and is
  // drawn next. A burst of more than MANY_CLAIMS claims is drawn with one request for every
  // region instead of one per claim, so a thousand changes a second cost a few requests.
  function drawClaims() {
    claimTimer = null;
    const element = workspace();
    if (drawingClaims || !element || !pendingClaims.size) return;
    const events = Array.from(pendingClaims.values());
    pendingClaims.clear();
    drawingClaims = true;
    let batch;
    if (events.length > MANY_CLAIMS) {
      batch = drawing.then(() => redrawReader(element)).then(() => {
        const panel = openPanel();
        const mine = panel && events.filter((event) => event.claim === Number(panel.dataset.claimId));
        if (mine && mine.length && mine.some((event) => event.by_id !== me)) {
          return panelChanged(panel, mine[mine.length - 1], false);
        }
        return undefined;
      });
    } else {
      // One after another: each answer depends on the claim count the previous one left.
      batch = events.reduce(
        (chain, event) => chain.then(() => drawClaim(element, event)).catch(() => undefined),
        drawing,
      );
    }
    drawing = batch
      .catch(() => undefined)
      .then(() => {
        drawingClaims = false;
        if (pendingClaims.size && !claimTimer) drawClaims();
      });
  }

  function drawClaim(element, event) {
    const panel = openPanel();
    const drawn = [];
    if (event.kind !== "discussed") {
      const query = new URLSearchParams({
        claim: event.claim,
        kind: event.kind,
        part: event.part,
        start: event.start,
        end: event.end,
      });
      const count = $("claim-count");
      drawn.push(
        withHtmx((htmx) =>
          htmx.ajax("GET", `${element.dataset.liveUrl}?${query}`, {
            target: "body",
            swap: "none",
            headers: { "X-Claim-Count": count ? count.textContent.trim() : "" },
          }),
        ),
      );
    }
    // The author's own panel was redrawn by the answer to their change.
    if (panel && Number(panel.dataset.claimId) === event.claim && event.by_id !== me) {
      drawn.push(panelChanged(panel, event, false));
    }
    return Promise.all(drawn);
  }

  function panelChanged(panel, event, afterReconnect) {
    const url = panel.dataset.claimUrl;
    if (!url) return Promise.resolve();
    if (event.kind === "deleted") {
      notice(panel, `Deleted by ${event.by || "someone"} at ${clock(event.at)}.`);
      return Promise.resolve();
    }
    // The panel is the request's source, not the body: htmx queues a request whose source
    // is busy (the body is, with the reader's own live fragments) and resolves its promise at
    // once, so the notice below went into the panel about to be replaced and was lost.
    if (panel.dataset.liveDirty) {
      // Never overwrite what is being typed: say what changed, with the newer values.
      return withHtmx((htmx) =>
        htmx.ajax("GET", url, { source: panel, target: "#claim-live-notice", swap: "innerHTML" }),
      );
    }
    return withHtmx((htmx) =>
      htmx.ajax("GET", url, { source: panel, target: "#claim-panel", swap: "outerHTML" }).then(() => {
        if (!afterReconnect && event.by) {
          const fresh = openPanel();
          if (fresh) notice(fresh, `Updated: changed by ${event.by} at ${clock(event.at)}.`, "info");
        }
      }),
    );
  }

  // Someone else formed, joined, left or split the family of the open claim: its "figures and
  // related claims" region is drawn again, as a reload shows it. The rest of the panel, and
  // anything typed there, stays as it is; typing in the region itself (or a refusal there,
  // which kept what was typed) is never overwritten: a notice says the family changed.
  function familyChanged(event) {
    const panel = openPanel();
    if (!panel || event.by_id === me || !event.claims.includes(Number(panel.dataset.claimId))) return;
    const region = panel.querySelector("#claim-related");
    const url = region && (region.dataset.relatedUrl || region.getAttribute("hx-get"));
    if (!url) return;
    const who = `${event.by || "someone"} at ${clock(event.at)}`;
    if (region.dataset.liveDirty || region.querySelector(".alert.error, .errorlist, [aria-invalid=true]")) {
      notice(panel, `Its family was changed by ${who}: what you typed is kept; reopen the claim to see the family.`);
      return;
    }
    drawing = drawing
      .then(() =>
        withHtmx((htmx) =>
          htmx.ajax("GET", url, { source: panel, target: "#claim-related", swap: "outerHTML" }).then(() => {
            const fresh = openPanel();
            if (fresh) notice(fresh, `Updated: its family was changed by ${who}.`, "info");
          }),
        ),
      )
      .catch(() => undefined);
  }

  function notice(panel, text, kind) {
    const slot = panel.querySelector("#claim-live-notice");
    if (!slot) return;
    const line = document.createElement("p");
    line.className = `alert ${kind || "warning"}`;
    line.textContent = text;
    slot.replaceChildren(line);
  }

  // Typing in the panel marks it: live changes then leave it as it is (see panelChanged).
  document.addEventListener("input", (event) => {
    const panel = event.target.closest && event.target.closest("#claim-panel");
    if (!panel || !event.target.closest("form")) return;
    panel.dataset.liveDirty = "1";
    const region = event.target.closest("#claim-related");
    if (region) region.dataset.liveDirty = "1";
    if (!editing) {
      editing = true;
      announce();
    }
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail && event.detail.target;
    if (target && target.id === "claim-panel") {
      editing = false;
      announce();
    }
    drawPresence();
  });

  // --- Dashboard ------------------------------------------------------------------------------
  function dashboardChanged() {
    if (!dashboardTimer) dashboardTimer = window.setTimeout(refreshDashboard, DASHBOARD_COALESCE_MS);
  }

  function refreshDashboard() {
    dashboardTimer = null;
    if (!$("article-results")) return Promise.resolve();
    const url = window.location.pathname + window.location.search;
    return withHtmx((htmx) => htmx.ajax("GET", url, { target: "#article-results", swap: "outerHTML" }));
  }

  // --- Inbox ----------------------------------------------------------------------------------
  function inboxChanged() {
    withHtmx((htmx) => {
      htmx.trigger(document.body, "live-inbox");
      const list = $("inbox-list");
      if (list) htmx.ajax("GET", window.location.pathname + window.location.search, { target: "#inbox-list", swap: "outerHTML" });
    });
  }

  // --- Presence -------------------------------------------------------------------------------
  function announce() {
    const article = articleId();
    if (!article) return;
    const panel = openPanel();
    send({
      action: "presence",
      article,
      claim: panel ? Number(panel.dataset.claimId) : null,
      editing: Boolean(panel && editing),
    });
  }

  function drawPresence() {
    const here = $("presence");
    if (here) {
      const names = Array.from(new Set(present.map((entry) => entry.user)));
      here.textContent = names.length ? `Also reading: ${names.join(", ")}` : "";
      here.hidden = !names.length;
    }
    const panel = openPanel();
    const slot = panel && panel.querySelector("#claim-presence");
    if (slot) {
      const claim = Number(panel.dataset.claimId);
      const typing = new Set();
      const looking = new Set();
      present.forEach((entry) => {
        if (entry.claim !== claim) return;
        (entry.editing ? typing : looking).add(entry.user);
      });
      typing.forEach((user) => looking.delete(user));
      const parts = [];
      if (typing.size) parts.push(`${Array.from(typing).join(", ")} ${typing.size > 1 ? "are" : "is"} editing this claim`);
      if (looking.size) parts.push(`${Array.from(looking).join(", ")} ${looking.size > 1 ? "have" : "has"} it open`);
      slot.textContent = parts.join("; ");
      slot.hidden = !parts.length;
    }
  }


  // --- Mentions in comments: @ and a name offers the people who can be mentioned ----------------
  let mentionList = null;
  let mentionField = null;
  let mentionTimer = null;

  function typedMention(field) {
    const before = field.value.slice(0, field.selectionStart);
    const match = /(?:^|[^\w.@+-])@([\w.@+-]{0,150})$/.exec(before);
    return match ? match[1] : null;
  }

  function closeMentions() {
    if (mentionList) mentionList.remove();
    mentionList = null;
    mentionField = null;
  }

  function showMentions(field, typed) {
    // The server's fragment (people.html, escaped there) is swapped in by htmx.
    if (!mentionList) {
      const list = document.createElement("ul");
      list.className = "mention-list";
      list.id = "mention-list";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "People to mention");
      field.after(list);
      field.setAttribute("aria-controls", "mention-list");
      mentionList = list;
    }
    mentionField = field;
    const url = `${field.dataset.mentions}?q=${encodeURIComponent(typed)}`;
    return withHtmx((htmx) =>
      htmx.ajax("GET", url, { target: "#mention-list", swap: "innerHTML" }).then(() => {
        const first = mentionList && mentionList.querySelector("[data-username]");
        if (first) first.setAttribute("aria-selected", "true");
      }),
    );
  }

  function pickMention(option) {
    const field = mentionField;
    if (!field || !option || !option.dataset.username) return;
    const caret = field.selectionStart;
    const before = field.value.slice(0, caret).replace(/@[\w.@+-]*$/, `@${option.dataset.username} `);
    field.value = before + field.value.slice(caret);
    field.selectionStart = field.selectionEnd = before.length;
    closeMentions();
    field.focus();
  }

  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || field.dataset.mentions === undefined) return;
    const typed = typedMention(field);
    window.clearTimeout(mentionTimer);
    if (typed === null) {
      closeMentions();
      return;
    }
    mentionTimer = window.setTimeout(() => {
      if (typedMention(field) === typed) showMentions(field, typed);
    }, 150);
  });

  document.addEventListener("keydown", (event) => {
    if (!mentionList || event.target !== mentionField) return;
    const options = Array.from(mentionList.querySelectorAll("[data-username]"));
    const index = options.findIndex((option) => option.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!options.length) return;
      const next = (index + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach((option, i) => option.setAttribute("aria-selected", String(i === next)));
    } else if ((event.key === "Enter" || event.key === "Tab") && index >= 0) {
      event.preventDefault();
      pickMention(options[index]);
    } else if (event.key === "Escape") {
      closeMentions();
    }
  });

  document.addEventListener("mousedown", (event) => {
    if (!mentionList) return;
    const option = event.target.closest && event.target.closest("#mention-list [data-username]");
    if (option) {
      event.preventDefault();
      pickMention(option);
    } else if (!mentionList.contains(event.target)) {
      closeMentions();
    }
  });

  if ("WebSocket" in window) connect();
})();
