/* The live page's script. Reads the run's feed (Server-Sent Events from /feed: a snapshot,
   then a tick several times a second, then the end) and draws the run as it goes: the lanes
   with report.js's own Timeline and colours, the charts below them on the same time axis.
   It keeps at most history_s seconds of it. window.LIVE says what the page holds (the
   browser test reads it), and window.REPORT.timelines.live what report.js drew. */
(function () {
  "use strict";

  const { Axis, Timeline, COLOURS, OTHER_COLOUR, niceStep, el } = window.TimelineDrawing;
  const CONFIG = JSON.parse(document.getElementById("live-data").textContent);
  const UNIT = 0.001; // the lanes' grid step: a millisecond
  const CHART_H = 120; // px of each chart
  const PAD = 8; // px above and below a chart's lines
  const INK = "#1d2330";
  const GREYS = ["#5f6b7a", "#9aa5b1", "#3d4a5c", "#b8c2cc", "#7b8794", "#52606d"];
  const MAX_FAILURES = 10; // reconnections tried before the page stops listening

  const LIVE = {
    ticks: 0,
    status: "connecting",
    running: false,
    finished: false,
    now: 0,
    items: {},
    spanCount: 0,
    busyDrawn: {}, // seconds of bars the lanes hold, by stage
  };
  window.LIVE = LIVE;

  const axis = new Axis(1);
  const follow = document.getElementById("live-follow");
  const windowPick = document.getElementById("live-window");
  const lanesHost = document.getElementById("timeline-live");
  let state = fresh();
  let timeline = null;
  let dragging = false;
  let pending = false;

  function fresh() {
    return { run: null, now: 0, status: "waiting", lanes: new Map(), order: new Map(),
      stages: {}, counts: {}, samples: [], rates: [], cpu: [], end: null };
  }

  /* Lanes: one per worker, its busy time as merged [start, end, ...] bars on the grid. */

  function laneOf(stage, number) {
    const key = stage + "/" + number;
    let lane = state.lanes.get(key);
    if (!lane) {
      lane = { lane: number, label: "lane " + number, kind: "unknown", bars: [], failed: [],
        spans: 0, busy: 0 };
      state.lanes.set(key, lane);
      stageOf(stage).lanes.push(lane);
    }
    return lane;
  }

  function stageOf(name) {
    let stage = state.order.get(name);
    if (!stage) {
      stage = { stage: name, model: "", workers: 0, start: 0, end: 0, spans: 0, lanes: [] };
      state.order.set(name, stage);
    }
    return stage;
  }

  function addBar(bars, a, b) {
    const n = bars.length;
    if (n && a < bars[n - 2]) {
      insertBar(bars, a, b);
    } else if (n && a <= bars[n - 1] + 1) {
      bars[n - 1] = Math.max(bars[n - 1], b);
    } else {
      bars.push(a, b);
    }
  }

  function insertBar(bars, a, b) {
    // A span that began before its lane's last bar (rare): sort the lane again and merge.
    const pairs = [[a, b]];
    for (let i = 0; i < bars.length; i += 2) pairs.push([bars[i], bars[i + 1]]);
    pairs.sort((x, y) => x[0] - y[0]);
    bars.length = 0;
    for (const [start, end] of pairs) addBar(bars, start, end);
  }

  function dropBefore(bars, step) {
    let i = 0;
    while (i < bars.length && bars[i + 1] < step) i += 2;
    if (i) bars.splice(0, i);
  }

  function applyLanes(rows) {
    for (const [stage, number, label, kind, spans, busy] of rows) {
      const lane = laneOf(stage, number);
      Object.assign(lane, { label, kind, spans, busy });
    }
  }

  function applySpans(rows) {
    for (const [stage, number, start, end, ok] of rows) {
      const lane = laneOf(stage, number);
      const a = Math.floor(start / UNIT);
      const b = Math.ceil(end / UNIT);
      addBar(lane.bars, a, b);
      if (!ok) addBar(lane.failed, a, b);
    }
    LIVE.spanCount += rows.length;
  }

  /* The feed. */

  function applyRun(run) {
    state.run = run;
    for (const [name, about] of Object.entries(run.stages)) {
      Object.assign(stageOf(name), { model: about.model, workers: about.workers });
    }
  }

  function applyTick(data) {
    if (data.run) applyRun(data.run);
    applyLanes(data.lanes);
    applySpans(data.spans);
    state.samples.push(...data.samples);
    state.rates.push(...data.rates);
    state.cpu.push(...data.cpu);
    Object.assign(state, { now: data.now, status: data.status, counts: data.counts,
      liveCpu: data.live_cpu_s });
    state.stages = data.stages;
    for (const [name, row] of Object.entries(data.stages)) {
      const stage = stageOf(name);
      stage.start = row.start === null ? data.now : row.start;
      stage.end = row.end === null ? data.now : row.end;
      stage.spans = row.items;
    }
    forget(data.now - CONFIG.history_s);
    LIVE.ticks += 1;
    LIVE.now = data.now;
    LIVE.status = data.status;
    LIVE.running = data.status === "running";
    LIVE.items = Object.fromEntries(Object.entries(data.stages).map(([n, r]) => [n, r.items]));
    schedule();
  }

  function forget(before) {
    if (before <= 0) return;
    const step = before / UNIT;
    for (const lane of state.lanes.values()) {
      dropBefore(lane.bars, step);
      dropBefore(lane.failed, step);
    }
    for (const rows of [state.samples, state.rates, state.cpu]) {
      let i = 0;
      while (i < rows.length && rows[i][0] < before) i++;
      if (i) rows.splice(0, i);
    }
  }

  function onSnapshot(data) {
    state = fresh();
    timeline = null;
    LIVE.spanCount = 0;
    if (data.run) {
      applyRun(data.run);
      applyTick({ ...data, run: null });
    } else {
      state.status = data.status;
      schedule();
    }
    if (data.end) onEnd(data.end);
  }

  function onEnd(end) {
    state.end = end;
    state.status = "finished";
    LIVE.status = "finished";
    LIVE.running = false;
    LIVE.finished = true;
    follow.checked = false;
    axis.end = Math.max(state.now, 1e-3);
    axis.t0 = 0;
    axis.t1 = axis.end;
    showEnd(end);
    schedule();
  }

  function connect() {
    const source = new EventSource(CONFIG.feed);
    let failures = 0;
    const ended = (data) => {
      onEnd(data);
      source.close(); // the run is over: no reconnecting to a server that is gone
    };
    source.addEventListener("snapshot", (event) => {
      failures = 0;
      const data = JSON.parse(event.data);
      onSnapshot(data);
      if (data.end) source.close();
    });
    source.addEventListener("tick", (event) => applyTick(JSON.parse(event.data)));
    source.addEventListener("end", (event) => ended(JSON.parse(event.data)));
    source.addEventListener("error", () => {
      if (state.end) return source.close();
      failures += 1;
      if (failures > MAX_FAILURES) {
        source.close();
        setStatus("the run's process is gone: this is what the page last got");
      } else {
        setStatus("lost the feed: reconnecting");
      }
    });
  }

  /* Drawing. */

  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(render);
  }

  function render() {
    pending = false;
    showHeader();
    if (!state.run) return;
    placeAxis();
    if (!dragging || !timeline) showLanes();
    axis.members = [timeline, ...charts].filter(Boolean);
    axis.draw();
  }

  function placeAxis() {
    const now = state.now;
    if (follow.checked) {
      const view = Number(windowPick.value);
      axis.end = Math.max(now, view);
      axis.t1 = axis.end;
      axis.t0 = Math.max(0, axis.t1 - view);
    } else {
      axis.end = Math.max(axis.end, now, 1e-3);
    }
  }

  function showLanes() {
    if (!state.run.timeline) {
      lanesHost.replaceChildren(el("p", "note", "No timeline: this run was started with " +
        "--no-timeline, and the lanes are drawn from it."));
      window.REPORT.timelines.live = { lanes: 0, bars: {}, spans: {}, lanesByStage: {} };
      timeline = null;
      return;
    }
    const stages = [...state.order.values()];
    for (const stage of stages) {
      stage.lanes.sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }));
    }
    const data = { unit: UNIT, duration: state.now, stages };
    axis.members = [];
    timeline = new Timeline(lanesHost, "live", data, axis);
    LIVE.busyDrawn = Object.fromEntries(stages.map((stage) => [stage.stage, busyOf(stage)]));
  }

  function busyOf(stage) {
    let steps = 0;
    for (const lane of stage.lanes) {
      for (let i = 0; i < lane.bars.length; i += 2) steps += lane.bars[i + 1] - lane.bars[i];
    }
    return steps * UNIT;
  }

  function setStatus(text) {
    document.getElementById("live-status").textContent = text;
  }

  function showHeader() {
    const run = state.run;
    if (run) document.getElementById("live-title").textContent = run.title;
    const words = {
      waiting: "waiting for the run to start",
      running: `running: ${state.now.toFixed(1)} s`,
      finishing: `finishing (the summary and the report): ${state.now.toFixed(1)} s`,
      finished: `finished after ${state.now.toFixed(1)} s`,
    };
    setStatus(words[state.status] || state.status);
    document.getElementById("live-interpreter").textContent = run ? run.interpreter : "";
    showDashboard(run ? run.dashboard : null);
    const cost = state.end ? state.end.live_cpu_s : state.liveCpu;
    document.getElementById("live-cost").textContent = cost === undefined ? ""
      : ` · this page's feed has cost the run ${cost.toFixed(2)} CPU s`;
    showCounts(state.counts);
  }

  function showDashboard(address) {
    const host = document.getElementById("live-dashboard");
    if (!address) {
      host.replaceChildren();
    } else if (/^https?:\/\//.test(address)) {
      const link = el("a", "", "the Dask dashboard");
      link.href = address;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      host.replaceChildren(" · ", link, " " + address);
    } else {
      host.replaceChildren(" · Dask cluster: " + address);
    }
  }

  function showCounts(counts) {
    const megabytes = (counts.bytes || 0) / 1e6;
    const cards = [
      [counts.pages, `pages (${counts.pages_failed || 0} failed)`],
      [counts.images, `images (${counts.images_failed || 0} failed)`],
      [counts.thumbnails, "thumbnails"],
      [megabytes.toFixed(1) + " MB", "downloaded"],
      [counts.errors, "errors"],
    ];
    const host = document.getElementById("live-counts");
    host.replaceChildren(...cards.map(([value, label]) => {
      const card = el("div", "card");
      card.append(el("div", "value", String(value === undefined ? "-" : value)),
        el("div", "label", label));
      return card;
    }));
  }

  function showEnd(end) {
    document.getElementById("live-end").hidden = false;
    document.getElementById("live-summary").textContent =
      end.summary || "The run stopped without a summary: the terminal says why.";
    const report = document.getElementById("live-report");
    if (!end.report) {
      report.replaceChildren();
      return;
    }
    const link = el("a", "", end.report);
    link.href = "file://" + encodeURI(end.report);
    report.replaceChildren("report.html: ", link, el("span", "note",
      " (a file on this machine: if the browser will not open it from this page, paste its " +
      "path into the address bar, or run make report)"));
  }

  /* Charts: lines over time, on the lanes' axis. */

  class Chart {
    constructor(name, spec) {
      this.spec = spec;
      this.legend = el("div", "tl-labels live-legend");
      this.canvas = el("canvas");
      this.canvas.style.height = CHART_H + "px";
      const plot = el("div", "tl-plot");
      plot.append(this.canvas);
      const grid = el("div", "tl");
      grid.append(this.legend, plot);
      document.getElementById("chart-" + name).replaceChildren(grid);
    }

    draw() {
      const series = this.spec.series();
      this.showLegend(series);
      const width = this.canvas.clientWidth;
      if (!width) return;
      const dpr = window.devicePixelRatio || 1;
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(CHART_H * dpr);
      const g = this.canvas.getContext("2d");
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, width, CHART_H);
      const top = this.spec.top(series.flatMap((s) => visible(s.points).map((p) => p[1])));
      const toX = (t) => ((t - axis.t0) / (axis.t1 - axis.t0)) * width;
      const toY = (v) => CHART_H - PAD - (v / top) * (CHART_H - 2 * PAD);
      this.drawGrid(g, width, top, toX, toY);
      for (const line of series) {
        for (const limit of line.limits || []) dashed(g, toY(limit), width, line.colour);
        plotLine(g, line, toX, toY);
      }
    }

    drawGrid(g, width, top, toX, toY) {
      g.font = "11px system-ui, sans-serif";
      g.fillStyle = "#d9dee5";
      const step = niceStep(axis.t1 - axis.t0, width);
      for (let k = Math.ceil(axis.t0 / step); k * step <= axis.t1; k++) {
        g.fillRect(Math.round(toX(k * step)), 0, 1, CHART_H);
      }
      g.fillStyle = "#5f6b7a";
      g.textBaseline = "middle";
      g.textAlign = "left";
      for (const v of [0, top / 2, top]) {
        g.fillRect(0, Math.round(toY(v)), width, 0.5);
        g.fillText(formatValue(v) + " " + this.spec.unit, 4, Math.min(CHART_H - 6, Math.max(6, toY(v) - 6)));
      }
    }

    showLegend(series) {
      this.legend.replaceChildren(...series.map((line) => {
        const row = el("div", "live-entry");
        if (line.data) row.dataset[line.data[0]] = line.data[1];
        const swatch = el("i", "swatch");
        swatch.style.background = line.colour;
        row.append(swatch, el("span", "name", line.label), el("span", "busy", line.value));
        row.title = `${line.label}: ${line.value}`;
        return row;
      }));
    }
  }

  function visible(points) {
    return points.filter((p) => p[0] >= axis.t0 && p[0] <= axis.t1 && p[1] !== null);
  }

  function plotLine(g, line, toX, toY) {
    g.strokeStyle = line.colour;
    g.lineWidth = 1.5;
    g.beginPath();
    let drawing = false;
    for (const [t, v] of line.points) {
      if (v === null || v === undefined || t < axis.t0 - 1 || t > axis.t1 + 1) {
        drawing = false;
        continue;
      }
      if (drawing) g.lineTo(toX(t), toY(v));
      else g.moveTo(toX(t), toY(v));
      drawing = true;
    }
    g.stroke();
  }

  function dashed(g, y, width, colour) {
    g.save();
    g.strokeStyle = colour;
    g.setLineDash([4, 4]);
    g.beginPath();
    g.moveTo(0, y);
    g.lineTo(width, y);
    g.stroke();
    g.restore();
  }

  function formatValue(v) {
    if (Number.isInteger(v) || v >= 10) return v.toFixed(0);
    return v >= 1 ? v.toFixed(1) : v.toFixed(2);
  }

  function last(points) {
    for (let i = points.length - 1; i >= 0; i--) if (points[i][1] !== null) return points[i][1];
    return null;
  }

  function shown(value, unit) {
    return value === null || value === undefined ? "-" : formatValue(value) + unit;
  }

  const autoTop = (least) => (values) => Math.max(least, ...values) * 1.1;

  const charts = [
    new Chart("queues", {
      unit: "items",
      top: (values) => Math.max(1, ...state.run.queues.map((q) => q.max), ...values),
      series: () => (state.run ? state.run.queues : []).map((queue, index) => {
        const points = state.samples.map((s) => [s[0], s[2][index] ?? null]);
        const depth = last(points);
        const full = depth !== null && depth >= queue.max ? " full" : "";
        return { label: `queue to ${queue.name}`, colour: COLOURS[queue.name] || OTHER_COLOUR,
          points, limits: [queue.max], value: `${shown(depth, "")} / ${queue.max}${full}`,
          data: ["queue", queue.name] };
      }),
    }),
    new Chart("rates", {
      unit: "/s",
      top: autoTop(1),
      series: () => Object.keys(state.stages).map((name) => {
        const points = state.rates.map((r) => [r[0], r[1][name] ?? null]);
        return { label: name, colour: COLOURS[name] || OTHER_COLOUR, points,
          value: shown(last(points), "/s"), data: ["rate", name] };
      }),
    }),
    new Chart("lag", {
      unit: "ms",
      top: autoTop(10),
      series: () => {
        const points = state.samples.map((s) => [s[0], s[1]]);
        const worst = Math.max(0, ...visible(points).map((p) => p[1]));
        return [{ label: "now", colour: INK, points, data: ["lag", "now"],
          value: shown(last(points), " ms") }, { label: "worst in view", colour: "transparent",
          points: [], value: formatValue(worst) + " ms", data: ["lag", "worst"] }];
      },
    }),
    new Chart("cores", {
      unit: "%",
      top: () => 100,
      series: () => {
        const cores = state.cpu.length ? state.cpu[state.cpu.length - 1][1].length : 0;
        return Array.from({ length: cores }, (_, core) => {
          const points = state.cpu.map((c) => [c[0], c[1][core] ?? null]);
          return { label: `core ${core}`, colour: GREYS[core % GREYS.length], points,
            value: shown(last(points), "%"), data: ["core", String(core)] };
        });
      },
    }),
    new Chart("processes", {
      unit: "%",
      top: autoTop(100),
      series: () => processSeries(),
    }),
  ];

  function processSeries() {
    const byPid = new Map();
    for (const [t, , processes] of state.cpu) {
      for (const [pid, label, share] of processes) {
        if (!byPid.has(pid)) byPid.set(pid, { label, points: [] });
        const line = byPid.get(pid);
        line.label = label;
        line.points.push([t, share]);
      }
    }
    let grey = 0;
    return [...byPid.entries()].map(([pid, line]) => {
      const stage = Object.keys(COLOURS).find((name) => line.label.startsWith(name + " "));
      const colour = line.label.startsWith("this process") ? INK
        : stage ? COLOURS[stage] : GREYS[grey++ % GREYS.length];
      return { label: line.label, colour, points: line.points,
        value: shown(last(line.points), "%"), data: ["pid", String(pid)] };
    });
  }

  /* Wiring. */

  lanesHost.addEventListener("mousedown", () => {
    dragging = true;
    follow.checked = false; // the reader is looking at something: stop scrolling under them
  });
  window.addEventListener("mouseup", () => {
    dragging = false;
  });
  lanesHost.addEventListener("dblclick", () => schedule());
  follow.addEventListener("change", schedule);
  windowPick.addEventListener("change", () => {
    follow.checked = !state.end;
    schedule();
  });
  window.addEventListener("resize", schedule);
  connect();
})();
