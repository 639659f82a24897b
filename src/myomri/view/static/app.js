// myomri view: the page. Talks to the local server (token in every request), draws with SliceView,
// edits with Editor. Nothing is fetched from anywhere but the server that served this page.
"use strict";

const TOKEN = document.querySelector('meta[name="myomri-token"]').content;
const $ = (id) => document.getElementById(id);
const S = {
  mode: "labels", subject: null, meta: null, vol: null, editor: null, k: 0, tool: "brush", size: 3,
  label: 1, opacity: 0.5, lo: 0, hi: 1, second: null, secondMode: "side", blend: 0.5, polygon: [],
  base: null, drag: null, statsTimer: null,
};
const view = new SliceView($("view"));
const side = new SliceView($("second-view"));

async function api(path, options = {}) {
  const headers = Object.assign({"X-Myomri-Token": TOKEN}, options.headers || {});
  const res = await fetch("/api/" + path, Object.assign({}, options, {headers}));
  if (!res.ok) {
    let text = res.statusText;
    try { text = (await res.json()).error || text; } catch (e) { /* not JSON */ }
    const err = new Error(text); err.status = res.status; throw err;
  }
  return (res.headers.get("Content-Type") || "").startsWith("application/json") ? res.json() : res.arrayBuffer();
}

function say(text, kind = "") {
  const m = $("message"); m.textContent = text; m.className = kind;
}

function setState(s) { document.body.dataset.state = s; }

function subjectPath(what, extra = "") {
  return `subject/${encodeURIComponent(S.subject)}/${what}?mode=${S.mode}${extra}`;
}

// ---- subjects -------------------------------------------------------------------------------
async function loadSubjects() {
  const data = await api("subjects");
  const ul = $("subjects"); ul.textContent = "";
  for (const s of data.subjects) {
    if (S.mode === "reader" && !s.reader_mode) continue;
    const li = document.createElement("li");
    li.textContent = s.subject; li.dataset.subject = s.subject;
    for (const f of s.flags) { const sp = document.createElement("span"); sp.className = "flag"; sp.textContent = f; li.append(sp); }
    li.addEventListener("click", () => selectSubject(s.subject));
    ul.append(li);
  }
  $("learn-box").hidden = !data.learning || S.mode === "reader";
  const first = ul.querySelector("li");
  if (first) await selectSubject(first.dataset.subject);
}

function dirty() { return S.editor && S.editor.dirty; }

async function selectSubject(subject) {
  if (dirty() && !confirm("This subject has unsaved edits. Leave them?")) return;
  setState("loading");
  S.subject = subject; S.second = null; S.polygon = [];
  for (const li of $("subjects").children) li.classList.toggle("active", li.dataset.subject === subject);
  try {
    const meta = await api(subjectPath("meta"));
    const [image, labels] = await Promise.all([api(subjectPath("volume/image")), api(subjectPath("volume/labels"))]);
    S.meta = meta; S.base = meta.base;
    S.vol = {shape: meta.shape, spacing: meta.spacing, image: new Float32Array(image),
             labels: new Uint16Array(labels), colours: new Map(meta.labels.map((l) => [l.value, l.rgb]))};
    S.editor = new Editor(meta.shape, S.vol.labels);
    S.editor.onChange = () => { render(); updateTable(); scheduleStats(); };
    [S.lo, S.hi] = meta.window;
    S.k = Math.floor(meta.shape[2] / 2);
    view.setVolume(S.vol); view.zoom = 1; view.panX = view.panY = 0;
    fillSubjectPanel(meta);
    $("slice").max = meta.shape[2] - 1;
    say(meta.notes.join(" "), meta.notes.length ? "" : "");
    render(); updateTable(meta.stats);
    setState("ready");
  } catch (e) {
    S.meta = null; S.vol = null; S.editor = null;
    say(`${subject}: ${e.message}`, "error"); setState("error");
  }
}

function fillSubjectPanel(meta) {
  $("subject-title").textContent = meta.subject + (S.mode === "reader" ? " (reader mode)" : "");
  $("files").textContent = S.mode === "reader" ? `image ${meta.image_file}` :
    `image ${meta.image_file}; labels ${meta.labels_file || "(none)"}; saves to ${meta.target_file}`;
  const notes = $("notes"); notes.textContent = "";
  for (const n of meta.notes) { const li = document.createElement("li"); li.textContent = n; notes.append(li); }
  const pick = $("label-picker"); pick.textContent = "";
  for (const l of meta.labels) { const o = document.createElement("option"); o.value = l.value; o.textContent = `${l.value} ${l.name}`; pick.append(o); }
  S.label = meta.labels.length ? meta.labels[0].value : 1;
  const sec = $("second-path"); sec.textContent = "";
  for (const p of ["", ...meta.others]) { const o = document.createElement("option"); o.value = p; o.textContent = p || "none"; sec.append(o); }
}

// ---- drawing --------------------------------------------------------------------------------
function render() {
  if (!S.vol) return;
  const blend = S.second && S.secondMode === "blend" ?
    {image: S.second.image, lo: S.second.lo, hi: S.second.hi, weight: S.blend} : null;
  const outline = S.polygon.map(([x, y]) => [x - 0.5, y - 0.5]);
  const mainStyle = {k: S.k, lo: S.lo, hi: S.hi, opacity: S.opacity, blend, outline};
  view.draw(mainStyle);
  const showSide = !!S.second && S.secondMode === "side";
  if ($("second-pane").hidden === showSide) { $("second-pane").hidden = !showSide; view.draw(mainStyle); }
  if (showSide) {
    side.zoom = view.zoom; side.panX = view.panX; side.panY = view.panY;
    side.draw({k: S.k, lo: S.second.lo, hi: S.second.hi, opacity: S.opacity, blend: null, outline: null});
  }
  $("slice").value = S.k;
  $("slice-info").textContent = `slice ${S.k + 1} / ${S.vol.shape[2]}`;
  $("win-width").value = +(S.hi - S.lo).toPrecision(4);
  $("win-level").value = +((S.hi + S.lo) / 2).toPrecision(4);
  document.querySelectorAll("[data-tool]").forEach((b) => b.classList.toggle("active", b.dataset.tool === S.tool));
  $("save").disabled = !dirty();
}

function setSlice(k) {
  if (!S.vol) return;
  S.editor.end();
  S.k = Math.max(0, Math.min(S.vol.shape[2] - 1, k));
  S.polygon = [];
  render();
}

function updateTable(serverStats) {
  if (serverStats) S.mapStats = new Map(serverStats.map((r) => [r.value, r]));
  const body = $("label-table").querySelector("tbody"); body.textContent = "";
  if (!S.vol) return;
  const counts = new Map();
  for (const v of S.vol.labels) if (v) counts.set(v, (counts.get(v) || 0) + 1);
  for (const l of S.meta.labels) {
    const n = counts.get(l.value) || 0;
    if (!n) continue;
    const st = (S.mapStats || new Map()).get(l.value);
    const tr = document.createElement("tr"); tr.dataset.value = l.value;
    const sw = document.createElement("span"); sw.className = "swatch"; sw.style.background = `rgb(${l.rgb.join(",")})`;
    const cells = [sw, l.name, (n * S.meta.voxel_ml).toFixed(2),
      st && st.map_mean != null ? `${st.map_mean.toFixed(1)} \u00b1 ${(st.map_sd || 0).toFixed(1)}` : ""];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); tr.append(td); }
    body.append(tr);
  }
}

function scheduleStats() {
  clearTimeout(S.statsTimer);
  if (S.mode !== "labels") return;
  S.statsTimer = setTimeout(async () => {
    try { updateTable(await api(subjectPath("stats"), {method: "POST", body: S.vol.labels})); } catch (e) { /* shown on save */ }
  }, 600);
}

function readout(i, j) {
  if (!S.vol || !view.inside(i, j)) { $("readout").textContent = ""; return; }
  const p = i + S.vol.shape[0] * (j + S.vol.shape[1] * S.k), v = S.vol.image[p], L = S.vol.labels[p];
  const lab = S.meta.labels.find((l) => l.value === L);
  let text = `voxel (${i}, ${j}, ${S.k})  value ${Number.isFinite(v) ? +v.toPrecision(5) : "NaN"}`;
  if (S.second) { const w = S.second.image[p]; text += `  second ${Number.isFinite(w) ? +w.toPrecision(5) : "NaN"}`; }
  text += `  label ${L ? `${L} ${lab ? lab.name : ""}` : "0 background"}`;
  $("readout").textContent = text;
}

// ---- mouse and keys ---------------------------------------------------------------------------
function paintAt(i, j) {
  const value = S.tool === "eraser" ? 0 : S.label;
  const last = S.drag.last || [i, j];
  S.editor.line(S.k, last[0], last[1], i, j, S.size, value);
  S.drag.last = [i, j];
  render();
}

function onDown(e) {
  if (!S.vol) return;
  e.preventDefault(); $("view").focus();
  const [i, j] = view.toVoxel(e.offsetX, e.offsetY);
  const button = e.button === 1 || (e.button === 0 && S.tool === "pan") ? "pan" : e.button === 2 ? "window" : "tool";
  S.drag = {button, x: e.clientX, y: e.clientY, panX: view.panX, panY: view.panY, lo: S.lo, hi: S.hi, last: null};
  if (button !== "tool") return;
  if (S.tool === "brush" || S.tool === "eraser") { S.editor.begin(S.k); paintAt(i, j); }
  else if (S.tool === "fill") { S.editor.begin(S.k); S.editor.fill(S.k, i, j, S.label); S.editor.end(); S.drag = null; }
  else if (S.tool === "polygon") { S.polygon.push(fractionalVoxel(e)); S.drag = null; render(); }
}

function fractionalVoxel(e) {
  const [ox, oy] = view.origin(), [px, py] = view.scale();
  return [(e.offsetX - ox) / px, (e.offsetY - oy) / py];
}

function onMove(e) {
  const [i, j] = view.toVoxel(e.offsetX, e.offsetY);
  readout(i, j);
  const d = S.drag;
  if (!d) return;
  if (d.button === "pan") { view.panX = d.panX + e.clientX - d.x; view.panY = d.panY + e.clientY - d.y; render(); }
  else if (d.button === "window") {
    const width = Math.max(1e-6, (d.hi - d.lo) * Math.exp((e.clientX - d.x) / 200));
    const level = (d.hi + d.lo) / 2 - (e.clientY - d.y) * (d.hi - d.lo) / 400;
    S.lo = level - width / 2; S.hi = level + width / 2; render();
  } else if (S.tool === "brush" || S.tool === "eraser") paintAt(i, j);
}

function onUp() {
  if (S.drag && S.drag.button === "tool") S.editor.end();
  S.drag = null;
}

function closePolygon() {
  if (S.polygon.length < 3) return;
  S.editor.begin(S.k); S.editor.polygon(S.k, S.polygon, S.tool === "eraser" ? 0 : S.label); S.editor.end();
  S.polygon = []; render();
}

function onWheel(e) {
  if (!S.vol) return;
  e.preventDefault();
  if (e.ctrlKey) { view.zoom *= e.deltaY < 0 ? 1.2 : 1 / 1.2; render(); }
  else setSlice(S.k + (e.deltaY < 0 ? 1 : -1));
}

function onKey(e) {
  if (e.target.tagName === "INPUT" && e.target.type !== "range") return;
  const key = e.key.toLowerCase();
  if ((e.ctrlKey || e.metaKey) && key === "z") { e.preventDefault(); doUndo(e.shiftKey); return; }
  if ((e.ctrlKey || e.metaKey) && key === "y") { e.preventDefault(); doUndo(true); return; }
  if ((e.ctrlKey || e.metaKey) && key === "s") { e.preventDefault(); save(); return; }
  const actions = {arrowup: () => setSlice(S.k + 1), pageup: () => setSlice(S.k + 1),
    arrowdown: () => setSlice(S.k - 1), pagedown: () => setSlice(S.k - 1),
    b: () => setTool("brush"), e: () => setTool("eraser"), f: () => setTool("fill"), n: () => setTool("pan"),
    p: () => setTool("polygon"), enter: closePolygon, "+": () => zoomBy(1.25), "-": () => zoomBy(0.8)};
  if (actions[key]) { e.preventDefault(); actions[key](); }
}

function doUndo(redo) {
  if (!S.editor) return;
  S.editor.end();
  const k = redo ? S.editor.redo() : S.editor.undo();
  if (k !== null && k !== S.k) setSlice(k);
}

function setTool(t) { S.tool = t; S.polygon = []; render(); }

function zoomBy(f) { view.zoom *= f; render(); }

// ---- saving ------------------------------------------------------------------------------------
async function save() {
  if (!S.editor) return;
  S.editor.end();
  setState("saving");
  try {
    let r;
    if (S.mode === "reader") {
      const reader = $("reader-id").value.trim();
      r = await api(subjectPath("save", `&reader=${encodeURIComponent(reader)}`), {method: "POST", body: S.vol.labels});
      S.editor.clearSlice(S.k); S.editor.undoStack = []; S.editor.redoStack = [];
    } else {
      r = await api(subjectPath("save", `&base=${S.base}`), {method: "POST", body: S.vol.labels});
      S.base = r.signature;
      updateTable(r.stats);
    }
    S.editor.saved();
    $("files").textContent = `saved to ${r.file}`;
    say(r.message, r.status === "versioned" ? "" : "ok");
    setState(r.status === "versioned" ? "versioned" : "saved");
  } catch (e) {
    say(`Save failed: ${e.message}`, "error"); setState("save-failed");
  }
  render();
}

// ---- second image ------------------------------------------------------------------------------
async function loadSecond() {
  const path = $("second-path").value;
  if (!path) { S.second = null; render(); return; }
  try {
    const data = new Float32Array(await api(subjectPath("second", `&path=${encodeURIComponent(path)}`)));
    const finite = Array.from(data.filter(Number.isFinite)).sort((a, b) => a - b);
    const q = (f) => finite.length ? finite[Math.min(finite.length - 1, Math.floor(f * finite.length))] : 0;
    S.second = {image: data, lo: q(0.01), hi: Math.max(q(0.995), q(0.01) + 1e-6)};
    side.setVolume({shape: S.vol.shape, spacing: S.vol.spacing, image: data, labels: S.vol.labels, colours: S.vol.colours});
  } catch (e) { say(`Second image: ${e.message}`, "error"); S.second = null; }
  render();
}

// ---- wiring ---------------------------------------------------------------------------------------
function wire() {
  const c = $("view");
  c.addEventListener("mousedown", onDown);
  c.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
  c.addEventListener("dblclick", (e) => { e.preventDefault(); closePolygon(); });
  c.addEventListener("wheel", onWheel, {passive: false});
  c.addEventListener("contextmenu", (e) => e.preventDefault());
  window.addEventListener("keydown", onKey);
  window.addEventListener("resize", render);
  window.addEventListener("beforeunload", (e) => { if (dirty()) { e.preventDefault(); e.returnValue = ""; } });
  document.querySelectorAll("[data-tool]").forEach((b) => b.addEventListener("click", () => setTool(b.dataset.tool)));
  $("brush-size").addEventListener("input", (e) => { S.size = +e.target.value; $("brush-size-value").textContent = S.size; });
  $("label-picker").addEventListener("change", (e) => { S.label = +e.target.value; });
  $("opacity").addEventListener("input", (e) => { S.opacity = e.target.value / 100; render(); });
  $("slice").addEventListener("input", (e) => setSlice(+e.target.value));
  const wl = () => { const w = +$("win-width").value, l = +$("win-level").value; S.lo = l - w / 2; S.hi = l + w / 2; render(); };
  $("win-width").addEventListener("change", wl); $("win-level").addEventListener("change", wl);
  $("zoom-in").addEventListener("click", () => zoomBy(1.25));
  $("zoom-out").addEventListener("click", () => zoomBy(0.8));
  $("zoom-reset").addEventListener("click", () => { view.zoom = 1; view.panX = view.panY = 0; render(); });
  $("undo").addEventListener("click", () => doUndo(false));
  $("redo").addEventListener("click", () => doUndo(true));
  $("save").addEventListener("click", save);
  $("second-path").addEventListener("change", loadSecond);
  $("second-mode").addEventListener("change", (e) => { S.secondMode = e.target.value; render(); });
  $("second-blend").addEventListener("input", (e) => { S.blend = e.target.value / 100; render(); });
  document.querySelectorAll('input[name="mode"]').forEach((r) => r.addEventListener("change", async (e) => {
    if (dirty() && !confirm("Unsaved edits will be lost. Switch mode?")) { e.target.checked = false; return; }
    if (S.editor) S.editor.savedAt = S.editor.undoStack.length;
    setState("loading");
    S.mode = e.target.value; $("reader-box").hidden = S.mode !== "reader";
    S.tool = S.mode === "reader" ? "polygon" : "brush";
    await loadSubjects();
  }));
  if (window.wireLearning) window.wireLearning(api, say);
}

// Test and console hooks: voxel centre -> position in the canvas (CSS pixels).
window.myomri = {state: S, view, voxelToCanvas: (i, j) => view.toCanvas(i, j), setSlice, render};
wire();
loadSubjects().catch((e) => { say(e.message, "error"); setState("error"); });
