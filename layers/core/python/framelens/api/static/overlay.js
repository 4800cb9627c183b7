// Boxes over the picture, fetched by time window (30 s at a time) so long videos stay light.
import { api, showError } from "./api.js";

const WINDOW = 30;

export function buildOverlay(layer, timeline, jobId) {
  const windows = new Map(); // window start -> Promise<frames>
  const enabled = new Set(["object", "track", "face", "text"]);

  function frames(t) {
    const start = Math.floor(t / WINDOW) * WINDOW;
    if (!windows.has(start)) {
      const url = `/v1/jobs/${jobId}/overlays?source=${timeline.source}&start=${start}&end=${start + WINDOW}`;
      windows.set(start, api(url).then((w) => w.frames, (e) => { showError(e); return []; }));
    }
    return windows.get(start);
  }

  // The boxes of the latest sampled time at or before t (within one second: a sample's boxes
  // do not linger over a scene that has moved on).
  function current(list, t) {
    let best = null;
    for (const f of list) { if (f.t <= t + 1e-3) best = f; else break; }
    return best && t - best.t <= 1.0 ? best.boxes : [];
  }

  async function draw(t, shownWidth, shownHeight) {
    const boxes = current(await frames(t), t);
    const sx = shownWidth / (timeline.width || shownWidth), sy = shownHeight / (timeline.height || shownHeight);
    layer.replaceChildren(...boxes.filter((b) => enabled.has(b.kind)).map((b) => {
      const div = document.createElement("div");
      div.className = `box ${b.kind}`;
      div.dataset.kind = b.kind;
      div.dataset.label = b.label;
      const [x1, y1, x2, y2] = b.box;
      Object.assign(div.style, { left: `${x1 * sx}px`, top: `${y1 * sy}px`, width: `${(x2 - x1) * sx}px`, height: `${(y2 - y1) * sy}px` });
      const span = document.createElement("span");
      span.textContent = b.label;
      div.append(span);
      return div;
    }));
  }

  return {
    draw,
    toggle(kind, on) { on ? enabled.add(kind) : enabled.delete(kind); },
  };
}
