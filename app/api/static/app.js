// The t2v web page: the same /v1 API and key as every other client, no build step.
// The key stays in this browser's localStorage and goes out as "Authorization: Bearer KEY". Media
// elements and EventSource cannot send that header, so they use the signed, short-lived links the
// API returns in each job's `links`.
"use strict";

const KEY_STORAGE = "t2v.apiKey";
const $ = (id) => document.getElementById(id);
let following = null; // { id, source }

function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (apiKey()) headers.set("Authorization", `Bearer ${apiKey()}`);
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("application/json") ? await response.json() : await response.text();
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : `HTTP ${response.status}`;
    const err = new Error(response.status === 401 ? `${detail} — enter your API key above` : detail);
    err.status = response.status;
    err.problems = body && body.problems ? body.problems : null;
    throw err;
  }
  return body;
}

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

function renderOptions() {
  const options = {};
  for (const [id, key] of [
    ["aspect", "aspect"], ["preset", "preset"], ["caption-style", "caption_style"], ["theme", "theme"], ["music", "music"],
    ["motion", "motion"], ["transition", "transition"],
  ]) {
    if ($(id).value) options[key] = $(id).value;
  }
  if (options.caption_style) options.burn_captions = true;
  const voice = $("voice").value.trim();
  if (voice) options.voice = voice;
  return options;
}

function titleOf(text) {
  // A display name for pasted text: its first line, without Markdown heading marks.
  const first = text.split("\n").find((line) => line.trim()) || "";
  return first.replace(/^#+\s*/, "").trim().slice(0, 80) || null;
}

function jobRequest() {
  // The body of POST /v1/jobs (and of POST /v1/plan, the same inputs), or null when there is nothing.
  const file = $("file").files[0];
  const text = $("text").value;
  let init;
  if (file) {
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("priority", $("priority").value);
    form.append("options", JSON.stringify(renderOptions()));
    init = { method: "POST", body: form };
  } else if (text.trim()) {
    init = {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: JSON.stringify({ text, name: titleOf(text), priority: $("priority").value, options: renderOptions() }),
    };
  } else {
    say(t("needText"), true);
    return null;
  }
  return init;
}

async function submitJob(event) {
  event.preventDefault();
  const init = jobRequest();
  if (!init) return;
  $("submit").disabled = true;
  try {
    const job = await api("/v1/jobs", init);
    say(t("queued", { name: job.name || job.id }));
    follow(job);
    refreshJobs();
  } catch (err) {
    say(err.message, true);
  } finally {
    $("submit").disabled = false;
  }
}

function showJob(job) {
  $("current").hidden = false;
  $("current").dataset.jobId = job.id;
  $("current").dataset.status = job.status;
  $("current-title").textContent = job.name || job.id;
  $("current-status").textContent = job.status;
  $("current-stage").textContent = job.stage ? `${job.stage} · ${Math.round(job.percent)}%` : "";
  $("current-progress").value = job.status === "completed" ? 100 : job.percent;
  const last = job.errors.length ? job.errors[job.errors.length - 1] : null;
  $("current-error").textContent = last && job.status !== "completed" ? last.error : "";
  if (job.status === "completed" && job.links.video) {
    const video = $("video");
    if (video.dataset.jobId !== job.id) {
      video.dataset.jobId = job.id;
      video.src = job.links.video;
      video.textContent = "";
      if (job.links.captions_vtt) {
        // the MP4's own subtitle track (mov_text) is invisible to browsers: the WebVTT file is;
        // over burned captions it is loaded but hidden (the viewer may still turn it on)
        const burned = Boolean(job.result && job.result.captions_burned);
        const track = document.createElement("track");
        track.kind = "captions";
        track.label = "Captions";
        track.src = job.links.captions_vtt;
        track.default = !burned;
        video.appendChild(track);
        track.track.mode = burned ? "hidden" : "showing";
      }
    }
    $("dl-video").href = `${job.links.video}&download=1`;
    $("dl-srt").href = `${job.links.captions_srt}&download=1`;
    $("dl-vtt").href = `${job.links.captions_vtt}&download=1`;
    $("dl-chapters").hidden = !job.links.chapters;
    if (job.links.chapters) $("dl-chapters-link").href = `${job.links.chapters}&download=1`;
    $("player").hidden = false;
  } else {
    $("player").hidden = true;
  }
  if (typeof studioJobShown === "function") studioJobShown(job);
}

function follow(job) {
  if (following) following.source.close();
  if ($("video").dataset.jobId !== job.id) {
    $("video").removeAttribute("src");
    delete $("video").dataset.jobId;
  }
  showJob(job);
  if (["completed", "failed", "cancelled"].includes(job.status)) {
    following = null;
    return;
  }
  const source = new EventSource(job.links.events);
  following = { id: job.id, source };
  const update = (event) => showJob(JSON.parse(event.data));
  source.addEventListener("job", update);
  source.addEventListener("end", (event) => {
    source.close();
    update(event);
    refreshJobs();
    if (!["completed", "failed", "cancelled"].includes(JSON.parse(event.data).status)) {
      // The server is shutting down before the job ended: follow it again once it is back.
      const again = () => {
        if (following && following.id === job.id) {
          api(`/v1/jobs/${encodeURIComponent(job.id)}`).then(follow).catch(() => {});
        }
      };
      setTimeout(again, 5000);
    }
  });
  source.onerror = () => {
    // The server closed the stream or went away; fetch the job once for fresh links and state.
    source.close();
    api(`/v1/jobs/${encodeURIComponent(job.id)}`).then(showJob).catch(() => {});
  };
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
  return td;
}

async function refreshJobs() {
  let list;
  try {
    list = await api("/v1/jobs?limit=20");
  } catch (err) {
    say(err.message, true);
    return;
  }
  const body = $("jobs").querySelector("tbody");
  body.textContent = "";
  for (const job of list.jobs) {
    const row = document.createElement("tr");
    row.dataset.jobId = job.id;
    cell(row, job.name || job.id.slice(0, 12));
    cell(row, job.status);
    cell(row, job.status === "processing" ? `${job.stage || ""} ${Math.round(job.percent)}%` : "");
    cell(row, job.priority);
    cell(row, new Date(job.timings.queued_at).toLocaleString());
    const actions = cell(row, "");
    const name = job.name || job.id.slice(0, 12);
    if (["queued", "retrying", "processing"].includes(job.status)) {
      const cancel = document.createElement("button");
      cancel.className = "small";
      cancel.textContent = t("cancel");
      cancel.setAttribute("aria-label", `${t("cancel")}: ${name}`);
      cancel.onclick = async (event) => {
        event.stopPropagation();
        await api(`/v1/jobs/${encodeURIComponent(job.id)}`, { method: "DELETE" }).catch((e) => say(e.message, true));
        refreshJobs();
      };
      actions.appendChild(cancel);
    }
    if (!job.purged_at) {
      // purge: the video, its captions and the document are deleted for good (DELETE ?purge=1)
      const purge = document.createElement("button");
      purge.className = "small danger purge";
      purge.textContent = t("delete");
      purge.setAttribute("aria-label", `${t("delete")}: ${name}`);
      purge.onclick = (event) => {
        event.stopPropagation();
        purgeJob(job.id, name);
      };
      actions.appendChild(purge);
    }
    row.tabIndex = 0;
    row.onkeydown = (event) => { if (event.key === "Enter" && event.target === row) follow(job); };
    row.onclick = () => follow(job);
    body.appendChild(row);
  }
}

async function purgeJob(id, name) {
  if (!window.confirm(t("confirmDelete", { name }))) return;
  try {
    await api(`/v1/jobs/${encodeURIComponent(id)}?purge=1`, { method: "DELETE" });
    say(t("deleted", { name }));
    if ($("current").dataset.jobId === id) {
      if (following) following.source.close();
      following = null;
      $("current").hidden = true;
      $("video").removeAttribute("src");
      delete $("video").dataset.jobId;
    }
  } catch (err) {
    say(err.message, true);
  }
  refreshJobs();
}

async function loadChoices() {
  // the values of the options picked from a fixed set come from the API (GET /v1/options)
  let choices;
  try {
    choices = await api("/v1/options");
  } catch (err) {
    return; /* the selects keep their default; the server's defaults apply */
  }
  for (const select of document.querySelectorAll("select[data-choices]")) {
    const known = choices[select.dataset.choices];
    if (!known) continue;
    const chosen = select.value;
    for (const option of [...select.querySelectorAll("option[data-choice]")]) option.remove();
    for (const value of known.values) {
      const option = document.createElement("option");
      option.value = String(value);
      option.dataset.choice = String(value);
      option.dataset.i18nChoice = `${select.dataset.choices}.${value}`;
      option.textContent = t(option.dataset.i18nChoice, {}, String(value));
      select.appendChild(option);
    }
    select.value = chosen;
  }
}

async function loadVoices() {
  try {
    const voices = await api("/v1/voices");
    const list = $("voices");
    list.textContent = "";
    if (typeof showVoiceGroups === "function") showVoiceGroups(voices);
    for (const voice of voices) {
      const option = document.createElement("option");
      option.value = voice.id;
      option.label = voice.name;
      list.appendChild(option);
    }
  } catch (err) {
    /* voices are a convenience; typing a spec works without them */
  }
}

function start() {
  translatePage();
  $("lang").value = uiLanguage();
  $("lang").addEventListener("change", () => setLanguage($("lang").value));
  $("api-key").value = apiKey();
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(KEY_STORAGE, $("api-key").value.trim());
    say(t("keySaved"));
    refreshJobs();
    loadVoices();
    loadChoices();
  });
  $("job-form").addEventListener("submit", submitJob);
  $("refresh").addEventListener("click", refreshJobs);
  loadVoices();
  loadChoices();
  refreshJobs();
  setInterval(refreshJobs, 5000);
  document.addEventListener("t2v:language", refreshJobs);
}

document.addEventListener("DOMContentLoaded", start);
