#include "report/report_page.hpp"

namespace drumsynth {

namespace {

// JSON inside <script>: "</" would end the element, so it is written "<\/".
std::string script_safe(const std::string& json_text) {
  std::string s;
  for (size_t i = 0; i < json_text.size(); ++i) {
    s += json_text[i];
    if (json_text[i] == '<' && i + 1 < json_text.size() && json_text[i + 1] == '/') s += '\\';
  }
  return s;
}

// The page. The script renders one page of rows at a time (50), so the first
// screen of 10,000 rows costs 50 rows of DOM; images load lazily and audio
// reads only its metadata until played. Paths are percent-encoded segment by
// segment (file names hold spaces, '#' and '?').
constexpr const char* kPage = R"PAGE(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>drumsynth report</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; background: #fafafa; color: #222; }
h1 { font-size: 18px; margin: 0 0 8px; }
#summary { margin: 0 0 12px; } #summary b { font-variant-numeric: tabular-nums; }
#controls { position: sticky; top: 0; background: #fafafa; padding: 6px 0; z-index: 1; }
#controls > * { margin-right: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eee; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.spec img { width: 160px; height: 64px; image-rendering: pixelated; display: block; margin-bottom: 2px; }
.curve img { width: 150px; } .attack img { width: 150px; }
audio { width: 190px; height: 28px; display: block; margin-bottom: 4px; }
tr.failed td { background: #fee; } .error { color: #a00; }
.params { font-size: 11px; color: #444; white-space: nowrap; }
.name { max-width: 220px; word-break: break-all; }
</style></head>
<body>
<h1 id="title"></h1>
<div id="summary"></div>
<div id="controls">
  <label>Sort <select id="sort">
    <option value="loss-desc">loss, worst first</option><option value="loss-asc">loss, best first</option>
    <option value="name">name</option><option value="folder">folder</option>
    <option value="tf-desc">TF envelope error, worst first</option></select></label>
  <label>Folder <select id="folder"><option value="">all</option></select></label>
  <label>Search <input id="search" type="search" placeholder="name"></label>
  <button id="prev">&larr;</button><span id="page"></span><button id="next">&rarr;</button>
  <span id="count"></span>
</div>
<table><thead><tr><th>sound</th><th>target / render</th><th>spectrograms (target above)</th><th>loss curve</th>
<th>attack</th><th>loss</th><th>envelope error</th><th>main parameters</th></tr></thead>
<tbody id="rows"></tbody></table>
<script id="summary-data" type="application/json">@SUMMARY@</script>
<script id="row-data" type="application/json">@ROWS@</script>
<script>
"use strict";
const summary = JSON.parse(document.getElementById("summary-data").textContent);
const rows = JSON.parse(document.getElementById("row-data").textContent);
const PAGE = 50;
let view = rows, page = 0;
const $ = id => document.getElementById(id);
const esc = s => String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
const url = p => p.split("/").map(encodeURIComponent).join("/");
const fixed = (v, d) => v === undefined || v === null ? "" : Number(v).toFixed(d);

$("title").textContent = "drumsynth report: " + summary.title;
$("summary").innerHTML = `<b>${summary.sounds}</b> sounds, <b>${summary.fitted}</b> fitted, <b>${summary.failed}</b> failed` +
  (summary.interrupted ? `, <b>${summary.interrupted}</b> interrupted` : "") +
  (summary.median_loss !== null ? `; final loss median <b>${fixed(summary.median_loss, 3)}</b>, 90th percentile <b>${fixed(summary.p90_loss, 3)}</b>` : "") +
  (summary.wall_s > 0 ? `; wall time <b>${fixed(summary.wall_s, 1)} s</b>` : "") +
  (summary.device ? ` on ${esc(summary.device)}` : "") + ".";
for (const f of [...new Set(rows.map(r => r.folder))].sort()) {
  const o = document.createElement("option");
  o.value = f; o.textContent = f === "" ? "(top)" : f;
  $("folder").appendChild(o);
}

function row(r) {
  if (r.final_loss === undefined)
    return `<tr class="failed" data-name="${esc(r.name)}"><td class="name">${esc(r.name)}</td><td><audio controls preload="metadata" src="${url(r.target)}"></audio></td>` +
      `<td colspan="6" class="error">${esc(r.status)}: ${esc(r.error)}</td></tr>`;
  const params = Object.entries(r.parameters).map(([k, v]) => `${esc(k)}: ${esc(v)}`).join("<br>");
  return `<tr data-name="${esc(r.name)}"><td class="name">${esc(r.name)}<br><small>${fixed(r.seconds, 2)} s, ${r.sample_rate} Hz</small></td>` +
    `<td><audio controls preload="metadata" src="${url(r.target)}"></audio><audio controls preload="metadata" src="${url(r.render)}"></audio></td>` +
    `<td class="spec"><img loading="lazy" alt="target" src="${url(r.target_png)}"><img loading="lazy" alt="render" src="${url(r.render_png)}"></td>` +
    `<td class="curve"><img loading="lazy" alt="loss curve" src="${url(r.loss_svg)}"></td>` +
    `<td class="attack"><img loading="lazy" alt="attack" src="${url(r.attack_svg)}"></td>` +
    `<td class="num loss">${fixed(r.final_loss, 4)}<br><small>from ${fixed(r.initial_loss, 3)}</small></td>` +
    `<td class="num">${fixed(r.envelope_db, 2)} dB<br><small>TF ${fixed(r.tf_envelope_db, 2)} dB</small></td>` +
    `<td class="params">${params}</td></tr>`;
}

// Failed sounds count as the worst.
const lossOf = r => r.final_loss === undefined ? Infinity : r.final_loss;
const sorts = {
  "loss-desc": (a, b) => lossOf(b) - lossOf(a),
  "loss-asc": (a, b) => lossOf(a) - lossOf(b),
  "name": (a, b) => a.name.localeCompare(b.name),
  "folder": (a, b) => a.folder.localeCompare(b.folder) || a.name.localeCompare(b.name),
  "tf-desc": (a, b) => (b.tf_envelope_db ?? Infinity) - (a.tf_envelope_db ?? Infinity),
};

function show() {
  const pages = Math.max(1, Math.ceil(view.length / PAGE));
  page = Math.min(page, pages - 1);
  $("rows").innerHTML = view.slice(page * PAGE, (page + 1) * PAGE).map(row).join("");
  $("page").textContent = ` page ${page + 1} of ${pages} `;
  $("count").textContent = `${view.length} of ${rows.length} sounds`;
}

function update() {
  const folder = $("folder").value, needle = $("search").value.toLowerCase();
  view = rows.filter(r => (folder === "" || r.folder === folder) && r.name.toLowerCase().includes(needle));
  view.sort(sorts[$("sort").value]);
  page = 0;
  show();
}

$("sort").onchange = $("folder").onchange = $("search").oninput = update;
$("prev").onclick = () => { page = Math.max(0, page - 1); show(); };
$("next").onclick = () => { page += 1; show(); };
update();
performance.mark("first-rows");  // the first page of rows is in the document
</script>
</body></html>
)PAGE";

void replace(std::string& s, const std::string& key, const std::string& value) {
  s.replace(s.find(key), key.size(), value);
}

}  // namespace

std::string report_page(const nlohmann::json& summary, const nlohmann::json& rows) {
  std::string page = kPage;
  replace(page, "@SUMMARY@", script_safe(summary.dump()));
  replace(page, "@ROWS@", script_safe(rows.dump()));
  return page;
}

}  // namespace drumsynth
