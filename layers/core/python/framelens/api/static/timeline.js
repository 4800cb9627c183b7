// Lanes of intervals under the player: click an item to seek; zoom; a playhead that follows.
const LABELS = { scenes: "Scenes", sections: "Sections", activity: "Activity", text: "Text",
  faces: "Faces", objects: "Objects", tracking: "Tracks", best_frames: "Best frames" };
const STACKED = new Set(["faces", "objects", "tracking"]);
const ROW = 24;

export function buildTimeline(container, timeline, seek) {
  const duration = Math.max(timeline.duration || 0, ...timeline.lanes.flatMap((l) => l.items.map((i) => i.end)), 1);
  let pxPerSecond = Math.max(20, (container.clientWidth - 120) / duration);
  const lanes = document.createElement("div");
  lanes.className = "lanes";
  const playhead = document.createElement("div");
  playhead.className = "playhead";

  function render() {
    lanes.replaceChildren(playhead);
    lanes.style.width = `${120 + duration * pxPerSecond}px`;
    for (const lane of timeline.lanes) {
      const div = document.createElement("div");
      div.className = "lane";
      div.dataset.lane = lane.name;
      div.innerHTML = `<span class="lane-name">${LABELS[lane.name] || lane.name}</span>`;
      // faces, objects and tracks get a row per identity or class, so they never hide each other
      const rows = STACKED.has(lane.name) ? [...new Set(lane.items.map((i) => i.group))] : [undefined];
      div.style.height = `${Math.max(28, rows.length * ROW + 8)}px`;
      for (const item of lane.items) {
        const el = itemElement(item);
        el.style.top = `${4 + Math.max(0, rows.indexOf(item.group)) * ROW}px`;
        div.append(el);
      }
      lanes.append(div);
    }
  }

  function itemElement(item) {
    const el = document.createElement("button");
    el.type = "button";
    el.className = `item${item.end <= item.start ? " point" : ""}${item.critical ? " critical" : ""}`;
    el.style.left = `${120 + item.start * pxPerSecond}px`;
    if (item.end > item.start) el.style.width = `${(item.end - item.start) * pxPerSecond}px`;
    el.title = `${item.label} ${item.start.toFixed(2)}–${item.end.toFixed(2)} s${item.detail ? ` (${item.detail})` : ""}`;
    el.setAttribute("aria-label", el.title);
    el.dataset.start = item.start;
    if (item.thumbnail) { const img = document.createElement("img"); img.src = item.thumbnail; img.alt = ""; el.append(img); }
    el.append(document.createTextNode(item.end > item.start ? item.label : ""));
    el.addEventListener("click", () => seek(item.start));
    return el;
  }

  container.replaceChildren(lanes);
  render();
  return {
    zoom(factor) { pxPerSecond = Math.min(2000, Math.max(2, pxPerSecond * factor)); render(); },
    follow(t) {
      const x = 120 + t * pxPerSecond;
      playhead.style.left = `${x}px`;
      if (x < container.scrollLeft + 120 || x > container.scrollLeft + container.clientWidth - 20) {
        container.scrollLeft = Math.max(0, x - 140);
      }
    },
  };
}
