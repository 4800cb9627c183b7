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
  for (let i = 0; i < job.sources.length; i++) {
    const timeline = await api(`/v1/jobs/${jobId}/timeline?source=${i}`);
    const section = document.createElement("section");
    section.className = "source";
    sources.append(section);
    if (timeline.media_type === "video") videoView(section, job, timeline);
    else await imageView(section, job, timeline);
  }
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

function toggles(overlay, redraw) {
  const div = document.createElement("div");
  div.className = "controls";
  for (const [kind, name] of [["object", "objects"], ["track", "tracks"], ["face", "faces"], ["text", "text"]]) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" checked data-overlay="${kind}"> ${name}`;
    label.querySelector("input").addEventListener("change", (e) => { overlay.toggle(kind, e.target.checked); redraw(); });
    div.append(label);
  }
  return div;
}

function videoView(section, job, timeline) {
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
  const controls = toggles(overlay, redraw);
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
  identityPanel(section, job, timeline);
}

async function imageView(section, job, timeline) {
  const img = document.createElement("img");
  img.src = timeline.media_url || "";
  img.alt = "the analyzed image";
  const { div, layer } = stage(timeline, img);
  const overlay = buildOverlay(layer, timeline, job.id);
  const redraw = () => overlay.draw(0, img.clientWidth, img.clientHeight);
  img.addEventListener("load", redraw);
  section.append(div, toggles(overlay, redraw));
  const lists = document.createElement("div");
  lists.className = "panel";
  section.append(lists);
  for (const [module, title, text] of [
    ["tags", "Tags", (i) => `${i.tag} ${i.probability.toFixed(2)}${i.is_critical ? " (critical)" : ""}`],
    ["faces", "Persons", (i) => `${i.name || "unknown"}, ${i.gender}, ~${Math.round(i.age)}`],
    ["ocr", "Text", (i) => i.full_text ?? i.text ?? ""],
  ]) {
    if (!(module in job.modules)) continue;
    const page = await api(`/v1/jobs/${job.id}/results?module=${module}&limit=200`);
    const items = page.items.filter((i) => i.source === job.sources[timeline.source]);
    const ul = items.map((i) => `<li>${escapeHtml(text(i))}</li>`).join("");
    lists.insertAdjacentHTML("beforeend", `<h2>${title}</h2><ul class="${module}">${ul || "<li class='muted'>none</li>"}</ul>`);
  }
  identityPanel(section, job, timeline);
}

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
