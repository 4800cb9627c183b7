// The results viewer: hash routes over the documented API (#/ jobs, #/jobs/<id> one job).
import { apiKey, setApiKey, showError } from "./api.js";
import { showJobs, stopJobs } from "./jobs.js";
import { showJob, stopJob } from "./player.js";

const view = document.getElementById("view");

async function route() {
  stopJobs(); stopJob(); showError(null);
  if (!apiKey()) { view.innerHTML = `<p>Enter an API key above (<code>framelens keys create --tenant NAME</code>).</p>`; return; }
  const match = location.hash.match(/^#\/jobs\/([\w-]+)/);
  try {
    if (match) await showJob(view, match[1]);
    else await showJobs(view);
  } catch (error) { showError(error); }
}

document.getElementById("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = document.getElementById("key-input");
  setApiKey(input.value.trim());
  input.value = "";
  route();
});
document.getElementById("forget-key").addEventListener("click", () => { setApiKey(""); route(); });
window.addEventListener("hashchange", route);
route();
