/* report.html's script. Draws every timeline (one lane per worker, a bar wherever it was
   busy, coloured by stage) on a canvas from the JSON embedded in the page, so that tens of
   thousands of spans stay fast; on the compare page, lets the reader pick the two runs shown.
   Each lane is also a DOM element (data-stage, data-lane, data-bars), and window.REPORT
   tells how many lanes and bars each timeline drew: the browser test reads both. */
(function () {
  "use strict";

  const COLOURS = { crawl: "#0072b2", write: "#e69f00", resize: "#cc79a7" };
  const OTHER_COLOUR = "#6b7280";
  const FAILED_COLOUR = "#d62728";
  const AXIS_H = 22; // px above the lanes for the time axis
  const STAGE_H = 32; // px for each stage's header row: two lines of text
  const LABELLED_ROW = 10; // thinner lanes show no label text (a 1000-slot crawl)
  const LANES_PX = 900; // lanes share about this much height before they shrink

  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const REPORT = { timelines: {} };
  window.REPORT = REPORT;
  const axes = {};

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // never innerHTML: labels come from the run
    return node;
  }

  function seconds(t) {
    return t < 10 ? t.toFixed(3) + " s" : t.toFixed(1) + " s";
  }

  function duration(d) {
    return d < 1 ? (d * 1000).toFixed(1) + " ms" : d.toFixed(3) + " s";
  }

  function niceStep(span, px) {
    const target = span / Math.max(2, px / 90); // a tick every ~90 px
    const power = Math.pow(10, Math.floor(Math.log10(target)));
    for (const m of [1, 2, 5, 10]) if (m * power >= target) return m * power;
    return 10 * power;
  }

  /** A time window shared by the timelines drawn one above the other: they zoom together. */
  class Axis {
    constructor(end) {
      this.end = Math.max(end, 1e-3);
      this.t0 = 0;
      this.t1 = this.end;
      this.members = [];
    }
    set(t0, t1) {
      this.t0 = Math.max(0, Math.min(t0, t1));
      this.t1 = Math.min(this.end, Math.max(t0, t1));
      if (this.t1 - this.t0 < 1e-6) this.t1 = this.t0 + 1e-6;
      this.draw();
    }
    reset() {
      this.set(0, this.end);
    }
    draw() {
      for (const member of this.members) member.draw();
    }
  }

  /** Binary search: index of the first bar (start, end pairs) ending after t. */
  function firstEndingAfter(bars, t) {
    let lo = 0;
    let hi = bars.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bars[2 * mid + 1] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Fill each bar at least 1 px wide, merging bars that meet within a pixel into one rect. */
  function fillBars(g, bars, unit, axis, scale, width, top, height) {
    let runStart = -1;
    let runEnd = -2;
    for (let i = 2 * firstEndingAfter(bars, axis.t0 / unit); i < bars.length; i += 2) {
      const a = Math.max(0, (bars[i] * unit - axis.t0) * scale);
      if (a > width) break;
      const b = Math.min(Math.max((bars[i + 1] * unit - axis.t0) * scale, a + 1), width);
      if (a <= runEnd + 0.5) {
        runEnd = Math.max(runEnd, b);
        continue;
      }
      if (runEnd >= 0) g.fillRect(runStart, top, runEnd - runStart, height);
      runStart = a;
      runEnd = b;
    }
    if (runEnd >= 0) g.fillRect(runStart, top, runEnd - runStart, height);
  }

  class Timeline {
    constructor(host, id, data, axis) {
      this.host = host;
      this.data = data;
      this.axis = axis;
      this.rows = [];
      const lanes = data.stages.reduce((n, stage) => n + stage.lanes.length, 0);
      // At least 3 px a lane, unless that would pass the canvas's size limit (32767 px).
      const thinnest = Math.max(1, Math.min(3, Math.floor(30000 / Math.max(1, lanes))));
      this.rowH = Math.max(thinnest, Math.min(14, Math.floor(LANES_PX / Math.max(1, lanes))));
      REPORT.timelines[id] = this.build();
      axis.members.push(this);
      this.listen();
    }

    build() {
      const summary = { lanes: 0, bars: {}, spans: {}, lanesByStage: {} };
      const labels = el("div", "tl-labels");
      labels.appendChild(el("div", "tl-axis-space"));
      let y = AXIS_H;
      for (const stage of this.data.stages) {
        labels.appendChild(stageHeader(stage));
        this.rows.push({ y, h: STAGE_H, stage, lane: null });
        y += STAGE_H;
        let bars = 0;
        for (const lane of stage.lanes) {
          labels.appendChild(this.laneLabel(stage, lane));
          this.rows.push({ y, h: this.rowH, stage, lane });
          y += this.rowH;
          bars += lane.bars.length / 2;
        }
        summary.lanes += stage.lanes.length;
        summary.lanesByStage[stage.stage] = stage.lanes.length;
        summary.bars[stage.stage] = bars;
        summary.spans[stage.stage] = stage.spans;
      }
      this.height = y + 4;
      this.canvas = el("canvas");
      this.canvas.style.height = this.height + "px";
      this.tip = el("div", "tl-tip");
      this.selection = el("div", "tl-tip");
      this.selection.style.background = "rgba(11, 92, 173, 0.15)";
      const plot = el("div", "tl-plot");
      plot.append(this.canvas, this.tip, this.selection);
      const grid = el("div", "tl" + (this.rowH < LABELLED_ROW ? " tiny" : ""));
      grid.append(labels, plot);
      this.host.replaceChildren(grid);
      this.host.dataset.lanes = summary.lanes;
      return summary;
    }

    laneLabel(stage, lane) {
      const row = el("div", "tl-lane");
      row.style.height = row.style.lineHeight = this.rowH + "px";
      row.dataset.stage = stage.stage;
      row.dataset.lane = lane.lane;
      row.dataset.kind = lane.kind;
      row.dataset.bars = lane.bars.length / 2;
      const active = stage.end > stage.start ? stage.end - stage.start : this.data.duration;
      const share = lane.busy / Math.max(active, 1e-9);
      row.title = `${lane.label} (${lane.kind}): ${lane.spans} items, busy ${duration(lane.busy)}`;
      row.append(el("span", "name", lane.label), el("span", "busy", Math.round(100 * share) + "%"));
      return row;
    }

    draw() {
      const width = this.canvas.clientWidth;
      if (!width) return;
      const dpr = Math.min(window.devicePixelRatio || 1, 32000 / this.height);
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(this.height * dpr);
      const g = this.canvas.getContext("2d");
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, width, this.height);
      const scale = width / (this.axis.t1 - this.axis.t0);
      const toX = (t) => (t - this.axis.t0) * scale;
      this.rows.forEach((row, index) => this.drawBackground(g, row, index, toX, width));
      this.drawAxis(g, width, toX);
      for (const row of this.rows) if (row.lane) this.drawLane(g, row, scale, width);
    }

    drawBackground(g, row, index, toX, width) {
      if (row.lane) {
        if (index % 2) {
          g.fillStyle = "#f7f8fa";
          g.fillRect(0, row.y, width, row.h);
        }
        return;
      }
      // A stage's header row: its active window, start to end, as a faint band.
      g.fillStyle = "#eef1f5";
      g.fillRect(0, row.y + 2, width, row.h - 2);
      g.globalAlpha = 0.3;
      g.fillStyle = COLOURS[row.stage.stage] || OTHER_COLOUR;
      const a = Math.max(0, toX(row.stage.start));
      const b = Math.min(width, toX(row.stage.end));
      if (b >= a) g.fillRect(a, row.y + row.h / 2, Math.max(1, b - a), row.h / 2 - 4);
      g.globalAlpha = 1;
    }

    drawAxis(g, width, toX) {
      const { t0, t1 } = this.axis;
      const step = niceStep(t1 - t0, width);
      const decimals = Math.max(0, -Math.floor(Math.log10(step)));
      g.font = "11px system-ui, sans-serif";
      g.textBaseline = "middle";
      for (let k = Math.ceil(t0 / step); k * step <= t1 + step * 1e-9; k++) {
        const x = Math.round(toX(k * step)) + 0.5;
        g.fillStyle = "#d9dee5";
        g.fillRect(x - 0.5, AXIS_H - 4, 1, this.height - AXIS_H + 4);
        g.fillStyle = "#5f6b7a";
        g.textAlign = x < 24 ? "left" : x > width - 36 ? "right" : "center";
        g.fillText((k * step).toFixed(decimals) + " s", x, AXIS_H / 2);
      }
    }

    drawLane(g, row, scale, width) {
      const unit = this.data.unit;
      const height = Math.max(1, row.h - (row.h > 4 ? 2 : 1)); // a gap keeps lanes countable
      g.fillStyle = COLOURS[row.stage.stage] || OTHER_COLOUR;
      fillBars(g, row.lane.bars, unit, this.axis, scale, width, row.y + 1, height);
      if (row.lane.failed.length) {
        const strip = Math.max(2, Math.round(height / 3));
        g.fillStyle = FAILED_COLOUR;
        fillBars(g, row.lane.failed, unit, this.axis, scale, width, row.y + 1 + height - strip, strip);
      }
    }

    listen() {
      const canvas = this.canvas;
      canvas.addEventListener("mousemove", (event) => this.hover(event));
      canvas.addEventListener("mouseleave", () => {
        this.tip.style.display = "none";
        this.selection.style.display = "none";
        this.dragFrom = undefined;
      });
      canvas.addEventListener("mousedown", (event) => {
        this.dragFrom = event.offsetX;
      });
      canvas.addEventListener("mouseup", (event) => this.endDrag(event));
      canvas.addEventListener("dblclick", () => this.axis.reset());
    }

    timeAt(x) {
      const { t0, t1 } = this.axis;
      return t0 + (x / this.canvas.clientWidth) * (t1 - t0);
    }

    endDrag(event) {
      if (this.dragFrom === undefined) return;
      const from = this.dragFrom;
      this.dragFrom = undefined;
      this.selection.style.display = "none";
      if (Math.abs(event.offsetX - from) > 5) {
        this.axis.set(this.timeAt(from), this.timeAt(event.offsetX));
      }
    }

    hover(event) {
      const x = event.offsetX;
      if (this.dragFrom !== undefined) {
        const left = Math.min(x, this.dragFrom);
        Object.assign(this.selection.style, {
          display: "block",
          left: left + "px",
          top: AXIS_H + "px",
          width: Math.abs(x - this.dragFrom) + "px",
          height: this.height - AXIS_H + "px",
        });
      }
      const row = this.rows.find((r) => event.offsetY >= r.y && event.offsetY < r.y + r.h);
      if (!row) {
        this.tip.style.display = "none";
        return;
      }
      this.tip.textContent = this.describe(row, this.timeAt(x));
      const left = Math.min(x + 12, this.canvas.clientWidth - this.tip.offsetWidth - 4);
      Object.assign(this.tip.style, {
        display: "block",
        left: Math.max(0, left) + "px",
        top: event.offsetY + 14 + "px",
      });
    }

    describe(row, t) {
      const stage = row.stage;
      if (!row.lane) return `${stage.stage}: ${seconds(stage.start)} to ${seconds(stage.end)}`;
      const bars = row.lane.bars;
      const unit = this.data.unit;
      const slack = (3 * (this.axis.t1 - this.axis.t0)) / this.canvas.clientWidth; // 3 px
      const i = firstEndingAfter(bars, (t - slack) / unit);
      const where = `${row.lane.label}, ${stage.stage} at ${seconds(t)}: `;
      if (2 * i < bars.length && bars[2 * i] * unit <= t + slack) {
        const start = bars[2 * i] * unit;
        const end = bars[2 * i + 1] * unit;
        return `${where}busy ${seconds(start)} to ${seconds(end)} (${duration(end - start)})`;
      }
      return where + "idle";
    }
  }

  function stageHeader(stage) {
    const used = stage.lanes.length;
    const workers = stage.workers ? `${used} of ${stage.workers} workers busy` : `${used} lanes`;
    const model = stage.model ? ` on ${stage.model}` : "";
    const head = el("div", "tl-stage");
    head.dataset.stage = stage.stage;
    head.append(el("b", "", stage.stage + model), el("span", "", `${workers}, ${stage.spans} items`));
    head.title = `${stage.stage}${model}: ${workers}, ${stage.spans} items`;
    return head;
  }

  function render(host, id, timeline, axis) {
    if (!timeline) {
      host.replaceChildren(el("p", "note", "No timeline was recorded for this run."));
      REPORT.timelines[id] = { lanes: 0, bars: {}, spans: {}, lanesByStage: {} };
      return;
    }
    new Timeline(host, id, timeline, axis);
  }

  function showRun() {
    const host = document.getElementById("timeline-run");
    if (!host) return;
    const axis = new Axis(DATA.timeline ? DATA.timeline.duration : 1);
    axes.run = axis;
    render(host, "run", DATA.timeline, axis);
    axis.draw();
  }

  /** The compare page: two pickers, two timelines one above the other on one time axis. */
  function showCompare() {
    const compare = DATA.compare;
    const pickA = document.getElementById("pick-a");
    const pickB = document.getElementById("pick-b");
    if (!compare || !pickA || !pickB || !compare.runs.length) return;
    const runs = compare.runs;
    for (const pick of [pickA, pickB]) {
      runs.forEach((run, index) => pick.appendChild(new Option(run.label, String(index))));
    }
    const params = new URLSearchParams(window.location.search);
    const keys = runs.map((run) => run.key);
    const chosen = (name, fallback) => {
      const index = keys.indexOf(params.get(name));
      return index >= 0 ? index : fallback;
    };
    pickA.value = String(chosen("a", compare.pair[0]));
    pickB.value = String(chosen("b", compare.pair[1]));
    const show = () => {
      const a = runs[Number(pickA.value)];
      const b = runs[Number(pickB.value)];
      const ends = [a, b].map((run) => (run.timeline ? run.timeline.duration : 0));
      const axis = new Axis(Math.max(...ends));
      axes.compare = axis;
      render(document.getElementById("timeline-a"), "a", a.timeline, axis);
      render(document.getElementById("timeline-b"), "b", b.timeline, axis);
      document.getElementById("title-a").textContent = "A: " + a.label;
      document.getElementById("title-b").textContent = "B: " + b.label;
      axis.draw();
      try {
        const query = "?a=" + encodeURIComponent(a.key) + "&b=" + encodeURIComponent(b.key);
        window.history.replaceState(null, "", query);
      } catch (error) {
        // Some browsers refuse to change a file:// URL; the pickers work all the same.
      }
    };
    pickA.addEventListener("change", show);
    pickB.addEventListener("change", show);
    show();
  }

  function wireButtons() {
    for (const button of document.querySelectorAll("button[data-reset]")) {
      button.addEventListener("click", () => {
        const axis = axes[button.dataset.reset];
        if (axis) axis.reset();
      });
    }
    let pending = false;
    window.addEventListener("resize", () => {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(() => {
        pending = false;
        for (const axis of Object.values(axes)) axis.draw();
      });
    });
  }

  // The live page (live/static/live.js) draws its lanes with these: one script, one look.
  window.TimelineDrawing = { Axis, Timeline, COLOURS, OTHER_COLOUR, niceStep, el };

  showRun();
  showCompare();
  wireButtons();
})();
