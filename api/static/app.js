// GraphRisk investigator page: plain modern JavaScript over the JSON API (docs/api.md).
// Views are reached by URL hash (#/alerts, #/customer/C000042, #/case/CASE-…) so links work.
// The network is drawn with Cytoscape.js (and its fcose layout), loaded from /static/vendor/.
// Nothing here writes server data as HTML: text goes through textContent (el() below).

const KEY_STORE = "graphrisk.key";
const TIER_COLOUR = { high: "#d1383d", medium: "#e39a1f", low: "#3a9a63" };
const UNSCORED = "#9aa6b2";
const RING = "#7b3fe4";
// Other labels: distinct shapes, muted colours (customers carry the risk colour).
const LABEL_LOOK = {
  Account: { shape: "round-rectangle", colour: "#8fa3b8", legend: "sq" },
  Identifier: { shape: "diamond", colour: "#b4a5cc", legend: "dia" },
  Counterparty: { shape: "hexagon", colour: "#a3b49a", legend: "sq" },
  Dispute: { shape: "triangle", colour: "#d0a58c", legend: "sq" },
  Loan: { shape: "barrel", colour: "#c5b889", legend: "sq" },
  AccountChange: { shape: "vee", colour: "#b9a0a0", legend: "sq" },
};
const OTHER_LOOK = { shape: "rectangle", colour: "#b8c0c8", legend: "sq" };
// The case workflow (graphrisk.monitoring.records.MOVES); closing has its own form.
const MOVES = { open: ["investigating"], investigating: ["escalated"], escalated: ["investigating"] };
const CLOSABLE = new Set(["investigating", "escalated"]);

const state = { key: sessionStorage.getItem(KEY_STORE), me: null, schema: null, graphs: [] };
let navToken = 0;
// A debugging and testing hook: the network on screen (window.graphrisk.cy).
window.graphrisk = { cy: null };

// ---------------------------------------------------------------------------- helpers
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  let value;
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "value") value = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  if (value !== undefined) node.value = value;
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, v);
  for (const child of children.flat()) if (child !== null && child !== undefined) {
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const fmt = {
  date(iso) {
    if (!iso) return "—";
    const text = String(iso);
    return text.length > 10 ? text.slice(0, 16).replace("T", " ") : text;
  },
  day(iso) { return iso ? String(iso).slice(0, 10) : "—"; },
  money(value) {
    if (value === null || value === undefined || value === "") return "—";
    const n = Number(value);
    return Number.isFinite(n) ? n.toLocaleString("en", { maximumFractionDigits: n < 100 ? 2 : 0 }) : String(value);
  },
  score(value) { return value === null || value === undefined ? "—" : Number(value).toFixed(1); },
  share(value) { return value === null || value === undefined ? "—" : `${Math.round(Number(value) * 100)}%`; },
  value(value) {
    if (value === null || value === undefined) return "—";
    if (Array.isArray(value)) return value.map((v) => fmt.value(v)).join(", ");
    if (typeof value === "object") return JSON.stringify(value);
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : fmt.money(value);
    return String(value);
  },
  words(text) { return String(text || "").replaceAll("_", " "); },
  short(text, n) { const s = String(text ?? ""); return s.length > n ? `${s.slice(0, n - 1)}…` : s; },
};

function tierPill(tier, score) {
  if (!tier) return el("span", { class: "pill" }, "not scored");
  return el("span", { class: `pill ${tier}` }, score === undefined || score === null ? tier : `${tier} · ${fmt.score(score)}`);
}
function statusPill(status) { return el("span", { class: `pill status-${status}` }, fmt.words(status)); }
function customerLink(id, name) {
  return el("a", { href: `#/customer/${encodeURIComponent(id)}` }, name ? `${name}` : id);
}
function isOverdue(iso, done) { return !done && iso && new Date(iso) < new Date(); }
function may(role) {
  const order = ["viewer", "investigator", "admin"];
  return state.me && order.indexOf(state.me.role) >= order.indexOf(role);
}

function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, kind === "error" ? 7000 : 3500);
}

function problemBox(error, title, kind) {
  const status = error.status ? ` (${error.status})` : "";
  return el("div", { class: `callout ${kind || (error.status === 501 ? "info" : "error")}`, role: "alert" },
    el("strong", {}, title || `${error.title || "Something went wrong"}${status}`),
    error.message);
}
const loading = (what) => el("div", { class: "loading" }, what || "Loading…");

// ---------------------------------------------------------------------------- the API
class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title;
    this.problem = problem;
  }
}

async function api(path, { method = "GET", params, body } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Authorization: `Bearer ${state.key}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { title: "The server cannot be reached", detail: `${err.message}; is graphrisk serve running?` });
  }
  if (response.ok) return response.status === 204 ? null : response.json();
  let problem = {};
  try { problem = await response.json(); } catch { problem = { detail: response.statusText }; }
  const error = new ApiError(response.status, problem);
  if (response.status === 401) showLogin(error.message);
  throw error;
}

async function schema() {
  // Enumerations (contact channels, outcomes) come from the live OpenAPI document.
  if (!state.schema) {
    try { state.schema = await (await fetch("/api/openapi.json")).json(); } catch { state.schema = {}; }
  }
  return state.schema;
}
async function enumOf(model, field, fallback) {
  const doc = await schema();
  const prop = doc?.components?.schemas?.[model]?.properties?.[field];
  const values = prop?.enum || prop?.anyOf?.find((a) => a.enum)?.enum;
  return values && values.length ? values : fallback;
}

// ---------------------------------------------------------------------------- login
function showLogin(message) {
  state.key = null;
  state.me = null;
  sessionStorage.removeItem(KEY_STORE);
  destroyGraphs();
  document.getElementById("app").hidden = true;
  document.getElementById("login").hidden = false;
  const error = document.getElementById("login-error");
  error.textContent = message || "";
  error.hidden = !message;
  document.getElementById("login-key").focus();
}

async function logIn(key) {
  state.key = key;
  const me = await api("/api/me");
  state.me = me;
  sessionStorage.setItem(KEY_STORE, key);
  document.getElementById("login").hidden = true;
  document.getElementById("app").hidden = false;
  document.getElementById("who-name").textContent = me.name;
  const role = document.getElementById("who-role");
  role.textContent = me.masked ? `${me.role} · masked` : me.role;
  role.title = me.masked ? "Names and identifiers are masked for your role" : "";
  document.getElementById("store-name").textContent = `${me.store} store`;
  document.querySelector('[data-nav="query"]').hidden = !may("investigator");
  route();
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = document.getElementById("login-key").value.trim();
  if (!key) return;
  try {
    await logIn(key);
    document.getElementById("login-key").value = "";
  } catch (err) {
    if (err.status !== 401) showLogin(err.message);
  }
});
document.getElementById("logout").addEventListener("click", () => {
  showLogin("");
  location.hash = "#/alerts";
});
document.addEventListener("keydown", (event) => {
  // "/" jumps to the search box, as in most tools
  if (event.key === "/" && !event.target.closest("input, textarea, select") && state.me) {
    event.preventDefault();
    document.getElementById("search-input").focus();
  }
});
document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("search-input").value.trim();
  if (q) location.hash = `#/customers?q=${encodeURIComponent(q)}`;
});

// ---------------------------------------------------------------------------- routing
const ROUTES = [
  [/^\/alerts$/, () => viewAlerts()],
  [/^\/customers$/, () => viewSearch()],
  [/^\/customer\/([^/]+)$/, (m) => viewCustomer(decodeURIComponent(m[1]))],
  [/^\/network\/([^/]+)$/, (m) => viewNetwork(decodeURIComponent(m[1]))],
  [/^\/clusters$/, () => viewClusters()],
  [/^\/cluster\/([^/]+)$/, (m) => viewCluster(decodeURIComponent(m[1]))],
  [/^\/cases$/, () => viewCases()],
  [/^\/case\/([^/]+)$/, (m) => viewCase(decodeURIComponent(m[1]))],
  [/^\/path$/, () => viewPath()],
  [/^\/query$/, () => viewQuery()],
];

function hashParts() {
  const raw = location.hash.replace(/^#/, "") || "/alerts";
  const [path, query] = raw.split("?");
  return { path, params: new URLSearchParams(query || "") };
}
function setHashParams(params) {
  const { path } = hashParts();
  const text = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null)).toString();
  history.replaceState(null, "", `#${path}${text ? `?${text}` : ""}`);
}

function destroyGraphs() {
  for (const graph of state.graphs) graph.destroy();
  state.graphs = [];
  window.graphrisk.cy = null;
  document.getElementById("tooltip").hidden = true;
}

async function route() {
  if (!state.me) return;
  const { path } = hashParts();
  const token = ++navToken;
  destroyGraphs();
  const main = document.getElementById("view");
  main.replaceChildren(loading());
  const section = path.split("/")[1];
  const navFor = { customer: "customers", network: "customers", cluster: "clusters", case: "cases" }[section] || section;
  for (const a of document.querySelectorAll(".sidenav a")) a.classList.toggle("active", a.dataset.nav === navFor);
  const found = ROUTES.find(([pattern]) => pattern.test(path));
  try {
    const content = found ? await found[1](path.match(found[0])) : notFound(path);
    if (token !== navToken) return; // the user went elsewhere meanwhile
    main.replaceChildren(content);
    main.scrollTop = 0;
    startGraphs();
  } catch (err) {
    if (token !== navToken || err.status === 401) return;
    main.replaceChildren(problemBox(err));
  }
}
window.addEventListener("hashchange", route);
function startGraphs() {
  for (const graph of state.graphs) if (!graph.started && !graph.deferred) graph.start();
}
function notFound(path) { return el("div", { class: "callout warn" }, el("strong", {}, "No such page"), `Nothing lives at #${path}.`); }
function stillHere(token) { return token === navToken; }

function pager(page, onPage) {
  const { total, limit, offset } = page;
  if (total <= limit && offset === 0) return el("div", { class: "pager" }, `${total} in all`);
  return el("div", { class: "pager" },
    `${offset + 1}–${Math.min(offset + limit, total)} of ${total}`,
    el("button", { class: "small", disabled: offset === 0, onclick: () => onPage(Math.max(0, offset - limit)) }, "‹ Previous"),
    el("button", { class: "small", disabled: offset + limit >= total, onclick: () => onPage(offset + limit) }, "Next ›"));
}

// ---------------------------------------------------------------------------- alerts
async function viewAlerts() {
  const { params } = hashParts();
  // the queue is the new alerts by default; "all" is every live one (the API's default)
  const filters = {
    status: params.get("status") || "new", severity: params.get("severity") || "",
    rule: params.get("rule") || "", customer: params.get("customer") || "",
    offset: Number(params.get("offset") || 0),
  };
  const page = await api("/api/alerts", { params: { ...filters, status: filters.status === "all" ? "" : filters.status, limit: 50 } });
  const apply = (changes) => {
    const next = { ...filters, offset: 0, ...changes };
    setHashParams(next);
    route();
  };
  const select = (name, options, label) => el("div", { class: "field" }, el("label", { for: `f-${name}` }, label),
    el("select", { id: `f-${name}`, value: filters[name], onchange: (e) => apply({ [name]: e.target.value }) },
      options.map(([v, text]) => el("option", { value: v }, text))));
  const text = (name, label, placeholder) => el("div", { class: "field" }, el("label", { for: `f-${name}` }, label),
    el("input", { id: `f-${name}`, value: filters[name], placeholder, size: 14,
      onchange: (e) => apply({ [name]: e.target.value.trim() }) }));
  const rows = page.items.map((alert) => el("tr", { class: "clickable", dataset: { alert: alert.alert_id } },
    el("td", {}, el("span", { class: `sev ${alert.severity}` }, alert.severity)),
    el("td", { class: "nowrap", title: `raised ${fmt.date(alert.raised_at)}` }, fmt.date(alert.at)),
    el("td", { class: "nowrap" }, customerLink(alert.customer_id), " ", tierPill(alert.tier)),
    el("td", { class: "sentence" }, alert.sentence, el("div", { class: "faint" }, fmt.words(alert.rule),
      alert.mode === "shadow" ? " · shadow rule" : "")),
    el("td", { class: "nowrap" }, alert.case_id ? el("a", { href: `#/case/${encodeURIComponent(alert.case_id)}` }, alert.case_id) : "—"),
    el("td", {}, statusPill(alert.status),
      alert.acknowledged_by ? el("div", { class: "faint" }, `by ${alert.acknowledged_by}`) : null),
    el("td", {}, may("investigator") && alert.status === "new"
      ? el("button", { class: "small", onclick: async (e) => {
        e.stopPropagation();
        e.target.disabled = true;
        try {
          await api(`/api/alerts/${encodeURIComponent(alert.alert_id)}/acknowledge`, { method: "POST" });
          toast(`Acknowledged ${alert.alert_id}`);
          route();
        } catch (err) { e.target.disabled = false; toast(err.message, "error"); }
      } }, "Acknowledge") : null)));
  for (const row of rows) {
    row.addEventListener("click", (e) => {
      if (e.target.closest("a,button")) return;
      location.hash = `#/customer/${encodeURIComponent(page.items[rows.indexOf(row)].customer_id)}`;
    });
  }
  return el("div", {},
    el("div", { class: "page-head" }, el("h1", {}, "Alert queue"),
      el("span", { class: "muted" }, "most severe first, newest first within a severity")),
    el("div", { class: "filters" },
      select("status", [["new", "New"], ["acknowledged", "Acknowledged"], ["all", "All live"], ["unfiled", "Unfiled"], ["shadow", "Shadow rules"]], "Status"),
      select("severity", [["", "Any"], ["critical", "Critical"], ["high", "High"], ["medium", "Medium"], ["low", "Low"]], "Severity"),
      text("rule", "Rule", "e.g. single_payment"),
      text("customer", "Customer", "C0000…")),
    page.items.length
      ? el("div", { class: "table-wrap" }, el("table", { class: "list", id: "alerts-table" },
        el("thead", {}, el("tr", {}, ["Severity", "Event time", "Customer", "Alert", "Case", "Status", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows)))
      : el("div", { class: "card empty" }, "No alerts match. Quiet day."),
    pager(page, (offset) => apply({ offset })));
}

// ---------------------------------------------------------------------------- customers
async function viewSearch() {
  const { params } = hashParts();
  const q = params.get("q") || "";
  const offset = Number(params.get("offset") || 0);
  document.getElementById("search-input").value = q;
  const head = el("div", { class: "page-head" }, el("h1", {}, "Customers"));
  const form = el("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    const value = e.target.elements.q.value.trim();
    if (value) location.hash = `#/customers?q=${encodeURIComponent(value)}`;
  } }, el("div", { class: "field" }, el("label", { for: "q" }, "Id, name or identifier (phone, e-mail, address, device, IP)"),
    el("input", { id: "q", name: "q", value: q, size: 40, placeholder: "C0000123, Lima, +351…", autofocus: true })),
  el("button", { class: "primary", type: "submit" }, "Search"));
  if (!q) return el("div", {}, head, form, el("div", { class: "card empty" }, "Search by customer id (or its start), words of a name, or an identifier value."));
  const page = await api("/api/customers", { params: { q, limit: 50, offset } });
  if (!offset && page.items[0]?.customer_id.toLowerCase() === q.toLowerCase()) {
    // an exact customer id: straight to the customer (Back returns to where the search began)
    location.replace(`#/customer/${encodeURIComponent(page.items[0].customer_id)}`);
    return loading();
  }
  const rows = page.items.map((c) => el("tr", { class: "clickable", onclick: () => { location.hash = `#/customer/${encodeURIComponent(c.customer_id)}`; } },
    el("td", { class: "mono" }, customerLink(c.customer_id)),
    el("td", {}, c.name || "—"),
    el("td", {}, [c.segment, c.country].filter(Boolean).join(" · ") || "—"),
    el("td", {}, tierPill(c.tier)),
    el("td", { class: "num" }, fmt.score(c.score)),
    el("td", {}, el("a", { href: `#/network/${encodeURIComponent(c.customer_id)}`, onclick: (e) => e.stopPropagation() }, "network"))));
  return el("div", {}, head, form,
    page.items.length
      ? el("div", { class: "table-wrap" }, el("table", { class: "list", id: "search-results" },
        el("thead", {}, el("tr", {}, ["Customer", "Name", "Segment", "Tier", "Score", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows)))
      : el("div", { class: "card empty" }, `No customer matches “${q}”.`),
    pager(page, (next) => { location.hash = `#/customers?q=${encodeURIComponent(q)}&offset=${next}`; }));
}

function historyChart(history) {
  if (!history.length) return el("p", { class: "muted" }, "No scores yet.");
  const W = 560, H = 190, L = 34, R = 14, T = 16, B = 26;
  const times = history.map((p) => new Date(p.created_at).getTime());
  const span = Math.max(...times) - Math.min(...times);
  const x = (i) => history.length === 1 ? (L + W - R) / 2
    : span > 0 ? L + ((times[i] - Math.min(...times)) / span) * (W - L - R) : L + (i / (history.length - 1)) * (W - L - R);
  const y = (s) => T + (1 - s / 100) * (H - T - B);
  const parts = [];
  for (const tick of [0, 25, 50, 75, 100]) {
    parts.push(svg("line", { class: "gridline", x1: L, x2: W - R, y1: y(tick), y2: y(tick) }));
    parts.push(svg("text", { x: L - 6, y: y(tick) + 4, "text-anchor": "end" }, String(tick)));
  }
  parts.push(svg("line", { class: "axis", x1: L, x2: W - R, y1: y(0), y2: y(0) }));
  if (history.length > 1) {
    parts.push(svg("polyline", { class: "line", points: history.map((p, i) => `${x(i)},${y(p.score)}`).join(" ") }));
  }
  let jump = null;
  history.forEach((p, i) => {
    if (i > 0) {
      const rise = p.score - history[i - 1].score;
      if (rise >= 10 && (!jump || rise > jump.rise)) jump = { i, rise };
    }
  });
  history.forEach((p, i) => {
    parts.push(svg("circle", { cx: x(i), cy: y(p.score), r: 4.5, fill: TIER_COLOUR[p.tier] || UNSCORED, stroke: "#fff", "stroke-width": 1.5 },
      svg("title", {}, `${fmt.date(p.created_at)} · ${fmt.score(p.score)} (${p.tier}) · ${fmt.words(p.kind)}`)));
  });
  if (jump) {
    const p = history[jump.i];
    parts.push(svg("text", { class: "jump", x: x(jump.i), y: y(p.score) - 9, "text-anchor": "middle" }, `+${jump.rise.toFixed(1)}`));
  }
  // dates on the axis; with the time too when the scores all fall within two days
  const label = span < 2 * 86400e3 ? fmt.date : fmt.day;
  if (history.length === 1) parts.push(svg("text", { x: x(0), y: H - 6, "text-anchor": "middle" }, label(history[0].created_at)));
  else {
    parts.push(svg("text", { x: L, y: H - 6 }, label(history[0].created_at)));
    parts.push(svg("text", { x: W - R, y: H - 6, "text-anchor": "end" }, label(history.at(-1).created_at)));
  }
  return el("div", { class: "chart" },
    svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Score history" }, parts),
    el("p", { class: "faint", style: "margin:4px 0 0" }, jump
      ? `Largest jump: +${jump.rise.toFixed(1)} on ${fmt.date(history[jump.i].created_at)}.`
      : `${history.length} score${history.length === 1 ? "" : "s"}; no jump of 10 points or more.`));
}

async function viewCustomer(id) {
  const c = await api(`/api/customers/${encodeURIComponent(id)}`);
  const reasons = c.reasons || [];
  const reasonList = el("ol", { class: "reasons" }, reasons.slice(0, 3).map((r) => el("li", {}, r)));
  const rest = reasons.slice(3);
  const components = Object.entries(c.components || {});
  const openCase = may("investigator") && !c.open_case ? el("button", { onclick: async (e) => {
    e.target.disabled = true;
    try {
      const made = await api("/api/cases", { method: "POST", body: { subjects: [c.customer_id], title: `Review of ${c.customer_id}` } });
      location.hash = `#/case/${encodeURIComponent(made.case_id)}`;
    } catch (err) { e.target.disabled = false; toast(err.message, "error"); }
  } }, "Open a case") : null;
  const explainSlot = el("div", {}, el("button", { class: "small", onclick: async (e) => {
    e.target.disabled = true;
    explainSlot.replaceChildren(loading("The model is explaining (a few seconds)…"));
    try {
      const x = await api(`/api/customers/${encodeURIComponent(c.customer_id)}/explanation`);
      explainSlot.replaceChildren(explanation(x));
    } catch (err) {
      explainSlot.replaceChildren(err.status === 409
        ? el("div", { class: "callout info" }, el("strong", {}, "No graph model to ask yet"),
          "An admin trains one with a training job; the score above stands on its own. ",
          el("span", { class: "faint" }, err.message))
        : problemBox(err));
    }
  } }, "Ask the graph model why"));
  return el("div", { class: "stack" },
    el("div", { class: "card" }, el("div", { class: "cust-head" },
      el("div", { class: `scorebox ${c.tier || ""}` }, el("div", {}, fmt.score(c.score), el("small", {}, c.tier || "—"))),
      el("div", { style: "flex:1; min-width:0" },
        el("h1", { id: "customer-name" }, c.name || c.customer_id),
        el("div", { class: "meta" },
          el("span", { class: "mono" }, c.customer_id),
          c.profile?.segment ? el("span", { class: "pill" }, c.profile.segment) : null,
          c.profile?.country ? el("span", { class: "pill" }, c.profile.country) : null,
          c.profile?.known_risk_label ? el("span", { class: "pill high" }, `known: ${fmt.words(c.profile.known_risk_label)}`) : null,
          c.cluster_id ? el("a", { class: "pill ring", href: `#/cluster/${encodeURIComponent(c.cluster_id)}` }, `ring ${c.cluster_id}`) : null,
          c.alerts ? el("a", { class: "pill high", href: `#/alerts?customer=${encodeURIComponent(c.customer_id)}` }, `${c.alerts} open alert${c.alerts === 1 ? "" : "s"}`) : null,
          c.open_case ? el("a", { class: "pill status-open", href: `#/case/${encodeURIComponent(c.open_case)}` }, `case ${c.open_case}`) : null,
          c.masked ? el("span", { class: "pill", title: "Your role sees personal data masked" }, "masked") : null),
        el("div", { class: "faint", style: "margin-top:6px" }, c.scored_at ? `scored ${fmt.date(c.scored_at)}` : "not scored yet")),
      el("div", { class: "row" },
        el("a", { class: "button primary", id: "open-network", href: `#/network/${encodeURIComponent(c.customer_id)}` }, "Network"),
        el("a", { class: "button", href: `#/path?source=${encodeURIComponent(c.customer_id)}` }, "How linked to…"),
        openCase))),
    listsPanel(c),
    el("div", { class: "grid2" },
      el("div", { class: "stack" },
        el("div", { class: "card" }, el("h3", {}, "Why this score"),
          reasons.length ? reasonList : el("p", { class: "muted" }, "No reasons recorded."),
          rest.length ? el("button", { class: "link", onclick: (e) => {
            for (const r of rest) reasonList.append(el("li", { class: "more" }, r));
            e.target.remove();
          } }, `Show ${rest.length} more`) : null),
        el("div", { class: "card" }, el("h3", {}, "Score history"), historyChart(c.history || [])),
        el("div", { class: "card" }, el("h3", {}, "Model explanation"), explainSlot)),
      el("div", { class: "stack" },
        el("div", { class: "card" }, el("h3", {}, "Score components"),
          components.length ? el("div", { class: "bars" }, components.map(([name, v]) => [
            el("span", {}, fmt.words(name)),
            el("div", { class: "bar" }, el("span", { style: `width:${Math.max(0, Math.min(1, v)) * 100}%` })),
            el("span", { class: "num" }, v.toFixed(2))])) : el("p", { class: "muted" }, "—")),
        el("div", { class: "card" }, el("h3", {}, "Identifiers"),
          c.identifiers?.length ? el("table", { class: "list" },
            el("thead", {}, el("tr", {}, el("th", {}, "Kind"), el("th", {}, "Value"), el("th", { class: "num" }, "Shared with"))),
            el("tbody", {}, c.identifiers.map((i) => el("tr", {},
              el("td", {}, fmt.words(i.kind)), el("td", { class: "mono" }, fmt.value(i.value)),
              el("td", { class: "num" }, i.shared_with ? el("span", { class: "pill high" }, `${i.shared_with} other${i.shared_with === 1 ? "" : "s"}`) : "0")))))
            : el("p", { class: "muted" }, "None on file.")),
        el("div", { class: "card" }, el("h3", {}, "Profile"), kvTable(c.profile || {})))));
}

// ---------------------------------------------------------------------------- lists and identities
// The customer's watch-list hits and the records that are probably the same person, each with
// confirm / dismiss (reject) for roles that may decide; a decision asks why (a note).
const HIT_SHOWN = ["open", "confirmed", "dismissed"];
const PAIR_SHOWN = ["open", "confirmed", "rejected"];
const PAST = { confirm: "Confirmed", dismiss: "Dismissed", reject: "Rejected" };

function listsPanel(c) {
  const card = el("div", { class: "card", id: "lists-panel" }, el("h3", {}, "Lists and identities"), loading());
  fillListsPanel(card, c);
  return card;
}

async function fillListsPanel(card, c) {
  const id = encodeURIComponent(c.customer_id);
  const statuses = (list) => list.map((s) => `status=${s}`).join("&");
  let hits, pairs;
  try {
    [hits, pairs] = await Promise.all([
      api(`/api/screening/hits?customer_id=${id}&${statuses(HIT_SHOWN)}`, { params: { limit: 100 } }),
      api(`/api/resolution/pairs?customer_id=${id}&${statuses(PAIR_SHOWN)}`, { params: { limit: 100 } }),
    ]);
  } catch (err) {
    card.replaceChildren(el("h3", {}, "Lists and identities"), problemBox(err));
    return;
  }
  const refresh = () => fillListsPanel(card, c);
  const open = hits.items.filter((h) => h.status === "open").length + pairs.items.filter((p) => p.status === "open").length;
  card.replaceChildren(
    el("div", { class: "panel-head" }, el("h3", {}, "Lists and identities"),
      open ? el("span", { class: "pill high" }, `${open} to decide`) : null),
    el("h4", {}, `Watch-list hits (${hits.total})`),
    hits.items.length ? el("table", { class: "list", id: "hits-table" },
      el("thead", {}, el("tr", {}, ["Entry", "List", "Score", "Why", "Status", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, hits.items.map((h) => hitRow(h, refresh))))
      : el("p", { class: "muted" }, "No hit on the loaded lists."),
    el("h4", {}, `Probably the same person (${pairs.total})`),
    pairs.items.length ? el("table", { class: "list", id: "pairs-table" },
      el("thead", {}, el("tr", {}, ["Other record", "Probability", "Why", "Status", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, pairs.items.map((p) => pairRow(p, c.customer_id, refresh))))
      : el("p", { class: "muted" }, "No other customer record or counterparty looks like the same person."));
}

function decidedBy(record) {
  const last = [...(record.history || [])].reverse().find((h) => ["confirmed", "dismissed", "rejected"].includes(h.action));
  return last ? el("div", { class: "faint" }, `by ${last.by} ${fmt.date(last.at)}`, last.note ? el("div", { class: "decision-note" }, `“${last.note}”`) : null) : null;
}

// Buttons that open a small form asking why; the decision is sent with the note.
function decideCell(path, choices, refresh) {
  const cell = el("td", { class: "nowrap decide" });
  const buttons = () => cell.replaceChildren(...choices.map(([action, label, kind]) => el("button", {
    class: `small ${kind || ""}`, onclick: () => ask(action, label, kind) }, label)));
  const ask = (action, label, kind) => {
    const note = el("input", { class: "decision-input", placeholder: "Why? (kept in the audit trail)", required: true, size: 28, "aria-label": `Why ${label.toLowerCase()}` });
    const send = el("button", { class: `small ${kind === "danger" ? "danger" : "primary"}`, type: "submit" }, label);
    cell.replaceChildren(el("form", { class: "decide-form", onsubmit: async (e) => {
      e.preventDefault();
      const text = note.value.trim();
      if (!text) { note.focus(); return; }
      send.disabled = true;
      try {
        await api(`${path}/${action}`, { method: "POST", body: { note: text } });
        toast(`${PAST[action]}: ${text}`);
        refresh();
      } catch (err) { send.disabled = false; toast(err.message, "error"); }
    } }, note, send, el("button", { class: "small link", type: "button", onclick: buttons }, "Cancel")));
    note.focus();
  };
  buttons();
  return cell;
}

function hitRow(h, refresh) {
  return el("tr", { dataset: { hit: h.hit_id } },
    el("td", {}, el("strong", {}, h.entry_name),
      h.matched_name && h.matched_name !== h.entry_name ? el("div", { class: "faint" }, `as “${h.matched_name}”`) : null,
      el("div", { class: "faint mono" }, h.entry_id)),
    el("td", {}, `${h.list_name} v${h.list_version}`, h.programme ? el("div", { class: "faint" }, `programme ${h.programme}`) : null),
    el("td", { class: "num" }, h.score.toFixed(2)),
    el("td", { class: "sentence" },
      el("div", { class: "agreed" }, (h.agreed || []).map((a) => el("span", { class: "pill agree" }, a)),
        (h.contradicted || []).map((a) => el("span", { class: "pill against" }, a))),
      el("div", { class: "faint" }, h.sentence)),
    el("td", {}, statusPill(h.status), decidedBy(h)),
    may("investigator") && h.status === "open"
      ? decideCell(`/api/screening/hits/${encodeURIComponent(h.hit_id)}`, [["confirm", "Confirm", "danger"], ["dismiss", "Dismiss"]], refresh)
      : el("td", {}));
}

// A pair is another customer record, or (side "counterparty") a counterparty this customer's
// money goes to or comes from: probably her own account outside the bank.
function pairRow(p, me, refresh) {
  const [other, otherName] = p.customer_a === me ? [p.customer_b, p.name_b] : [p.customer_a, p.name_a];
  const outside = p.side === "counterparty";
  return el("tr", { dataset: { pair: p.pair_id, side: p.side || "customer" } },
    el("td", { class: "nowrap" }, outside ? el("strong", {}, otherName || other) : customerLink(other, otherName),
      el("div", { class: "faint mono" }, other),
      outside ? el("div", { class: "faint" }, "counterparty: an account outside the bank") : null),
    el("td", { class: "num" }, fmt.share(p.probability)),
    el("td", { class: "sentence" }, p.sentence),
    el("td", {}, statusPill(p.status), decidedBy(p)),
    may("investigator") && p.status === "open"
      ? decideCell(`/api/resolution/pairs/${encodeURIComponent(p.pair_id)}`, [["confirm", "Confirm", "danger"], ["reject", "Reject"]], refresh)
      : el("td", {}));
}

function explanation(x) {
  const reasons = x.reasons || x.sentences || [];
  return el("div", {},
    x.probability !== undefined ? el("p", {}, "Model probability of risk: ", el("strong", {}, fmt.share(x.probability))) : null,
    reasons.length ? el("ul", {}, reasons.map((r) => el("li", {}, typeof r === "string" ? r : JSON.stringify(r)))) : null,
    x.neighbours?.length ? el("p", { class: "muted" }, `Neighbours that moved it: ${x.neighbours.map((n) => n.name || n.id || n.node).join(", ")}`) : null);
}

function kvTable(obj, skip = []) {
  const entries = Object.entries(obj).filter(([k, v]) => !skip.includes(k) && v !== null && v !== undefined && v !== "");
  if (!entries.length) return el("p", { class: "muted" }, "—");
  return el("table", { class: "kv" }, el("tbody", {}, entries.map(([k, v]) => el("tr", {},
    el("th", {}, fmt.words(k)),
    el("td", {}, /amount|flow|balance|income|limit/.test(k) ? fmt.money(v) : /(_at|_date|date)$/.test(k) ? fmt.date(v) : fmt.value(v))))));
}

async function viewNetwork(id) {
  const { params } = hashParts();
  const hops = Number(params.get("hops") || 2);
  const c = await api(`/api/customers/${encodeURIComponent(id)}`);
  const graph = new GraphView({
    id: "network",
    load: (filters) => api(`/api/customers/${encodeURIComponent(id)}/network`, { params: { hops, limit: 500, ...filters } }),
    timeFilter: { since: params.get("since") || "", until: params.get("until") || "" },
    onFilter: (f) => setHashParams({ hops, since: f.since, until: f.until }),
  });
  return el("div", { class: "stack", style: "height:100%" },
    el("div", { class: "page-head", style: "margin-bottom:0" },
      el("h1", {}, "Network of ", customerLink(c.customer_id, c.name || c.customer_id)),
      tierPill(c.tier, c.score),
      el("span", { class: "spacer" }),
      el("label", { for: "hops" }, "Reach"),
      el("select", { id: "hops", value: String(hops), onchange: (e) => { setHashParams({ hops: e.target.value, since: params.get("since"), until: params.get("until") }); route(); } },
        [1, 2, 3].map((h) => el("option", { value: String(h) }, `${h} hop${h > 1 ? "s" : ""}`)))),
    graph.element);
}

// ---------------------------------------------------------------------------- the network
function nodeData(n, centre) {
  const look = LABEL_LOOK[n.label] || OTHER_LOOK;
  const customer = n.label === "Customer";
  const name = n.name || n.key;
  const size = customer ? 20 + (n.score ? Math.min(100, n.score) / 100 * 16 : 0) : 14;
  return {
    group: "nodes",
    data: {
      id: n.id, label: n.label, key: n.key, name, score: n.score, tier: n.tier, cluster: n.cluster_id,
      known: n.known_risk_label || n.properties?.known_risk_label, props: n.properties || {},
      short: fmt.short(customer || n.label === "Identifier" || n.label === "Counterparty" ? name : n.key, 22),
      colour: customer ? (TIER_COLOUR[n.tier] || UNSCORED) : look.colour,
      shape: customer ? "ellipse" : look.shape, size,
    },
    classes: [customer ? "customer" : "other", n.tier ? `tier-${n.tier}` : "", n.cluster_id ? "ring" : "",
      n.known_risk_label || n.properties?.known_risk_label ? "known" : "", n.id === centre ? "centre" : ""].filter(Boolean).join(" "),
  };
}
function edgeData(e) {
  const amount = Number(e.properties?.total_amount ?? e.properties?.amount ?? 0);
  const width = e.type === "TRANSFERRED" ? 1 + Math.min(5, Math.log10(1 + amount / 500) * 1.6) : 1.2;
  return { group: "edges", data: { id: e.id, source: e.source, target: e.target, type: e.type, props: e.properties || {}, width },
    classes: `rel-${e.type}` };
}

const GRAPH_STYLE = [
  { selector: "node", style: {
    "background-color": "data(colour)", shape: "data(shape)", width: "data(size)", height: "data(size)",
    label: "data(short)", "font-size": 9, "min-zoomed-font-size": 7, color: "#3b4654", "text-valign": "bottom",
    "text-margin-y": 3, "text-background-color": "#fcfdfe", "text-background-opacity": 0.75, "text-background-padding": 1,
    "border-width": 0, "overlay-opacity": 0 } },
  // labels too small to read are not drawn: accounts' and identifiers' appear as one zooms in,
  // customers' (bigger type) stay longer; a 500-node picture shows only the risky names
  { selector: "node.other", style: { "font-size": 8, "min-zoomed-font-size": 8 } },
  { selector: "node.customer", style: { "font-size": 11, "min-zoomed-font-size": 7, "border-width": 1.5, "border-color": "#ffffff" } },
  { selector: "node.tier-high", style: { "font-size": 13, "font-weight": 600, color: "#8f1c20", "z-index": 5 } },
  { selector: "node.known", style: { "border-width": 3, "border-color": "#3d0b0d" } },
  { selector: "node.ring", style: { "outline-width": 3, "outline-color": RING, "outline-offset": 2, "outline-opacity": 0.9 } },
  { selector: "node.fresh", style: { "outline-width": 3, "outline-color": "#1f9d8f", "outline-offset": 2, "outline-style": "dashed" } },
  { selector: "node.centre", style: { width: 42, height: 42, "font-size": 15, "font-weight": 700, color: "#17212f",
    "underlay-color": "#1f5fbf", "underlay-opacity": 0.18, "underlay-padding": 10, "underlay-shape": "ellipse", "z-index": 10,
    "text-background-opacity": 0, "text-margin-y": 8 } },
  { selector: "node.member", style: { "underlay-color": RING, "underlay-opacity": 0.16, "underlay-padding": 7, "underlay-shape": "ellipse" } },
  { selector: "node:selected", style: { "underlay-color": "#1f5fbf", "underlay-opacity": 0.38, "underlay-padding": 8, "underlay-shape": "ellipse" } },
  { selector: "edge", style: {
    width: "data(width)", "line-color": "#c3ccd6", "curve-style": "bezier", opacity: 0.85, "overlay-opacity": 0,
    "target-arrow-shape": "none" } },
  { selector: "edge.rel-TRANSFERRED", style: { "line-color": "#8e9cad", "target-arrow-shape": "triangle", "target-arrow-color": "#8e9cad", "arrow-scale": 0.7 } },
  { selector: "edge.rel-HAS_IDENTIFIER", style: { "line-color": "#b6a3d6", "line-style": "dashed", "line-dash-pattern": [5, 3] } },
  { selector: "edge:selected, edge.hover", style: { "line-color": "#1f5fbf", "target-arrow-color": "#1f5fbf", opacity: 1, "z-index": 20 } },
  { selector: ".faded", style: { opacity: 0.12, "text-opacity": 0 } },
  { selector: ".hidden", style: { display: "none" } },
];

function layoutOptions(count, fitIt = true) {
  if (window.cytoscapeFcose) {
    return { name: "fcose", quality: count > 300 ? "default" : "proof", randomize: true, animate: false, fit: fitIt,
      padding: 30, nodeRepulsion: () => 7000, idealEdgeLength: () => 55, edgeElasticity: () => 0.45, gravity: 0.3,
      numIter: 2500, tile: true, packComponents: false, nodeSeparation: 60 };
  }
  return { name: "cose", animate: false, fit: fitIt, padding: 30, randomize: true, nodeRepulsion: () => 6000, numIter: 1000 };
}
let fcoseRegistered = false;
function registerLayouts() {
  if (!fcoseRegistered && window.cytoscape && window.cytoscapeFcose) {
    window.cytoscape.use(window.cytoscapeFcose);
    fcoseRegistered = true;
  }
}

function latestMoment(edges) {
  let latest = "";
  for (const e of edges) {
    for (const [k, v] of Object.entries(e.properties || {})) {
      if (typeof v === "string" && /(_at|timestamp|date)$/.test(k) && /^\d{4}-\d{2}-\d{2}/.test(v) && v > latest) latest = v;
    }
  }
  return latest ? latest.slice(0, 10) : "";
}
function shiftDay(day, days) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

/**
 * One interactive network: toolbar (time filter, relationship types, fit, re-layout), canvas,
 * legend, details panel, hover tooltip; customers can be expanded (their 1-hop network is merged).
 *   load(filters) -> graph shape;  timeFilter: {since, until} or null;  expand: true/false.
 */
class GraphView {
  constructor({ id, load, timeFilter = null, onFilter = null, expand = true, height = "calc(100vh - 150px)", note = null, members = null, fresh = null, deferred = false, unscored = "not scored" }) {
    registerLayouts();
    this.unscored = unscored;
    this.deferred = deferred; // started by its owner (a tab), not when the view appears
    this.load = load;
    this.filters = timeFilter ? { since: timeFilter.since || "", until: timeFilter.until || "" } : null;
    this.onFilter = onFilter;
    this.canExpand = expand;
    this.members = members ? new Set(members) : null;
    this.fresh = fresh; // ids seen before (frozen evidence): others are marked new
    this.expanded = new Set();
    this.loads = 0;
    this.hiddenTypes = new Set();
    this.hiddenLabels = new Set();
    this.anchorDay = "";
    this.started = false;
    this.canvas = el("div", { class: "graph-canvas", id: id ? `${id}-canvas` : null });
    this.side = el("aside", { class: "graph-side" });
    this.count = el("span", { class: "count" });
    this.notes = el("div", {});
    this.busy = el("div", { class: "graph-busy", hidden: true }, el("span", { class: "loading" }, "Laying out…"));
    this.legend = el("div", { class: "graph-legend", hidden: true });
    this.typesButton = el("button", { class: "small", title: "Relationship types and kinds of node to show", onclick: () => this.toggleTypesMenu() }, "Show ▾");
    this.typesMenu = el("div", { class: "menu", hidden: true });
    this.element = el("div", { class: "graph-panel", id: id || null, style: `height:${height}; min-height:420px` },
      el("div", { class: "graph-toolbar" },
        this.filters ? this.timeControls() : null,
        el("div", { class: "group types-menu" }, this.typesButton, this.typesMenu),
        el("div", { class: "group" },
          el("button", { class: "small", title: "Fit the whole network in view", onclick: () => this.cy && this.fit() }, "Fit"),
          el("button", { class: "small", title: "Lay the network out again", onclick: () => this.relayout() }, "Re-layout")),
        this.count),
      this.notes,
      el("div", { class: "graph-body" }, el("div", { style: "position:relative; flex:1; display:flex; min-width:0" }, this.canvas, this.legend, this.busy), this.side));
    if (note) this.notes.append(el("div", { class: "graph-note info" }, note));
    state.graphs.push(this);
  }

  timeControls() {
    this.sinceInput = el("input", { type: "date", value: this.filters.since, "aria-label": "since", onchange: () => this.applyTime() });
    this.untilInput = el("input", { type: "date", value: this.filters.until, "aria-label": "until", onchange: () => this.applyTime() });
    const quick = (days, text) => el("button", { class: "small", dataset: { days: String(days) },
      title: days ? `the last ${days} days of activity in this network` : "no time filter",
      onclick: () => {
        if (!days) { this.sinceInput.value = ""; this.untilInput.value = ""; }
        else {
          const end = this.anchorDay || new Date().toISOString().slice(0, 10);
          this.untilInput.value = end;
          this.sinceInput.value = shiftDay(end, days);
        }
        this.applyTime();
      } }, text);
    return el("div", { class: "group", title: "Payments, disputes and account changes in this window only" },
      el("span", { class: "muted" }, "From"), this.sinceInput, el("span", { class: "muted" }, "to"), this.untilInput,
      quick(30, "30 d"), quick(90, "90 d"), quick(365, "1 y"), quick(0, "All"));
  }

  applyTime() {
    this.filters = { since: this.sinceInput.value, until: this.untilInput.value };
    this.markQuick();
    if (this.onFilter) this.onFilter(this.filters);
    this.reload();
  }

  markQuick() {
    // which quick window (if any) the dates are: that button shows pressed
    const { since, until } = this.filters;
    for (const b of this.element.querySelectorAll("button[data-days]")) {
      const days = Number(b.dataset.days);
      b.classList.toggle("on", days ? until === this.anchorDay && since === shiftDay(this.anchorDay, days) : !since && !until);
    }
  }

  apiFilters() {
    if (!this.filters) return {};
    return { since: this.filters.since ? `${this.filters.since}T00:00:00Z` : "",
      until: this.filters.until ? `${this.filters.until}T23:59:59Z` : "" };
  }

  start() {
    this.started = true;
    this.cy = window.cytoscape({
      container: this.canvas, style: GRAPH_STYLE, elements: [], minZoom: 0.05, maxZoom: 4,
      boxSelectionEnabled: false, textureOnViewport: false, motionBlur: false, pixelRatio: "auto",
    });
    window.graphrisk.cy = this.cy;
    this.bindEvents();
    this.reload();
  }

  destroy() {
    if (this.cy) this.cy.destroy();
    this.cy = null;
  }

  async reload() {
    const seq = ++this.loads; // a newer reload (another filter click) wins over this one
    this.setBusy("Loading the network…");
    this.notes.querySelectorAll(".graph-note.warn, .callout").forEach((n) => n.remove());
    let graph;
    try {
      graph = await this.load(this.apiFilters());
    } catch (err) {
      if (seq !== this.loads) return;
      this.setBusy(null);
      this.notes.append(problemBox(err));
      return;
    }
    if (!this.cy || seq !== this.loads) return;
    this.graph = graph;
    this.centre = graph.centre;
    if (!this.anchorDay) this.anchorDay = latestMoment(graph.edges);
    if (this.filters) this.markQuick();
    const extra = [];
    for (const key of this.expanded) {
      try { extra.push(await this.fetchExpansion(key)); } catch { /* a neighbour gone: skip */ }
    }
    if (!this.cy || seq !== this.loads) return;
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(this.elementsOf(graph));
      for (const more of extra) this.merge(more);
    });
    this.truncated = graph.truncated || extra.some((g) => g.truncated);
    this.updateNotes();
    await this.runLayout();
    if (!this.cy || seq !== this.loads) return;
    this.afterChange();
    const centre = this.centre && this.cy.getElementById(this.centre);
    this.showDetails(centre && centre.nonempty() ? centre : null);
    this.setBusy(null);
  }

  elementsOf(graph) {
    const ids = new Set(graph.nodes.map((n) => n.id));
    return [...graph.nodes.map((n) => nodeData(n, graph.centre)),
      ...graph.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map(edgeData)];
  }

  merge(graph, near) {
    const added = [];
    const present = (id) => this.cy.getElementById(id).nonempty();
    const fresh = graph.nodes.filter((n) => !present(n.id));
    const origin = near ? near.position() : { x: 0, y: 0 };
    // new nodes on a ring around the node they came from: the rest of the picture stays put
    const radius = 60 + Math.min(260, fresh.length * 9);
    fresh.forEach((n, i) => {
      const angle = (2 * Math.PI * i) / Math.max(1, fresh.length) + 0.3;
      const node = nodeData(n, this.centre);
      node.position = { x: origin.x + radius * Math.cos(angle), y: origin.y + radius * Math.sin(angle) };
      added.push(this.cy.add(node));
    });
    for (const e of graph.edges) {
      if (!present(e.id) && present(e.source) && present(e.target)) added.push(this.cy.add(edgeData(e)));
    }
    return { nodes: fresh.length, elements: added };
  }

  fetchExpansion(key) {
    return api(`/api/customers/${encodeURIComponent(key)}/network`, { params: { hops: 1, limit: 200, ...this.apiFilters() } });
  }

  async expand(node) {
    const key = expandKeyOf(node.data());
    if (!key) { toast("This node cannot be expanded (a masked identifier, or an id with spaces or slashes)", "error"); return; }
    this.setBusy(`Expanding ${key}…`);
    try {
      const graph = await this.fetchExpansion(key);
      if (!this.cy) return;
      let result;
      this.cy.batch(() => { result = this.merge(graph, node); });
      this.expanded.add(key);
      if (graph.truncated) this.truncated = true;
      if (result.nodes && this.members) this.markMembers();
      this.afterChange();
      toast(result.nodes ? `Added ${result.nodes} node${result.nodes === 1 ? "" : "s"} around ${key}` : `${key} has no neighbours that are not already shown`);
      this.showDetails(node);
    } catch (err) {
      toast(err.message, "error");
    } finally {
      this.setBusy(null);
    }
  }

  async runLayout() {
    // callers clear the busy note once everything (counts, panel) is up to date
    const n = this.cy.nodes().length;
    if (!n) return;
    this.cy.resize();
    if (n > 150) {
      this.setBusy(`Laying out ${n} nodes…`);
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))); // let the note paint
      if (!this.cy) return;
    }
    try {
      this.cy.layout(layoutOptions(n)).run();
    } catch (err) {
      this.cy.layout({ name: "cose", animate: false, fit: true, padding: 30 }).run();
    }
    this.fit();
  }

  fit() {
    // the whole picture, but a handful of nodes is not blown up to fill the screen
    this.cy.fit(undefined, 44);
    if (this.cy.zoom() > 1.4) { this.cy.zoom(1.4); this.cy.center(); }
  }

  async relayout() {
    if (!this.cy) return;
    await this.runLayout();
    this.setBusy(null);
  }

  setBusy(text) {
    this.busy.hidden = !text;
    if (text) this.busy.firstChild.textContent = text;
  }

  updateNotes() {
    // the notes above the canvas change its height: the canvas is measured again after
    const cy = this.cy;
    if (this.fresh) {
      const before = this.fresh;
      const news = cy.nodes().filter((n) => !before.has(n.id()));
      news.addClass("fresh");
      this.notes.querySelector(".fresh-note")?.remove();
      this.notes.append(el("div", { class: "graph-note info fresh-note" }, news.length
        ? `As it is now: ${news.length} node${news.length === 1 ? "" : "s"} appeared since the evidence was frozen (dashed teal outline).`
        : "As it is now: nothing new since the evidence was frozen."));
    }
    this.notes.querySelector(".trunc")?.remove();
    if (this.truncated) {
      this.notes.append(el("div", { class: "graph-note warn trunc" },
        "The network was cut at the node limit: not everything around this customer is shown. Narrow it with the time filter or the relationship types, or expand chosen neighbours."));
    }
    cy.resize();
  }

  afterChange() {
    const cy = this.cy;
    this.markMembers();
    this.updateNotes();
    const nodes = cy.nodes().length, edges = cy.edges().length;
    this.count.textContent = `${nodes} nodes · ${edges} relationships`;
    this.element.dataset.nodeCount = String(nodes);
    this.element.dataset.edgeCount = String(edges);
    this.buildTypesMenu();
    this.applyTypes();
    this.buildLegend();
  }

  markMembers() {
    if (!this.members || !this.cy) return;
    this.cy.nodes().forEach((n) => { if (this.members.has(n.data("key"))) n.addClass("member"); });
  }

  buildTypesMenu() {
    const types = {}, labels = {};
    this.cy.edges().forEach((e) => { types[e.data("type")] = (types[e.data("type")] || 0) + 1; });
    this.cy.nodes().forEach((n) => { labels[n.data("label")] = (labels[n.data("label")] || 0) + 1; });
    const box = (hidden, name, count) => el("label", {},
      el("input", { type: "checkbox", checked: !hidden.has(name), onchange: (e) => {
        if (e.target.checked) hidden.delete(name); else hidden.add(name);
        this.applyTypes();
      } }), fmt.words(name).toLowerCase(), el("small", {}, count));
    this.typesMenu.replaceChildren(
      el("strong", { style: "font-size:12px" }, "Relationships"),
      ...Object.keys(types).sort().map((type) => box(this.hiddenTypes, type, types[type])),
      el("strong", { style: "font-size:12px; margin-top:6px" }, "Nodes"),
      ...Object.keys(labels).filter((l) => l !== "Customer").sort().map((label) => box(this.hiddenLabels, label, labels[label])));
    this.markFilterButton();
  }

  markFilterButton() {
    const hidden = this.hiddenTypes.size + this.hiddenLabels.size;
    this.typesButton.textContent = hidden ? `Show (${hidden} hidden) ▾` : "Show ▾";
    this.typesButton.classList.toggle("on", hidden > 0);
  }

  toggleTypesMenu() {
    this.typesMenu.hidden = !this.typesMenu.hidden;
    if (!this.typesMenu.hidden) {
      const close = (e) => {
        if (!e.target.closest(".types-menu")) { this.typesMenu.hidden = true; document.removeEventListener("click", close, true); }
      };
      document.addEventListener("click", close, true);
    }
  }

  applyTypes() {
    // hide chosen relationship types and node labels (a hub counterparty, say); nodes left with
    // no visible relationship go too. The centre always stays. Nothing is fetched again.
    const cy = this.cy;
    cy.batch(() => {
      cy.elements().removeClass("hidden");
      if (!this.hiddenTypes.size && !this.hiddenLabels.size) return;
      cy.nodes().filter((n) => n.id() !== this.centre && this.hiddenLabels.has(n.data("label"))).addClass("hidden");
      cy.edges().filter((e) => this.hiddenTypes.has(e.data("type")) || e.source().hasClass("hidden") || e.target().hasClass("hidden")).addClass("hidden");
      cy.nodes().filter((n) => n.id() !== this.centre && !n.hasClass("hidden") && n.connectedEdges().nonempty()
        && n.connectedEdges().not(".hidden").empty()).addClass("hidden");
    });
    const hiddenNodes = cy.nodes(".hidden").length;
    this.count.textContent = `${cy.nodes().length} nodes · ${cy.edges().length} relationships${hiddenNodes ? ` (${hiddenNodes} nodes hidden)` : ""}`;
    this.markFilterButton();
  }

  buildLegend() {
    const labels = new Set(this.cy.nodes().map((n) => n.data("label")));
    const items = [
      ["high", TIER_COLOUR.high], ["medium", TIER_COLOUR.medium], ["low", TIER_COLOUR.low], [this.unscored, UNSCORED],
    ].map(([t, c]) => el("span", {}, el("i", { style: `background:${c}` }), t));
    if (this.cy.nodes(".ring").nonempty()) items.push(el("span", {}, el("i", { class: "ringmark" }), "in a high-risk cluster"));
    if (this.cy.nodes(".fresh").nonempty()) items.push(el("span", {}, el("i", { class: "ringmark fresh" }), "new since frozen"));
    for (const label of [...labels].filter((l) => l !== "Customer").sort()) {
      const look = LABEL_LOOK[label] || OTHER_LOOK;
      items.push(el("span", {}, el("i", { class: look.legend, style: `background:${look.colour}` }), fmt.words(label).toLowerCase()));
    }
    this.legend.replaceChildren(...items);
    this.legend.hidden = this.cy.nodes().empty();
  }

  bindEvents() {
    const cy = this.cy;
    const tip = document.getElementById("tooltip");
    cy.on("mouseover", "node, edge", (evt) => {
      const target = evt.target;
      if (target.isEdge()) target.addClass("hover");
      tip.replaceChildren(...(target.isNode() ? nodeTip(target) : edgeTip(target, cy)));
      const { clientX, clientY } = evt.originalEvent || { clientX: 0, clientY: 0 };
      tip.hidden = false;
      const w = tip.offsetWidth, h = tip.offsetHeight;
      tip.style.left = `${Math.min(clientX + 14, window.innerWidth - w - 8)}px`;
      tip.style.top = `${clientY + 14 + h > window.innerHeight ? clientY - h - 10 : clientY + 14}px`;
    });
    cy.on("mouseout", "node, edge", (evt) => { evt.target.removeClass("hover"); tip.hidden = true; });
    cy.on("viewport grab", () => { if (!tip.hidden) tip.hidden = true; });
    cy.on("tap", "node", (evt) => this.showDetails(evt.target));
    cy.on("tap", "edge", (evt) => this.showDetails(evt.target));
    cy.on("dbltap", "node", (evt) => { if (this.canExpand) this.expand(evt.target); });
    cy.on("tap", (evt) => {
      if (evt.target === cy) { cy.elements().removeClass("faded"); this.showDetails(null); }
    });
  }

  highlightCluster(clusterId) {
    const cy = this.cy;
    const members = cy.nodes().filter((n) => n.data("cluster") === clusterId);
    cy.batch(() => {
      cy.elements().addClass("faded");
      members.removeClass("faded");
      members.edgesWith(members).removeClass("faded");
      members.connectedEdges().connectedNodes().removeClass("faded");
      members.connectedEdges().removeClass("faded");
    });
    toast(`${members.length} customer${members.length === 1 ? "" : "s"} of ${clusterId} on screen`);
  }

  showDetails(target) {
    const side = this.side;
    if (!target) {
      const tiers = { high: 0, medium: 0, low: 0 };
      this.cy?.nodes(".customer").forEach((n) => { if (n.data("tier") in tiers) tiers[n.data("tier")] += 1; });
      const clusters = new Set(this.cy?.nodes(".ring").map((n) => n.data("cluster")));
      side.replaceChildren(
        el("h2", {}, "The network"),
        el("p", { class: "muted" }, "Click a node or a relationship for its details; hover for a quick look. ",
          this.canExpand ? "Double-click a node (or use Expand neighbours) to bring in what lies next to it." : ""),
        el("table", { class: "kv" }, el("tbody", {},
          el("tr", {}, el("th", {}, "high risk"), el("td", {}, tiers.high)),
          el("tr", {}, el("th", {}, "medium risk"), el("td", {}, tiers.medium)),
          el("tr", {}, el("th", {}, "low risk"), el("td", {}, tiers.low)),
          el("tr", {}, el("th", {}, "high-risk clusters"), el("td", {}, clusters.size ? [...clusters].map((c, i) => [i ? ", " : "",
            el("a", { href: "#", onclick: (e) => { e.preventDefault(); this.highlightCluster(c); } }, c)]) : "none")))));
      return;
    }
    if (target.isEdge()) {
      const d = target.data();
      side.replaceChildren(el("h2", {}, fmt.words(d.type).toLowerCase()),
        el("p", { class: "muted" }, `${target.source().data("short")} → ${target.target().data("short")}`),
        kvTable(d.props));
      return;
    }
    const d = target.data();
    const customer = d.label === "Customer";
    const expandKey = expandKeyOf(d);
    const centreKey = this.centre ? this.centre.split(":").slice(1).join(":") : null;
    side.replaceChildren(...[
      el("div", { class: "faint" }, d.label),
      el("h2", { id: "details-title" }, d.name || d.key),
      el("div", { class: "row", style: "margin-top:6px" },
        customer ? tierPill(d.tier, d.score) : null,
        d.cluster ? el("span", { class: "pill ring" }, d.cluster) : null,
        d.known ? el("span", { class: "pill high" }, `known ${fmt.words(d.known)}`) : null),
      el("div", { class: "actions" },
        customer ? el("a", { class: "button small", href: `#/customer/${encodeURIComponent(d.key)}` }, "Open customer") : null,
        this.canExpand && expandKey ? el("button", { class: "small primary", id: "expand-node", onclick: () => this.expand(target) },
          "Expand neighbours") : null,
        d.cluster ? el("button", { class: "small", onclick: () => this.highlightCluster(d.cluster) }, "Highlight ring") : null,
        d.cluster ? el("a", { class: "button small", href: `#/cluster/${encodeURIComponent(d.cluster)}` }, "Cluster") : null,
        customer && centreKey && centreKey !== d.key
          ? el("a", { class: "button small", href: `#/path?source=${encodeURIComponent(centreKey)}&target=${encodeURIComponent(d.key)}` }, "Path from centre") : null),
      this.expanded.has(expandKey) ? el("p", { class: "faint" }, "Expanded.") : null,
      kvTable(d.props, ["name"]),
      el("p", { class: "faint" }, `${target.degree()} relationship${target.degree() === 1 ? "" : "s"} on screen`)].filter(Boolean));
  }
}

// What to ask the network route for when a node is expanded: a customer by its id, any other
// node as `Label:id` (the route parses it); ids with spaces or slashes cannot travel in the path.
function expandKeyOf(d) {
  // a masked identifier (`Identifier:phone:~3f9a…`) is a pseudonym the route cannot look up
  if (d.label === "Identifier" && d.key.includes("~")) return null;
  const key = d.label === "Customer" ? d.key : d.id;
  return /^[^\s/]+$/.test(key) ? key : null;
}

function nodeTip(node) {
  const d = node.data();
  const rows = Object.entries(d.props).filter(([k]) => k !== "name").slice(0, 8);
  // an identifier's key is its value: not shown where the role sees personal data masked
  const key = d.label === "Identifier" && state.me?.masked ? "" : ` ${d.key}`;
  return [el("b", {}, d.name || d.key), el("div", {}, `${d.label}${key}`,
    d.tier ? ` · ${d.tier} ${fmt.score(d.score)}` : "", d.cluster ? ` · ring ${d.cluster}` : ""),
  rows.length ? el("table", {}, rows.map(([k, v]) => el("tr", {}, el("th", {}, fmt.words(k)), el("td", {}, fmt.short(fmt.value(v), 60))))) : null]
    .filter(Boolean);
}
function edgeTip(edge) {
  const d = edge.data();
  const p = d.props;
  const known = [["transactions", p.transactions ?? p.count], ["total amount", p.total_amount ?? p.amount],
    ["first", p.first_at], ["last", p.last_at]].filter(([, v]) => v !== undefined && v !== null);
  const others = Object.entries(p).filter(([k]) => !["transactions", "count", "total_amount", "amount", "first_at", "last_at"].includes(k)).slice(0, 6);
  return [el("b", {}, fmt.words(d.type).toLowerCase()),
    el("div", {}, `${edge.source().data("short")} → ${edge.target().data("short")}`),
    el("table", {}, [...known.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {},
      k === "total amount" ? fmt.money(v) : k === "first" || k === "last" ? fmt.date(v) : fmt.value(v)))),
    ...others.map(([k, v]) => el("tr", {}, el("th", {}, fmt.words(k)), el("td", {}, fmt.short(fmt.value(v), 60))))])];
}

// ---------------------------------------------------------------------------- clusters
async function viewClusters() {
  const { params } = hashParts();
  const kind = params.get("kind") || "";
  const onlyHigh = params.get("high_risk") !== "all";
  const offset = Number(params.get("offset") || 0);
  const page = await api("/api/clusters", { params: { kind, high_risk: onlyHigh ? "true" : "", limit: 50, offset } });
  const apply = (changes) => {
    setHashParams({ kind, high_risk: onlyHigh ? "" : "all", offset: 0, ...changes });
    route();
  };
  return el("div", {},
    el("div", { class: "page-head" }, el("h1", {}, "Ranked clusters"),
      el("span", { class: "muted" }, "identity rings, money communities and typology groups from the last scoring run")),
    el("div", { class: "filters" },
      el("div", { class: "field" }, el("label", { for: "f-kind" }, "Kind"),
        el("select", { id: "f-kind", value: kind, onchange: (e) => apply({ kind: e.target.value }) },
          [["", "Any"], ["identity_ring", "Identity rings"], ["money_community", "Money communities"], ["typology", "Typology groups"]]
            .map(([v, t]) => el("option", { value: v }, t)))),
      el("label", { class: "row", style: "color:var(--ink)" }, el("input", { type: "checkbox", checked: onlyHigh,
        onchange: (e) => apply({ high_risk: e.target.checked ? "" : "all" }) }), "High-risk only")),
    page.items.length ? el("div", { class: "table-wrap" }, el("table", { class: "list", id: "clusters-table" },
      el("thead", {}, el("tr", {}, ["#", "Cluster", "Kind", "Size", "Known bad", "Money inside", "Score", "Why"].map((h) => el("th", {}, h)))),
      el("tbody", {}, page.items.map((c) => el("tr", { class: "clickable", onclick: () => { location.hash = `#/cluster/${encodeURIComponent(c.cluster_id)}`; } },
        el("td", { class: "num" }, c.rank),
        el("td", { class: "mono nowrap" }, el("a", { href: `#/cluster/${encodeURIComponent(c.cluster_id)}` }, c.cluster_id)),
        el("td", { class: "nowrap" }, fmt.words(c.kind)),
        el("td", { class: "num" }, c.size),
        el("td", { class: "num nowrap" }, `${c.known_risk_members} (${fmt.share(c.known_share)})`),
        el("td", { class: "num" }, fmt.money(c.total_flow)),
        el("td", { class: "num" }, c.score.toFixed(2), c.high_risk ? el("div", {}, el("span", { class: "pill high" }, "high risk")) : null),
        el("td", { class: "sentence" }, c.reason)))))) : el("div", { class: "card empty" }, "No clusters match."),
    pager(page, (next) => apply({ offset: next })));
}

async function viewCluster(id) {
  const c = await api(`/api/clusters/${encodeURIComponent(id)}`);
  const graph = new GraphView({ id: "cluster-network", members: c.members, height: "calc(100vh - 260px)",
    load: () => api(`/api/clusters/${encodeURIComponent(id)}/network`, { params: { limit: 500 } }) });
  const ringCase = may("investigator") ? el("button", { class: "primary", onclick: async (e) => {
    e.target.disabled = true;
    try {
      const lists = await Promise.all(c.members.map((m) => api("/api/alerts", { params: { customer: m, limit: 500 } })));
      const alertIds = lists.flatMap((l) => l.items.filter((a) => !a.case_id).map((a) => a.alert_id));
      const made = await api("/api/cases", { method: "POST", body: { subjects: c.members, title: `${fmt.words(c.kind)} ${c.cluster_id}: ${fmt.short(c.reason, 120)}`, alert_ids: alertIds } });
      toast(`Opened ${made.case_id} with ${alertIds.length} alert${alertIds.length === 1 ? "" : "s"}`);
      location.hash = `#/case/${encodeURIComponent(made.case_id)}`;
    } catch (err) { e.target.disabled = false; toast(err.message, "error"); }
  } }, "Open one case for the whole cluster") : null;
  return el("div", { class: "stack" },
    el("div", { class: "card" },
      el("div", { class: "page-head", style: "margin-bottom:8px" }, el("h1", { class: "mono" }, c.cluster_id),
        el("span", { class: "pill ring" }, fmt.words(c.kind)), el("span", { class: "pill" }, `rank #${c.rank}`),
        c.high_risk ? el("span", { class: "pill high" }, "high risk") : null, el("span", { class: "spacer" }), ringCase),
      el("p", { style: "margin:0 0 8px" }, c.reason),
      el("div", { class: "row muted" }, `score ${c.score.toFixed(2)} · ${c.size} members · ${c.known_risk_members} known risk (${fmt.share(c.known_share)}) · ${fmt.money(c.total_flow)} moved inside · ${c.disputes} disputes · ${c.typology_instances} suspicious patterns`),
      el("div", { class: "row", style: "margin-top:8px" }, el("span", { class: "muted" }, "Members:"),
        c.members.map((m) => el("a", { class: "pill", href: `#/customer/${encodeURIComponent(m)}` }, m)))),
    graph.element);
}

// ---------------------------------------------------------------------------- cases
async function viewCases() {
  const { params } = hashParts();
  const filters = { status: params.get("status") || "", owner: params.get("owner") || "", customer: params.get("customer") || "",
    offset: Number(params.get("offset") || 0) };
  const page = await api("/api/cases", { params: { ...filters, limit: 50 } });
  const apply = (changes) => { setHashParams({ ...filters, offset: 0, ...changes }); route(); };
  return el("div", {},
    el("div", { class: "page-head" }, el("h1", {}, "Cases"), el("span", { class: "muted" }, "newest first")),
    el("div", { class: "filters" },
      el("div", { class: "field" }, el("label", { for: "f-status" }, "Status"),
        el("select", { id: "f-status", value: filters.status, onchange: (e) => apply({ status: e.target.value }) },
          [["", "Not closed"], ["open", "Open"], ["investigating", "Investigating"], ["escalated", "Escalated"], ["closed", "Closed"]]
            .map(([v, t]) => el("option", { value: v }, t)))),
      el("div", { class: "field" }, el("label", { for: "f-owner" }, "Owner"),
        el("input", { id: "f-owner", value: filters.owner, size: 12, onchange: (e) => apply({ owner: e.target.value.trim() }) })),
      el("button", { class: filters.owner === state.me.name ? "on" : "", onclick: () => apply({ owner: filters.owner === state.me.name ? "" : state.me.name }) }, "Mine"),
      el("div", { class: "field" }, el("label", { for: "f-cust" }, "Customer"),
        el("input", { id: "f-cust", value: filters.customer, size: 12, onchange: (e) => apply({ customer: e.target.value.trim() }) }))),
    page.items.length ? el("div", { class: "table-wrap" }, el("table", { class: "list", id: "cases-table" },
      el("thead", {}, el("tr", {}, ["Case", "Title", "Subjects", "Status", "Priority", "Owner", "Due", "Opened"].map((h) => el("th", {}, h)))),
      el("tbody", {}, page.items.map((c) => el("tr", { class: "clickable", onclick: () => { location.hash = `#/case/${encodeURIComponent(c.case_id)}`; } },
        el("td", { class: "mono nowrap" }, el("a", { href: `#/case/${encodeURIComponent(c.case_id)}` }, c.case_id)),
        el("td", { class: "sentence" }, fmt.short(c.title, 160)),
        el("td", {}, c.subjects.length > 3 ? `${c.subjects.slice(0, 3).join(", ")} +${c.subjects.length - 3}` : c.subjects.join(", ")),
        el("td", {}, statusPill(c.status)),
        el("td", {}, el("span", { class: `sev ${c.severity}` }, c.priority)),
        el("td", {}, c.owner || el("span", { class: "faint" }, "unassigned")),
        el("td", { class: `nowrap ${isOverdue(c.due_at, c.status === "closed") ? "error" : ""}` }, fmt.day(c.due_at)),
        el("td", { class: "nowrap" }, fmt.date(c.opened_at))))))) : el("div", { class: "card empty" }, "No cases match."),
    pager(page, (offset) => apply({ offset })));
}

async function viewCase(id) {
  const [kase, channels, outcomes] = await Promise.all([
    api(`/api/cases/${encodeURIComponent(id)}`),
    enumOf("ContactCreate", "channel", ["phone", "email", "letter"]),
    enumOf("CaseClose", "outcome", ["confirmed_risk", "false_positive", "keep_monitoring"]),
  ]);
  const root = el("div", { class: "stack", id: "case-view" });
  const frozenFor = Object.keys(kase.evidence?.subgraphs || {});
  const view = { kase, channels, outcomes, subject: frozenFor[0] || kase.subjects[0], frozen: frozenFor.length > 0 };
  renderCase(root, view);
  return root;
}

// One change to the case, made to the version on screen. `sent` names the drafts it used up
// (cleared on success); every other half-typed form survives the re-render.
async function caseAction(root, view, path, body, done, sent = []) {
  try {
    const kase = await api(`/api/cases/${encodeURIComponent(view.kase.case_id)}${path}`,
      { method: path ? "POST" : "PATCH", body: { version: view.kase.version, ...body } });
    view.kase = kase;
    renderCase(root, view, { keepDrafts: true, clear: sent });
    if (done) toast(done);
    return true;
  } catch (err) {
    if (err.status === 409) {
      // someone else changed the case: show theirs, keep what this investigator typed
      try { view.kase = await api(`/api/cases/${encodeURIComponent(view.kase.case_id)}`); } catch { /* keep ours */ }
      renderCase(root, view, { keepDrafts: true });
      toast(`${err.message} — the case is reloaded; your text is kept, check and send again.`, "error");
    } else toast(err.message, "error");
    return false;
  }
}

function renderCase(root, view, { keepDrafts = false, clear = [] } = {}) {
  const drafts = {};
  if (keepDrafts) for (const input of root.querySelectorAll("[data-draft]")) drafts[input.dataset.draft] = input.value;
  for (const name of clear) delete drafts[name];
  const k = view.kase;
  const editable = may("investigator") && k.status !== "closed";
  const draft = (name, fallback = "") => (name in drafts ? drafts[name] : fallback);

  const moves = (MOVES[k.status] || []).map((to) => el("button", { class: "small", onclick: () => caseAction(root, view, "", { status: to }, `Moved to ${to}`) },
    to === "escalated" ? "Escalate" : `Move to ${to}`));
  const head = el("div", { class: "card" },
    el("div", { class: "page-head", style: "margin-bottom:8px" },
      el("h1", { class: "mono" }, k.case_id), statusPill(k.status), el("span", { class: `sev ${k.severity}` }, `${k.priority} · ${k.severity}`),
      el("span", { class: "pill" }, `tier ${k.tier}`), el("span", { class: "spacer" }),
      editable && k.owner !== state.me.name ? el("button", { class: "small", onclick: () => caseAction(root, view, "", { owner: state.me.name }, "Assigned to you") }, "Assign to me") : null,
      editable ? moves : null),
    el("p", { style: "margin:0 0 8px; font-size:15px" }, k.title),
    el("div", { class: "row" }, el("span", { class: "muted" }, `Subject${k.subjects.length === 1 ? "" : "s"}:`),
      k.subjects.map((s) => el("a", { class: "pill", href: `#/customer/${encodeURIComponent(s)}` }, s))),
    el("div", { class: "row muted", style: "margin-top:6px; gap:4px 18px" },
      el("span", {}, "Owner ", el("strong", { style: "color:var(--ink)" }, k.owner || "nobody yet"), ` (${k.owner_role})`),
      el("span", {}, `Opened ${fmt.date(k.opened_at)} by ${k.opened_by}`),
      el("span", { class: isOverdue(k.due_at, k.status === "closed") ? "error" : "" }, `Due ${fmt.date(k.due_at)}`),
      el("span", { class: "faint", title: "Every change names the version it was made to" }, `version ${k.version}`)),
    k.status === "closed" ? el("div", { class: "callout info", style: "margin-top:10px" },
      el("strong", {}, `Closed ${fmt.date(k.closed_at)} by ${k.closed_by}: ${fmt.words(k.outcome)}`), k.risk_label ? `risk label ${k.risk_label}` : "") : null);

  const steps = el("div", { class: "card" }, el("h3", {}, "Playbook"),
    k.playbook.length ? el("ol", { class: "steps", id: "playbook" }, k.playbook.map((s) => el("li", { class: s.done_at ? "done" : "" },
      el("input", { type: "checkbox", checked: !!s.done_at, disabled: !editable || !!s.done_at, "aria-label": `step ${s.number} done`,
        onchange: (e) => { e.target.disabled = true; caseAction(root, view, `/steps/${s.number}`, {}, `Step ${s.number} done`); } }),
      el("span", { class: "what" }, s.step),
      el("span", { class: "pill" }, s.role),
      el("span", { class: "sub" }, s.done_at ? `done by ${s.done_by} ${fmt.date(s.done_at)}`
        : el("span", { class: isOverdue(s.due_at) ? "late" : "" }, `due ${fmt.date(s.due_at)}${isOverdue(s.due_at) ? " — late" : ""}`),
      ` · ${fmt.words(s.rule)}`)))) : el("p", { class: "muted" }, "No playbook steps."));

  const noteText = el("textarea", { id: "note-text", rows: 3, placeholder: "What you found, what you did, what comes next…", "data-draft": "note", value: draft("note") });
  const notes = el("div", { class: "card" }, el("h3", {}, `Notes (${k.notes.length})`),
    k.notes.length ? el("ul", { class: "timeline", id: "notes" }, k.notes.map((n) => el("li", {},
      el("div", { class: "when" }, `${fmt.date(n.at)} · ${n.by}`), el("div", { class: "text" }, n.text)))) : el("p", { class: "muted" }, "No notes yet."),
    editable ? el("form", { id: "note-form", onsubmit: async (e) => {
      e.preventDefault();
      const text = noteText.value.trim();
      if (!text) return;
      e.submitter && (e.submitter.disabled = true);
      await caseAction(root, view, "/notes", { text }, "Note added", ["note"]);
    } }, noteText, el("div", { class: "form-row" }, el("button", { class: "primary", type: "submit" }, "Add note"))) : null);

  const summary = el("textarea", { id: "contact-summary", rows: 2, placeholder: "What was said or sent", "data-draft": "contact" , value: draft("contact") });
  const channel = el("select", { id: "contact-channel", "data-draft": "channel" }, view.channels.map((c) => el("option", { value: c }, fmt.words(c))));
  channel.value = draft("channel", view.channels[0]);
  const onDay = el("input", { type: "date", id: "contact-on", "data-draft": "on", value: draft("on", new Date().toISOString().slice(0, 10)) });
  const template = el("input", { id: "contact-template", size: 16, placeholder: "optional", "data-draft": "template", value: draft("template") });
  const contacts = el("div", { class: "card" }, el("h3", {}, `Contact log (${k.contacts.length})`),
    k.contacts.length ? el("ul", { class: "timeline", id: "contacts" }, k.contacts.map((c) => el("li", {},
      el("div", { class: "when" }, `${fmt.day(c.date)} · ${fmt.words(c.channel)} · ${c.by}${c.template ? ` · template ${c.template}` : ""}`),
      el("div", { class: "text" }, c.summary)))) : el("p", { class: "muted" }, "No contact with the customer logged yet."),
    editable ? el("form", { id: "contact-form", onsubmit: async (e) => {
      e.preventDefault();
      if (!summary.value.trim()) return;
      await caseAction(root, view, "/contacts", { channel: channel.value, summary: summary.value.trim(), on: onDay.value || null,
        template: template.value.trim() || null }, "Contact logged", ["contact", "template"]);
    } }, summary, el("div", { class: "form-row" },
      el("div", { class: "field" }, el("label", { for: "contact-channel" }, "Channel"), channel),
      el("div", { class: "field" }, el("label", { for: "contact-on" }, "On"), onDay),
      el("div", { class: "field" }, el("label", { for: "contact-template" }, "Template"), template),
      el("button", { type: "submit" }, "Log contact"))) : null);

  const outcome = el("select", { id: "close-outcome", "data-draft": "outcome" }, view.outcomes.map((o) => el("option", { value: o }, fmt.words(o))));
  outcome.value = draft("outcome", view.outcomes[0]);
  const riskLabel = el("input", { id: "close-label", size: 16, placeholder: "e.g. fraud", list: "risk-labels", "data-draft": "label", value: draft("label") });
  const closeNote = el("input", { id: "close-note", size: 30, placeholder: "why (optional)", "data-draft": "closenote", value: draft("closenote") });
  const closing = editable && CLOSABLE.has(k.status) ? el("div", { class: "card" }, el("h3", {}, "Close the case"),
    el("form", { onsubmit: async (e) => {
      e.preventDefault();
      await caseAction(root, view, "/close", { outcome: outcome.value, risk_label: riskLabel.value.trim() || null, note: closeNote.value.trim() || null }, "Case closed", ["label", "closenote"]);
    } }, el("div", { class: "form-row", style: "margin-top:0" },
      el("div", { class: "field" }, el("label", { for: "close-outcome" }, "Outcome"), outcome),
      el("div", { class: "field" }, el("label", { for: "close-label" }, "Risk label (confirmed)"), riskLabel,
        el("datalist", { id: "risk-labels" }, ["fraud", "money_laundering", "mule", "identity_theft"].map((v) => el("option", { value: v })))),
      el("div", { class: "field" }, el("label", { for: "close-note" }, "Note"), closeNote),
      el("button", { class: "danger", type: "submit" }, "Close case")))) : null;

  const alerts = el("div", { class: "card" }, el("h3", {}, `Alerts (${k.alert_ids.length})`),
    k.alert_ids.length ? el("div", { class: "row" }, k.alert_ids.map((a) => el("span", { class: "pill mono" }, a))) : el("p", { class: "muted" }, "Opened by hand."),
    el("h3", { style: "margin-top:14px" }, "Scores when the case opened"),
    kvTable(Object.fromEntries(Object.entries(k.evidence?.scores || {}).map(([c, s]) => [c, `${fmt.score(s.score)} (${s.tier})`]))));

  const historyCard = el("div", { class: "card" }, el("h3", {}, "History"),
    el("ul", { class: "timeline" }, [...k.history].reverse().slice(0, 30).map((h) => el("li", {},
      el("div", { class: "when" }, `${fmt.date(h.at)} · ${h.by} · ${fmt.words(h.action)}`), h.detail ? el("div", { class: "text" }, h.detail) : null))));

  // the network survives a re-render (a note, a tick): its layout, zoom and expansions stay
  if (!view.networkCard) view.networkCard = caseNetwork(view);
  root.replaceChildren(head, view.networkCard,
    el("div", { class: "case-grid" },
      el("div", { class: "stack" }, notes, contacts, historyCard),
      el("div", { class: "stack" }, steps, closing, alerts)));
  if (root.isConnected) startGraphs();
}

function caseNetwork(view) {
  const k = view.kase;
  // one network at a time on this view
  for (const graph of state.graphs) graph.destroy();
  state.graphs = [];
  const hasFrozen = (subject) => Boolean(k.evidence?.subgraphs?.[subject]);
  if (view.frozen && !hasFrozen(view.subject)) view.frozen = false; // only some subjects are frozen
  const frozenIds = view.frozenIds && view.frozenFor === view.subject ? view.frozenIds : null;
  const graph = new GraphView({
    id: "case-network", height: "540px", expand: !view.frozen,
    fresh: view.frozen ? null : frozenIds,
    note: view.frozen ? `As frozen in the evidence on ${fmt.date(k.evidence?.frozen_at)}: what the investigator saw when the case opened.`
      : frozenIds ? null // the note on what is new since says it
        : hasFrozen(view.subject) ? "As it is now." : `As it is now (the evidence froze no network for ${view.subject}).`,
    unscored: view.frozen ? "no score frozen" : "not scored",
    load: async () => {
      const g = await api(`/api/cases/${encodeURIComponent(k.case_id)}/network`, { params: { frozen: view.frozen, customer: view.subject } });
      if (view.frozen) {
        view.frozenIds = new Set(g.nodes.map((n) => n.id));
        view.frozenFor = view.subject;
        // the evidence keeps the subjects' scores as they were: colour those nodes by them
        for (const n of g.nodes) {
          const then = n.label === "Customer" && n.score == null ? k.evidence?.scores?.[n.key] : null;
          if (then) Object.assign(n, { score: then.score, tier: then.tier });
        }
      }
      return g;
    },
  });
  const switcher = el("div", { class: "seg" },
    el("button", { class: view.frozen ? "on" : "", id: "net-frozen", disabled: !hasFrozen(view.subject),
      title: hasFrozen(view.subject) ? "" : `the evidence froze no network for ${view.subject}`,
      onclick: () => { view.frozen = true; rerenderNetwork(); } }, "As frozen"),
    el("button", { class: view.frozen ? "" : "on", id: "net-now", onclick: () => { view.frozen = false; rerenderNetwork(); } }, "As it is now"));
  const subject = k.subjects.length > 1 ? el("select", { onchange: (e) => { view.subject = e.target.value; rerenderNetwork(); } },
    k.subjects.map((s) => el("option", { value: s, selected: s === view.subject }, hasFrozen(s) ? `${s} · frozen` : s))) : null;
  const card = el("div", { class: "card", style: "padding:12px" },
    el("div", { class: "row", style: "margin-bottom:10px" }, el("h3", { style: "margin:0" }, "Network"), el("span", { class: "spacer", style: "flex:1" }), subject, switcher),
    graph.element);
  function rerenderNetwork() {
    const fresh = caseNetwork(view);
    view.networkCard = fresh;
    card.replaceWith(fresh);
    startGraphs();
  }
  return card;
}

// ---------------------------------------------------------------------------- path finder
async function viewPath() {
  const { params } = hashParts();
  const source = params.get("source") || "", target = params.get("target") || "";
  const maxHops = params.get("max_hops") || "6";
  const form = el("form", { class: "filters", id: "path-form", onsubmit: (e) => {
    e.preventDefault();
    const f = e.target.elements;
    location.hash = `#/path?${new URLSearchParams({ source: f.source.value.trim(), target: f.target.value.trim(), max_hops: f.max_hops.value })}`;
  } },
  el("div", { class: "field" }, el("label", { for: "p-source" }, "From customer"), el("input", { id: "p-source", name: "source", value: source, required: true, size: 16 })),
  el("div", { class: "field" }, el("label", { for: "p-target" }, "To customer"), el("input", { id: "p-target", name: "target", value: target, required: true, size: 16 })),
  el("div", { class: "field" }, el("label", { for: "p-hops" }, "At most"), el("select", { id: "p-hops", name: "max_hops", value: maxHops },
    [2, 4, 6, 8, 10].map((h) => el("option", { value: String(h) }, `${h} hops`)))),
  el("button", { class: "primary", type: "submit" }, "Find how they are linked"));
  const head = el("div", { class: "page-head" }, el("h1", {}, "How are these linked?"));
  if (!source || !target) return el("div", {}, head, form, el("div", { class: "card empty" }, "Give two customers: the shortest chain of accounts, payments and shared identifiers between them is drawn."));
  let graph;
  try {
    graph = await api("/api/path", { params: { source, target, max_hops: maxHops } });
  } catch (err) {
    return el("div", {}, head, form, err.status === 404
      ? problemBox(err, "Not linked within that many hops", "warn") : problemBox(err));
  }
  const byId = Object.fromEntries(graph.nodes.map((n) => [n.id, n]));
  const chain = [];
  const start = graph.centre && byId[graph.centre] ? graph.centre : graph.nodes[0]?.id;
  // walk the path from the source: each step names the relationship and its direction
  let at = start;
  const used = new Set();
  chain.push(pathNode(byId[at]));
  for (let i = 0; i < graph.edges.length; i += 1) {
    const edge = graph.edges.find((e) => !used.has(e.id) && (e.source === at || e.target === at));
    if (!edge) break;
    used.add(edge.id);
    const forward = edge.source === at;
    at = forward ? edge.target : edge.source;
    chain.push(el("span", { class: "faint" }, forward ? ` —${fmt.words(edge.type).toLowerCase()}→ ` : ` ←${fmt.words(edge.type).toLowerCase()}— `));
    chain.push(pathNode(byId[at]));
  }
  const view = new GraphView({ id: "path-network", height: "calc(100vh - 330px)", load: async () => graph });
  return el("div", { class: "stack" }, el("div", {}, head, form),
    el("div", { class: "card", id: "path-chain" }, el("h3", {}, `${graph.edges.length} step${graph.edges.length === 1 ? "" : "s"}`), el("div", { style: "line-height:2" }, chain)),
    view.element);
}
function pathNode(n) {
  if (!n) return "?";
  if (n.label === "Customer") return el("span", {}, customerLink(n.key, n.name || n.key), " ", tierPill(n.tier));
  return el("span", { class: "pill" }, `${n.label} ${fmt.short(n.name || n.key, 30)}`);
}

// ---------------------------------------------------------------------------- query
const EXAMPLE_QUERY = `// rings of customers sharing a device, with how many are known risk
MATCH (c:Customer)-[:HAS_IDENTIFIER]->(d:Identifier {kind: 'device'})<-[:HAS_IDENTIFIER]-(o:Customer)
WITH d, collect(DISTINCT c) AS members
WHERE size(members) >= $min_size
RETURN d.value AS device, size(members) AS customers,
       size([m IN members WHERE m.known_risk_label IS NOT NULL]) AS known_risk, members
ORDER BY known_risk DESC, customers DESC
LIMIT 25`;

async function viewQuery() {
  const saved = sessionStorage.getItem("graphrisk.query");
  const savedParams = sessionStorage.getItem("graphrisk.query.params");
  const cypher = el("textarea", { id: "cypher", rows: 9, spellcheck: "false", value: saved || EXAMPLE_QUERY });
  const parameters = el("textarea", { id: "cypher-params", rows: 2, spellcheck: "false", value: savedParams || '{"min_size": 3}' });
  const out = el("div", { id: "query-result" });
  const storeNote = state.me.store !== "neo4j" ? el("div", { class: "callout info", style: "margin-bottom:12px" },
    el("strong", {}, `This server runs the ${state.me.store} store`), "Read-only Cypher needs the Neo4j store; the API will say why it cannot run the query here.") : null;
  const run = async () => {
    let params;
    try { params = parameters.value.trim() ? JSON.parse(parameters.value) : {}; } catch (err) {
      out.replaceChildren(el("div", { class: "callout error" }, el("strong", {}, "The parameters are not valid JSON"), err.message));
      return;
    }
    sessionStorage.setItem("graphrisk.query", cypher.value);
    sessionStorage.setItem("graphrisk.query.params", parameters.value);
    destroyGraphs();
    out.replaceChildren(loading("Running (read-only)…"));
    try {
      const result = await api("/api/query", { method: "POST", body: { cypher: cypher.value, parameters: params } });
      out.replaceChildren(queryResult(result));
      out.scrollIntoView({ block: "start" });
      startGraphs();
    } catch (err) {
      const title = { 501: "Not available on this store", 403: "Refused: the query would change something", 400: "The query did not run", 504: "Too slow" }[err.status];
      out.replaceChildren(problemBox(err, title));
    }
  };
  cypher.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } });
  return el("div", {},
    el("div", { class: "page-head" }, el("h1", {}, "Read-only Cypher"), el("span", { class: "muted" }, "your own questions; nothing you type can change the data")),
    storeNote,
    el("div", { class: "card query-box" },
      el("label", { for: "cypher" }, "Query"), cypher,
      el("label", { for: "cypher-params" }, "Parameters (JSON)"), parameters,
      el("div", { class: "form-row" }, el("button", { class: "primary", id: "run-query", onclick: run }, "Run"),
        el("span", { class: "faint" }, "Ctrl+Enter runs it"))),
    out);
}

function queryResult(result) {
  const table = el("div", { class: "table-wrap" }, el("table", { class: "list" },
    el("thead", {}, el("tr", {}, result.columns.map((c) => el("th", {}, c)))),
    el("tbody", {}, result.rows.map((row) => el("tr", {}, row.map((v) => el("td", { class: "cell" }, fmt.short(fmt.value(v), 400))))))));
  const hasGraph = result.graph?.nodes?.length > 0;
  const graph = hasGraph ? new GraphView({ id: "query-network", height: "520px", deferred: true, load: async () => result.graph }) : null;
  const tabs = el("div", { class: "tabs" });
  const body = el("div", {}, table);
  const show = (which) => {
    for (const b of tabs.children) b.classList.toggle("on", b.dataset.tab === which);
    body.replaceChildren(which === "table" ? table : graph.element);
    if (which === "graph" && graph && !graph.started) graph.start();
  };
  tabs.append(el("button", { class: "on", dataset: { tab: "table" }, onclick: () => show("table") }, `Table (${result.rows.length} rows)`));
  if (graph) tabs.append(el("button", { dataset: { tab: "graph" }, onclick: () => show("graph") }, `Graph (${result.graph.nodes.length} nodes)`));
  return el("div", {}, tabs, result.truncated ? el("div", { class: "callout warn" }, "Cut at the row limit.") : null, body);
}

// ---------------------------------------------------------------------------- start
if (state.key) {
  logIn(state.key).catch((err) => { if (err.status !== 401) showLogin(err.message); });
} else {
  showLogin("");
}
