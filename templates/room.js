// The estimation room's page: draws the room from the state the server sends at every change
// (server-sent events; the browser reconnects by itself), and sends each action as JSON. No
// framework; user text is only ever set as text, never as markup. Cards can be picked with the
// number keys (1 = the first card, ... 0 = the tenth), ? and c (coffee).
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; }
      else if (k === "on") { Object.keys(attrs.on).forEach(function (ev) { e.addEventListener(ev, attrs.on[ev]); }); }
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) { e.setAttribute(k, attrs[k] === true ? "" : attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); } });
    return e;
  }

  function showError(message) {
    var box = document.getElementById("error");
    if (!box) { return; }
    box.textContent = message || "";
    box.hidden = !message;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw new Error(j.error || ("HTTP " + r.status)); }
        return j;
      });
    });
  }

  // The rooms page: open a room.
  var openForm = document.getElementById("open-form");
  if (openForm) {
    openForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      showError("");
      post("/api/v1/rooms", {
        team: document.getElementById("open-team").value,
        title: document.getElementById("open-title").value,
        name: document.getElementById("open-name").value,
        watch: document.getElementById("open-watch").checked,
        auto_reveal: document.getElementById("open-auto").checked
      }).then(function (j) { window.location.href = j.url; })
        .catch(function (e) { showError(e.message); });
    });
  }

  var root = document.getElementById("room");
  if (!root) { return; }
  var link = root.getAttribute("data-room");
  var base = "/api/v1/rooms/" + encodeURIComponent(link);
  var view = JSON.parse(document.getElementById("room-state").textContent);
  var backlog = null;
  var source = null;

  function act(path, body) {
    showError("");
    return post(base + path, body).catch(function (e) { showError(e.message); throw e; });
  }

  // Says a reveal to screen readers: the story whose rounds grew since the last state.
  function announce(prev, next) {
    var before = {};
    prev.stories.forEach(function (s) { before[s.key] = s.rounds.length; });
    next.stories.forEach(function (s) {
      if (s.rounds.length > (before[s.key] || 0)) {
        var r = s.rounds[s.rounds.length - 1];
        document.getElementById("announce").textContent = "Revealed: " + s.key + " round " + r.round + ": " +
          r.cards.map(function (c) { return c.name + " " + c.card; }).join(", ") + ". " + r.help.consensus + ".";
      }
    });
  }

  function currentStory(v) {
    return v.current ? v.stories.filter(function (s) { return s.key === v.current.story; })[0] : null;
  }

  function people(v) {
    var voted = v.current ? v.current.voted : [];
    return el("ul", { "class": "people", "aria-label": "participants" }, v.participants.map(function (p) {
      var has = voted.indexOf(p.place) >= 0;
      return el("li", { "class": has ? "voted" : null, "data-place": String(p.place) }, [
        p.name + (p.facilitator ? " (facilitator)" : "") + (p.watching ? " (watching)" : (v.current ? (has ? " ✓ voted" : " … thinking") : ""))
      ]);
    }));
  }

  function deck(v) {
    var mine = v.current ? v.current.your_card : null;
    return el("div", { "class": "deck", role: "group", "aria-label": "your card" }, v.deck.map(function (c, i) {
      var key = i < 9 ? String(i + 1) : (i === 9 ? "0" : null);
      return el("button", {
        type: "button", "aria-pressed": c === mine ? "true" : "false", "data-card": c,
        "aria-keyshortcuts": c === "?" ? "?" : (c === "☕" ? "c" : key),
        on: { click: function () { vote(c); } }
      }, [c]);
    }));
  }

  function vote(card) {
    if (!view.current || !view.you || view.you.watching) { return; }
    act("/votes", { card: card }).catch(function () {});
  }

  function help(r) {
    var h = r.help, items = [];
    items.push(el("p", {}, [el("b", { text: h.consensus })]));
    if (h.low && h.high) {
      items.push(el("p", { text: "Talk first: " + h.low.voters.join(", ") + " (" + h.low.card + ") and " + h.high.voters.join(", ") + " (" + h.high.card + ")" }));
    }
    if (h.suggested_card) { items.push(el("p", { text: "Suggested card: " + h.suggested_card })); }
    h.meanings.forEach(function (m) {
      if (m.stories.length) { items.push(el("p", { "class": "note", text: "A " + m.card + " here has meant " + m.stories.join("; ") })); }
    });
    if (h.split.length) {
      items.push(el("p", {}, [el("b", { text: "Worth splitting? " }), h.split.join("; ")]));
    }
    return el("div", { "class": "help" }, items);
  }

  function played(r) {
    return el("div", { "class": "played", "aria-label": "the cards of round " + r.round }, r.cards.map(function (c) {
      return el("div", {}, [el("b", { text: c.card }), c.name]);
    }));
  }

  function facilitatorPanel(v) {
    var panel = el("section", { "class": "panel", "aria-label": "facilitator" }, [el("h2", { text: "Facilitate" })]);
    var text = el("textarea", { id: "stories-text", rows: "4", placeholder: "PAY-142 Refund by card\nPAY-143 Export invoices", "aria-label": "stories to add, one KEY title per line" });
    panel.appendChild(el("p", {}, [text]));
    panel.appendChild(el("p", {}, [
      el("button", { type: "button", id: "add-stories", on: { click: function () {
        act("/stories", { text: text.value }).then(function () { text.value = ""; }).catch(function () {});
      } } }, ["Add stories"]),
      " ",
      el("button", { type: "button", id: "load-backlog", on: { click: function () {
        fetch(base + "/backlog", { credentials: "same-origin" }).then(function (r) { return r.json(); })
          .then(function (b) { backlog = b; render(); });
      } } }, ["Pick from the backlog"])
    ]));
    if (backlog) {
      [["unestimated", "Not estimated yet"], ["reestimate", "To estimate again"], ["split_candidates", "Split candidates"]].forEach(function (kind) {
        var list = backlog[kind[0]] || [];
        if (!list.length) { return; }
        panel.appendChild(el("h3", { text: kind[1] }));
        panel.appendChild(el("ul", {}, list.slice(0, 20).map(function (s) {
          return el("li", {}, [
            el("button", { type: "button", on: { click: function () { act("/stories", { stories: [s] }).catch(function () {}); } } }, ["Add"]),
            " " + s.key + (s.title ? " " + s.title : "")
          ]);
        })));
      });
    }
    if (v.current) {
      panel.appendChild(el("p", {}, [el("button", { type: "button", id: "reveal", disabled: v.current.voted.length === 0,
        on: { click: function () { act("/reveal").catch(function () {}); } } }, ["Reveal the cards"])]));
    }
    panel.appendChild(el("p", {}, [el("button", { type: "button", id: "close-room", on: { click: function () {
      if (window.confirm("Close the room? Nobody can join or vote any more.")) { act("/close").catch(function () {}); }
    } } }, ["Close the room"])]));
    return panel;
  }

  function decide(s) {
    var numeric = view.deck.filter(function (c) { return c !== "?" && c !== "☕"; });
    var last = s.rounds[s.rounds.length - 1];
    var pick = el("select", { "aria-label": "the estimate for " + s.key }, numeric.map(function (c) {
      return el("option", { value: c, selected: last && last.help.suggested_card === c }, [c]);
    }));
    var note = el("input", { placeholder: "what to split it into", "aria-label": "split note for " + s.key, maxlength: "200" });
    return el("p", {}, [
      el("label", {}, ["Estimate ", pick]), " ",
      el("button", { type: "button", "data-accept": s.key, on: { click: function () { act("/estimate", { story: s.key, card: pick.value }).catch(function () {}); } } }, ["Accept"]),
      " ",
      el("button", { type: "button", "data-next": s.key, on: { click: function () { act("/rounds", { story: s.key }).catch(function () {}); } } }, ["Another round"]),
      " ", note, " ",
      el("button", { type: "button", "data-split": s.key, on: { click: function () { act("/estimate", { story: s.key, split: note.value }).catch(function () {}); } } }, ["Split this story"])
    ]);
  }

  // A revealed round: the cards, then the help for the talk.
  function roundPanel(r) {
    return el("div", { "class": "panel" }, [el("p", { text: "Round " + r.round }), played(r), help(r)]);
  }

  function storyName(s) {
    return s.key + (s.title ? " " + s.title : "");
  }

  function stories(v, facilitator) {
    return el("ol", { "class": "stories" }, v.stories.map(function (s) {
      var parts = [el("b", { text: s.key }), s.title ? " " + s.title : ""];
      if (s.decision) {
        parts.push(" — " + (s.decision.decision === "estimate" ? s.decision.card + " points" : "split" + (s.decision.note ? ": " + s.decision.note : "")));
      } else if (s.playing) {
        parts.push(" — being played");
      } else if (s.key === v.revealed) {
        parts.push(" — revealed, above");
      }
      var li = el("li", { "data-story": s.key }, parts);
      // Earlier rounds stay one click away; the story being talked about is shown above.
      if (s.rounds.length && s.key !== v.revealed) {
        li.appendChild(el("details", {}, [
          el("summary", { text: s.rounds.length === 1 ? "1 round" : s.rounds.length + " rounds" })
        ].concat(s.rounds.map(roundPanel))));
      }
      if (facilitator && !s.decision && !v.current && !v.closed && s.key !== v.revealed) {
        if (s.rounds.length) { li.appendChild(decide(s)); }
        else {
          li.appendChild(el("p", {}, [el("button", { type: "button", "data-start": s.key, on: { click: function () {
            act("/rounds", { story: s.key }).catch(function () {});
          } } }, ["Start a round"])]));
        }
      }
      return li;
    }));
  }

  // The round just revealed, with what to do next.
  function revealedPanel(v, facilitator) {
    var s = v.stories.filter(function (x) { return x.key === v.revealed; })[0];
    if (!s) { return null; }
    var r = s.rounds[s.rounds.length - 1];
    var box = el("section", { id: "revealed", "aria-label": "the round revealed" }, [
      el("h2", { text: "Revealed: " + storyName(s) }),
      roundPanel(r)
    ]);
    if (facilitator && !v.closed) {
      box.appendChild(decide(s));
    } else {
      box.appendChild(el("p", { "class": "note", text: "Talk it over; the facilitator records the estimate or starts another round." }));
    }
    return box;
  }

  function render() {
    var play = document.getElementById("play");
    var you = view.you;
    var facilitator = !!(you && you.facilitator);
    document.getElementById("join").hidden = !!you || view.closed;
    var parts = [people(view)];
    if (view.closed) { parts.push(el("p", {}, [el("b", { text: "The room is closed." })])); }
    var s = currentStory(view);
    if (s) {
      parts.push(el("h2", { id: "now-playing", text: "Round " + view.current.round + ": " + storyName(s) }));
      if (you && !you.watching) {
        parts.push(deck(view));
        parts.push(el("p", { "class": "note", text: view.current.your_card ? "Your card: " + view.current.your_card + " (you may change it until the reveal)" : "Pick a card (keys 1, 2, ... ? and c)" }));
      }
    } else if (view.revealed) {
      parts.push(revealedPanel(view, facilitator));
    } else if (!view.closed) {
      parts.push(el("p", { "class": "note", text: facilitator ? "Add stories, then start a round on one of them (below)." : "Waiting for the facilitator to start a round." }));
    }
    if (facilitator && !view.closed) { parts.push(facilitatorPanel(view)); }
    parts.push(el("h2", { text: "Stories" }));
    parts.push(stories(view, facilitator));
    var focused = document.activeElement && document.activeElement.getAttribute("data-card");
    play.replaceChildren.apply(play, parts);
    if (focused) {
      var again = play.querySelector('[data-card="' + focused.replace(/"/g, "") + '"]');
      if (again) { again.focus(); }
    }
  }

  function listen() {
    if (source) { source.close(); }
    source = new EventSource(base + "/events");
    source.addEventListener("state", function (e) {
      var next = JSON.parse(e.data);
      announce(view, next);
      view = next;
      render();
    });
  }

  document.getElementById("join-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    act("/join", { name: document.getElementById("join-name").value, watch: document.getElementById("join-watch").checked }).then(listen).catch(function () {});
  });

  document.addEventListener("keydown", function (ev) {
    var t = ev.target && ev.target.tagName;
    if (t === "INPUT" || t === "TEXTAREA" || t === "SELECT" || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (!view.current || !view.you || view.you.watching) { return; }
    var card = null;
    if (ev.key === "?") { card = "?"; }
    else if (ev.key === "c") { card = "☕"; }
    else if (/^[0-9]$/.test(ev.key)) {
      var i = ev.key === "0" ? 9 : Number(ev.key) - 1;
      card = view.deck[i];
    }
    if (card) { ev.preventDefault(); vote(card); }
  });

  render();
  listen();
})();
