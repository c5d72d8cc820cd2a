/* samsim web front end: the Sweep tab. A sweep over the scenario being edited: one or two
   fields by path with their values, replications per point; progress over server-sent
   events, cancel, per-point means with 95 % intervals and a chart of leakers against the
   swept value. Uses the helpers of app.js (api, $, S, esc, saveScenario). */
"use strict";

const SW = { sweep: null, source: null, results: null, lastDone: -1 };

// Field paths --------------------------------------------------------------------------

function pathTokens(path) {
  const out = [];
  const re = /\.?([A-Za-z0-9_-]+)|\[(\d+)\]/g;
  let m;
  while ((m = re.exec(path)) !== null) out.push(m[1] !== undefined ? m[1] : Number(m[2]));
  return out;
}

function valueAt(obj, path) {
  let o = obj;
  for (const t of pathTokens(path)) {
    if (o == null || typeof o !== "object") return undefined;
    o = o[t];
  }
  return o;
}

function suggestedPaths(d) {
  const paths = [];
  const c = S.catalog || {};
  (d.raids || []).forEach((r, i) => {
    for (const f of ["count", "start_s", "interval_s", "speed_mps", "altitude.cruise_m", "launch.lat_deg", "launch.lon_deg"]) {
      paths.push(`raids[${i}].${f}`);
    }
  });
  for (const f of ["weapons_status", "reengage", "shots_per_target.drone", "shots_per_target.cruise_missile",
    "shots_per_target.aircraft", "shots_per_target.ballistic"]) paths.push(`doctrine.${f}`);
  (d.batteries || []).forEach((b, i) => {
    (b.launchers || []).forEach((l, j) => {
      for (const f of ["loadout", "reloads", "lat_deg", "lon_deg"]) paths.push(`batteries[${i}].launchers[${j}].${f}`);
    });
    (b.radars || []).forEach((r, j) => {
      for (const f of ["type", "lat_deg", "lon_deg"]) paths.push(`batteries[${i}].radars[${j}].${f}`);
    });
  });
  (d.assets || []).forEach((a, i) => paths.push(`assets[${i}].value`));
  for (const name of Object.keys(c.interceptors || {})) paths.push(`catalog.interceptors.${name}.max_range_m`);
  for (const name of Object.keys(c.radars || {})) paths.push(`catalog.radars.${name}.instrumented_range_m`);
  return paths;
}

function refreshSweepPaths() {
  const dl = $("sweep-paths");
  dl.innerHTML = "";
  if (!S.data) return;
  for (const p of suggestedPaths(S.data)) {
    const o = document.createElement("option");
    o.value = p;
    const v = valueAt(S.data, p);
    if (v !== undefined) o.label = `${p} (now ${JSON.stringify(v)})`;
    dl.appendChild(o);
  }
  if (!$("sweep-name").value) {
    $("sweep-name").value = String(S.data.name || "scenario").replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 58) + "_sweep";
  }
  showCurrentValues();
}

function showCurrentValues() {
  if (!S.data) { $("sweep-current").textContent = ""; return; }
  const parts = [];
  for (const k of [1, 2]) {
    const p = $(`sweep-path-${k}`).value.trim();
    if (p) {
      const v = valueAt(S.data, p);
      parts.push(`${p} is now ${v === undefined ? "not set" : JSON.stringify(v)}`);
    }
  }
  $("sweep-current").textContent = parts.join("; ");
}

function parseValues(text) {
  const t = text.trim();
  if (t === "") return [];
  if (t.startsWith("[")) {
    try { const v = JSON.parse(t); if (Array.isArray(v)) return v; } catch (e) { /* as text below */ }
  }
  return t.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    try { return JSON.parse(s); } catch (e) { return s; }
  });
}

// Starting, following, cancelling ------------------------------------------------------

function setSweepProgress(fraction) {
  const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100 + 1e-9)));
  $("sweep-progress-fill").style.width = pct + "%";
  $("sweep-progress").setAttribute("aria-valuenow", String(pct));
  $("sweep-progress-text").textContent = pct + " %";
}

function showSweepProblems(problems) {
  const ul = $("sweep-problems");
  ul.innerHTML = "";
  for (const p of problems) {
    const li = document.createElement("li");
    li.innerHTML = `<code>${esc(p.path || "(request)")}</code>: ${esc(p.message)}`;
    li.dataset.path = p.path;
    ul.appendChild(li);
  }
}

function sweepBody() {
  const sweep = {
    name: $("sweep-name").value.trim(),
    replications: Number($("sweep-replications").value),
    grid: [],
  };
  for (const k of [1, 2]) {
    const path = $(`sweep-path-${k}`).value.trim();
    if (path) sweep.grid.push({ path, values: parseValues($(`sweep-values-${k}`).value) });
  }
  const seed = $("sweep-seed").value.trim();
  if (seed !== "") sweep.seed = Number(seed);
  const duration = $("sweep-duration").value.trim();
  if (duration !== "") sweep.set = { duration_s: Number(duration) };
  return { scenario_id: S.scenarioId, sweep };
}

async function startSweep() {
  if (!S.data) { $("sweep-message").textContent = "open or load a scenario first"; return; }
  if (S.dirty || !S.scenarioId) {
    if (!(await saveScenario())) return;
  }
  showSweepProblems([]);
  let sweep;
  try {
    sweep = await api("POST", "/api/sweeps", sweepBody());
  } catch (e) {
    $("sweep-message").textContent = "not started: " + e.message;
    showSweepProblems(e.problems.length ? e.problems : [{ path: "", message: e.message }]);
    return;
  }
  SW.sweep = sweep;
  SW.lastDone = -1;
  setSweepProgress(0);
  clearSweepResults();
  $("sweep-message").textContent = `sweep ${sweep.name}: ${sweep.n_points} point(s) x ${sweep.replications} replication(s), seed ${sweep.seed}; queued`;
  $("sweep-button").disabled = true;
  $("sweep-cancel").disabled = false;
  followSweep(sweep.id);
  refreshSweepList();
}

function followSweep(id) {
  if (SW.source) SW.source.close();
  const src = new EventSource(`/api/sweeps/${id}/progress`);
  SW.source = src;
  src.addEventListener("progress", async (ev) => {
    const msg = JSON.parse(ev.data);
    setSweepProgress(msg.progress);
    $("sweep-message").textContent = `${msg.status}: ${msg.done} of ${msg.total} replications stored` +
      (msg.message ? ` (${msg.message})` : "");
    $("sweep-message").dataset.status = msg.status;
    if (msg.done !== SW.lastDone) {
      SW.lastDone = msg.done;
      if (msg.done > 0) await loadSweepResults(id);
    }
    if (!["queued", "running"].includes(msg.status)) {
      src.close();
      SW.source = null;
      $("sweep-button").disabled = false;
      $("sweep-cancel").disabled = true;
      await openSweep(id);
      refreshSweepList();
    }
  });
  src.onerror = () => { /* the browser retries; a finished sweep closes the stream itself */ };
}

async function cancelSweep() {
  if (!SW.sweep) return;
  try { await api("POST", `/api/sweeps/${SW.sweep.id}/cancel`); }
  catch (e) { $("sweep-message").textContent = e.message; }
}

async function openSweep(id) {
  const sweep = await api("GET", `/api/sweeps/${id}`);
  SW.sweep = sweep;
  const links = [["sweep-file", "sweep.yaml"], ["sweep-base", "base.yaml"], ["sweep-report", "report.html"]];
  for (const [el, path] of links) {
    const a = $(el);
    a.href = `/api/sweeps/${id}/${path}`;
    const ready = path !== "report.html" || (!["queued", "running"].includes(sweep.status) && sweep.done > 0);
    a.classList.toggle("disabled", !ready);
  }
  if (sweep.status !== "running" && sweep.status !== "queued") {
    setSweepProgress(sweep.progress);
    $("sweep-message").textContent = `${sweep.status}: ${sweep.done} of ${sweep.total} replications stored` +
      (sweep.message ? ` (${sweep.message})` : "");
    $("sweep-message").dataset.status = sweep.status;
  }
  await loadSweepResults(id);
}

async function refreshSweepList() {
  let sweeps = [];
  try { sweeps = await api("GET", "/api/sweeps"); } catch (e) { return; }
  const ul = $("sweep-list");
  ul.innerHTML = "";
  for (const s of sweeps.slice(0, 20)) {
    const li = document.createElement("li");
    li.textContent = `${s.name} (${s.scenario_name}): ${s.n_points} point(s) x ${s.replications}, ${s.status}`;
    li.classList.toggle("current", SW.sweep != null && SW.sweep.id === s.id);
    li.addEventListener("click", () => openSweep(s.id));
    ul.appendChild(li);
  }
}

// Results: table and chart ---------------------------------------------------------------

function clearSweepResults() {
  $("sweep-table").innerHTML = "";
  $("sweep-note").textContent = "";
  const c = $("chart-sweep");
  c.getContext("2d").clearRect(0, 0, c.width, c.height);
  delete c.dataset.points;
}

function fmtNum(x) {
  if (x == null || !Number.isFinite(x)) return "n/a";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function fmtEst(e) {
  if (!e || e.mean == null) return "n/a";
  if (e.n < 2 || e.ci_low == null || e.ci_high == null) return fmtNum(e.mean);
  return `${fmtNum(e.mean)} [${fmtNum(e.ci_low)}, ${fmtNum(e.ci_high)}]`;
}

function estCell(k, e) {
  // the mean, with its 95 % interval below it in small type; the title has both
  const mean = e && e.mean != null ? fmtNum(e.mean) : "n/a";
  const ci = e && e.n >= 2 && e.ci_low != null && e.ci_high != null
    ? `<span class="ci">[${esc(fmtNum(e.ci_low))}, ${esc(fmtNum(e.ci_high))}]</span>` : "";
  return `<td class="num" data-metric="${k}" title="${esc(fmtEst(e))}"><span class="mean">${esc(mean)}</span>${ci}</td>`;
}

function headName(name) {
  // let long field paths wrap after their dots
  return esc(name).replace(/\./g, ".<wbr>");
}

function fmtParam(v) { return typeof v === "string" ? v : JSON.stringify(v); }

async function loadSweepResults(id) {
  let res;
  try { res = await api("GET", `/api/sweeps/${id}/results`); } catch (e) { return; }
  if (!SW.sweep || SW.sweep.id !== id) return;
  SW.results = res;
  showSweepResults(res);
}

function showSweepResults(res) {
  const axes = res.axes;
  const cols = [["leakers", "leakers"], ["kills", "kills"], ["interceptors_fired", "fired"],
    ["p_no_leak", "P(no leak)"], ["cost_exchange_ratio", "cost exch."]];
  const head = axes.length ? axes.map((a) => `<th>${headName(a.name)}</th>`).join("") : "<th>point</th>";
  let html = `<tr>${head}<th>n</th>${cols.map(([, h]) => `<th>${esc(h)}</th>`).join("")}</tr>`;
  for (const p of res.points) {
    const params = axes.length
      ? axes.map((a) => `<td>${esc(fmtParam(p.params[a.path]))}</td>`).join("")
      : `<td>${esc(p.label)}</td>`;
    html += `<tr data-point="${p.point}">${params}<td class="num" data-metric="n">${p.n}</td>` +
      cols.map(([k]) => estCell(k, p[k])).join("") + "</tr>";
  }
  $("sweep-table").innerHTML = html;
  $("sweep-note").textContent = `${res.name}, seed ${res.seed}; mean [95 % CI] per point`;
  drawSweepChart(res);
}

function drawSweepChart(res) {
  const c = $("chart-sweep");
  const ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.font = "11px system-ui, sans-serif";
  const pts = res.points.filter((p) => p.leakers && p.leakers.mean != null);
  c.dataset.points = String(pts.length);
  if (!pts.length) { ctx.fillStyle = "#667"; ctx.fillText("no results yet", 10, 20); return; }
  const ax = res.axes[0];
  const xval = (p) => (ax ? p.params[ax.path] : p.point);
  const numeric = pts.every((p) => typeof xval(p) === "number");
  const cats = numeric ? [] : [...new Set(pts.map((p) => fmtParam(xval(p))))];
  const xs = pts.map((p) => (numeric ? xval(p) : cats.indexOf(fmtParam(xval(p)))));
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  const lo = (p) => (p.leakers.ci_low == null ? p.leakers.mean : Math.max(0, p.leakers.ci_low));
  const hi = (p) => (p.leakers.ci_high == null ? p.leakers.mean : p.leakers.ci_high);
  const y1 = Math.max(1, ...pts.map(hi));
  const xl = 34, xr = c.width - 10, yt = res.axes[1] ? 32 : 16, yb = c.height - 28;
  const X = (x) => xl + (xr - xl) * (x - x0) / (x1 - x0) * 0.9 + (xr - xl) * 0.05;
  const Y = (y) => yb - (yb - yt) * y / y1;
  ctx.strokeStyle = "#999";
  ctx.beginPath(); ctx.moveTo(xl, yt); ctx.lineTo(xl, yb); ctx.lineTo(xr, yb); ctx.stroke();
  ctx.fillStyle = "#444";
  ctx.fillText(fmtNum(y1), 2, Y(y1) + 4);
  ctx.fillText("0", xl - 10, yb + 3);
  ctx.fillText("leakers per replication (mean, 95 % CI)", xl + 4, 11);
  const xlabels = numeric ? [...new Set(xs)] : cats.map((_, k) => k);
  for (const x of xlabels) {
    const text = numeric ? (Number.isInteger(x) ? String(x) : fmtNum(x)) : cats[x];
    ctx.fillText(text.length > 10 ? text.slice(0, 9) + "…" : text, X(x) - 8, yb + 13);
  }
  ctx.fillText(ax ? ax.name : "point", (xl + xr) / 2 - 20, c.height - 3);
  // one series per value of the second axis (or one series)
  const ax2 = res.axes[1];
  const key2 = (p) => (ax2 ? fmtParam(p.params[ax2.path]) : "");
  const groups = [...new Set(pts.map(key2))];
  const palette = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
  let legendX = xl + 6;
  groups.forEach((g, k) => {
    const colour = palette[k % palette.length];
    const ser = pts.map((p, i) => [p, xs[i]]).filter(([p]) => key2(p) === g).sort((a, b) => a[1] - b[1]);
    ctx.strokeStyle = colour; ctx.fillStyle = colour; ctx.lineWidth = 1.5;
    ctx.beginPath();
    ser.forEach(([p, x], i) => { const f = i ? "lineTo" : "moveTo"; ctx[f](X(x), Y(p.leakers.mean)); });
    ctx.stroke();
    ctx.lineWidth = 1;
    for (const [p, x] of ser) {
      ctx.beginPath(); ctx.moveTo(X(x), Y(lo(p))); ctx.lineTo(X(x), Y(hi(p)));
      ctx.moveTo(X(x) - 3, Y(lo(p))); ctx.lineTo(X(x) + 3, Y(lo(p)));
      ctx.moveTo(X(x) - 3, Y(hi(p))); ctx.lineTo(X(x) + 3, Y(hi(p))); ctx.stroke();
      ctx.beginPath(); ctx.arc(X(x), Y(p.leakers.mean), 3, 0, 2 * Math.PI); ctx.fill();
    }
    if (ax2) {
      const label = (k === 0 ? `${ax2.name.length > 24 ? "…" + ax2.name.slice(-23) : ax2.name}: ` : "") + g;
      const x = k === 0 ? xl + 6 : legendX;
      ctx.fillText(label, x, 24);
      legendX = x + ctx.measureText(label).width + 10;
    }
  });
}

// Wiring ----------------------------------------------------------------------------------

$("sweep-button").addEventListener("click", startSweep);
$("sweep-cancel").addEventListener("click", cancelSweep);
for (const k of [1, 2]) $(`sweep-path-${k}`).addEventListener("input", showCurrentValues);
document.querySelector('.tabs button[data-tab="sweep"]').addEventListener("click", () => {
  refreshSweepPaths();
  refreshSweepList();
});
refreshSweepList();
