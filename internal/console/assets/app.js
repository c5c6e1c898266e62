// guocedb console: hash-routed pages over the JSON endpoints under
// /ui/api/. Everything is built with DOM calls and textContent, never
// from HTML strings, so no value from the server is ever parsed as markup.
"use strict";

(function () {
  let csrf = "";
  let canKill = false;
  let timer = null;
  // The kill button waiting for its confirming click ("id:queryOnly"),
  // kept across the sessions page's refreshes.
  let armedKill = "";

  const $ = (id) => document.getElementById(id);

  function el(tag, props, ...children) {
    const n = document.createElement(tag);
    for (const k in props || {}) {
      if (k === "class") n.className = props[k];
      else if (k === "text") n.textContent = props[k];
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), props[k]);
      else n.setAttribute(k, props[k]);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return n;
  }

  class AuthError extends Error {}

  async function api(path, body) {
    const opts = { credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      opts.method = "POST";
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (csrf) opts.headers["X-CSRF-Token"] = csrf;
    const res = await fetch("/ui/api/" + path, opts);
    let data = {};
    try { data = await res.json(); } catch (e) { /* empty body */ }
    if (res.status === 401) throw new AuthError(data.error || "log in first");
    if (!res.ok) throw new Error(data.error || res.status + " " + res.statusText);
    return data;
  }

  // Formatting.
  function num(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 1 : digits });
  }
  function bytes(v) {
    if (!v) return "0 B";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return v.toFixed(i ? 1 : 0) + " " + u[i];
  }
  function duration(s) {
    s = Math.floor(s);
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    if (m) return m + "m " + (s % 60) + "s";
    return s + "s";
  }
  function ms(v) { return v === null || v === undefined ? "–" : num(v, v < 10 ? 2 : 1) + " ms"; }

  function card(label, value, id) {
    return el("div", { class: "card" }, el("div", { class: "label", text: label }), el("div", { class: "value", id: id, text: value }));
  }

  function table(columns, rows, rowAttrs) {
    const head = el("tr", {}, ...columns.map((c) => el("th", { text: c.title })));
    const body = el("tbody");
    for (const r of rows) {
      const tr = el("tr", rowAttrs ? rowAttrs(r) : {});
      for (const c of columns) {
        const v = c.value(r);
        const td = el("td", { class: c.cls || "", "data-label": c.title });
        if (v instanceof Node) td.appendChild(v); else td.textContent = v;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    if (!rows.length) body.appendChild(el("tr", {}, el("td", { class: "muted", colspan: String(columns.length), text: "none" })));
    return el("div", { class: "tablewrap" }, el("table", {}, el("thead", {}, head), body));
  }

  // Pages. Each renders into the page section and may return a refresh
  // interval in milliseconds.
  const pages = {
    async overview(page) {
      const o = await api("overview");
      const live = o.live || {};
      page.replaceChildren(
        el("h1", { text: "Overview" }),
        el("div", { class: "cards" },
          card("Version", o.version, "ov-version"),
          card("Uptime", duration(o.uptime_seconds), "ov-uptime"),
          card("Queries per second", num(live.qps), "ov-qps"),
          card("Latency p50", ms(live.p50_ms), "ov-p50"),
          card("Latency p95", ms(live.p95_ms), "ov-p95"),
          card("Latency p99", ms(live.p99_ms), "ov-p99"),
          card("Connections open", num(o.connections.open, 0) + " (max " + num(o.connections.max_used, 0) + ")", "ov-conns"),
          card("Statements running", num(o.statements.running, 0), "ov-running"),
          card("Errors per second", num(live.errors_per_sec, 2), "ov-errors"),
          card("Slow statements", num(o.statements.slow, 0), "ov-slow"),
          card("Data size", bytes(o.data_size.total_bytes), "ov-size"),
          card("Databases / tables", o.databases + " / " + o.tables, "ov-tables")),
        el("p", { class: "muted", text: "Rates and percentiles over the last " + Math.round(live.window_seconds || 0) + " s; " +
          o.statements.total + " statements since the start (" + (o.ready ? "ready" : "not ready") + ")." }),
        el("div", { class: "charts", id: "charts" }));
      const charts = $("charts");
      const win = 3600;
      const add = (title, f, unit) => {
        const box = el("div", { class: "chart" });
        charts.appendChild(box);
        window.guocedbChart.draw(box, title, o.points || [], f, unit, win);
      };
      add("Queries per second", (p) => p.qps, "/s");
      add("Latency p99", (p) => p.p99_ms, "ms");
      add("Connections", (p) => p.connections, "");
      add("Errors per second", (p) => p.errors_per_sec, "/s");
      return 5000;
    },

    async sessions(page) {
      const s = await api("sessions");
      const killButton = (r, queryOnly) => {
        const label = queryOnly ? "Kill query" : "Kill";
        const key = r.id + ":" + queryOnly;
        const b = el("button", { type: "button", class: "danger", "data-kill": String(r.id), "data-query-only": String(queryOnly), text: label });
        const arm = () => { b.classList.add("armed"); b.textContent = "Confirm " + label.toLowerCase(); };
        if (armedKill === key) arm();
        b.addEventListener("click", async () => {
          if (armedKill !== key) {
            armedKill = key;
            arm();
            return;
          }
          armedKill = "";
          try {
            await api("sessions/kill", { id: r.id, query_only: queryOnly });
            $("page-error").textContent = "";
            render();
          } catch (e) { fail(e); }
        });
        return b;
      };
      const cols = [
        { title: "Id", value: (r) => String(r.id), cls: "num" },
        { title: "User", value: (r) => r.user },
        { title: "Host", value: (r) => r.host },
        { title: "DB", value: (r) => r.db },
        { title: "Command", value: (r) => r.command },
        { title: "Time", value: (r) => duration(r.time_seconds), cls: "num" },
        { title: "State", value: (r) => r.state },
        { title: "Statement", value: (r) => r.info, cls: "sql" },
      ];
      if (canKill) {
        cols.push({ title: "", value: (r) => el("span", {}, killButton(r, true), " ", killButton(r, false)) });
      }
      page.replaceChildren(el("h1", { text: "Sessions" }),
        el("p", { class: "muted", text: s.sessions.length + " client connections (SHOW PROCESSLIST)." + (canKill ? "" : " Killing needs SUPER or CONNECTION_ADMIN.") }),
        table(cols, s.sessions, (r) => ({ "data-id": String(r.id) })));
      return 3000;
    },

    async statements(page) {
      const q = page.dataset.q || "";
      const s = await api("statements?q=" + encodeURIComponent(q));
      const search = el("input", { type: "search", id: "stmt-search", placeholder: "filter statements", value: q });
      search.addEventListener("change", () => { page.dataset.q = search.value; render(); });
      page.replaceChildren(el("h1", { text: "Statements" }),
        el("p", { class: "muted", text: "Normalized statements since the start, most total time first (also in performance_schema.events_statements_summary_by_digest)." }),
        el("div", { class: "toolbar" }, search),
        table([
          { title: "Statement", value: (r) => r.digest_text, cls: "sql" },
          { title: "Schema", value: (r) => r.schema },
          { title: "Count", value: (r) => num(r.count, 0), cls: "num" },
          { title: "Total", value: (r) => num(r.total_seconds, 3) + " s", cls: "num" },
          { title: "Avg", value: (r) => ms(r.avg_ms), cls: "num" },
          { title: "p95", value: (r) => ms(r.p95_ms), cls: "num" },
          { title: "Rows examined", value: (r) => num(r.rows_examined, 0), cls: "num" },
          { title: "Rows sent", value: (r) => num(r.rows_sent, 0), cls: "num" },
          { title: "Errors", value: (r) => num(r.errors, 0), cls: "num" },
          { title: "Last seen", value: (r) => r.last_seen },
        ], s.statements, (r) => ({ "data-digest": r.digest })));
      return 0;
    },

    async slow(page) {
      const q = page.dataset.q || "";
      const s = await api("slow?q=" + encodeURIComponent(q));
      const search = el("input", { type: "search", id: "slow-search", placeholder: "search query, user or database", value: q });
      const form = el("form", { class: "toolbar" }, search, el("button", { type: "submit", id: "slow-submit", text: "Search" }));
      form.addEventListener("submit", (e) => { e.preventDefault(); page.dataset.q = search.value; render(); });
      page.replaceChildren(el("h1", { text: "Slow queries" }),
        el("p", { class: "muted", text: "The slow query log's latest entries, newest first (literals of passwords masked)." }),
        form,
        table([
          { title: "Time", value: (r) => r.time.replace("T", " ").replace(/\.\d+Z$/, "Z") },
          { title: "Duration", value: (r) => num(r.duration_seconds, 3) + " s", cls: "num" },
          { title: "Query", value: (r) => r.query, cls: "sql" },
          { title: "Rows examined", value: (r) => num(r.rows_examined, 0), cls: "num" },
          { title: "Rows sent", value: (r) => num(r.rows_sent, 0), cls: "num" },
          { title: "User", value: (r) => r.user },
          { title: "DB", value: (r) => r.db },
        ], s.entries, () => ({ class: "slow-entry" })));
      return 0;
    },

    async tables(page) {
      const s = await api("tables");
      page.replaceChildren(el("h1", { text: "Tables" }),
        el("p", { class: "muted", text: "Rows are exact where guocedb keeps the count (marked ~ where estimated); sizes are estimates (information_schema DATA_LENGTH)." }),
        table([
          { title: "Database", value: (r) => r.database },
          { title: "Table", value: (r) => r.table },
          { title: "Rows", value: (r) => (r.rows_exact ? "" : "~") + num(r.rows, 0), cls: "num" },
          { title: "Data size", value: (r) => bytes(r.data_bytes), cls: "num" },
        ], s.tables));
      return 0;
    },

    async locks(page) {
      const s = await api("locks");
      const kids = [el("h1", { text: "Locks and waits" }),
        el("p", { class: "muted", text: "Row locks held now: " + num(s.held, 0) + "; requests waiting: " + num(s.current_waits, 0) +
          ". Since start: " + num(s.waits_total, 0) + " waits (" + num(s.wait_seconds_total, 1) + " s), " +
          num(s.deadlocks, 0) + " deadlocks, " + num(s.timeouts, 0) + " lock wait timeouts (error 1205)." }),
        el("h2", { text: "Waiting now" }),
        table([
          { title: "Waiting session", value: (r) => String(r.waiting), cls: "num" },
          { title: "Blocked by", value: (r) => String(r.blocking), cls: "num" },
          { title: "Table", value: (r) => r.schema + "." + r.table },
          { title: "Index", value: (r) => r.index },
          { title: "Key", value: (r) => r.data, cls: "sql" },
          { title: "Wants", value: (r) => r.mode },
          { title: "Held as", value: (r) => r.blocking_mode },
          { title: "Waiting for", value: (r) => num(r.wait_seconds, 1) + " s", cls: "num" },
        ], s.waits, () => ({ class: "lock-wait" }))];
      kids.push(el("h2", { text: "Latest detected deadlock" }));
      kids.push(s.latest_deadlock ? el("pre", { class: "sql deadlock", text: s.latest_deadlock }) :
        el("p", { class: "muted", text: "None since the server started." }));
      page.replaceChildren(...kids);
      return 0;
    },

    async cluster(page) {
      const s = await api("cluster");
      const c = s.cluster;
      if (!c) {
        placeholder(page, "Cluster", "This server runs as a single node (no --raft-addr). See the README's cluster section to run 3 to 5 members.");
        return 0;
      }
      const members = [{ node_id: c.node_id + " (this member)", role: c.role, lag: 0, active: true, match_index: c.last_index }]
        .concat(c.peers.map((p) => Object.assign({ role: p.node_id === c.leader ? "leader" : "follower" }, p)));
      page.replaceChildren(el("h1", { text: "Cluster" }),
        el("p", { class: "muted", text: "Leader: " + (c.leader || "none known") + "; term " + c.term + "; commit index " +
          num(c.commit_index, 0) + ", applied " + num(c.applied_index, 0) + "; " + c.leader_changes + " leader changes seen. " +
          (c.writable ? "This member accepts writes." : "This member refuses writes (error 1290).") +
          (c.role === "leader" ? "" : " Lag and activity of the others are known on the leader.") }),
        table([
          { title: "Member", value: (r) => r.node_id },
          { title: "Role", value: (r) => r.role },
          { title: "Raft address", value: (r) => r.raft_addr || "" },
          { title: "Match index", value: (r) => num(r.match_index, 0), cls: "num" },
          { title: "Behind (entries)", value: (r) => num(r.lag, 0), cls: "num" },
          { title: "Reachable", value: (r) => (r.active ? "yes" : "no") },
        ], members, () => ({ class: "member" })));
      return 0;
    },

    async backups(page) {
      const s = await api("backups");
      page.replaceChildren(el("h1", { text: "Backups" }),
        el("p", { class: "muted", text: "Online backups this server streamed since it started (guocedb backup --server); offline backups of a stopped server's directory (--data-dir) are not known to it." }),
        table([
          { title: "Started", value: (r) => r.started },
          { title: "Finished", value: (r) => r.finished },
          { title: "Kind", value: (r) => r.kind },
          { title: "Size", value: (r) => bytes(r.bytes), cls: "num" },
          { title: "Status", value: (r) => r.error ? "failed: " + r.error : "completed" },
        ], s.backups));
      return 0;
    },
  };

  function placeholder(page, title, text) {
    page.replaceChildren(el("h1", { text: title }), el("div", { class: "placeholder", text: text }));
  }

  function currentPage() {
    const name = location.hash.replace(/^#\/?/, "");
    return pages[name] ? name : "overview";
  }

  function fail(e) {
    if (e instanceof AuthError) { showLogin(e.message); return; }
    $("page-error").textContent = e.message;
  }

  async function render() {
    clearTimeout(timer);
    const name = currentPage();
    for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === name);
    const page = $("page");
    page.dataset.page = name;
    try {
      const every = await pages[name](page);
      $("page-error").textContent = "";
      if (every && currentPage() === name) timer = setTimeout(render, every);
    } catch (e) { fail(e); }
  }

  function showLogin(msg) {
    clearTimeout(timer);
    csrf = "";
    $("nav").hidden = true;
    $("who").hidden = true;
    $("page").hidden = true;
    $("page-error").textContent = "";
    $("login").hidden = false;
    $("login-error").textContent = msg && msg !== "log in first" ? msg : "";
  }

  function showApp(info) {
    csrf = info.csrf_token;
    canKill = info.can_kill;
    $("who-user").textContent = info.user;
    $("login").hidden = true;
    $("nav").hidden = false;
    $("who").hidden = false;
    $("page").hidden = false;
    render();
  }

  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const info = await api("login", { user: $("login-user").value, password: $("login-password").value });
      $("login-password").value = "";
      showApp(info);
    } catch (err) {
      $("login-error").textContent = err.message;
    }
  });
  $("logout").addEventListener("click", async () => {
    try { await api("logout", {}); } catch (e) { /* logged out anyway */ }
    showLogin("");
  });
  window.addEventListener("hashchange", () => { const p = $("page"); delete p.dataset.q; render(); });

  api("session").then(showApp).catch((e) => showLogin(e instanceof AuthError ? "" : e.message));
})();
