/* painsim web front end: plain JavaScript, no build step. Talks to the JSON API under /api. */
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(d));
const fmtP = (p) => (p === null || p === undefined ? "–" : p < 0.001 ? "<0.001" : Number(p).toFixed(3));
const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(100 * x)}%`);
const COLOURS = ["#1f5fa8", "#c0392b", "#2e8b57", "#d68910", "#7d3c98", "#17a589", "#707b7c", "#a04000"];

// ---------- API and jobs ----------
async function api(method, path, body, isForm = false) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    if (isForm) opts.body = body;
    else { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  }
  const res = await fetch(path, opts);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
  if (!res.ok) throw new Error(errorText(res.status, data));
  return data;
}

function errorText(status, data) {
  const d = data && data.detail;
  if (Array.isArray(d)) {
    return `Invalid input (${status}):\n` + d.map((e) => { const loc = (e.loc || []).filter((p) => p !== "body").join("."); return `• ${loc ? `${loc}: ` : ""}${e.msg}`; }).join("\n");
  }
  return `Error ${status}: ${typeof d === "string" ? d : JSON.stringify(d)}`;
}

/** Start a background job, show its progress with a cancel button, call onDone(result). */
async function runJob(path, body, box, button, onDone) {
  box.innerHTML = "";
  button.disabled = true;
  let job;
  try {
    job = await api("POST", path, body, body instanceof FormData);
  } catch (err) {
    box.innerHTML = `<div class="error">${esc(err.message)}</div>`;
    button.disabled = false;
    return;
  }
  box.innerHTML = `<div class="progress"><div></div></div><span class="stage">queued</span>
    <button type="button" class="cancel">Cancel</button>`;
  const bar = $(".progress > div", box), stage = $(".stage", box), cancel = $("button.cancel", box);
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try { await api("POST", `/api/jobs/${job.id}/cancel`); } catch (e) { /* shown by the poll */ }
  });
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    try { job = await api("GET", `/api/jobs/${job.id}`); } catch (err) {
      box.innerHTML = `<div class="error">${esc(err.message)}</div>`; break;
    }
    bar.style.width = `${Math.round(100 * job.progress)}%`;
    stage.textContent = `${job.stage} (${Math.round(100 * job.progress)}%)`;
    if (job.status === "done") {
      box.innerHTML = `<span class="hint done">done in ${fmt(job.finished - job.started, 1)} s</span>`;
      onDone(job.result); break;
    }
    if (job.status === "failed") { box.innerHTML = `<div class="error">Failed: ${esc(job.error)}</div>`; break; }
    if (job.status === "cancelled") { box.innerHTML = `<div class="error cancelled">Cancelled.</div>`; break; }
  }
  button.disabled = false;
}

// ---------- SVG charts ----------
function scale(d0, d1, r0, r1) { return (v) => r0 + ((v - d0) / (d1 - d0 || 1)) * (r1 - r0); }
function ticks(lo, hi, n = 5) {
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n || 1)));
  const s = [1, 2, 5, 10].map((m) => m * step).find((m) => (hi - lo) / m <= n) || step * 10;
  const out = []; for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9; v += s) out.push(+v.toFixed(6)); return out;
}
/** opts: {x:[...], series:[{name, y:[...], colour, dash, width}], bands:[{lo,hi,colour,opacity}],
 *  errors:[{x,lo,hi,colour}], yMin, yMax, xlabel, ylabel, legend:true, width, height} */
function lineChart(o) {
  const W = o.width || 760, H = o.height || 300, m = { l: 48, r: o.legend ? 170 : 16, t: 12, b: 40 };
  const xs = o.x, xmin = o.xMin ?? Math.min(...xs), xmax = o.xMax ?? Math.max(...xs);
  const X = scale(xmin, xmax, m.l, W - m.r), Y = scale(o.yMin ?? 0, o.yMax ?? 10, H - m.b, m.t);
  let s = `<svg viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" font-size="12" font-family="system-ui, sans-serif">`;
  for (const t of ticks(o.yMin ?? 0, o.yMax ?? 10)) s += `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e6eaee"/><text x="${m.l - 6}" y="${Y(t) + 4}" text-anchor="end" fill="#5b6775">${t}</text>`;
  for (const t of ticks(xmin, xmax, 8)) s += `<text x="${X(t)}" y="${H - m.b + 16}" text-anchor="middle" fill="#5b6775">${t}</text>`;
  s += `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#888"/>`;
  s += `<text x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle" fill="#333">${esc(o.xlabel || "")}</text>`;
  s += `<text transform="translate(13 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(o.ylabel || "")}</text>`;
  for (const b of o.bands || []) {
    const pts = xs.map((x, i) => `${X(x)},${Y(b.hi[i])}`).concat(xs.map((x, i) => `${X(x)},${Y(b.lo[i])}`).reverse());
    s += `<polygon class="band" points="${pts.join(" ")}" fill="${b.colour}" fill-opacity="${b.opacity}" stroke="none"/>`;
  }
  let nLegend = 0;
  (o.series || []).forEach((ser, k) => {
    const c = ser.colour || COLOURS[k % COLOURS.length];
    const xv = ser.x || xs;
    if (ser.legendOnly) { ser = { ...ser, y: [] }; }
    const d = ser.y.length ? ser.y.map((y, i) => `${i ? "L" : "M"}${X(xv[i]).toFixed(1)},${Y(y).toFixed(1)}`).join("") : "M0,0";
    if (ser.y.length) s += `<path class="series" data-name="${esc(ser.name)}" d="${d}" fill="none" stroke="${c}" stroke-width="${ser.width || 2}" ${ser.dash ? `stroke-dasharray="${ser.dash}"` : ""} opacity="${ser.opacity || 1}"/>`;
    if (ser.points) ser.y.forEach((y, i) => { s += `<circle cx="${X(xv[i])}" cy="${Y(y)}" r="3.5" fill="${c}"/>`; });
    if (o.legend && ser.name) { const yy = m.t + 8 + 18 * nLegend++; s += `<line x1="${W - m.r + 12}" x2="${W - m.r + 32}" y1="${yy}" y2="${yy}" stroke="${c}" stroke-width="${ser.legendWidth || 3}"/><text x="${W - m.r + 38}" y="${yy + 4}">${esc(ser.name)}</text>`; }
  });
  for (const e of o.errors || []) s += `<line x1="${X(e.x)}" x2="${X(e.x)}" y1="${Y(e.lo)}" y2="${Y(e.hi)}" stroke="${e.colour}" stroke-width="1.5"/>`;
  return s + "</svg>";
}

// ---------- causal-loop diagram ----------
let DIAGRAM = null;
function drawDiagram(highlight = []) {
  if (!DIAGRAM) return;
  const W = 640, H = 470, X = scale(-3.4, 3.6, 40, W - 40), Y = scale(2.9, -3.4, 24, H - 20);
  const pos = Object.fromEntries(DIAGRAM.nodes.map((n) => [n.id, n]));
  const fills = { biology: "#d8e8f5", psychology: "#f7e3d3", social: "#e2f0d9", observed: "#f9d6d5" };
  let s = `<svg viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="system-ui, sans-serif">
    <defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>`;
  for (const e of DIAGRAM.edges) {
    const a = pos[e.source], b = pos[e.target];
    const x0 = X(a.x), y0 = Y(a.y), x1 = X(b.x), y1 = Y(b.y);
    const len = Math.hypot(x1 - x0, y1 - y0), ux = (x1 - x0) / len, uy = (y1 - y0) / len, sh = 30;
    const sx = x0 + ux * sh, sy = y0 + uy * sh, ex = x1 - ux * sh, ey = y1 - uy * sh;
    const cx = (sx + ex) / 2 - uy * 0.18 * len, cy = (sy + ey) / 2 + ux * 0.18 * len;
    const hot = e.loops.some((l) => highlight.includes(l));
    const colour = hot ? "#e67e22" : e.sign > 0 ? "#1f5fa8" : "#c0392b";
    s += `<path class="edge${hot ? " hot" : ""}" d="M${sx},${sy} Q${cx},${cy} ${ex},${ey}" fill="none" stroke="${colour}" stroke-width="${hot ? 4 : 1.4}"
      ${e.sign < 0 ? 'stroke-dasharray="5 3"' : ""} opacity="${highlight.length && !hot ? 0.35 : 1}" marker-end="url(#ah)"/>`;
    const mx = 0.25 * sx + 0.5 * cx + 0.25 * ex, my = 0.25 * sy + 0.5 * cy + 0.25 * ey;
    s += `<text x="${mx}" y="${my + 4}" text-anchor="middle" font-weight="bold" fill="${colour}">${e.sign > 0 ? "+" : "−"}</text>`;
  }
  for (const n of DIAGRAM.nodes) {
    const w = Math.max(58, 6.3 * n.id.length + 12);
    s += `<g class="node"><rect x="${X(n.x) - w / 2}" y="${Y(n.y) - 12}" width="${w}" height="24" rx="8" fill="${fills[n.group] || "#eee"}" stroke="#555"/>
      <text x="${X(n.x)}" y="${Y(n.y) + 4}" text-anchor="middle">${esc(n.id.replace("_", " "))}</text></g>`;
  }
  const labels = DIAGRAM.loops.filter((l) => highlight.includes(l.name)).map((l) => l.label);
  s += `<text x="10" y="16" fill="#333">${labels.length ? "strongest: " + esc(labels.join(", ")) : "blue +: same direction; red − dashed: opposite"}</text>`;
  $("#loop-diagram").innerHTML = s + "</svg>";
}

// ---------- lists of choices: every <select data-choices="NAME"> is filled from GET /api/choices ----------
let CHOICES = null, LOADED_CHOICES = {};
const choices = () => (CHOICES ||= api("GET", "/api/choices").then((all) => (LOADED_CHOICES = all)));
/** The label /api/choices gives ``value`` in the list ``name`` (the value itself when it has none). */
const choiceLabel = (name, value) => ((LOADED_CHOICES[name] || {}).labels || {})[String(value)] || String(value);
const optionText = (value, label) => (!label || label === String(value) ? String(value) : `${value}: ${label}`);
async function fillSelects(root) {
  const all = await choices();
  root.querySelectorAll("select[data-choices]").forEach((sel) => {
    const c = all[sel.dataset.choices];
    if (!c) throw new Error(`no list of choices "${sel.dataset.choices}" in /api/choices`);
    const blank = sel.dataset.blank;
    sel.innerHTML = (blank !== undefined ? `<option value="">${esc(blank)}</option>` : "") + c.values.map((v) =>
      `<option value="${esc(v)}"${blank === undefined && v === c.default ? " selected" : ""}>${esc(optionText(v, c.labels[String(v)]))}</option>`).join("");
  });
}

// ---------- the care-plan form, built from the treatment registry (GET /api/treatments) ----------
/** A field's schema with a local $ref and the non-null branch of an optional field resolved. */
function resolveSchema(s, root) {
  for (let i = 0; s && i < 8; i++) {
    if (s.$ref) { const { $ref, ...rest } = s; s = { ...(root.$defs || {})[$ref.split("/").pop()], ...rest }; continue; }
    const alts = (s.anyOf || []).filter((a) => a.type !== "null");
    if (s.anyOf && alts.length === 1) { const { anyOf, ...rest } = s; s = { ...alts[0], ...rest }; continue; }
    return s;
  }
  return s;
}

/** The inputs of one field (nested objects such as a schedule become a group); fields of
 * other types (lists, unions) are left out of the form and keep their defaults. */
function fieldWidget(key, prop, value, path, root) {
  const s = resolveSchema(prop, root), raw = s.title || key, title = esc(raw.charAt(0) + raw.slice(1).toLowerCase()), tip = s.description ? ` title="${esc(s.description)}"` : "";
  const note = s.description && s.description.length < 60 ? ` <span class="unit">${esc(s.description)}</span>` : "";
  if (s.type === "object" && s.properties) {
    const inner = Object.entries(s.properties).map(([k, p]) => fieldWidget(k, p, (value || {})[k], `${path}.${k}`, root)).join("");
    return inner ? `<fieldset class="group" data-path="${esc(path)}"><legend${tip}>${title}</legend>${inner}</fieldset>` : "";
  }
  const values = s.enum || (s.const !== undefined ? [s.const] : null);
  if (values) {
    return `<label${tip}>${title} <select name="${esc(path)}" data-type="string">${values.map((v) =>
      `<option${v === value ? " selected" : ""}>${esc(v)}</option>`).join("")}</select></label>`;
  }
  if (s.type === "boolean") {
    return `<label class="check"${tip}><input type="checkbox" name="${esc(path)}" data-type="boolean"${value ? " checked" : ""}> ${title}</label>`;
  }
  if (s.type === "integer" || s.type === "number") {
    const lo = s.minimum ?? s.exclusiveMinimum, hi = s.maximum ?? s.exclusiveMaximum;
    const bounds = `${lo !== undefined ? ` min="${lo}"` : ""}${hi !== undefined ? ` max="${hi}"` : ""}`;
    if (s.type === "number" && lo === 0 && hi === 1) {  // a share or a 0-1 scale: a slider
      return `<label class="slider"${tip}>${title} <span class="val" data-for="${esc(path)}">${fmt(value)}</span>
        <input type="range" name="${esc(path)}" data-type="number"${bounds} step="0.05" value="${esc(value)}"></label>`;
    }
    return `<label${tip}>${title}${note} <input type="number" name="${esc(path)}" data-type="${s.type}"${bounds}
      step="${s.type === "integer" ? 1 : "any"}" value="${esc(value ?? "")}"></label>`;
  }
  return "";
}

function fieldsOf(form, defaults, prefix) {
  const root = form.schema;
  return Object.entries(root.properties || {}).map(([k, p]) => fieldWidget(k, p, (defaults || {})[k], `${prefix}.${k}`, root)).join("");
}

/** One section per registered treatment (a tick box includes it in the plan), then the relationship. */
function buildCarePlanForm(box, forms) {
  const plan = forms.default_plan;
  box.innerHTML = forms.treatments.map((t) => {
    const on = plan[t.name] !== undefined, values = plan[t.name] || t.defaults || {};
    return `<fieldset class="treatment" data-treatment="${esc(t.name)}">
      <legend><label class="check"><input type="checkbox" name="use-treatment" value="${esc(t.name)}"${on ? " checked" : ""}>
        ${esc(t.label)}</label>${t.plugin ? ' <span class="tag">plug-in</span>' : ""}</legend>
      <div class="fields"${on ? "" : " hidden"}><p class="hint">${esc(t.summary)}</p>${fieldsOf(t, values, t.name)}</div></fieldset>`;
  }).join("") + `<fieldset class="treatment" data-treatment="relationship"><legend>${esc(forms.relationship.label)}</legend>
      <div class="fields"><p class="hint">${esc(forms.relationship.summary)}</p>
      ${fieldsOf(forms.relationship, plan.relationship || forms.relationship.defaults, "relationship")}</div></fieldset>`;
  box.querySelectorAll("input[name=use-treatment]").forEach((tick) => tick.addEventListener("change", () => {
    $(".fields", tick.closest("fieldset")).hidden = !tick.checked;
  }));
}

/** The plan as CarePlan's dict: the ticked treatments' fields and the relationship. */
function readCarePlan(box) {
  const plan = {};
  const sections = [...box.querySelectorAll("fieldset.treatment")].filter((fs) =>
    fs.dataset.treatment === "relationship" || $("input[name=use-treatment]", fs).checked);
  for (const fs of sections) {
    plan[fs.dataset.treatment] = {};
    fs.querySelectorAll("[data-type]").forEach((el) => {
      let v = el.value;
      if (el.dataset.type === "boolean") v = el.checked;
      else if (el.dataset.type !== "string") {
        if (v === "") return;  // left empty: the treatment's default
        v = Number.isNaN(Number(v)) ? v : Number(v);  // not a number: sent as typed, the API names the field
      }
      const keys = el.name.split("."), last = keys.pop();
      let node = plan;
      for (const k of keys) node = node[k] ||= {};
      node[last] = v;
    });
  }
  return plan;
}

// ---------- page: patient ----------
async function initPatient() {
  const [meta, diagram, forms] = await Promise.all([api("GET", "/api/profile"), api("GET", "/api/diagram"),
    api("GET", "/api/treatments"), fillSelects($("#page-patient"))]);
  DIAGRAM = diagram;
  drawDiagram();
  $("#profile-sliders").innerHTML = meta.traits.map((t) => `<label class="slider">${esc(t.label)}
      <span class="val" data-for="${t.key}">${fmt(t.default)}</span>
      <input type="range" name="${t.key}" id="slider-${t.key}" min="0.02" max="0.98" step="0.01" value="${t.default}"></label>`).join("");
  buildCarePlanForm($("#care-plan"), forms);
  const form = $("#patient-form");
  form.addEventListener("input", (ev) => {
    const span = [...form.querySelectorAll(".val[data-for]")].find((el) => el.dataset.for === ev.target.name);
    if (span) span.textContent = fmt(ev.target.value);
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form), num = (k) => Number(f.get(k));
    const body = {
      profile: Object.fromEntries(meta.traits.map((t) => [t.key, num(t.key)])),
      plan: readCarePlan($("#care-plan")),
      twins: num("twins"), horizon_days: num("horizon_days"), draws: num("draws"),
    };
    runJob("/api/patient", body, $("#patient-job"), $("#patient-run"), showPatient);
  });
}

function showPatient(r) {
  const f = r.fan, x = r.weeks;
  $("#fan-chart").innerHTML = lineChart({
    x, yMin: 0, yMax: 10, xlabel: "week", ylabel: "weekly mean pain (0-10)", legend: true,
    bands: [{ lo: f.p5, hi: f.p95, colour: "#1f5fa8", opacity: 0.12 }, { lo: f.p10, hi: f.p90, colour: "#1f5fa8", opacity: 0.15 },
      { lo: f.p25, hi: f.p75, colour: "#1f5fa8", opacity: 0.25 }],
    series: [...r.examples.slice(0, 3).map((y, i) => ({ name: i ? "" : "three twins", y, colour: "#7f8c8d", width: 0.7, opacity: 0.6 })),
      ...(r.uncertainty ? [{ name: "mean: 95% credible interval", y: r.uncertainty.weekly_mean.low, colour: "#c0392b", width: 1.2, dash: "4 3" },
        { name: "", y: r.uncertainty.weekly_mean.high, colour: "#c0392b", width: 1.2, dash: "4 3" }] : []),
      { name: "median", y: f.p50, colour: "#1f5fa8", width: 2.5 }, { name: "middle 50%", legendOnly: true, colour: "#8fb0d8", legendWidth: 9 },
      { name: "middle 80%", legendOnly: true, colour: "#b5cbe6", legendWidth: 9 }, { name: "middle 90%", legendOnly: true, colour: "#dbe6f3", legendWidth: 9 }],
  });
  const u = r.uncertainty, ci = (k, show) => (u ? ` (95% credible interval ${show(u.numbers[k].low)}–${show(u.numbers[k].high)})` : "");
  const f1 = (v) => fmt(v, 1);
  $("#patient-summary").innerHTML = `${r.twins} twins. Mean pain ${fmt(r.pain_start, 1)} in the first week, ${fmt(r.pain_end, 1)} in the last${ci("pain_end", f1)};
    ${pct(r.recovered_share)} recover at least once${ci("recovered_share", pct)}; ${pct(r.chronic_share_end)} still have chronic pain (≥ 4/10) at the end${ci("chronic_share_end", pct)}.`
    + (u ? ` Intervals: parameter uncertainty over ${u.draws} draws of the ${esc(u.posterior)} posterior (${u.twins_per_draw} twins per draw; the dashed lines in the chart bound the weekly mean pain).` : "");
  drawDiagram(r.strongest_loops);
  $("#loop-table").innerHTML = `<tr><th>loop</th><th>pain drop when switched off</th></tr>` + r.loops
    .slice().sort((a, b) => b.pain_drop - a.pain_drop)
    .map((l) => `<tr class="${l.highlighted ? "hl" : ""}"><td>${esc(l.label)}</td><td>${fmt(l.pain_drop)}</td></tr>`).join("");
  const box = $("#responder-odds");
  if (!r.responder_classes) { box.innerHTML = `<p class="hint">${esc(r.responder_note)}</p>`; return; }
  box.innerHTML = Object.entries(r.responder_classes).map(([k, v]) => `<div class="bar" data-class="${esc(k)}"><span class="lab">${esc(choiceLabel("responder_classes", k))}</span>
      <span class="track"><span class="fill"></span></span>
      <span class="num">${pct(v.share)} (odds ${v.odds === null ? "∞" : fmt(v.odds)})</span></div>`).join("")
    + `<p class="hint">Share of twins in each class after the course of visits. ${esc(r.responder_note)}</p>`;
  // widths through the DOM, not a style attribute: the Content-Security-Policy allows no inline styles
  box.querySelectorAll(".bar").forEach((bar) => { $(".fill", bar).style.width = `${100 * r.responder_classes[bar.dataset.class].share}%`; });
}

// ---------- page: a client's diary ----------
async function initDiary() {
  const form = $("#diary-form");
  await fillSelects(form);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const box = $("#diary-job"), file = $("#diary-file").files[0];
    if (!file) { box.innerHTML = `<div class="error">Choose a diary (CSV) first.</div>`; return; }
    const body = new FormData(form);
    if (!body.get("keep")) body.set("keep", "false");
    runJob("/api/diary", body, box, $("#diary-run"), showDiary);
  });
}

function showDiary(r) {
  const d = r.diary, f = r.fit;
  $("#diary-summary").innerHTML = `<b>${esc(d.name)}</b>: ${d.days} days (${esc(d.start)} to ${esc(d.end)}), ${d.ratings} pain ratings,
    last two weeks' mean <b id="diary-baseline">${fmt(d.baseline, 1)}</b>. Fit: ${f.particles.toLocaleString()} particles, ESS at the end
    ${fmt(f.ess, 0)} (lowest ${fmt(f.min_ess, 0)}); resampled at ${f.resampling_steps} of ${f.steps} steps.
    ${f.posterior ? `Prior: ${f.posterior.draws} draws of posterior ${esc(f.posterior.id)} (${f.posterior.distinct} distinct parameter sets), so the forecasts carry the model's parameter uncertainty.` : ""}
    ${r.run_id ? `Kept as run <a href="#/runs/${encodeURIComponent(r.run_id)}">${esc(r.run_id)}</a> (<a href="/api/runs/${encodeURIComponent(r.run_id)}/report" target="_blank" rel="noopener">report</a>).` : "Nothing was stored."}
    <br><span class="hint">${esc(r.disclaimer)}</span>`;
  const plans = Object.values(r.forecasts);
  $("#diary-plans").innerHTML = `<table id="diary-plan-table"><tr><th>plan</th><th>week 1 median (80%)</th><th>last week</th><th>P(30% better at 12 weeks)</th><th>P(responds to the course)</th><th>relief days</th><th>cost (USD)</th></tr>` +
    plans.map((p) => { const k = p.weeks.length - 1; return `<tr><td>${esc(p.plan)}</td><td>${fmt(p.fan.p50[0], 1)} (${fmt(p.fan.p10[0], 1)}-${fmt(p.fan.p90[0], 1)})</td>
      <td>${fmt(p.fan.p50[k], 1)} (${fmt(p.fan.p10[k], 1)}-${fmt(p.fan.p90[k], 1)})</td><td>${pct(p.p_improvement)}</td><td>${pct(p.p_responder)}</td>
      <td>${fmt(p.relief_days, 1)}</td><td>${fmt(p.cost, 0)}</td></tr>`; }).join("") + "</table>";
  const select = $("#diary-plan");
  select.innerHTML = plans.map((p) => `<option value="${esc(p.plan)}">${esc(p.plan)}</option>`).join("");
  const draw = () => {
    const p = r.forecasts[select.value], n = d.weekly_pain.length;
    const past = d.weekly_pain.map((y, i) => [i - n + 1, y]).filter(([, y]) => y !== null);
    $("#diary-fan").innerHTML = lineChart({
      x: p.weeks, xMin: 1 - n, xMax: p.weeks[p.weeks.length - 1], yMin: 0, yMax: 10, legend: true,
      xlabel: "week (diary up to 0, forecast after)", ylabel: "weekly mean pain (0-10)",
      bands: [{ lo: p.fan.p10, hi: p.fan.p90, colour: "#1f5fa8", opacity: 0.15 }, { lo: p.fan.p25, hi: p.fan.p75, colour: "#1f5fa8", opacity: 0.25 }],
      series: [{ name: "diary", x: past.map(([x]) => x), y: past.map(([, y]) => y), colour: "#333", width: 2, points: true },
        { name: "median", y: p.fan.p50, colour: "#1f5fa8", width: 2.5 }, { name: "middle 50%", legendOnly: true, colour: "#8fb0d8", legendWidth: 9 },
        { name: "middle 80%", legendOnly: true, colour: "#b5cbe6", legendWidth: 9 }],
    });
  };
  select.onchange = draw;
  draw();
  $("#diary-loops").innerHTML = `<tr><th>loop</th><th>mean drop when switched off</th><th>10-90%</th></tr>` +
    r.loops.map((l) => `<tr><td>${esc(l.label)}</td><td>${fmt(l.pain_drop)}</td><td>${fmt(l.p10)} to ${fmt(l.p90)}</td></tr>`).join("");
  $("#diary-traits").innerHTML = `<tr><th>trait</th><th>population 10-90%</th><th>client 10 / 50 / 90%</th></tr>` +
    r.traits.map((t) => `<tr><td>${esc(t.trait)}</td><td>${fmt(t.prior_p10)}-${fmt(t.prior_p90)}</td><td>${fmt(t.p10)} / ${fmt(t.p50)} / ${fmt(t.p90)}</td></tr>`).join("");
}

// ---------- page: massage ----------
async function initMassage() {
  const form = $("#massage-form");
  await fillSelects(form);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = { n: Number(f.get("n")), horizon_days: Number(f.get("horizon_days")), draws: Number(f.get("draws")),
      store: f.get("store") === "on" };
    runJob("/api/massage", body, $("#massage-job"), $("#massage-run"), showMassage);
  });
}

// A number's 95% credible interval from a posterior answer (uncertainty.arms[arm][quantity]), as a second line.
function band(bands, quantity, show) {
  const b = bands && bands[quantity];
  if (!b || b.low === null || b.high === null) return "";
  const lo = show(b.low), hi = show(b.high);
  return `<br><span class="band" title="95% credible interval (parameter uncertainty)">${lo === hi ? "=" + lo : lo + "–" + hi}</span>`;
}

function armTable(arms, uncertainty) {
  const days = Object.keys(Object.values(arms)[0].pain_mean);
  const cell = (v, bands, quantity, show) => `<td>${v === undefined || v === null ? "–" : show(v)}${v === undefined || v === null ? "" : band(bands, quantity, show)}</td>`;
  const f0 = (v) => fmt(v, 0), f1 = (v) => fmt(v, 1), f2 = (v) => fmt(v);
  let s = `<table><tr><th>arm</th>${days.map((d) => `<th>pain d${d}</th>`).join("")}<th>chronic at end</th><th>non-resp.</th><th>transient</th><th>lasting</th>
    <th>relief days</th><th>sessions</th><th>cost $</th><th>$/relief-day</th></tr>`;
  for (const [name, a] of Object.entries(arms)) {
    const c = a.responder_classes || {}, bands = uncertainty ? uncertainty.arms[name] : null;
    s += `<tr data-arm="${esc(name)}"><td>${esc(name)}</td>${days.map((d) => cell(a.pain_mean[d], bands, `pain_mean.${d}`, f2)).join("")}${cell(a.chronic_fraction_end, bands, "chronic_fraction_end", pct)}
      ${cell(c.non_responder, bands, "responder_classes.non_responder", pct)}${cell(c.transient, bands, "responder_classes.transient", pct)}${cell(c.lasting, bands, "responder_classes.lasting", pct)}
      ${cell(a.relief_days_median, bands, "relief_days_median", f0)}${cell(a.sessions_attended_mean, bands, "sessions_attended_mean", f1)}
      ${cell(a.cost_mean, bands, "cost_mean", f0)}${cell(a.cost_per_relief_day || undefined, bands, "cost_per_relief_day", f0)}</tr>`;
  }
  return s + "</table>";
}

function weeklyChart(weekly) {
  const names = Object.keys(weekly), n = weekly[names[0]].length;
  const x = Array.from({ length: n }, (_, i) => i);
  const all = names.flatMap((k) => weekly[k]);
  return lineChart({ x, yMin: Math.max(0, Math.floor(Math.min(...all)) - 1), yMax: Math.min(10, Math.ceil(Math.max(...all)) + 1),
    xlabel: "week since entry", ylabel: "mean pain (0-10)", legend: true, series: names.map((k) => ({ name: k, y: weekly[k] })) });
}

function showMassage(r) {
  const u = r.uncertainty;
  const note = u ? `<p class="summary">Under each number: its 95% credible interval of parameter uncertainty over ${u.draws} draws of the ${esc(u.posterior)} posterior (${u.patients_per_draw} patients per arm and draw; Monte Carlo noise removed; "=x": no spread beyond that noise).</p>` : "";
  $("#massage-table").innerHTML = `<p class="summary">${esc(r.title)} — n = ${r.n.toLocaleString()} per arm (the same patients in every arm), ${r.horizon_days} days.</p>` + armTable(r.arms, u) + note;
  $("#massage-chart").innerHTML = weeklyChart(r.weekly_pain);
  $("#massage-run-id").innerHTML = r.run_id ? `Stored as run <a href="#/runs/${esc(r.run_id)}">${esc(r.run_id)}</a>.` : "Not stored.";
}

// ---------- page: is it worth it? ----------
async function initWorth() {
  const form = $("#worth-form");
  await fillSelects(form);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = { n: Number(f.get("n")), psa: Number(f.get("psa")), perspective: f.get("perspective"),
      wtp_max: Number(f.get("wtp_max")), store: f.get("store") === "on" };
    runJob("/api/worth", body, $("#worth-job"), $("#worth-run"), showWorth);
  });
}

function frontierTable(rows, currency) {
  const money = (x) => (x === null || x === undefined ? "–" : Math.round(x).toLocaleString());
  let s = `<table><tr><th>arm</th><th>cost ${esc(currency)}</th><th>QALYs</th><th>incremental cost</th><th>incremental QALYs</th>
    <th>ICER per QALY</th><th>status</th></tr>`;
  for (const r of rows) {
    const by = r.dominated_by && r.dominated_by.length ? ` by ${r.dominated_by.map(esc).join(", ")}` : "";
    s += `<tr data-arm="${esc(r.strategy)}"><td>${esc(r.strategy)}</td><td>${money(r.cost)}</td><td>${fmt(r.effect, 4)}</td>
      <td>${money(r.incremental_cost)}</td><td>${r.incremental_effect === null ? "–" : fmt(r.incremental_effect, 4)}</td>
      <td>${money(r.icer)}</td><td>${esc(r.status)}${by}</td></tr>`;
  }
  return s + "</table>";
}

function showWorth(r) {
  $("#worth-table").innerHTML = `<p class="summary">${esc(r.title)} — n = ${r.n.toLocaleString()} per arm, ${esc(r.perspective)}
    perspective, ${esc(r.currency)} ${esc(r.price_year)}, discounted ${fmt(100 * r.discount.costs, 1)}% / ${fmt(100 * r.discount.effects, 1)}% a year.</p>` + frontierTable(r.incremental, r.currency);
  const d = r.psa ? r.psa.decision : [];
  $("#worth-decisions").innerHTML = r.psa ? d.map((x) => `At ${esc(r.currency)} ${x.wtp.toLocaleString()} per QALY: <strong>${esc(x.optimal)}</strong>
    (probability cost-effective ${pct(x.probability)} over ${r.psa.draws} draws).`).join("<br>") : "Base case only: choose PSA draws to see how sure this is.";
  $("#worth-plane").innerHTML = `<img alt="cost-effectiveness plane" src="${esc(r.figures.ce_plane)}">`;
  $("#worth-ceac").innerHTML = r.figures.ceac ? `<img alt="acceptability curves" src="${esc(r.figures.ceac)}">` : `<p class="hint">Needs PSA draws.</p>`;
  $("#worth-run-id").innerHTML = (r.run_id ? `Stored as run <a href="#/runs/${esc(r.run_id)}">${esc(r.run_id)}</a>. ` : "Not stored. ") + esc(r.disclaimer);
}

// ---------- page: trial ----------
async function initTrial() {
  const reset = async () => {
    const d = await api("GET", "/api/trial/default"), b = d.bounds;
    $("#trial-spec").value = d.spec;
    $("#trial-bounds").textContent = `n per arm up to ${b.n_per_arm}, ${b.n_total} in all, ${b.arms} arms, last visit by week ${b.last_visit_week}, ` +
      `${b.imputations} imputations; power: n up to ${b.power_n}, ${b.power_points} points, ${b.power_reps} trials per n, ${b.power_trials} trials in all`;
  };
  await Promise.all([reset(), fillSelects($("#trial-form"))]);
  $("#trial-reset").addEventListener("click", reset);
  const method = () => $("#trial-form select[name=method]").value || null;
  $("#trial-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    runJob("/api/trial", { spec: $("#trial-spec").value, method: method() }, $("#trial-job"), $("#trial-run"), showTrial);
  });
  $("#power-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target), body = { spec: $("#trial-spec").value };
    for (const k of ["n_min", "n_max", "n_step", "reps"]) body[k] = Number(f.get(k));
    body.assurance = f.get("assurance") === "on";
    runJob("/api/trial/power", body, $("#power-job"), $("#power-run"), showPower);
  });
}

function showTrial(r) {
  const level = Math.round(100 * (1 - r.alpha)), label = (a) => esc(r.arms[a] ? r.arms[a].label : a);
  const pr = r.primary, c = pr.comparison;
  $("#trial-primary").innerHTML = c ? `<b>${esc(choiceLabel("outcomes", pr.outcome))}</b> at week ${pr.week}, ${label(pr.arm)} minus ${label(pr.comparator)}:
    adjusted mean difference <b id="trial-md">${fmt(c.md)}</b> (${level}% CI ${fmt(c.ci_lb)} to ${fmt(c.ci_ub)}), p ${fmtP(c.p).startsWith("<") ? "" : "= "}${fmtP(c.p)},
    SMD (Hedges' g) ${fmt(c.smd)}. ${esc(r.title || r.trial)}; seed ${esc(r.seed)}; analysis: ${esc(r.method)} (intention to treat).`
    : `The primary comparison was not estimated.`;
  const f = r.flow, arms = Object.keys(r.arms);
  const reasons = Object.entries(f.excluded_reasons).filter(([, v]) => v).map(([k, v]) => `${esc(k)}: ${v}`).join(", ") || "none";
  const row = (name, cells, cls = "") => `<tr class="${cls}"><th>${name}</th>${cells.map((x) => `<td>${x}</td>`).join("")}</tr>`;
  $("#trial-flow").innerHTML = `<p class="summary" id="trial-screening">Screened <b>${f.screened}</b>; excluded ${f.excluded} (${reasons});
      eligible ${f.eligible}; randomised <b>${f.randomised}</b>.</p>
    <table id="trial-flow-table"><tr><th></th>${arms.map((a) => `<th>${label(a)}</th>`).join("")}</tr>
    ${row("allocated", arms.map((a) => r.arms[a].n_randomised))}
    ${row("received allocated care", arms.map((a) => r.arms[a].received_allocated_care))}
    ${row("stopped care", arms.map((a) => r.arms[a].stopped_care))}
    ${row("mean sessions attended", arms.map((a) => fmt(r.arms[a].sessions_attended_mean, 1)))}
    ${r.weeks.map((w) => row(`followed up, week ${w}`, arms.map((a) => r.arms[a].n_followed_up[String(w)]), "visit")).join("")}
    ${row("analysed", arms.map((a) => { const n = r.arms[a].n_analysed; return typeof n === "object" ? Object.values(n).join(" / ") : n; }))}</table>`;
  $("#trial-comparisons-title").textContent = `Comparisons: ANCOVA on change from baseline, adjusted for baseline (${r.method}; ${level}% CI)`;
  const isPrimary = (x) => x.outcome === pr.outcome && x.week === pr.week && x.arm === pr.arm && x.comparator === pr.comparator;
  $("#trial-comparisons").innerHTML = `<table id="trial-comparisons-table"><tr><th>outcome</th><th>week</th><th>arm</th><th>comparator</th><th>MD</th><th>${level}% CI</th><th>p</th><th>SMD (g)</th></tr>` +
    r.comparisons.map((x) => `<tr class="${isPrimary(x) ? "hl" : ""}"><td>${esc(x.outcome)}</td><td>${x.week}</td><td>${label(x.arm)}</td><td>${label(x.comparator)}</td>
      <td>${fmt(x.md)}</td><td>${fmt(x.ci_lb)} to ${fmt(x.ci_ub)}</td><td>${fmtP(x.p)}</td><td>${fmt(x.smd)}</td></tr>`).join("") +
    `</table><p class="hint">MD: arm minus comparator (negative = less pain or disability). Highlighted: the primary comparison.</p>`;
  $("#trial-plot").innerHTML = `<img alt="outcomes by visit" src="${r.figure_png}">`;
}

function showPower(r) {
  const pts = r.curve, ns = pts.map((q) => q.n);
  $("#power-curve").innerHTML = lineChart({ x: ns, xMin: 0, xMax: Math.max(...ns) * 1.05, yMin: 0, yMax: 1, height: 260, legend: true,
    xlabel: "participants per arm", ylabel: `power (α = ${r.alpha})`,
    series: [{ name: "power (95% CI)", y: pts.map((q) => q.power), points: true },
      ...(r.posterior ? [{ name: `assurance, posterior ${r.posterior} (95% CI)`, y: pts.map((q) => q.assurance), points: true, colour: COLOURS[1] }] : []),
      { name: "80%", x: [0, Math.max(...ns) * 1.05], y: [0.8, 0.8], colour: "#999", dash: "4 4", width: 1 }],
    errors: [...pts.map((q) => ({ x: q.n, lo: q.power_lb, hi: q.power_ub, colour: COLOURS[0] })),
      ...(r.posterior ? pts.map((q) => ({ x: q.n, lo: q.assurance_lb, hi: q.assurance_ub, colour: COLOURS[1] })) : [])] });
  $("#power-table").innerHTML = `<table id="power-table-rows"><tr><th>n per arm</th>${pts.map((q) => `<td>${q.n}</td>`).join("")}</tr>
    <tr><th>power</th>${pts.map((q) => `<td>${pct(q.power)}</td>`).join("")}</tr>
    <tr><th>95% CI</th>${pts.map((q) => `<td>${pct(q.power_lb)}-${pct(q.power_ub)}</td>`).join("")}</tr>
    ${r.posterior ? `<tr><th>assurance</th>${pts.map((q) => `<td>${pct(q.assurance)}</td>`).join("")}</tr>
    <tr><th>95% CI</th>${pts.map((q) => `<td>${pct(q.assurance_lb)}-${pct(q.assurance_ub)}</td>`).join("")}</tr>` : ""}
    <tr><th>mean MD</th>${pts.map((q) => `<td>${fmt(q.md_mean)}</td>`).join("")}</tr></table>
    ${r.posterior ? `<p class="hint">Assurance: the share of significant trials when each trial draws its parameters from the ${esc(r.posterior)} posterior (O'Hagan, Stevens &amp; Campbell 2005); power: on the calibrated defaults. Mean MD: over the posterior's trials.</p>` : ""}
    <p class="hint">${esc(r.outcome)} at week ${r.week}, ${esc(r.arm)} vs ${esc(r.comparator)}; ${r.reps} virtual trials per n
      (painsim.trials.power_curve, ${esc(r.method)} analysis, seed ${esc(r.seed)}).</p>`;
}

// ---------- page: evidence ----------
async function initEvidence() {
  const form = $("#evidence-form"), measure = $("select[name=measure]", form), columns = (await choices()).effect_size_measures.columns;
  await fillSelects(form);
  const showColumns = () => { $("#evidence-columns").textContent = `${measure.value} needs ${columns[measure.value].join(", ")}`; };
  measure.addEventListener("change", showColumns);
  showColumns();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const box = $("#evidence-job"), button = $("#evidence-run");
    const file = $("#evidence-file").files[0];
    if (!file) { box.innerHTML = `<div class="error">Choose a CSV file first.</div>`; return; }
    box.innerHTML = `<span class="hint">analysing…</span>`; button.disabled = true;
    try { showEvidence(await api("POST", "/api/evidence", new FormData(form), true)); box.innerHTML = ""; }
    catch (err) { box.innerHTML = `<div class="error">${esc(err.message)}</div>`; }
    button.disabled = false;
  });
}

function showEvidence(r) {
  const f = r.fit, ratio = f.exp_estimate !== undefined && f.exp_estimate !== null;
  const est = ratio ? `${f.measure} ${fmt(f.exp_estimate, 3)} (95% CI ${fmt(f.exp_ci_lb, 3)} to ${fmt(f.exp_ci_ub, 3)})`
    : `${f.measure} ${fmt(f.estimate, 3)} (95% CI ${fmt(f.ci_lb, 3)} to ${fmt(f.ci_ub, 3)})`;
  $("#evidence-summary").innerHTML = `<b id="pooled">${est}</b>, p = ${f.pval < 0.001 ? f.pval.toExponential(2) : fmt(f.pval, 4)};
    k = ${f.k} studies, ${esc(f.method)}${f.tau2 !== null ? `, τ² = ${fmt(f.tau2, 4)}, I² = ${fmt(f.i2, 1)}%` : ""}.
    ${r.egger ? `Egger's test p = ${fmt(r.egger.pval, 3)}.` : ""}`;
  $("#certainty").textContent = r.certainty_lines.join("\n");
  $("#forest").innerHTML = `<img alt="forest plot" src="${r.forest_png}">`;
  $("#funnel").innerHTML = `<img alt="funnel plot" src="${r.funnel_png}">`;
}

// ---------- page: runs ----------
async function loadRuns() {
  const box = $("#runs-table");
  try {
    const runs = await api("GET", "/api/runs");
    box.innerHTML = runs.length ? `<table><tr><th>run</th><th>name</th><th>started (UTC)</th><th>seed</th><th>tables</th><th></th></tr>` +
      runs.map((r) => `<tr data-run="${esc(r.run_id)}"><td>${esc(r.run_id)}</td><td>${esc(r.name)}</td><td>${esc((r.started || "").slice(0, 19).replace("T", " "))}</td>
        <td>${esc(r.seed)}</td><td>${esc(r.tables.join(", "))}</td><td><a class="open" href="#/runs/${esc(r.run_id)}">open</a></td></tr>`).join("") + "</table>"
      : `<p class="hint">No stored runs yet: run the massage question, or <code>painsim run</code> on the command line.</p>`;
  } catch (err) { box.innerHTML = `<div class="error">${esc(err.message)}</div>`; }
}

async function openRun(id) {
  const box = $("#run-detail");
  box.innerHTML = `<span class="hint">loading ${esc(id)}…</span>`;
  try {
    const r = await api("GET", `/api/runs/${encodeURIComponent(id)}`), m = r.metadata, rid = encodeURIComponent(m.run_id);
    const armsLike = r.summary && Object.values(r.summary).every((a) => a && typeof a === "object" && a.pain_mean);
    box.innerHTML = `<h3>Run <span id="run-id">${esc(m.run_id)}</span>: ${esc(m.name)}</h3>
      <p class="summary">seed ${esc(m.seed)}, painsim ${esc(m.version)}, started ${esc(String(m.started).slice(0, 19))} UTC.
      <a href="/api/runs/${rid}/report" target="_blank" rel="noopener">HTML report</a> ·
      <a id="run-zip" href="/api/runs/${rid}/export.zip">download all (zip of CSV)</a></p>
      <table id="run-tables"><tr><th>table</th><th>rows</th><th>download</th></tr>${Object.entries(r.table_rows).map(([t, n]) =>
        `<tr><td>${esc(t)}</td><td>${n.toLocaleString()}</td><td><a href="/api/runs/${rid}/tables/${encodeURIComponent(t)}.csv">CSV</a></td></tr>`).join("")}</table>
      ${armsLike ? `<h3>Summary</h3><div class="scroll">${armTable(r.summary)}</div>` : `<pre>${esc(JSON.stringify(r.summary, null, 2))}</pre>`}
      ${r.weekly_pain ? `<h3>Mean pain by week</h3><div class="chart">${weeklyChart(r.weekly_pain)}</div>` : ""}
      <details><summary>Scenario</summary><pre>${esc(r.scenario_text)}</pre></details>`;
  } catch (err) { box.innerHTML = `<div class="error">${esc(err.message)}</div>`; }
}

// ---------- routing ----------
const inited = {};
const INIT = { patient: initPatient, diary: initDiary, massage: initMassage, worth: initWorth, trial: initTrial, evidence: initEvidence, runs: () => $("#runs-refresh").addEventListener("click", loadRuns) };
async function route() {
  const parts = (location.hash || "#/patient").slice(2).split("/");
  const page = INIT[parts[0]] ? parts[0] : "patient";
  document.querySelectorAll(".page").forEach((p) => p.classList.toggle("active", p.id === `page-${page}`));
  document.querySelectorAll("nav a[data-page]").forEach((a) => a.classList.toggle("active", a.dataset.page === page));
  if (!inited[page]) { inited[page] = true; try { await INIT[page](); } catch (err) { console.error(err); } }
  if (page === "runs") { await loadRuns(); if (parts[1]) await openRun(decodeURIComponent(parts[1])); }
  document.body.dataset.ready = page;
}
window.addEventListener("hashchange", route);
route();
