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

const IMAGE_LAYOUTS = ["image_text", "full_image", "picture"];
const TEXT_LAYOUTS = ["title", "statement", "prose", "bullets", "quote"];
const MAX_PICTURE_SIDE = 1920; // an uploaded picture is scaled down to cover a 1080p frame at most
const KEEP_PICTURE_BYTES = 1_500_000; // smaller pictures go up as they are (their bytes, unchanged)

function element(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el) el[key] = value;
    else el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

function labelled(id, text, control) {
  control.id = id;
  return [element("label", { htmlFor: id, textContent: text }), control];
}

function layoutsFor(scene) {
  // the layouts that suit what the scene holds; its own is always among them
  let layouts = TEXT_LAYOUTS;
  if (scene.table) layouts = ["table"];
  else if (scene.code) layouts = ["code"];
  else if (scene.image) layouts = IMAGE_LAYOUTS;
  return layouts.includes(scene.layout) ? layouts : [scene.layout, ...layouts];
}

function textLayout(scene) {
  if ((scene.items || []).some((item) => item.marker)) return "bullets";
  return (scene.items || []).length > 1 ? "prose" : "statement";
}

function edited(scene) {
  // words changed: what the voice gets and where each item is said are derived again by the server
  scene.spoken = null;
  scene.beats = [];
}

function pictureOf(scene, index) {
  // the scene's own picture, shown from the storyboard itself (a data: URL): never fetched
  if (!scene.image) return null;
  if (!scene.image.path.startsWith("data:image/")) {
    const name = scene.image.alt || scene.image.path.slice(0, 80);
    return element("p", { className: "picture-name muted", textContent: `[${name}]` });
  }
  return element("img", {
    className: "picture",
    src: scene.image.path,
    alt: `${t("pictureOf", { n: index + 1 })}: ${scene.image.alt || ""}`.trim(),
  });
}

function readPicture(file) {
  // a data: URL of the chosen file: as it is when small, else scaled down (JPEG) in the browser
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(new Error(t("badPicture")));
    reader.onload = () => {
      const url = String(reader.result);
      if (file.size <= KEEP_PICTURE_BYTES && /^data:image\/(png|jpeg|webp|gif)/.test(url)) {
        resolve(url);
        return;
      }
      const img = new Image();
      img.onerror = () => reject(new Error(t("badPicture")));
      img.onload = () => {
        const scale = Math.min(1, MAX_PICTURE_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        const canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        resolve(canvas.toDataURL("image/jpeg", 0.9));
      };
      img.src = url;
    };
    reader.readAsDataURL(file);
  });
}

function itemsEditor(scene, index, narration) {
  const rows = Math.min(8, Math.max(2, scene.items.length + 1));
  const text = element("textarea", { rows, className: "items-edit" });
  text.value = scene.items.map((item) => item.text).join("\n");
  text.addEventListener("input", () => {
    const numbered = scene.items.some((item) => /^\d+[.)]$/.test(item.marker || ""));
    const marker = scene.items.length ? scene.items[scene.items.length - 1].marker : null;
    const lines = text.value.split("\n").map((line) => line.trim()).filter(Boolean);
    const change = () => {
      scene.items = lines.map((line, k) => {
        const item = { ...(scene.items[k] || { marker, level: 0 }), text: line };
        if (numbered) item.marker = `${k + 1}.`;
        return item;
      });
    };
    if (scene.layout === "title") change(); // a title card's lines (author, date) are shown, not said
    else if (followNarration(scene, itemsSaid, change)) narration.value = scene.narration;
    edited(scene);
  });
  const said = scene.layout === "title" ? [] : [element("p", { className: "muted hint items-hint", textContent: t("itemsNarration") })];
  return [...labelled(`items-${index}`, t("items"), text), ...said];
}

function spokenWords(md) {
  // the words the planner says for inline Markdown (narrate.say): markup, escapes and links' targets gone
  return (md || "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\\(?=\S)/g, "")
    .replace(/[*`~]/g, "")
    .replace(/_/g, " ")
    .replace(/\s+/g, " ")
    .replace(/ ([,.;:!?…])(?!\w)/g, "$1")
    .trim();
}

function closedSentence(text) {
  // speakable.as_sentence: closed with a full stop so the voice pauses ("" when nothing is said)
  if (!/[\p{L}\p{N}]/u.test(text)) return "";
  const core = text.replace(/["'”’»)\]}」』）]+$/u, "");
  if (core.endsWith(":") && core === text) return `${core.slice(0, -1)}.`;
  if (/[.!?…。！？:;,]$/u.test(core)) return text;
  return text + (/[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]$/u.test(core) ? "。" : ".");
}

function itemsSaid(scene) {
  // the planner says each shown item as a sentence of its own (a list's lead, bullets, prose sentences)
  return scene.items.map((item) => closedSentence(spokenWords(item.text))).filter(Boolean).join(" ");
}

function rowSentence(header, row) {
  // a row as the planner says it (narrate.row_sentence): "Fruit: Apple; Price: 10." (empty cells skipped)
  const parts = [];
  row.forEach((cell, c) => {
    const value = spokenWords(cell);
    if (!value) return;
    const name = spokenWords(header[c]);
    parts.push(name ? `${name}: ${value}` : value);
  });
  return closedSentence(parts.join("; "));
}

function rowsSaid(scene) {
  return scene.table.rows.map((row) => rowSentence(scene.table.header, row)).filter(Boolean).join(" ");
}

const handWritten = new WeakSet(); // scenes whose narration the user typed in this page

function followNarration(scene, said, change) {
  // The narration says one sentence per row or item. While it still ends with those sentences as
  // made, a change to the rows or items rewrites them (what comes before, e.g. the title said,
  // stays); once the user has rewritten them, the narration is theirs and stays as written.
  const before = said(scene);
  change();
  const after = said(scene);
  if (before === after || !scene.narration.endsWith(before)) return false;
  if (!before && handWritten.has(scene)) return false; // nothing of ours was left in it: all theirs
  const head = scene.narration.slice(0, scene.narration.length - before.length).trimEnd();
  scene.narration = [head, after].filter(Boolean).join(" ");
  edited(scene);
  return true;
}

function changeTable(scene, change) {
  return followNarration(scene, rowsSaid, change);
}

function tableEditor(scene, index, rebuild, narration) {
  const table = element("table", { className: "table-edit" });
  const cell = (value, label, set) => {
    const input = element("input", { value, "aria-label": label });
    input.addEventListener("input", () => {
      if (changeTable(scene, () => set(input.value))) narration.value = scene.narration;
    });
    return element("td", {}, input);
  };
  const header = scene.table.header.map((value, c) =>
    cell(value, t("headerCell", { c: c + 1 }), (v) => { scene.table.header[c] = v; }));
  table.append(element("tr", {}, ...header, element("td")));
  scene.table.rows.forEach((row, r) => {
    const cells = row.map((value, c) =>
      cell(value, t("cell", { r: r + 1, c: c + 1 }), (v) => { scene.table.rows[r][c] = v; }));
    const remove = element("button", {
      type: "button", className: "secondary small remove-row", textContent: "×",
      "aria-label": t("removeRow", { r: r + 1 }), title: t("removeRow", { r: r + 1 }),
      disabled: scene.table.rows.length < 2,
    });
    remove.addEventListener("click", () => {
      changeTable(scene, () => scene.table.rows.splice(r, 1));
      rebuild(".add-row");
    });
    table.append(element("tr", {}, ...cells, element("td", {}, remove)));
  });
  const add = element("button", { type: "button", className: "secondary small add-row", textContent: t("addRow") });
  add.addEventListener("click", () => {
    scene.table.rows.push(scene.table.header.map(() => ""));
    edited(scene);
    rebuild(`[aria-label="${t("cell", { r: scene.table.rows.length, c: 1 })}"]`);
  });
  return [
    element("p", { className: "field-name", textContent: t("tableCells", { n: index + 1 }) }),
    element("div", { className: "table-scroll" }, table),
    add,
    element("p", { className: "muted hint", textContent: t("tableNarration") }),
  ];
}

function pictureEditor(scene, index, rebuild) {
  const box = element("fieldset", { className: "picture-edit" }, element("legend", { textContent: t("picture") }));
  const choose = element("input", {
    type: "file", accept: "image/png,image/jpeg,image/webp,image/gif", className: "picture-file",
  });
  choose.addEventListener("change", async () => {
    const file = choose.files[0];
    if (!file) return;
    try {
      const path = await readPicture(file);
      const alt = scene.image ? scene.image.alt : file.name.replace(/\.[^.]+$/, "");
      scene.image = { path, alt, fit: scene.image ? scene.image.fit : "contain" };
      if (!IMAGE_LAYOUTS.includes(scene.layout)) scene.layout = "image_text";
      rebuild();
    } catch (err) {
      $("storyboard-message").textContent = err.message;
    }
  });
  box.append(...labelled(`picture-${index}`, scene.image ? t("replacePicture") : t("choosePicture"), choose));
  if (scene.image) {
    const alt = element("input", { value: scene.image.alt || "", className: "alt-edit" });
    alt.addEventListener("input", () => { scene.image.alt = alt.value; });
    const remove = element("button", {
      type: "button", className: "secondary small remove-picture", textContent: t("removePicture"),
    });
    remove.addEventListener("click", () => {
      scene.image = null;
      if (IMAGE_LAYOUTS.includes(scene.layout)) scene.layout = textLayout(scene);
      rebuild();
    });
    box.append(...labelled(`alt-${index}`, t("pictureAlt"), alt), remove);
  }
  return box;
}

// the picture each scene had when its thumbnail was drawn: once it changes here, the thumbnail is
// stale and the card shows the picture chosen instead
const drawnPicture = new WeakMap();
const pictureKey = (scene) => (scene.image ? scene.image.path : "");

function sceneCard(scene, index, editable, thumbnail) {
  const card = element("article", { className: "scene-card", dataset: { sceneId: scene.id } });
  const head = `${t("scene", { n: index + 1 })} · ${t("layout")}: ${scene.layout}`;
  card.append(element("h3", { textContent: head, tabIndex: -1 }));
  const pictures = element("div", { className: "pictures" });
  const own = () => pictureOf(scene, index);
  if (thumbnail && drawnPicture.get(scene) === pictureKey(scene)) {
    // the slide as the server drew it holds the picture too: one image, not the picture twice
    const img = element("img", { className: "thumb", loading: "lazy", alt: t("slideOf", { n: index + 1 }), src: thumbnail });
    img.onerror = () => img.replaceWith(...[own()].filter(Boolean));
    pictures.append(img);
  } else {
    // a picture chosen here (the thumbnail still shows the saved one), or no thumbnail (preview)
    const picture = own();
    if (picture) pictures.append(picture);
  }
  if (pictures.childElementCount) card.append(pictures);
  if (!editable) {
    card.append(
      element("pre", { className: "shown", "aria-label": t("shown"), textContent: shownText(scene) }),
      element("p", { className: "narration", textContent: scene.narration }),
    );
    return card;
  }
  const rebuild = (focus = "h3") => {
    const fresh = sceneCard(scene, index, true, thumbnail);
    card.replaceWith(fresh);
    (fresh.querySelector(focus) || fresh.querySelector("h3")).focus();
  };
  const layout = element("select", { className: "layout-edit" });
  for (const name of layoutsFor(scene)) layout.append(element("option", { value: name, textContent: name }));
  layout.value = scene.layout;
  layout.addEventListener("change", () => { scene.layout = layout.value; rebuild(); });
  card.append(...labelled(`layout-${index}`, t("layoutLabel"), layout));
  const title = element("input", { value: scene.title || "", className: "title-edit" });
  title.addEventListener("input", () => { scene.title = title.value.trim() ? title.value : null; });
  card.append(...labelled(`title-${index}`, t("titleLabel"), title));
  if (scene.layout === "title" || scene.layout === "quote" || scene.subtitle) {
    const subtitle = element("input", { value: scene.subtitle || "", className: "subtitle-edit" });
    subtitle.addEventListener("input", () => { scene.subtitle = subtitle.value.trim() ? subtitle.value : null; });
    card.append(...labelled(`subtitle-${index}`, t(scene.layout === "quote" ? "attribution" : "subtitleLabel"), subtitle));
  }
  const text = element("textarea", { rows: 3, value: scene.narration, className: "narration-edit" });
  if (scene.table) {
    card.append(...tableEditor(scene, index, rebuild, text));
  } else if (scene.code) {
    const code = element("textarea", { rows: 4, value: scene.code.text, className: "code-edit" });
    code.addEventListener("input", () => { scene.code.text = code.value; });
    card.append(...labelled(`code-${index}`, t("codeLabel"), code));
  } else if (scene.items.length || TEXT_LAYOUTS.includes(scene.layout)) {
    card.append(...itemsEditor(scene, index, text));
  }
  if (!scene.table && !scene.code) card.append(pictureEditor(scene, index, rebuild));
  text.addEventListener("input", () => { scene.narration = text.value; handWritten.add(scene); edited(scene); });
  card.append(...labelled(`narration-${index}`, t("narration"), text));
  const voice = element("input", { value: scene.voice || "", placeholder: t("sameVoice"), className: "voice-edit" });
  voice.setAttribute("list", "voices");
  voice.addEventListener("input", () => { scene.voice = voice.value.trim() || null; });
  card.append(...labelled(`voice-${index}`, t("sceneVoice"), voice));
  return card;
}

function showCards(container, scenes, editable, thumbnails = []) {
  container.textContent = "";
  scenes.forEach((scene, i) => {
    drawnPicture.set(scene, pictureKey(scene));
    container.appendChild(sceneCard(scene, i, editable, thumbnails[i]));
  });
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

async function showRerenderTime(job) {
  // a re-render's time beside its parent's first render (asked of the server when this page did
  // not see the parent finish, e.g. the re-render was opened from the list)
  if (renderSeconds[job.parent] == null) {
    try {
      const parent = await api(`/v1/jobs/${encodeURIComponent(job.parent)}`);
      if (parent.result) renderSeconds[parent.id] = parent.result.render_seconds;
    } catch (err) {
      /* a purged or unreadable parent: its time is unknown */
    }
  }
  const first = renderSeconds[job.parent];
  $("rerender-time").textContent = t("rerendered", {
    s: job.result.render_seconds.toFixed(1),
    f: first != null ? first.toFixed(1) : "?",
  });
  $("rerender-time").dataset.seconds = String(job.result.render_seconds);
}

// app.js calls this whenever the followed job is shown
function studioJobShown(job) {
  if (job.status !== "completed") return;
  if (job.result) renderSeconds[job.id] = job.result.render_seconds;
  if (job.parent && job.result && $("storyboard").dataset.shown !== job.id) {
    showRerenderTime(job);
    $("storyboard-message").textContent = "";
  } else if (!job.parent && $("storyboard").dataset.shown !== job.id) {
    $("rerender-time").textContent = "";
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
