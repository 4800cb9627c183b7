// The identities a job found (from its faces lane), for naming and gallery management.
import { escapeHtml } from "./player.js";

export function identityPanel(section, job, timeline) {
  const lane = timeline.lanes.find((l) => l.name === "faces");
  if (!lane) return;
  const byIdentity = new Map();
  for (const item of lane.items) if (!byIdentity.has(item.group)) byIdentity.set(item.group, item);
  const panel = document.createElement("section");
  panel.className = "panel identities";
  panel.innerHTML = `<h2>Identities</h2>`;
  for (const [uuid, item] of byIdentity) {
    const div = document.createElement("div");
    div.className = "identity";
    div.dataset.identity = uuid;
    div.innerHTML = `${item.thumbnail ? `<img src="${item.thumbnail}" alt="">` : ""}
      <span class="name">${escapeHtml(item.label)}</span>`;
    panel.append(div);
  }
  section.append(panel);
}
