// The documented API, nothing else: every call the page makes is one an API client can make.
const KEY = "framelens.key"; // sessionStorage: the key lives only as long as the browser tab

export function apiKey() { return sessionStorage.getItem(KEY) || ""; }
export function setApiKey(key) { key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// Errors are shown as the API words them: {"error": {"code", "message"}} or FastAPI's {"detail"}.
async function failure(response) {
  let code = `http_${response.status}`, message = response.statusText || "request failed";
  try {
    const body = await response.json();
    if (body.error) { code = body.error.code; message = body.error.message; }
    else if (typeof body.detail === "string") { message = body.detail; }
  } catch (_) { /* not JSON: keep the status text */ }
  return new ApiError(response.status, code, message);
}

export async function api(path, { method = "GET", json, body, headers = {} } = {}) {
  const init = { method, headers: { "X-API-Key": apiKey(), ...headers } };
  if (json !== undefined) { init.body = JSON.stringify(json); init.headers["Content-Type"] = "application/json"; }
  else if (body !== undefined) { init.body = body; }
  // Relative to the page's <base> (the app's root): "/v1/jobs" becomes "<stage>/v1/jobs".
  const response = await fetch(path.replace(/^\//, ""), init);
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

export function showError(error) {
  const box = document.getElementById("error");
  box.textContent = error ? (error instanceof ApiError ? `${error.message} (${error.code})` : String(error.message || error)) : "";
  box.hidden = !error;
}
