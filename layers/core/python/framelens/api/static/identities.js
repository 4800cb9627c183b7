// The identity panel: the persons a job found in one source, with their representative faces,
// named from the galleries as they are now. Enrol, rename, merge and delete go through the
// documented identity routes; after each, the whole job view is re-read from the API (`refresh`),
// so the faces lane and the overlays show the gallery's names: the page invents none.
import { api, showError } from "./api.js";

let notice = ""; // what the last change did, shown once the view has been re-read
let focusOn = null; // the person acted on: keyboard focus returns to their row after the re-read

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

export async function identityPanel(section, job, source, refresh) {
  const list = await api(`/v1/jobs/${job.id}/identities?source=${source}`);
  if (!list.data.length) return;
  const panel = document.createElement("section");
  panel.className = "panel identities";
  panel.setAttribute("aria-label", "Identities");
  panel.innerHTML = `<h2>Identities</h2><p class="muted">Enrol a person into a gallery from their face,
    rename, merge two enrolled people, or delete one (its face embeddings go with it).</p>
    <p class="identity-status" role="status">${esc(notice)}</p>`;
  notice = "";
  const act = (work, done) => async (e) => {
    e.preventDefault();
    focusOn = e.target.closest(".identity")?.dataset.identity ?? null;
    showError(null); // an earlier refusal no longer applies
    const buttons = panel.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      if ((await work(e.target)) === false) { buttons.forEach((b) => { b.disabled = false; }); return; }
      notice = done;
      await refresh();
    } catch (error) {
      showError(error);
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  for (const identity of list.data) panel.append(row(job, identity, list.data, act));
  section.append(panel);
  const acted = focusOn && panel.querySelector(`.identity[data-identity="${focusOn}"] input, .identity[data-identity="${focusOn}"] button`);
  if (acted) { acted.focus({ preventScroll: false }); focusOn = null; }
}

function row(job, identity, all, act) {
  const div = document.createElement("div");
  div.className = "identity";
  div.dataset.identity = identity.identity_uuid;
  if (identity.gallery_identity_id) div.dataset.galleryIdentity = identity.gallery_identity_id;
  const name = identity.name || "unknown";
  const faces = `${identity.face_count} face${identity.face_count === 1 ? "" : "s"}`;
  const seen = identity.last_timestamp > 0
    ? `${identity.first_timestamp.toFixed(1)}–${identity.last_timestamp.toFixed(1)} s, ${faces}` : faces;
  div.innerHTML = `${identity.thumbnail ? `<img src="${esc(identity.thumbnail)}" alt="representative face of ${esc(name)}">` : ""}
    <div><strong class="name">${esc(name)}</strong>
    <span class="muted">${identity.gallery ? `gallery ${esc(identity.gallery)} · ` : ""}${seen}</span></div>`;
  if (identity.gallery_identity_id) enrolledControls(div, job, identity, all, act);
  else enrolForm(div, job, identity, act);
  return div;
}

function enrolForm(div, job, identity, act) {
  const form = document.createElement("form");
  form.className = "enrol";
  form.setAttribute("aria-label", "Enrol this person");
  form.innerHTML = `<label>Gallery <input name="gallery" required value="people" pattern="[A-Za-z0-9_.\\-]{1,64}"></label>
    <label>Name <input name="name" required maxlength="200"></label>
    <button type="submit">Enrol</button>`;
  form.addEventListener("submit", act(async (f) => {
    const name = f.elements.name.value.trim();
    await enrol(job, identity, f.elements.gallery.value.trim(), name);
  }, "Enrolled."));
  div.append(form);
}

// A gallery identity is made from photos with one face each: the representative face is one.
async function enrol(job, identity, gallery, name) {
  if (!identity.thumbnail) throw new Error("this person has no representative face to enrol from");
  const photo = await fetch(identity.thumbnail);
  if (!photo.ok) throw new Error(`the representative face could not be read (HTTP ${photo.status}); reload the page`);
  const data = new FormData();
  data.append("name", name);
  data.append("images", await photo.blob(), `face-${identity.identity_uuid.slice(0, 8)}.jpg`);
  const made = await api(`/v1/galleries/${encodeURIComponent(gallery)}/identities`, { method: "POST", body: data });
  if (made.status_url) await finished(made.status_url); // AWS: 202, the faces are found by a job
  await link(job, identity.identity_uuid, made.id || made.identity_id);
}

async function finished(statusUrl) {
  for (;;) {
    const job = await api(statusUrl);
    if (job.state === "finished") return;
    if (job.state === "failed" || job.state === "cancelled") {
      throw new Error(job.error ? `${job.error.message} (${job.error.code})` : `the enrolment job is ${job.state}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const link = (job, uuid, galleryIdentityId) =>
  api(`/v1/jobs/${job.id}/identities/${uuid}`, { method: "PUT", json: { gallery_identity_id: galleryIdentityId } });

function enrolledControls(div, job, identity, all, act) {
  const id = identity.gallery_identity_id;
  const rename = document.createElement("form");
  rename.className = "rename";
  rename.setAttribute("aria-label", `Rename ${identity.name}`);
  rename.innerHTML = `<label>Name <input name="name" required maxlength="200" value="${esc(identity.name)}"></label>
    <button type="submit">Rename</button>`;
  rename.addEventListener("submit", act(
    (f) => api(`/v1/identities/${id}`, { method: "PATCH", json: { name: f.elements.name.value.trim() } }), "Renamed."));
  div.append(rename);

  const others = all.filter((o) => o.gallery_identity_id && o.gallery_identity_id !== id);
  if (others.length) {
    const merge = document.createElement("form");
    merge.className = "merge";
    merge.setAttribute("aria-label", `Merge ${identity.name} into another identity`);
    merge.innerHTML = `<label>Merge into <select name="into">${[...new Map(others.map((o) => [o.gallery_identity_id, o])).values()]
      .map((o) => `<option value="${esc(o.gallery_identity_id)}">${esc(o.name)} (${esc(o.gallery)})</option>`).join("")}</select></label>
      <button type="submit">Merge</button>`;
    merge.addEventListener("submit", act(async (f) => {
      const into = f.elements.into.value;
      await api(`/v1/identities/${into}/merge`, { method: "POST", json: { other_id: id } });
      // the merged-away identity no longer exists: this job's persons that were it are `into` now
      for (const o of all.filter((o) => o.gallery_identity_id === id)) await link(job, o.identity_uuid, into);
    }, "Merged."));
    div.append(merge);
  }

  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "delete";
  remove.textContent = "Delete";
  remove.setAttribute("aria-label", `Delete ${identity.name} from gallery ${identity.gallery}`);
  remove.addEventListener("click", act(async () => {
    if (!confirm(`Delete ${identity.name} and every face embedding enrolled for them?`)) return false;
    await api(`/v1/identities/${id}`, { method: "DELETE" });
  }, "Deleted."));
  div.append(remove);
}
