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
    keyPlaceholder: "t2v_… (empty on an open local server)",
    voicePlaceholder: "detected",
    softTrack: "default (soft track)",
    motion: "Motion",
    transition: "Transition",
    cancel: "Cancel",
    delete: "Delete",
    confirmDelete: "Delete “{name}” for good: its video, captions and document?",
    deleted: "Deleted {name}.",
    layoutLabel: "Layout",
    titleLabel: "Title",
    items: "Shown text (one line per item)",
    tableCells: "Table of scene {n}",
    headerCell: "Heading, column {c}",
    cell: "Row {r}, column {c}",
    codeLabel: "Code",
    picture: "Picture",
    choosePicture: "Add a picture",
    replacePicture: "Replace the picture",
    removePicture: "Remove the picture",
    pictureAlt: "What the picture shows",
    badPicture: "That file is not a picture this page can read.",
    slideOf: "Slide of scene {n}",
    pictureOf: "Picture of scene {n}",
    sameVoice: "the video's voice",
    "caption_style.clean": "burned: clean", "caption_style.boxed": "burned: boxed",
    "caption_style.bold": "burned: bold", "caption_style.karaoke": "burned: karaoke (word by word)",
    "motion.none": "none", "motion.photos": "photos move", "motion.all": "everything moves",
    "transition.none": "cut", "transition.fade": "fade through black", "transition.crossfade": "crossfade",
    "transition.slide": "slide", "transition.wipe": "wipe",
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
    keyPlaceholder: "t2v_… (để trống nếu máy chủ cục bộ không khóa)",
    voicePlaceholder: "tự nhận",
    softTrack: "mặc định (phụ đề rời)",
    motion: "Chuyển động",
    transition: "Chuyển cảnh",
    cancel: "Hủy",
    delete: "Xóa",
    confirmDelete: "Xóa hẳn “{name}”: video, phụ đề và tài liệu?",
    deleted: "Đã xóa {name}.",
    layoutLabel: "Bố cục",
    titleLabel: "Tiêu đề",
    items: "Chữ trên màn hình (mỗi dòng một mục)",
    tableCells: "Bảng của cảnh {n}",
    headerCell: "Tiêu đề, cột {c}",
    cell: "Hàng {r}, cột {c}",
    codeLabel: "Mã",
    picture: "Hình ảnh",
    choosePicture: "Thêm hình",
    replacePicture: "Thay hình",
    removePicture: "Bỏ hình",
    pictureAlt: "Hình cho thấy gì",
    badPicture: "Trang này không đọc được hình từ tệp đó.",
    slideOf: "Trang chiếu của cảnh {n}",
    pictureOf: "Hình của cảnh {n}",
    sameVoice: "giọng của video",
    "caption_style.clean": "in vào hình: gọn", "caption_style.boxed": "in vào hình: có nền",
    "caption_style.bold": "in vào hình: đậm", "caption_style.karaoke": "in vào hình: karaoke (từng từ)",
    "motion.none": "không", "motion.photos": "ảnh chuyển động", "motion.all": "mọi thứ chuyển động",
    "transition.none": "cắt thẳng", "transition.fade": "mờ qua đen", "transition.crossfade": "hòa cảnh",
    "transition.slide": "trượt", "transition.wipe": "quét",
  },
};

function uiLanguage() {
  const saved = localStorage.getItem(LANG_STORAGE);
  if (saved && WORDS[saved]) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("vi") ? "vi" : "en";
}

function t(key, values = {}, fallback = key) {
  const words = WORDS[uiLanguage()] || WORDS.en;
  const text = words[key] || WORDS.en[key] || fallback;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function translatePage() {
  document.documentElement.lang = uiLanguage();
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll("[data-i18n-choice]")) el.textContent = t(el.dataset.i18nChoice, {}, el.value);
}

function setLanguage(lang) {
  localStorage.setItem(LANG_STORAGE, lang);
  translatePage();
  document.dispatchEvent(new CustomEvent("t2v:language"));
}
