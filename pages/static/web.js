// The signed-in web's one script. Everything works without it; with it, the compose form posts
// without a reload, and new posts arrive live from the streaming API (over a WebSocket that carries
// the session's read-only token). Cards come from the server as HTML, so the page is rendered in one
// place, the templates.
"use strict";

const FETCH_HEADER = { "X-Backchannel-Fetch": "1" };

function timeline() {
  return document.getElementById("timeline");
}

function addCard(html) {
  const list = timeline();
  if (!list) return;
  const holder = document.createElement("div");
  holder.innerHTML = html.trim();
  const card = holder.firstElementChild;
  if (!card || document.getElementById(card.id)) return;
  const empty = list.querySelector(".empty");
  if (empty) empty.remove();
  list.prepend(card);
}

async function postWithoutReload(event) {
  const form = event.target;
  if (!form.matches("form.compose") || !timeline() || form.querySelector("[name=in_reply_to_id]")) return;
  event.preventDefault();
  const error = form.querySelector(".error");
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const response = await fetch(form.action, { method: "POST", body: new FormData(form),
                                                headers: FETCH_HEADER, credentials: "same-origin" });
    const text = await response.text();
    if (!response.ok) {
      error.textContent = text;
      error.hidden = false;
      return;
    }
    error.hidden = true;
    addCard(text);
    form.reset();
  } catch (err) {
    error.textContent = "Could not post: " + err;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

async function showStatus(id) {
  const response = await fetch("/statuses/" + encodeURIComponent(id) + "/card", { credentials: "same-origin" });
  if (response.ok) addCard(await response.text());
}

function listen() {
  const list = timeline();
  const token = document.body.dataset.streamToken;
  const stream = list && list.dataset.stream;
  if (!token || !stream) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  let delay = 1000;
  const open = () => {
    const socket = new WebSocket(scheme + "//" + location.host + "/api/v1/streaming", token);
    socket.addEventListener("open", () => {
      delay = 1000;
      const subscription = stream.startsWith("hashtag:") ? { stream: "hashtag", tag: stream.slice(8) }
        : stream.startsWith("list:") ? { stream: "list", list: stream.slice(5) } : { stream };
      socket.send(JSON.stringify({ type: "subscribe", ...subscription }));
    });
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.event === "update") showStatus(JSON.parse(event.payload).id);
    });
    socket.addEventListener("close", () => {
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 60000);
    });
  };
  open();
  document.body.dataset.streaming = "on";
}

// Settings → profile: a picked avatar or header shows in its preview before the form is saved (read
// as a data: URL, which the CSP's img-src allows; nothing is sent until Save).
function previewImage(event) {
  const input = event.target;
  const preview = input.dataset && input.dataset.preview && document.getElementById(input.dataset.preview);
  const file = input.files && input.files[0];
  if (!preview || !file || !file.type.startsWith("image/")) return;
  const reader = new FileReader();
  reader.addEventListener("load", () => {
    preview.src = reader.result;
    preview.dataset.previewing = "on";
  });
  reader.readAsDataURL(file);
}

document.addEventListener("submit", postWithoutReload);
document.addEventListener("change", previewImage);
listen();
