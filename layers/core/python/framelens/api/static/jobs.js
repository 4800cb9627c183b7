// The job list (newest first, refreshed while jobs run) and the upload form.
import { api, showError } from "./api.js";

const ACTIVE = new Set(["queued", "running"]);
let timer = null;

function seconds(job) {
  if (!job.time_started) return "";
  const end = job.time_completed ? new Date(job.time_completed) : new Date();
  return `${((end - new Date(job.time_started)) / 1000).toFixed(1)} s`;
}

function row(job) {
  const tr = document.createElement("tr");
  tr.dataset.jobId = job.id;
  tr.innerHTML = `<td><a href="#/jobs/${job.id}">${job.id.slice(0, 8)}</a></td>
    <td class="state">${job.state}</td>
    <td><progress max="1" value="${job.progress}" aria-label="progress"></progress></td>
    <td>${Object.keys(job.modules).join(", ")}</td>
    <td class="muted">${new Date(job.time_created).toLocaleString()}</td><td>${seconds(job)}</td>`;
  return tr;
}

async function refresh(tbody) {
  const list = await api("/v1/jobs?limit=50");
  tbody.replaceChildren(...list.data.map(row));
  clearTimeout(timer);
  if (list.data.some((j) => ACTIVE.has(j.state))) timer = setTimeout(() => refresh(tbody).catch(showError), 1500);
}

async function upload(form, tbody) {
  const file = form.querySelector("input[type=file]").files[0];
  if (!file) throw new Error("choose a file first");
  const modules = Object.fromEntries([...form.querySelectorAll("input[name=module]:checked")].map((c) => [c.value, {}]));
  const data = new FormData();
  data.append("file", file);
  const stored = await api("/v1/media", { method: "POST", body: data });
  const job = await api("/v1/jobs", { method: "POST", json: { sources: [stored.url], modules } });
  await refresh(tbody);
  return job;
}

export async function showJobs(view) {
  const modules = await api("/v1/modules");
  const defaults = new Set(["scenes", "sections", "objects", "faces", "ocr", "best_frames"]);
  view.innerHTML = `<h1>Jobs</h1>
    <form class="upload" aria-label="Upload a file and start a job">
      <label>File <input type="file" accept="video/*,image/*,.docx"></label>
      <fieldset><legend class="muted">Modules</legend>${modules.map((m) =>
        `<label><input type="checkbox" name="module" value="${m}" ${defaults.has(m) ? "checked" : ""}> ${m}</label>`).join("")}
      </fieldset>
      <button type="submit">Upload and analyze</button></form>
    <table><thead><tr><th>Job</th><th>State</th><th>Progress</th><th>Modules</th><th>Created</th><th>Duration</th></tr></thead>
    <tbody></tbody></table>`;
  const tbody = view.querySelector("tbody");
  view.querySelector("form").addEventListener("submit", (e) => {
    e.preventDefault();
    upload(e.target, tbody).then(() => showError(null), showError);
  });
  await refresh(tbody);
}

export function stopJobs() { clearTimeout(timer); }
