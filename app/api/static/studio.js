// The studio: a plan preview before rendering (POST /v1/plan) and the storyboard editor of a finished
// job (GET/PUT /v1/jobs/{id}/storyboard): edit a scene, re-render as a child job, see how long it took.
"use strict";

let board = null; // { job, data, original }
const renderSeconds = {}; // job id -> render_seconds, to compare a re-render with its parent

function shownText(scene) {
  const parts = [];
  if (scene.title) parts.push(scene.title);
  if (scene.subtitle) parts.push(scene.subtitle);
  for (const item of scene.items || []) parts.push(`${item.marker || ""} ${item.text}`.trim());
  if (scene.table) parts.push([scene.table.header, ...scene.table.rows].map((r) => r.join(" | ")).join("\n"));
  if (scene.code) parts.push(scene.code.text);
  if (scene.image) parts.push(`[${scene.image.alt || scene.image.path}]`);
  return parts.join("\n");
}

function sceneCard(scene, index, editable, thumbnail) {
  const card = document.createElement("article");
  card.className = "scene-card";
  card.dataset.sceneId = scene.id;
  const head = document.createElement("h3");
  head.textContent = `${t("scene", { n: index + 1 })} · ${t("layout")}: ${scene.layout}`;
  card.appendChild(head);
  if (thumbnail) {
    const img = document.createElement("img");
    img.className = "thumb";
    img.loading = "lazy";
    img.alt = `${t("scene", { n: index + 1 })}: ${scene.title || scene.layout}`;
    img.src = thumbnail;
    img.onerror = () => img.remove();
    card.appendChild(img);
  }
  const shown = document.createElement("pre");
  shown.className = "shown";
  shown.setAttribute("aria-label", t("shown"));
  shown.textContent = shownText(scene);
  card.appendChild(shown);
  if (!editable) {
    const said = document.createElement("p");
    said.className = "narration";
    said.textContent = scene.narration;
    card.appendChild(said);
    return card;
  }
  const id = `narration-${index}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = t("narration");
  const text = document.createElement("textarea");
  text.id = id;
  text.rows = 3;
  text.className = "narration-edit";
  text.value = scene.narration;
  text.addEventListener("input", () => { scene.narration = text.value; scene.spoken = null; });
  const voiceLabel = document.createElement("label");
  voiceLabel.htmlFor = `voice-${index}`;
  voiceLabel.textContent = t("sceneVoice");
  const voice = document.createElement("input");
  voice.id = `voice-${index}`;
  voice.setAttribute("list", "voices");
  voice.value = scene.voice || "";
  voice.addEventListener("input", () => { scene.voice = voice.value.trim() || null; });
  card.append(label, text, voiceLabel, voice);
  return card;
}

function showCards(container, scenes, editable, thumbnails = []) {
  container.textContent = "";
  scenes.forEach((scene, i) => container.appendChild(sceneCard(scene, i, editable, thumbnails[i])));
}

function problemsText(err) {
  return err.problems ? err.problems.join("\n") : err.message;
}

async function previewPlan() {
  const init = jobRequest();
  if (!init) return;
  $("preview").disabled = true;
  try {
    const plan = await api("/v1/plan", init);
    $("plan-section").hidden = false;
    $("plan-count").textContent = t("planCount", { n: plan.scenes.length });
    showCards($("plan-cards"), plan.scenes, false);
  } catch (err) {
    say(problemsText(err), true);
  } finally {
    $("preview").disabled = false;
  }
}

async function loadStoryboard(job) {
  const data = await api(`/v1/jobs/${encodeURIComponent(job.id)}/storyboard`);
  board = { job: job.id, data, original: JSON.stringify(data.scenes) };
  $("storyboard").hidden = false;
  showCards($("storyboard-cards"), data.scenes, true, data.thumbnails || []);
}

async function rerender() {
  if (!board) return;
  if (JSON.stringify(board.data.scenes) === board.original) {
    $("storyboard-message").textContent = t("noChange");
    return;
  }
  $("rerender").disabled = true;
  $("storyboard-message").className = "";
  $("storyboard-message").textContent = t("rerendering");
  try {
    const child = await api(`/v1/jobs/${encodeURIComponent(board.job)}/storyboard`, {
      method: "PUT",
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: JSON.stringify(board.data),
    });
    follow(child);
    refreshJobs();
  } catch (err) {
    $("storyboard-message").className = "error";
    if (err.status === 409) {
      $("storyboard-message").textContent = t("stale");
      await loadStoryboard({ id: board.job });
    } else {
      $("storyboard-message").textContent = problemsText(err);
    }
  } finally {
    $("rerender").disabled = false;
  }
}

// app.js calls this whenever the followed job is shown
function studioJobShown(job) {
  if (job.status !== "completed") return;
  if (job.result) renderSeconds[job.id] = job.result.render_seconds;
  if (job.parent && job.result && $("storyboard").dataset.shown !== job.id) {
    const first = renderSeconds[job.parent];
    $("rerender-time").textContent = t("rerendered", {
      s: job.result.render_seconds.toFixed(1),
      f: first != null ? first.toFixed(1) : "?",
    });
    $("rerender-time").dataset.seconds = String(job.result.render_seconds);
    $("storyboard-message").textContent = "";
  }
  if ($("storyboard").dataset.shown !== job.id) {
    $("storyboard").dataset.shown = job.id;
    loadStoryboard(job).catch((err) => { $("storyboard-message").textContent = err.message; });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("preview").addEventListener("click", previewPlan);
  $("rerender").addEventListener("click", rerender);
});

// Voices grouped by language (espeak's voice names are language codes; other engines by engine),
// with a sample the server makes once per voice (GET /v1/voices/sample).
function voiceGroup(voice) {
  if (voice.engine !== "espeak") return `${voice.engine}`;
  const code = voice.name.split(/[-+]/)[0];
  try {
    return new Intl.DisplayNames([uiLanguage()], { type: "language" }).of(code) || code;
  } catch (err) {
    return code;
  }
}

function showVoiceGroups(voices) {
  lastVoices = voices;
  const pick = $("voice-pick");
  for (const group of [...pick.querySelectorAll("optgroup")]) group.remove();
  const groups = new Map();
  for (const voice of voices) {
    if (voice.any_name) continue;
    const name = voiceGroup(voice);
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(voice);
  }
  for (const name of [...groups.keys()].sort((a, b) => a.localeCompare(b))) {
    const group = document.createElement("optgroup");
    group.label = name;
    for (const voice of groups.get(name)) {
      const option = document.createElement("option");
      option.value = voice.id;
      option.textContent = voice.engine === "espeak" ? `${name} (${voice.name})` : voice.name;
      group.appendChild(option);
    }
    pick.appendChild(group);
  }
}

async function listen() {
  const voice = $("voice-pick").value || $("voice").value.trim();
  if (!voice) return;
  $("listen").disabled = true;
  try {
    const headers = apiKey() ? { Authorization: `Bearer ${apiKey()}` } : {};
    const response = await fetch(`/v1/voices/sample?voice=${encodeURIComponent(voice)}`, { headers });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.detail || `HTTP ${response.status}`);
    }
    const audio = $("sample");
    if (audio.src) URL.revokeObjectURL(audio.src);
    audio.src = URL.createObjectURL(await response.blob());
    audio.hidden = false;
    await audio.play().catch(() => {});
  } catch (err) {
    say(err.message, true);
  } finally {
    $("listen").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("voice-pick").addEventListener("change", () => { $("voice").value = $("voice-pick").value; });
  $("listen").addEventListener("click", listen);
});

let lastVoices = null;
document.addEventListener("t2v:language", () => { if (lastVoices) showVoiceGroups(lastVoices); });

// Music the operator offers (GET /v1/music): the choice is shown only when there is some.
async function loadMusic() {
  try {
    const tracks = await api("/v1/music");
    const pick = $("music");
    for (const option of [...pick.querySelectorAll("option[data-track]")]) option.remove();
    for (const track of tracks) {
      const option = document.createElement("option");
      option.value = track.name;
      option.textContent = track.name;
      option.dataset.track = "1";
      pick.appendChild(option);
    }
    $("music-label").hidden = tracks.length === 0;
  } catch (err) {
    $("music-label").hidden = true;
  }
}

document.addEventListener("DOMContentLoaded", loadMusic);
