// The page's words in English and Vietnamese: the browser's language picks one, the header's
// selector switches (remembered in this browser). Elements carry data-i18n="key" (text) or
// data-i18n-placeholder="key"; scripts call t("key", {name: value}).
"use strict";

const LANG_STORAGE = "t2v.lang";
const WORDS = {
  en: {
    tagline: "text to narrated video",
    language: "Language",
    apiKey: "API key",
    save: "Save",
    newVideo: "New video",
    pasteText: "Paste Markdown or plain text",
    upload: "…or upload a document (Markdown, text, Word, PowerPoint, PDF, HTML, EPUB)",
    voice: "Voice",
    preset: "Preset",
    aspect: "Aspect",
    captions: "Captions",
    priority: "Priority",
    render: "Render",
    preview: "Preview plan",
    planTitle: "Plan preview",
    planCount: "{n} scenes, nothing rendered yet.",
    job: "Job",
    download: "Download:",
    yourJobs: "Your jobs",
    refresh: "Refresh",
    storyboard: "Storyboard",
    storyboardHelp: "Edit a scene's words, then re-render: unchanged scenes come from the cache.",
    scene: "Scene {n}",
    layout: "layout",
    shown: "On screen",
    narration: "Narration",
    sceneVoice: "Voice of this scene",
    rerender: "Re-render",
    rerendering: "Re-rendering…",
    rerendered: "Re-rendered in {s} s (first render {f} s).",
    needText: "Paste some text or choose a file first.",
    queued: "Queued {name}.",
    keySaved: "Key saved in this browser.",
    noChange: "Nothing changed: edit a scene first.",
    stale: "Someone changed this storyboard meanwhile; it was loaded again.",
    theme: "Theme", music: "Music", none: "none", anyTrack: "any track", default: "default",
    voicesByLanguage: "Voices by language",
    detected: "detected from the text",
    listen: "Listen",
    otherVoices: "Other voices",
    colName: "Name", colStatus: "Status", colProgress: "Progress", colPriority: "Priority", colQueued: "Queued",
  },
  vi: {
    tagline: "biến văn bản thành video có lời đọc",
    language: "Ngôn ngữ",
    apiKey: "Khóa API",
    save: "Lưu",
    newVideo: "Video mới",
    pasteText: "Dán Markdown hoặc văn bản thường",
    upload: "…hoặc tải lên tài liệu (Markdown, văn bản, Word, PowerPoint, PDF, HTML, EPUB)",
    voice: "Giọng đọc",
    preset: "Cấu hình sẵn",
    aspect: "Tỉ lệ khung",
    captions: "Phụ đề",
    priority: "Độ ưu tiên",
    render: "Tạo video",
    preview: "Xem trước kịch bản",
    planTitle: "Xem trước kịch bản",
    planCount: "{n} cảnh, chưa tạo video.",
    job: "Công việc",
    download: "Tải về:",
    yourJobs: "Công việc của bạn",
    refresh: "Làm mới",
    storyboard: "Bảng phân cảnh",
    storyboardHelp: "Sửa lời của một cảnh rồi tạo lại: các cảnh không đổi lấy từ bộ nhớ đệm.",
    scene: "Cảnh {n}",
    layout: "bố cục",
    shown: "Trên màn hình",
    narration: "Lời đọc",
    sceneVoice: "Giọng của cảnh này",
    rerender: "Tạo lại",
    rerendering: "Đang tạo lại…",
    rerendered: "Đã tạo lại trong {s} giây (lần đầu {f} giây).",
    needText: "Hãy dán văn bản hoặc chọn tệp trước.",
    queued: "Đã xếp hàng {name}.",
    keySaved: "Đã lưu khóa trong trình duyệt này.",
    noChange: "Chưa có gì thay đổi: hãy sửa một cảnh trước.",
    stale: "Có người vừa sửa bảng phân cảnh này; đã tải lại.",
    theme: "Giao diện", music: "Nhạc nền", none: "không", anyTrack: "bài bất kỳ", default: "mặc định",
    voicesByLanguage: "Giọng đọc theo ngôn ngữ",
    detected: "tự nhận theo văn bản",
    listen: "Nghe thử",
    otherVoices: "Giọng khác",
    colName: "Tên", colStatus: "Trạng thái", colProgress: "Tiến độ", colPriority: "Ưu tiên", colQueued: "Xếp hàng lúc",
  },
};

function uiLanguage() {
  const saved = localStorage.getItem(LANG_STORAGE);
  if (saved && WORDS[saved]) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("vi") ? "vi" : "en";
}

function t(key, values = {}) {
  const words = WORDS[uiLanguage()] || WORDS.en;
  const text = words[key] || WORDS.en[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function translatePage() {
  document.documentElement.lang = uiLanguage();
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
}

function setLanguage(lang) {
  localStorage.setItem(LANG_STORAGE, lang);
  translatePage();
  document.dispatchEvent(new CustomEvent("t2v:language"));
}
