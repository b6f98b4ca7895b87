// The live playground's front end (anywidget ES module, no build step).
//
// The kernel trains the student's network and sends its parameters (float64 buffers) after
// each update. Here the network is evaluated on a grid (the contract's two-layer ReLU
// network, or a linear one) and painted on canvases every animation frame: the decision
// boundary with the points, the loss curves, one small map per hidden unit. While playing,
// updates are asked for three at a time, the next three while the last are being drawn,
// and drawn one per animation frame. Every few updates the outputs on probe points go back
// to the kernel, which compares them with the student's forward; after a mismatch the kernel
// draws the frames and they arrive here as PNGs.

const COLORS = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40],
  [148, 103, 189], [140, 86, 75]];
const FEATURES = {
  "x1": (a, b) => a,
  "x2": (a, b) => b,
  "x1^2": (a, b) => a * a,
  "x2^2": (a, b) => b * b,
  "x1 x2": (a, b) => a * b,
  "sin(pi x1)": (a, b) => Math.sin(Math.PI * a),
  "sin(pi x2)": (a, b) => Math.sin(Math.PI * b),
};
const SIZE = 300; // the boundary canvas, in CSS pixels
const UNIT_STRIDE = 4; // a unit's map takes every 4th grid point
const PROBE_EVERY = 20; // updates between two probes
const BATCH = 3; // updates asked for in one request (the kernel sends them one by one)
const LRS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const L2S = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1];

const CSS = `
.course-live { font: 13px sans-serif; color: #222; }
.course-live .cl-row { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center;
  margin: 4px 0; }
.course-live label { white-space: nowrap; }
.course-live button { min-width: 64px; }
.course-live .cl-warning { background: #fde8e8; color: #900; border: 1px solid #c00;
  padding: 4px 8px; margin: 4px 0; }
.course-live .cl-error { color: #c00; }
.course-live canvas.cl-boundary { border: 1px solid #555; cursor: crosshair; }
.course-live .cl-units { display: flex; flex-wrap: wrap; gap: 2px; max-width: 340px; }
.course-live .cl-units canvas { image-rendering: pixelated; border: 1px solid #ddd; }
.course-live .cl-side { display: flex; flex-direction: column; gap: 4px; }
`;

function f64(view) {
  // a float64 copy of a buffer (a DataView, ArrayBuffer or typed array; maybe unaligned)
  if (!view) return new Float64Array(0);
  const buf = view.buffer ? view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength)
    : view.slice(0);
  return new Float64Array(buf);
}

function i32(view) {
  if (!view) return new Int32Array(0);
  const buf = view.buffer ? view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength)
    : view.slice(0);
  return new Int32Array(buf);
}

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

// The network, as the contract writes it, on points whose features are the rows of F (p, d).
// Returns o (p, m) and, if `hidden` is given, fills it with h (p, v).
function evaluate(net, F, p, d, hidden) {
  const m = net.m;
  const o = new Float64Array(p * m);
  const z = new Float64Array(m);
  if (net.kind === "linear") {
    const { W, b } = net;
    for (let q = 0; q < p; q++) {
      for (let c = 0; c < m; c++) {
        let s = b[c];
        for (let i = 0; i < d; i++) s += F[q * d + i] * W[i * m + c];
        z[c] = s;
      }
      softmaxInto(z, o, q * m, m);
    }
    return o;
  }
  const { H, bH, U, bU, v } = net;
  const h = new Float64Array(v);
  for (let q = 0; q < p; q++) {
    for (let j = 0; j < v; j++) {
      let s = bH[j];
      for (let i = 0; i < d; i++) s += F[q * d + i] * H[i * v + j];
      h[j] = s > 0 ? s : 0;
    }
    if (hidden) hidden.set(h, q * v);
    for (let c = 0; c < m; c++) {
      let s = bU[c];
      for (let j = 0; j < v; j++) s += h[j] * U[j * m + c];
      z[c] = s;
    }
    softmaxInto(z, o, q * m, m);
  }
  return o;
}

function softmaxInto(z, o, at, m) {
  let top = -Infinity;
  for (let c = 0; c < m; c++) if (z[c] > top) top = z[c];
  let sum = 0;
  for (let c = 0; c < m; c++) { const e = Math.exp(z[c] - top); o[at + c] = e; sum += e; }
  for (let c = 0; c < m; c++) o[at + c] /= sum;
}

function features(points, names) {
  // points: Float64Array (p, 2) -> F (p, d)
  const p = points.length / 2, d = names.length;
  const fns = names.map((n) => FEATURES[n]);
  const F = new Float64Array(p * d);
  for (let q = 0; q < p; q++) {
    for (let i = 0; i < d; i++) F[q * d + i] = fns[i](points[2 * q], points[2 * q + 1]);
  }
  return F;
}

function render({ model, el: root }) {
  root.classList.add("course-live");
  // keys pressed in the controls are theirs, not JupyterLab's shortcuts (arrows on a slider
  // would otherwise collapse the notebook's headings)
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.addEventListener("keydown", (event) => event.stopPropagation());
  root.append(el("style", { text: CSS }));
  const stats = { frames: 0, updates: 0, shown: 0, steps: 0, kernelFrames: 0, probes: 0,
    callbacks: 0, evalMs: 0, drawMs: 0 };
  root.courseLive = stats; // read by the browser tests and the benchmark

  // -- controls -------------------------------------------------------------------------
  const datasetSel = el("select", { "aria-label": "data set" });
  for (const name of model.get("datasets")) datasetSel.append(el("option", { value: name, text: name }));
  const featureBoxes = model.get("feature_names").map((name) => {
    const box = el("input", { type: "checkbox", value: name });
    return [name, box, el("label", {}, [box, " " + name])];
  });
  const range = (label, min, max, step) => {
    const input = el("input", { type: "range", min, max, step, "aria-label": label });
    const out = el("span");
    return { input, out, node: el("label", {}, [label + " ", input, " ", out]) };
  };
  const hidden = range("hidden units", 1, 32, 1);
  const lr = range("learning rate", 0, LRS.length - 1, 1);
  const l2 = range("L2 penalty", 0, L2S.length - 1, 1);
  const batch = range("batch size", 1, 100, 1);
  const noise = range("noise", 0, 0.5, 0.01);
  const buttons = {};
  for (const name of ["Play", "Pause", "Step", "Reset"]) {
    buttons[name] = el("button", { type: "button", text: name, class: "cl-" + name.toLowerCase() });
  }
  const warning = el("div", { class: "cl-warning" });
  const status = el("div", { class: "cl-status" });
  const boundary = el("canvas", { class: "cl-boundary", width: SIZE, height: SIZE });
  const loss = el("canvas", { class: "cl-loss", width: 300, height: 130 });
  const units = el("div", { class: "cl-units" });
  const unitsCanvas = el("canvas", { class: "cl-units-map" });
  const unitsTitle = el("b", { text: "hidden units: where each is on (grey: off)" });
  unitsCanvas.style.imageRendering = "pixelated";
  units.append(unitsCanvas);
  root.append(
    el("div", { class: "cl-row" }, [el("label", {}, ["data ", datasetSel]), noise.node,
      hidden.node, lr.node, l2.node, batch.node]),
    el("div", { class: "cl-row" }, [el("span", { text: "inputs:" }),
      ...featureBoxes.map(([, , node]) => node)]),
    el("div", { class: "cl-row" }, [...Object.values(buttons), status]),
    warning,
    el("div", { class: "cl-row" }, [
      el("div", { class: "cl-side" }, [boundary, el("small", {
        text: "click: add a point of class 0 (blue); shift-click: class 1; alt-click: class 2",
      })]),
      el("div", { class: "cl-side" }, [
        el("b", { text: "loss: training (blue), held-out (orange)" }), loss,
        unitsTitle, units]),
    ]),
  );
  const dpr = window.devicePixelRatio || 1;
  boundary.width = SIZE * dpr; boundary.height = SIZE * dpr;
  boundary.style.width = SIZE + "px"; boundary.style.height = SIZE + "px";

  const syncControls = () => {
    datasetSel.value = model.get("dataset");
    const chosen = model.get("features");
    for (const [name, box] of featureBoxes) box.checked = chosen.includes(name);
    hidden.input.value = model.get("hidden"); hidden.out.textContent = model.get("hidden");
    hidden.node.style.display = model.get("hidden_control") ? "" : "none";
    const near = (list, x) => list.reduce((best, v, i) => (Math.abs(Math.log((v || 1e-9) / (x || 1e-9)))
      < Math.abs(Math.log((list[best] || 1e-9) / (x || 1e-9))) ? i : best), 0);
    lr.input.value = near(LRS, model.get("lr")); lr.out.textContent = model.get("lr");
    l2.input.value = near(L2S, model.get("l2")); l2.out.textContent = model.get("l2");
    batch.input.value = model.get("batch_size"); batch.out.textContent = model.get("batch_size");
    noise.input.value = model.get("noise"); noise.out.textContent = model.get("noise").toFixed(2);
    buttons.Play.disabled = model.get("playing");
    buttons.Pause.disabled = !model.get("playing");
    warning.textContent = model.get("warning");
    warning.style.display = model.get("warning") ? "" : "none";
  };
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  datasetSel.onchange = () => set("dataset", datasetSel.value);
  for (const [, box] of featureBoxes) {
    box.onchange = () => set("features", featureBoxes.filter(([, b]) => b.checked).map(([n]) => n));
  }
  hidden.input.onchange = () => set("hidden", Number(hidden.input.value));
  hidden.input.oninput = () => { hidden.out.textContent = hidden.input.value; };
  lr.input.oninput = () => set("lr", LRS[Number(lr.input.value)]);
  l2.input.oninput = () => set("l2", L2S[Number(l2.input.value)]);
  batch.input.oninput = () => set("batch_size", Number(batch.input.value));
  noise.input.onchange = () => set("noise", Number(noise.input.value));
  noise.input.oninput = () => { noise.out.textContent = Number(noise.input.value).toFixed(2); };
  buttons.Play.onclick = () => { set("playing", true); };
  buttons.Pause.onclick = () => { set("playing", false); };
  buttons.Step.onclick = () => { set("playing", false); model.send({ type: "step" }); };
  buttons.Reset.onclick = () => model.send({ type: "reset" });

  // -- state ------------------------------------------------------------------------------
  let net = null; // the latest parameters, unpacked
  let info = {}; // the latest status from the kernel
  let dirty = false; // new parameters not yet evaluated
  let image = null; // ImageData of the boundary (res x res)
  let kernelBitmap = null; // kernel mode: the latest boundary frame
  let curve = []; // [step, train loss, held-out loss]
  let pending = 0, lastAsk = 0, sinceProbe = PROBE_EVERY;
  const queue = []; // updates received, not yet drawn: one is drawn per animation frame
  let grid = null, gridF = null, unitF = null, unitSide = 0, gridKey = "";
  let points = null;
  const offscreen = document.createElement("canvas"); // the grid's pixels, res x res
  const pointsLayer = document.createElement("canvas"); // the points, drawn when they change
  let pointsDirty = true;

  const readPoints = () => {
    points = {
      train: f64(model.get("train_x")), trainY: i32(model.get("train_y")),
      test: f64(model.get("test_x")), testY: i32(model.get("test_y")),
    };
    pointsDirty = true;
  };
  readPoints();

  const ensureGrid = () => {
    const res = model.get("resolution");
    const ext = model.get("extent");
    const names = model.get("features");
    const key = JSON.stringify([res, ext, names]);
    if (key === gridKey) return;
    gridKey = key;
    grid = new Float64Array(res * res * 2);
    for (let i = 0; i < res; i++) {
      for (let j = 0; j < res; j++) {
        grid[2 * (i * res + j)] = ext[0] + (ext[1] - ext[0]) * j / (res - 1);
        grid[2 * (i * res + j) + 1] = ext[2] + (ext[3] - ext[2]) * i / (res - 1);
      }
    }
    gridF = features(grid, names);
    unitSide = Math.ceil(res / UNIT_STRIDE); // the units' maps: every UNIT_STRIDE-th point
    const sub = new Float64Array(unitSide * unitSide * 2);
    for (let a = 0; a < unitSide; a++) {
      for (let b = 0; b < unitSide; b++) {
        const q = (a * UNIT_STRIDE) * res + b * UNIT_STRIDE;
        sub[2 * (a * unitSide + b)] = grid[2 * q];
        sub[2 * (a * unitSide + b) + 1] = grid[2 * q + 1];
      }
    }
    unitF = features(sub, names);
  };

  const unpack = (msg, buffers) => {
    const arrays = {};
    msg.keys.forEach((key, i) => { arrays[key] = f64(buffers[i]); });
    const m = model.get("n_classes");
    if (msg.kind === "linear") {
      return { kind: "linear", W: arrays.W, b: arrays.b, m, d: msg.shapes[0][0], version: msg.version };
    }
    return { kind: "two-layer", H: arrays.H, bH: arrays.b_H, U: arrays.U, bU: arrays.b_U,
      v: msg.shapes[0][1], d: msg.shapes[0][0], m, version: msg.version };
  };

  const paintGrid = () => {
    // evaluate the network on the grid into the boundary's pixels, and on every
    // UNIT_STRIDE-th grid point into one small map per hidden unit
    ensureGrid();
    const res = model.get("resolution"), names = model.get("features"), d = names.length;
    const m = net.m, p = res * res;
    if (net.d !== d) return;
    const o = evaluate(net, gridF, p, d, null);
    if (!image || image.width !== res) image = new ImageData(res, res);
    const px = image.data;
    for (let i = 0; i < res; i++) {
      const row = res - 1 - i; // y grows upwards
      for (let j = 0; j < res; j++) {
        const q = i * res + j;
        let best = 0;
        for (let c = 1; c < m; c++) if (o[q * m + c] > o[q * m + best]) best = c;
        let conf = (o[q * m + best] - 1 / m) / (1 - 1 / m);
        conf = conf > 0 ? (conf < 1 ? conf : 1) : 0; // NaN becomes 0
        const alpha = 0.12 + 0.6 * conf;
        const col = COLORS[best % COLORS.length];
        const at = 4 * (row * res + j);
        px[at] = 255 - alpha * (255 - col[0]);
        px[at + 1] = 255 - alpha * (255 - col[1]);
        px[at + 2] = 255 - alpha * (255 - col[2]);
        px[at + 3] = 255;
      }
    }
    if (offscreen.width !== res) { offscreen.width = res; offscreen.height = res; }
    offscreen.getContext("2d").putImageData(image, 0, 0);
    paintUnits();
  };

  const paintUnits = () => {
    // all the units' maps as tiles of one canvas, 8 to a row
    const v = net.kind === "linear" ? 0 : net.v;
    unitsCanvas.style.display = v ? "" : "none";
    unitsTitle.style.display = v ? "" : "none"; // a linear model has none
    if (!v) return;
    ensureGrid();
    const d = model.get("features").length, m = net.m;
    const side = unitSide, sp = side * side;
    const h = new Float64Array(sp * v);
    evaluate(net, unitF, sp, d, h);
    const perRow = 8, gap = 2, cols = Math.min(v, perRow), rows = Math.ceil(v / perRow);
    const width = cols * (side + gap), height = rows * (side + gap);
    if (unitsCanvas.width !== width || unitsCanvas.height !== height) {
      unitsCanvas.width = width; unitsCanvas.height = height;
      unitsCanvas.style.width = (width * 36 / (side + gap)) + "px";
      unitsCanvas.style.height = (height * 36 / (side + gap)) + "px";
    }
    const img = new ImageData(width, height);
    img.data.fill(255);
    for (let j = 0; j < v; j++) {
      let peak = 0;
      for (let q = 0; q < sp; q++) if (h[q * v + j] > peak) peak = h[q * v + j];
      let vote = 0;
      for (let c = 1; c < m; c++) if (net.U[j * m + c] > net.U[j * m + vote]) vote = c;
      const col = COLORS[vote % COLORS.length];
      const x0 = (j % perRow) * (side + gap), y0 = Math.floor(j / perRow) * (side + gap);
      for (let a = 0; a < side; a++) {
        for (let b = 0; b < side; b++) {
          const s = peak > 0 ? h[(a * side + b) * v + j] / peak : 0;
          const at = 4 * ((y0 + side - 1 - a) * width + x0 + b);
          for (let k = 0; k < 3; k++) {
            img.data[at + k] = s > 0 ? 255 - (0.25 + 0.75 * s) * (255 - col[k]) : 224;
          }
        }
      }
    }
    unitsCanvas.getContext("2d").putImageData(img, 0, 0);
  };

  const probe = () => {
    // the browser's outputs on probe points, for the kernel to compare with forward
    const ext = model.get("extent"), names = model.get("features");
    const pts = [];
    for (let a = 0; a < 5; a++) {
      for (let b = 0; b < 5; b++) {
        pts.push(ext[0] + (ext[1] - ext[0]) * (a + 0.5 + 0.3 * Math.random()) / 5.3,
          ext[2] + (ext[3] - ext[2]) * (b + 0.5 + 0.3 * Math.random()) / 5.3);
      }
    }
    const P = new Float64Array(pts);
    const o = evaluate(net, features(P, names), P.length / 2, names.length, null);
    model.send({ type: "probe", version: net.version }, undefined, [P.buffer, o.buffer]);
    stats.probes += 1;
  };

  const toCanvas = (x, y) => {
    const ext = model.get("extent");
    return [(x - ext[0]) / (ext[1] - ext[0]) * SIZE, (ext[3] - y) / (ext[3] - ext[2]) * SIZE];
  };

  const drawBoundary = () => {
    const ctx = boundary.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (model.get("mode") === "kernel") {
      if (kernelBitmap) {
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(kernelBitmap, 0, 0, SIZE, SIZE);
      }
      return; // the kernel's frame has the points stamped on it
    }
    if (!image) { ctx.fillStyle = "#eee"; ctx.fillRect(0, 0, SIZE, SIZE); return; }
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(offscreen, 0, 0, SIZE, SIZE);
    if (pointsDirty) drawPoints();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(pointsLayer, 0, 0);
  };

  const drawPoints = () => {
    pointsDirty = false;
    pointsLayer.width = SIZE * dpr; pointsLayer.height = SIZE * dpr;
    const ctx = pointsLayer.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const dots = (xy, labels, filled) => {
      for (let q = 0; q < labels.length; q++) {
        const [cx, cy] = toCanvas(xy[2 * q], xy[2 * q + 1]);
        const col = COLORS[labels[q] % COLORS.length];
        ctx.beginPath();
        ctx.arc(cx, cy, filled ? 3.2 : 3.0, 0, 2 * Math.PI);
        if (filled) {
          ctx.fillStyle = `rgb(${col})`; ctx.fill();
          ctx.lineWidth = 1; ctx.strokeStyle = "white"; ctx.stroke();
        } else {
          ctx.lineWidth = 1.5; ctx.strokeStyle = `rgb(${col})`; ctx.stroke();
        }
      }
    };
    dots(points.test, points.testY, false);
    dots(points.train, points.trainY, true);
  };

  const drawLoss = () => {
    const ctx = loss.getContext("2d");
    const W = loss.width, H = loss.height;
    ctx.fillStyle = "white"; ctx.fillRect(0, 0, W, H);
    ctx.strokeStyle = "#ccc"; ctx.strokeRect(0.5, 0.5, W - 1, H - 1);
    if (curve.length < 2) return;
    let top = 0;
    for (const [, a, b] of curve) top = Math.max(top, Number.isFinite(a) ? a : 0, Number.isFinite(b) ? b : 0);
    top = top || 1;
    const last = Math.max(curve[curve.length - 1][0], 100);
    ctx.fillStyle = "#666"; ctx.font = "10px sans-serif";
    ctx.fillText(top.toFixed(2), 3, 11); ctx.fillText("0", 3, H - 3);
    ctx.fillText(`step ${curve[curve.length - 1][0]}`, W - 60, H - 3);
    for (const [column, color] of [[1, "rgb(31,119,180)"], [2, "rgb(255,127,14)"]]) {
      ctx.beginPath(); ctx.strokeStyle = color; ctx.lineWidth = 1.5;
      let started = false;
      for (const row of curve) {
        if (!Number.isFinite(row[column])) continue;
        const x = 2 + (W - 4) * row[0] / last, y = H - 2 - (H - 16) * row[column] / top;
        if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
      }
      ctx.stroke();
    }
  };

  const showStatus = () => {
    if (model.get("error")) {
      status.innerHTML = "";
      status.append(el("span", { class: "cl-error", text: model.get("error") + " (fix it, then Reset)" }));
      return;
    }
    const f = (x, digits = 3) => (x === null || x === undefined ? "nan" : x.toFixed(digits));
    status.textContent = `step ${info.step ?? 0} · epoch ${info.epoch ?? 0} · loss ${f(info.train_loss)}`
      + ` (held-out ${f(info.test_loss)}) · accuracy ${info.accuracy == null ? "nan"
        : (100 * info.accuracy).toFixed(1)}% · ${info.points ?? 0} points`;
    root.dataset.step = info.step ?? 0;
  };

  const onMessage = async (msg, buffers) => {
    if (!msg || !msg.type) return;
    if (msg.type !== "status") { pending = Math.max(0, pending - 1); }
    info = msg;
    if (msg.reset) curve = [];
    if (Number.isFinite(msg.train_loss) || Number.isFinite(msg.test_loss)) {
      curve.push([msg.step, msg.train_loss ?? NaN, msg.test_loss ?? NaN]);
      if (curve.length > 4000) curve = curve.filter((_, i) => i % 2 === 0);
    }
    stats.updates += 1;
    stats.steps = msg.step;
    stats.cpuMs = msg.cpu_ms;
    if (msg.type === "params") {
      if (msg.reset) queue.length = 0;
      queue.push(unpack(msg, buffers));
    } else if (msg.type === "frame") {
      stats.kernelFrames += 1;
      const [bnd, unitsPng] = buffers;
      kernelBitmap = await createImageBitmap(new Blob([bnd], { type: "image/png" }));
      const ub = await createImageBitmap(new Blob([unitsPng], { type: "image/png" }));
      units.innerHTML = "";
      const c = el("canvas", { width: ub.width, height: ub.height });
      c.style.width = ub.width + "px"; c.style.height = ub.height + "px";
      c.getContext("2d").drawImage(ub, 0, 0);
      units.append(c);
      dirty = true;
    }
    showStatus();
    drawLoss();
  };
  model.on("msg:custom", onMessage);

  const onChange = () => { syncControls(); showStatus(); dirty = true; };
  const onPoints = () => { readPoints(); dirty = true; };
  model.on("change:train_x", onPoints);
  model.on("change:test_x", onPoints);
  for (const name of ["dataset", "features", "hidden", "lr", "l2", "batch_size", "noise",
    "playing", "warning", "error", "mode", "hidden_control"]) {
    model.on(`change:${name}`, onChange);
  }

  boundary.addEventListener("click", (event) => {
    const rect = boundary.getBoundingClientRect();
    const ext = model.get("extent");
    const x = ext[0] + (event.clientX - rect.left) / rect.width * (ext[1] - ext[0]);
    const y = ext[3] - (event.clientY - rect.top) / rect.height * (ext[3] - ext[2]);
    const label = event.altKey ? 2 : event.shiftKey ? 1 : 0;
    model.send({ type: "add", x1: x, x2: y, label });
  });

  // -- the animation loop ------------------------------------------------------------------
  let alive = true;
  const frame = (now) => {
    if (!alive) return;
    if (model.get("playing") && !model.get("error")) {
      if (pending > 0 && now - lastAsk > 2000) pending = 0; // a lost reply
      if (pending + queue.length <= BATCH) {
        model.send({ type: "tick", count: BATCH });
        pending += BATCH;
        lastAsk = now;
      }
    }
    if (queue.length) { net = queue.shift(); dirty = true; stats.shown += 1; }
    stats.callbacks += 1;
    const t0 = performance.now();
    if (dirty && net && model.get("mode") === "browser") {
      paintGrid();
      if (++sinceProbe >= PROBE_EVERY) { sinceProbe = 0; probe(); }
    }
    const t1 = performance.now();
    if (dirty || model.get("playing")) {
      drawBoundary();
      stats.frames += 1;
    }
    stats.evalMs += t1 - t0;
    stats.drawMs += performance.now() - t1;
    dirty = false;
    requestAnimationFrame(frame);
  };
  syncControls();
  showStatus();
  drawLoss();
  model.send({ type: "hello" });
  requestAnimationFrame(frame);
  return () => { alive = false; model.off("msg:custom", onMessage); };
}

export default { render };
