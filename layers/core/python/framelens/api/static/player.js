// A job's view: the media with its overlays, the timeline under it, and the job's identities.
import { api, showError } from "./api.js";
import { buildOverlay } from "./overlay.js";
import { buildTimeline } from "./timeline.js";
import { identityPanel } from "./identities.js";

let poll = null;

export function stopJob() { clearTimeout(poll); }

export async function showJob(view, jobId) {
  const job = await api(`/v1/jobs/${jobId}`);
  view.innerHTML = `<h1>Job <span class="muted">${job.id}</span></h1>
    <p>State: <strong id="job-state">${job.state}</strong>
    <progress max="1" value="${job.progress}" aria-label="progress"></progress>
    <span class="muted">${Object.keys(job.modules).join(", ")}</span></p><div id="sources"></div>`;
  if (job.state === "queued" || job.state === "running") {
    poll = setTimeout(() => showJob(view, jobId).catch(showError), 1500);
    return;
  }
  if (job.state !== "finished") {
    const p = document.createElement("p");
    p.className = "job-error";
    p.setAttribute("role", "alert");
    p.textContent = job.error ? `${job.error.message} (${job.error.code})` : `the job is ${job.state}`;
    view.append(p);
    return;
  }
  const sources = view.querySelector("#sources");
  // After an identity change the view is read again, and the video resumes where it was.
  const refresh = async () => {
    const at = view.querySelector("video")?.currentTime;
    await showJob(view, jobId);
    const video = view.querySelector("video");
    if (video && at) video.currentTime = at;
  };
  const results = resultLists(job);
  for (let i = 0; i < job.sources.length; i++) {
    const section = document.createElement("section");
    section.className = "source";
    section.dataset.source = i;
    if (job.sources.length > 1) section.innerHTML = `<h2>Source ${i + 1} of ${job.sources.length}</h2>`;
    sources.append(section);
    try {
      const timeline = await api(`/v1/jobs/${jobId}/timeline?source=${i}`);
      if (timeline.media_type === "video") await videoView(section, job, timeline, refresh);
      else await imageView(section, job, timeline, results, refresh);
    } catch (error) {
      showError(error); // one source the API cannot show does not hide the others
    }
  }
}

// Every item of a module's detailed results (all pages), read once per job view.
function resultLists(job) {
  const cache = new Map();
  return (module) => {
    if (!cache.has(module)) {
      cache.set(module, (async () => {
        const items = [];
        let cursor = "";
        do {
          const page = await api(`/v1/jobs/${job.id}/results?module=${module}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
          items.push(...page.items);
          cursor = page.next_cursor;
        } while (cursor);
        return items;
      })());
    }
    return cache.get(module);
  };
}

function stage(timeline, media) {
  const div = document.createElement("div");
  div.className = "stage";
  const layer = document.createElement("div");
  layer.className = "overlay";
  layer.setAttribute("aria-hidden", "true");
  div.append(media, layer);
  return { div, layer };
}

const OVERLAYS = [["object", "objects", "objects"], ["track", "tracks", "tracking"], ["face", "faces", "faces"], ["text", "text", "ocr"]];

// A switch per kind of box the job can draw (its modules).
function toggles(overlay, redraw, job) {
  const div = document.createElement("div");
  div.className = "controls";
  for (const [kind, name] of OVERLAYS.filter(([, , module]) => module in job.modules)) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" checked data-overlay="${kind}"> ${name}`;
    label.querySelector("input").addEventListener("change", (e) => { overlay.toggle(kind, e.target.checked); redraw(); });
    div.append(label);
  }
  return div;
}

async function videoView(section, job, timeline, refresh) {
  const video = document.createElement("video");
  video.controls = true;
  video.preload = "auto";
  video.src = timeline.media_url || "";
  video.setAttribute("aria-label", "the analyzed video");
  const { div, layer } = stage(timeline, video);
  const overlay = buildOverlay(layer, timeline, job.id);
  const redraw = () => overlay.draw(video.currentTime, video.clientWidth, video.clientHeight);
  const lanes = document.createElement("div");
  lanes.className = "timeline";
  lanes.setAttribute("aria-label", "timeline");
  const controls = toggles(overlay, redraw, job);
  for (const [text, factor] of [["Zoom in", 2], ["Zoom out", 0.5]]) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text;
    b.addEventListener("click", () => tl.zoom(factor));
    controls.append(b);
  }
  section.append(div, controls, lanes);
  const seek = (t) => { video.currentTime = t; video.focus(); };
  const tl = buildTimeline(lanes, timeline, seek);
  const tick = () => { tl.follow(video.currentTime); redraw(); };
  for (const ev of ["timeupdate", "seeked", "loadeddata"]) video.addEventListener(ev, tick);
  video.addEventListener("keydown", (e) => {
    if (e.key === " ") { e.preventDefault(); video.paused ? video.play() : video.pause(); }
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      e.preventDefault();
      seek(Math.max(0, video.currentTime + (e.key === "ArrowRight" ? 5 : -5)));
    }
  });
  video.tabIndex = 0;
  await identityPanel(section, job, timeline.source, refresh);
}

async function imageView(section, job, timeline, results, refresh) {
  const img = document.createElement("img");
  img.src = timeline.media_url || "";
  img.alt = `the analyzed image${job.sources.length > 1 ? ` ${timeline.source + 1}` : ""}`;
  const { div, layer } = stage(timeline, img);
  const overlay = buildOverlay(layer, timeline, job.id);
  const redraw = () => overlay.draw(0, img.clientWidth, img.clientHeight);
  img.addEventListener("load", redraw);
  if (img.complete) redraw();
  section.append(div, toggles(overlay, redraw, job));
  const lists = document.createElement("div");
  lists.className = "panel lists";
  section.append(lists);
  const uri = job.sources[timeline.source];
  const persons = "faces" in job.modules
    ? (await api(`/v1/jobs/${job.id}/identities?source=${timeline.source}`)).data : null;
  for (const [module, title, read, text] of [
    ["tags", "Tags", () => results("tags"), (i) => `${i.tag} ${i.probability.toFixed(2)}${i.is_critical ? " (critical)" : ""}`],
    // persons are named from the galleries as they are now (the job's own names may be stale)
    ["faces", "Persons", async () => persons, (i) => `${i.name || "unknown"}, ${i.gender}, ~${Math.round(i.age)}`],
    ["ocr", "Text", () => results("ocr"), (i) => i.full_text ?? i.text ?? ""],
  ]) {
    if (!(module in job.modules)) continue;
    const items = (await read()).filter((i) => module === "faces" || i.source === uri);
    const ul = items.filter((i) => text(i)).map((i) => `<li>${escapeHtml(text(i))}</li>`).join("");
    lists.insertAdjacentHTML("beforeend", `<h3>${title}</h3><ul class="${module}">${ul || "<li class='muted'>none</li>"}</ul>`);
  }
  await identityPanel(section, job, timeline.source, refresh);
}

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
