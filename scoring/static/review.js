// The review station's page: one item at a time, settled from the keyboard.
// No framework and no build step; the server renders the page and answers JSON.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const initial = JSON.parse(document.getElementById("queue-data").textContent);
  const state = {
    items: initial.items, settled: initial.settled, total: initial.total,
    index: 0, answer: null, history: [], busy: false, results: [], active: 0,
  };
  // Cyrillic letters that look like the Latin answer letters (a Russian keyboard layout)
  const LOOKALIKE = { "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H" };
  const $ = (id) => document.getElementById(id);
  // the page's words in the reviewer's language, rendered by the server; {name} fields filled here
  const T = JSON.parse(document.getElementById("strings").textContent);
  const t = (key, params) => T[key].replace(/\{(\w+)\}/g, (m, name) => String((params || {})[name] ?? m));
  const kindName = (kind) => T[kind] || kind;

  function reviewer() { return sessionStorage.getItem("reviewer") || ""; }

  function askName() {
    const form = $("name-form");
    form.hidden = false;
    $("name").focus();
    form.onsubmit = (event) => {
      event.preventDefault();
      const name = $("name").value.trim();
      if (!name) return;
      sessionStorage.setItem("reviewer", name);
      form.hidden = true;
      render();
    };
  }

  function current() { return state.items[state.index]; }

  function say(text) { $("message").textContent = text || ""; }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value; else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function pictures(item) {
    // the question's (or ID grid's) crop comes first and large; the whole page after, smaller
    const closeUp = ["question", "double", "respondent"].includes(item.kind);
    return item.pictures.map((pid, k) => el("img", {
      src: "/picture/" + pid,
      alt: t("scan_of", { source: item.source }),
      class: closeUp && k === 0 && item.pictures.length > 1 ? "crop" : "page",
    }));
  }

  function renderQueue() {
    const list = $("queue");
    list.replaceChildren();
    state.items.forEach((item, k) => {
      const label = `${kindName(item.kind)} ${item.teacher_id || ""} ${item.question ? t("q", { n: item.question }) : ""}`;
      const li = el("li", { text: label, "data-key": item.key });
      if (k === state.index) li.className = "current";
      li.onclick = () => { state.index = k; state.answer = null; render(); };
      list.append(li);
    });
  }

  function renderCard() {
    const card = $("card");
    card.replaceChildren();
    const item = current();
    $("done").hidden = state.items.length > 0;
    if (!item) return;
    card.dataset.key = item.key;
    card.dataset.kind = item.kind;
    const who = item.teacher_id ? `${item.teacher_id} ${item.teacher_name}` : "";
    card.append(el("h2", { text: `${kindName(item.kind)}: ${who} ${item.question ? t("question_n", { n: item.question }) : ""}` }));
    card.append(el("p", { text: item.reason }), el("p", { class: "source", text: item.source }));
    for (const img of pictures(item)) card.append(img);
    if (item.kind === "question" || item.kind === "double") {
      if (item.fills.length) {
        const fills = el("p", { class: "fills" });
        item.fills.forEach((f, k) => fills.append(el("span", { text: `${item.options[k] || "?"} ${f.toFixed(2)}` })));
        card.append(fills);
      }
      const options = item.labels.length ? item.labels.join(" ") : item.options;
      card.append(el("p", { text: t("now", { reading: shownAs(item, item.reading) || t("blank"), options }) +
        (item.several ? t("several") : "") }));
      const shown = state.answer === null ? "" : (shownAs(item, state.answer) || t("blank"));
      card.append(el("p", { class: "answer", id: "answer", text: shown }));
    } else if (item.kind === "conflict") {
      const table = el("table", {},
        el("tr", {}, el("th", { text: "" }), el("th", { text: t("answers") })),
        el("tr", { class: state.answer === "live" ? "chosen" : "" }, el("td", { text: "L " + t("live") }), el("td", { text: item.live })),
        el("tr", { class: state.answer === "remote" ? "chosen" : "" }, el("td", { text: "R " + t("remote") }), el("td", { text: item.remote })));
      card.append(table, el("p", { class: "answer", id: "answer", text: state.answer || "" }));
    } else if (item.kind === "page") {
      card.append(el("p", { text: t("page_hint") }));
    } else if (item.kind === "respondent") {
      const input = el("input", { id: "search", placeholder: t("search"), autocomplete: "off" });
      const list = el("ol", { id: "results" });
      card.append(el("label", { for: "search", text: t("whose") }), input, list,
        el("p", { text: t("assign_hint") }));
      input.oninput = () => search(input.value);
      setTimeout(() => input.focus(), 0);
    } else if (item.kind === "refused") {
      const input = el("input", { id: "byhand", size: 60, placeholder: t("byhand_example") });
      card.append(el("label", { for: "byhand", text: t("byhand") }), input,
        el("p", { text: t("variants_hint", { variants: item.variants.join(", ") }) }));
      setTimeout(() => input.focus(), 0);
    }
  }

  function render() {
    $("progress").textContent = t("progress", { settled: state.settled, total: state.total });
    $("reviewer").textContent = reviewer() ? t("reviewer", { name: reviewer() }) : "";
    if (state.index >= state.items.length) state.index = Math.max(0, state.items.length - 1);
    renderQueue();
    renderCard();
  }

  async function search(text) {
    const response = await fetch("/api/teachers?q=" + encodeURIComponent(text));
    state.results = response.ok ? await response.json() : [];
    state.active = 0;
    const list = $("results");
    if (!list) return;
    list.replaceChildren();
    state.results.forEach((t, k) => {
      const li = el("li", { text: `${t.id} ${t.name} (${t.school})`, "data-id": t.id });
      if (k === state.active) li.className = "active";
      li.onclick = () => decide(t.id);
      list.append(li);
    });
  }

  async function post(body) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const response = await fetch("/api/decide", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({ error: t("no_answer") }));
      if (response.status === 503 && data.retry) {
        say(data.error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      return { ok: response.ok, status: response.status, data };
    }
    return { ok: false, data: { error: t("busy") } };
  }

  function refresh(data, keepKey) {
    state.items = data.items;
    state.settled = data.settled;
    state.total = data.total;
    const at = state.items.findIndex((i) => i.key === keepKey);
    if (at >= 0) state.index = at;
    state.answer = null;
    render();
  }

  async function decide(value) {
    const item = current();
    if (!item || state.busy) return;
    if (!reviewer()) { askName(); return; }
    state.busy = true;
    const next = state.items[state.index + 1];
    const result = await post({ key: item.key, value, who: reviewer(), why: "" });
    state.busy = false;
    if (!result.ok) {
      if (result.data.taken) {  // someone else settled it: show the queue as it is now
        const fresh = await fetch("/api/queue").then((r) => r.json());
        refresh(fresh, next ? next.key : null);
      }
      say(result.data.error);
      return;
    }
    state.history.push(item.key);
    refresh(result.data, next ? next.key : null);
    say(result.data.note ? `${item.key}: ${result.data.note}` : "");
  }

  async function undoLast() {
    const key = state.history.pop();
    if (!key) { say(t("nothing_to_undo")); return; }
    const result = await post({ key, undo: true, who: reviewer() });
    if (!result.ok) { say(result.data.error); state.history.push(key); return; }
    refresh(result.data, key);
    say(t("undone", { key }));
  }

  // a poll row's options stand for scale values (or departments): show those, not letters
  function shownAs(item, letters) {
    if (!item.labels.length) return letters;
    return [...letters].map((l) => item.labels[item.options.indexOf(l)] || l).join(", ");
  }

  function letterOf(event, item) {
    const key = event.key.length === 1 ? event.key.toUpperCase() : "";
    if (item.labels.length && /^[0-9]$/.test(key)) {  // a rating typed as its number; 0 is 10
      const at = item.labels.indexOf(key === "0" ? "10" : key);
      return at >= 0 ? item.options[at] : "";
    }
    const latin = LOOKALIKE[key] || key;
    return /^[A-Z]$/.test(latin) ? latin : "";
  }

  document.addEventListener("keydown", (event) => {
    const item = current();
    const typing = event.target && ["INPUT", "TEXTAREA"].includes(event.target.tagName);
    if (!$("name-form").hidden) return;
    if (event.altKey && (event.code === "KeyU" || event.key === "u" || event.key === "U")) {
      event.preventDefault();
      undoLast();
      return;
    }
    if (event.altKey && (event.key === "r" || event.key === "R" || event.code === "KeyR")) {
      if (item && ["respondent", "refused", "page"].includes(item.kind)) {
        event.preventDefault();
        decide("rescan");
      }
      return;
    }
    if (typing) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (item.kind === "respondent" && state.results[state.active]) decide(state.results[state.active].id);
        if (item.kind === "refused") decide(event.target.value);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const n = state.results.length;
        if (n) state.active = (state.active + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
        document.querySelectorAll("#results li").forEach((li, k) => { li.className = k === state.active ? "active" : ""; });
      }
      return;
    }
    if (!item) return;
    if (event.key === "Enter") {
      event.preventDefault();
      if (item.kind === "page") decide("confirm");
      else if (state.answer !== null) decide(state.answer);
      else say(t("choose") + (item.kind === "conflict" ? t("or_lr") : ""));
      return;
    }
    if (event.key === "Backspace") {
      event.preventDefault();
      state.index = Math.max(0, state.index - 1);
      state.answer = null;
      render();
      return;
    }
    if (event.key === "u" || event.key === "U" || event.key === "г" || event.key === "Г") {
      event.preventDefault();
      undoLast();
      return;
    }
    if (item.kind === "conflict") {
      const k = event.key.toUpperCase();
      if (k === "L" || k === "Д") state.answer = "live";
      if (k === "R" || k === "К") state.answer = "remote";
      renderCard();
      return;
    }
    if (item.kind !== "question" && item.kind !== "double") return;
    if (event.key === " ") {
      event.preventDefault();
      state.answer = "";
      renderCard();
      return;
    }
    const letter = letterOf(event, item);
    if (!letter || !item.options.includes(letter)) return;
    event.preventDefault();
    if (item.several) {
      const chosen = new Set((state.answer || "").split(""));
      if (chosen.has(letter)) chosen.delete(letter); else chosen.add(letter);
      state.answer = [...chosen].filter(Boolean).sort().join("");
    } else {
      state.answer = letter;
    }
    renderCard();
  });

  if (!reviewer()) askName();
  render();
})();
