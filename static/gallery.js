// The gallery's one script. Every page works without it (the server renders the truth and the
// forms are the fallback); with it: uploads with a progress row per file, tiles and photo pages
// that change state in place, a full-window viewer, a justified grid under day headings,
// infinite scroll and times in the reader's zone. No inline script, no eval, no other origin
// (CSP script-src 'self'). Markup inserted here comes from our own server (tiles rendered and
// escaped by Tile.write); text from elsewhere only ever goes into textContent.
"use strict";
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const csrf = () => { const m = $('meta[name="csrf"]'); return m ? m.content : ""; };
  const fragment = (html) => { const t = document.createElement("template"); t.innerHTML = html.trim(); return t.content; };
  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    for (const c of children) node.append(c);
    return node;
  };
  document.documentElement.classList.add("js");

  // ---- Times: shown in the reader's zone; the UTC value stays in datetime and the title. ----
  const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  function localTimes(root = document) {
    for (const t of $$("time[datetime]", root)) {
      if (t.dataset.local) continue;
      const d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) continue;
      t.title = t.textContent;
      t.textContent = timeFormat.format(d);
      t.dataset.local = "1";
    }
  }

  // ---- Live status: poll a small JSON endpoint while anything on the page is processing. ----
  // Only the parts that change are replaced (a tile's picture, the photo's figure, the avatar),
  // never a form, so what the reader is typing or has ticked stays as it is.
  const Live = {
    timer: null,
    watched() {
      const ids = new Set();
      for (const li of $$("li.tile.processing[data-id]")) ids.add(li.dataset.id);
      for (const n of $$("[data-status-id][data-status='processing']")) ids.add(n.dataset.statusId);
      return [...ids].slice(0, 100);
    },
    kick(delay = 1000) {
      if (this.timer) return;
      if (this.watched().length === 0) return;
      this.timer = setTimeout(() => { this.timer = null; this.poll(); }, delay);
    },
    async poll() {
      const ids = this.watched();
      if (ids.length === 0) return;
      let answer = null;
      try {
        const r = await fetch("/api/status?ids=" + ids.join(","), { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (r.ok) answer = await r.json();
      } catch (e) { /* offline for a moment: the next poll tries again */ }
      if (answer) for (const [id, entry] of Object.entries(answer.images)) if (entry.status !== "processing") this.apply(id, entry);
      this.kick(answer ? 1000 : 3000);
    },
    apply(id, entry) {
      for (const li of $$(`li.tile[data-id="${CSS.escape(id)}"]`)) {
        const fresh = fragment(entry.tile).firstElementChild;
        li.className = fresh.className;
        for (const a of ["data-w", "data-h", "data-day"]) if (fresh.hasAttribute(a)) li.setAttribute(a, fresh.getAttribute(a));
        li.querySelector(".thumb").replaceWith(fresh.querySelector(".thumb"));
        Grid.layoutAll();
      }
      for (const n of $$(`[data-status-id="${CSS.escape(id)}"]`)) {
        n.dataset.status = entry.status;
        if (n.matches("figure")) {
          n.textContent = "";
          if (entry.status === "ready" && entry.preview) {
            n.append(el("img", { className: "real", src: entry.preview, width: entry.previewWidth, height: entry.previewHeight, alt: $("h1")?.textContent || "" }));
          } else {
            n.append(el("div", { className: "state big failed", textContent: "This photo could not be processed" + (entry.reason ? ": " + entry.reason : ".") }));
          }
        } else if (n.matches(".status-text")) {
          n.textContent = entry.status;
          n.className = "status-text status-" + entry.status;
        } else if (n.matches(".avatar-pending") && entry.status === "ready") {
          n.replaceWith(el("img", { className: "avatar", src: n.dataset.src, alt: "", width: 96, height: 96 }));
        } else if (n.matches(".avatar-pending")) {
          n.textContent = "Your picture could not be made" + (entry.reason ? ": " + entry.reason : ".");
        }
      }
    },
  };

  // ---- Uploads: a row per file, a few at a time, each with progress, speed, cancel, retry. ----
  const PARALLEL = 3;
  const Uploads = {
    queue: [], active: 0, panel: null, list: null, button: null, form: null,
    init() {
      this.form = $("form[data-upload]");
      const zone = this.form || ($("[data-dropzone]") && document.body);
      if (!zone) return;
      this.button = this.form && $("button[type=submit]", this.form);
      this.panel = $("[data-upload-panel]") || this.makePanel();
      this.list = $("ol", this.panel);
      if (this.form) {
        this.form.addEventListener("submit", (e) => {
          if ($("input[name=encrypt]", this.form)?.checked) return; // keys are shown by the form's page
          const input = $("input[type=file]", this.form);
          if (!input.files.length) return;
          e.preventDefault();
          this.add([...input.files]);
          input.value = "";
        });
      }
      this.dropTarget();
      window.addEventListener("beforeunload", (e) => { if (this.busy()) { e.preventDefault(); e.returnValue = ""; } });
    },
    makePanel() {
      const panel = el("section", { className: "uploads", hidden: true, ariaLabel: "Uploads" }, el("h2", { textContent: "Uploading" }), el("ol"));
      panel.setAttribute("data-upload-panel", "");
      (this.form || $("main h1")).after(panel);
      return panel;
    },
    dropTarget() {
      const overlay = el("div", { className: "drop-overlay", textContent: "Drop photos to upload them" });
      overlay.hidden = true;
      document.body.append(overlay);
      let depth = 0;
      const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
      document.addEventListener("dragenter", (e) => { if (hasFiles(e)) { depth++; overlay.hidden = false; } });
      document.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; overlay.hidden = true; } });
      document.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
      document.addEventListener("drop", async (e) => {
        if (!e.dataTransfer) return;
        e.preventDefault();
        depth = 0; overlay.hidden = true;
        this.add(await filesOf(e.dataTransfer));
      });
    },
    busy() { return this.active > 0 || this.queue.some((j) => j.state === "waiting"); },
    add(files) {
      if (!files.length) return;
      this.panel.hidden = false;
      for (const file of files) {
        const job = { file, state: "waiting", row: this.row(file) };
        this.queue.push(job);
        this.list.append(job.row.li);
      }
      this.pump();
    },
    row(file) {
      const r = {};
      r.name = el("span", { className: "name", textContent: file.name || "photo" });
      r.bar = el("progress", { max: 100, value: 0 });
      r.bar.setAttribute("aria-label", "Progress of " + (file.name || "photo"));
      r.info = el("span", { className: "info", textContent: "Waiting" });
      r.info.setAttribute("aria-live", "polite");
      r.cancel = el("button", { type: "button", className: "secondary small", textContent: "Cancel" });
      r.retry = el("button", { type: "button", className: "secondary small", textContent: "Retry", hidden: true });
      r.li = el("li", { className: "upload-row" }, r.name, r.bar, r.info, r.cancel, r.retry);
      return r;
    },
    pump() {
      while (this.active < PARALLEL) {
        const job = this.queue.find((j) => j.state === "waiting");
        if (!job) break;
        this.send(job);
      }
      if (this.button) this.button.disabled = this.busy();
      const waiting = this.queue.filter((j) => j.state === "waiting" || j.state === "sending").length;
      $("h2", this.panel).textContent = waiting ? `Uploading ${plural(waiting, "photo")}` : "Uploads";
    },
    send(job) {
      const r = job.row;
      job.state = "sending";
      this.active++;
      r.li.className = "upload-row sending";
      r.retry.hidden = true;
      r.cancel.hidden = false;
      const data = new FormData();
      data.append("csrf", csrf());
      const visibility = this.form && $("select[name=visibility]", this.form);
      if (visibility) data.append("visibility", visibility.value);
      data.append("photos", job.file, job.file.name || "photo");
      const xhr = new XMLHttpRequest();
      const started = performance.now();
      xhr.open("POST", "/api/upload");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable) return;
        const pct = Math.round((e.loaded / e.total) * 100);
        r.bar.value = pct;
        const seconds = (performance.now() - started) / 1000;
        r.info.textContent = `${pct}% · ${seconds > 0.2 ? speed(e.loaded / seconds) : "…"}`;
      };
      const finish = (state, text) => {
        job.state = state;
        this.active--;
        r.li.className = "upload-row " + state;
        r.info.textContent = text;
        r.cancel.hidden = true;
        r.retry.hidden = state !== "failed" && state !== "cancelled";
        this.pump();
      };
      xhr.onload = () => {
        let answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (xhr.status === 201 && answer) {
          r.bar.value = 100;
          finish("done", "");
          r.info.append("Uploaded · ", el("a", { href: answer.link, textContent: "processing…" }));
          this.showTile(answer);
        } else if (answer && answer.error) {
          finish("failed", answer.error);
          if (answer.link) { r.retry.hidden = true; r.info.append(" ", el("a", { href: answer.link, textContent: "See it" })); }
        } else if (xhr.status === 413) {
          finish("failed", "This file is larger than the server accepts.");
        } else {
          finish("failed", `The server answered ${xhr.status}. Try again.`);
        }
      };
      xhr.onerror = () => finish("failed", "The connection failed. Try again.");
      xhr.onabort = () => finish("cancelled", "Cancelled");
      r.cancel.onclick = () => xhr.abort();
      r.retry.onclick = () => { r.bar.value = 0; r.info.textContent = "Waiting"; job.state = "waiting"; this.pump(); };
      xhr.send(data);
    },
    showTile(answer) {
      const grid = $("ul.grid:not(.albums)");
      if (!grid || !$("[data-dropzone]") || this.form) return;
      $(".empty")?.remove();
      const tile = fragment(answer.tile).firstElementChild;
      const first = $("li.tile", grid);
      first ? first.before(tile) : grid.append(tile);
      localTimes(tile);
      Grid.layout(grid);
      Live.kick();
    },
  };

  // Files of a drop, folders walked (only images are taken from folders; a file dropped on
  // its own is sent whatever it is, and the server says why it refuses it).
  async function filesOf(transfer) {
    const entries = [...(transfer.items || [])].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (!entries.some((e) => e.isDirectory)) return [...transfer.files];
    const out = [];
    const walk = async (entry, fromFolder) => {
      if (entry.isFile) {
        const file = await new Promise((ok, fail) => entry.file(ok, fail));
        if (!fromFolder || /^image\//.test(file.type)) out.push(file);
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
          if (!batch.length) break;
          for (const e of batch) await walk(e, true);
        }
      }
    };
    for (const e of entries) await walk(e, false);
    return out;
  }
  function speed(bytesPerSecond) {
    const mb = bytesPerSecond / (1024 * 1024);
    return mb >= 1 ? `${mb.toFixed(1)} MB/s` : `${Math.max(1, Math.round(bytesPerSecond / 1024))} KB/s`;
  }
  function plural(n, word) { return `${n} ${n === 1 ? word : word + "s"}`; }

  // ---- Grid: justified rows under day headings, laid out from the sizes the server sent. ----
  const Grid = {
    init() {
      for (const grid of $$("ul.grid:not(.albums)")) {
        grid.classList.add("justified");
        this.layout(grid);
        new ResizeObserver(() => this.layout(grid)).observe(grid);
      }
    },
    layoutAll() { for (const grid of $$("ul.grid.justified")) this.layout(grid); },
    headings(grid) {
      for (const h of $$("li.day", grid)) h.remove();
      let last = null;
      for (const li of $$("li.tile", grid)) {
        const d = new Date(li.dataset.day);
        if (isNaN(d)) continue;
        const key = d.toDateString();
        if (key !== last) {
          li.before(el("li", { className: "day" }, el("h2", { textContent: dayFormat.format(d) })));
          last = key;
        }
      }
    },
    layout(grid) {
      if (!grid.classList.contains("justified")) return;
      this.headings(grid);
      const width = grid.clientWidth;
      if (!width) return;
      const gap = 8, target = width < 600 ? 150 : 230;
      let row = [];
      const place = (items, height) => {
        for (const li of items) {
          const w = Math.max(1, Math.floor(li._ratio * height));
          li.style.width = w + "px";
          li.querySelector(".thumb").style.height = Math.round(height) + "px";
        }
      };
      const flush = (stretch) => {
        if (!row.length) return;
        const sum = row.reduce((s, li) => s + li._ratio, 0);
        const natural = (width - gap * (row.length - 1)) / sum;
        place(row, stretch ? natural : Math.min(natural, target));
        row = [];
      };
      for (const li of grid.children) {
        if (li.classList.contains("day")) { flush(false); continue; }
        const w = +li.dataset.w, h = +li.dataset.h;
        li._ratio = w > 0 && h > 0 ? Math.min(Math.max(w / h, 0.4), 3) : 1;
        row.push(li);
        const sum = row.reduce((s, x) => s + x._ratio, 0);
        if (sum * target + gap * (row.length - 1) >= width) flush(true);
      }
      flush(false);
    },
  };

  // ---- Infinite scroll over the cursor pages; the "older" link stays for crawlers and no-JS. ----
  function infiniteScroll() {
    const grid = $("ul.grid:not(.albums)");
    const pager = $(".pager");
    if (!grid || !pager || !$("a[rel=next]", pager) || !("IntersectionObserver" in window)) return;
    let loading = false;
    const observer = new IntersectionObserver(async (entries) => {
      const link = $("a[rel=next]", pager);
      if (!link || loading || !entries.some((e) => e.isIntersecting)) return;
      loading = true;
      try {
        const r = await fetch(link.href, { credentials: "same-origin" });
        if (!r.ok) throw new Error(String(r.status));
        const doc = new DOMParser().parseFromString(await r.text(), "text/html");
        const tiles = $$("ul.grid > li.tile", doc).filter((li) => !$(`li.tile[data-id="${CSS.escape(li.dataset.id)}"]`, grid));
        for (const li of tiles) grid.append(document.adoptNode(li));
        localTimes(grid);
        Grid.layout(grid);
        Live.kick();
        const next = $(".pager a[rel=next]", doc);
        if (next) link.href = next.getAttribute("href"); else link.remove();
      } catch (e) {
        observer.disconnect(); // the link still works by hand
      } finally {
        loading = false;
      }
    }, { rootMargin: "800px 0px" });
    observer.observe(pager);
  }

  // ---- Viewer: the current list, full window; keys, swipe, URL, neighbours, zoom, details. ----
  const Viewer = {
    root: null, index: -1, opener: null, zoomed: false, original: null,
    tiles() { return $$("ul.grid li.tile[data-id]").filter((li) => $("img.real", li)); },
    init() {
      document.addEventListener("click", (e) => {
        const a = e.target.closest("ul.grid li.tile[data-id] a.thumb");
        if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        const li = a.closest("li.tile");
        const i = this.tiles().indexOf(li);
        if (i < 0) return; // processing, failed or encrypted: its page says why
        e.preventDefault();
        this.open(i);
      });
      window.addEventListener("popstate", (e) => {
        if (this.root && !(e.state && e.state.viewer)) this.close(false);
      });
    },
    build() {
      const b = (cls, label, text) => { const x = el("button", { type: "button", className: cls, textContent: text }); x.setAttribute("aria-label", label); return x; };
      // Not draggable: a drag would start the browser's drag and drop instead of a swipe.
      this.img = el("img", { className: "viewer-img", alt: "", draggable: false });
      this.stage = el("div", { className: "viewer-stage" }, this.img);
      this.prevB = b("viewer-prev", "Previous photo", "‹");
      this.nextB = b("viewer-next", "Next photo", "›");
      this.closeB = b("viewer-close", "Close the viewer", "×");
      this.zoomB = b("viewer-zoom", "Zoom", "Zoom");
      this.infoB = b("viewer-info", "Details", "Details");
      this.panel = el("aside", { className: "viewer-details" });
      this.panel.setAttribute("aria-label", "Details");
      this.root = el("div", { className: "viewer" },
        el("div", { className: "viewer-bar" }, this.zoomB, this.infoB, this.closeB), this.stage, this.prevB, this.nextB, this.panel);
      this.root.setAttribute("role", "dialog");
      this.root.setAttribute("aria-modal", "true");
      this.root.setAttribute("aria-label", "Photo viewer");
      this.prevB.onclick = () => this.move(-1);
      this.nextB.onclick = () => this.move(1);
      this.closeB.onclick = () => history.back();
      this.zoomB.onclick = () => this.zoom(!this.zoomed);
      this.infoB.onclick = () => this.root.classList.toggle("with-details");
      this.onKey = (e) => {
        if (e.key === "ArrowRight") { e.preventDefault(); this.move(1); }
        else if (e.key === "ArrowLeft") { e.preventDefault(); this.move(-1); }
        else if (e.key === "Escape") { e.preventDefault(); history.back(); }
        else if (e.key === "Tab") this.trapFocus(e);
      };
      let startX = null;
      this.stage.addEventListener("pointerdown", (e) => { startX = this.zoomed ? null : e.clientX; });
      this.stage.addEventListener("pointerup", (e) => {
        if (startX === null) return;
        const dx = e.clientX - startX;
        startX = null;
        if (Math.abs(dx) > 50) this.move(dx < 0 ? 1 : -1);
      });
    },
    trapFocus(e) {
      const focusable = $$("button:not([hidden]), a[href]", this.root).filter((x) => x.offsetParent !== null);
      if (!focusable.length) return;
      const first = focusable[0], last = focusable[focusable.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    },
    open(i) {
      if (!this.root) this.build();
      this.title = document.title;
      document.body.append(this.root);
      document.body.classList.add("viewing");
      document.addEventListener("keydown", this.onKey);
      this.show(i, "push");
      this.closeB.focus();
    },
    close(goBack) {
      if (!this.root || !this.root.isConnected) return;
      document.removeEventListener("keydown", this.onKey);
      this.root.remove();
      document.body.classList.remove("viewing");
      document.title = this.title;
      const li = this.tiles()[this.index];
      if (li) { li.scrollIntoView({ block: "nearest" }); $("a.thumb", li).focus({ preventScroll: true }); }
      if (goBack) history.back();
    },
    preview(li) { return $("img.real", li).getAttribute("src").replace(/thumb\.webp$/, "preview.webp"); },
    move(step) {
      const n = this.tiles().length;
      const i = this.index + step;
      if (i >= 0 && i < n) this.show(i, "replace");
    },
    show(i, how) {
      const tiles = this.tiles();
      const li = tiles[i];
      if (!li) return;
      this.index = i;
      this.zoom(false);
      this.original = null;
      this.zoomB.hidden = true;
      const link = $("a.thumb", li);
      const name = link.getAttribute("title") || "";
      this.img.src = this.preview(li);
      this.img.alt = name;
      document.title = name + " · Gallery";
      const state = { viewer: link.getAttribute("href") };
      if (how === "push") history.pushState(state, "", state.viewer); else history.replaceState(state, "", state.viewer);
      this.prevB.hidden = i === 0;
      this.nextB.hidden = i === tiles.length - 1;
      for (const j of [i - 1, i + 1]) if (tiles[j]) new Image().src = this.preview(tiles[j]);
      this.details(state.viewer, i);
    },
    // The details are the photo page's own (rendered and authorized by the server): its
    // title, description, tags and facts, and the original when this viewer may have it.
    async details(href, i) {
      this.panel.textContent = "";
      this.panel.append(el("p", { className: "muted", textContent: "Loading…" }));
      let doc;
      try {
        const r = await fetch(href, { credentials: "same-origin" });
        if (!r.ok) throw new Error(String(r.status));
        doc = new DOMParser().parseFromString(await r.text(), "text/html");
      } catch (e) {
        if (i === this.index) this.panel.firstChild.textContent = "The details could not be loaded.";
        return;
      }
      if (i !== this.index) return;
      this.panel.textContent = "";
      for (const sel of ["article.photo h1", "article.photo .description", "article.photo .tags", "article.photo dl.facts"]) {
        const node = $(sel, doc);
        if (node) this.panel.append(document.adoptNode(node));
      }
      this.panel.append(el("p", {}, el("a", { href, textContent: "Open the photo's page" })));
      localTimes(this.panel);
      const original = $("article.photo a[download]", doc);
      if (original && !/encrypted/i.test(original.textContent)) {
        this.original = original.getAttribute("href");
        this.zoomB.hidden = false;
      }
    },
    zoom(on) {
      this.zoomed = on && !!this.original;
      this.root?.classList.toggle("zoomed", this.zoomed);
      if (!this.zoomB) return;
      this.zoomB.textContent = this.zoomed ? "Fit" : "Zoom";
      this.zoomB.setAttribute("aria-pressed", String(this.zoomed));
      const li = this.tiles()[this.index];
      if (li) this.img.src = this.zoomed ? this.original : this.preview(li);
    },
  };

  function start() {
    localTimes();
    Grid.init();
    Uploads.init();
    Viewer.init();
    infiniteScroll();
    Live.kick(500);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
