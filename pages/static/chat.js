// The live page of a hashtag chat: new posts with the chat's hashtag arrive over the streaming API's
// hashtag stream (server-sent events) and go under the topic they answer, or the one open when they
// were written; a reply to a post on the page goes under that post. No inline script: the CSP forbids it.
"use strict";
(function () {
  const chat = document.getElementById("chat");
  if (!chat || !chat.dataset.stream || !window.EventSource) return;
  const starts = Number(chat.dataset.starts), ends = Number(chat.dataset.ends);
  const topics = Array.from(chat.querySelectorAll("section.topic"));

  function opensAt(section) { return Number(section.dataset.opens); }

  function topicAt(when) {
    let found = null;
    for (const section of topics) {
      if (Math.floor(opensAt(section) / 1000) * 1000 <= when && (section.dataset.position !== "0" || found === null)) found = section;
    }
    return found;
  }

  function markCurrent() {
    const now = Date.now();
    const current = now < ends ? topicAt(now) : null;
    for (const section of topics) section.classList.toggle("current", section === current && section.dataset.position !== "0");
    const state = document.getElementById("chat-state");
    if (state) state.textContent = now < starts ? "scheduled" : (now < ends ? "live" : "ended");
  }

  function questionOf(status) {
    // The host's own post "Qn: …" is the question of topic n: it names the section, it is not a post.
    if (status.account.acct.split("@")[0] !== chat.dataset.host.split("@")[0]) return null;
    const found = /^<p>Q(\d+):/.exec(status.content);
    return found ? document.getElementById("topic-" + found[1]) : null;
  }

  function card(status) {
    const item = document.createElement("li");
    item.className = "post";
    item.id = "post-" + status.id;
    const article = document.createElement("article");
    article.className = "status";
    article.id = "status-" + status.id;
    const header = document.createElement("header");
    const author = document.createElement("a");
    author.className = "author";
    author.href = status.account.url;
    author.textContent = status.account.display_name || status.account.username;
    const acct = document.createElement("span");
    acct.className = "acct";
    acct.textContent = "@" + status.account.acct;
    header.append(author, " ", acct);
    const content = document.createElement("div");
    content.className = "content";
    // The server's own rendering of the post: HTML it made or sanitised (api/entities/statuses).
    content.innerHTML = status.content;
    const footer = document.createElement("footer");
    const link = document.createElement("a");
    link.className = "permalink";
    link.href = status.url || status.uri;
    const time = document.createElement("time");
    time.dateTime = status.created_at;
    time.textContent = new Date(status.created_at).toISOString().slice(0, 16).replace("T", " ") + " UTC";
    link.append(time);
    footer.append(link);
    article.append(header, content, footer);
    const replies = document.createElement("ol");
    replies.className = "replies";
    item.append(article, replies);
    return item;
  }

  function place(status) {
    const when = Date.parse(status.created_at);
    // The window is [start, end) in whole seconds, so a remote post's time to the second compares exactly
    // (a chat stored with fractional times: its first second counts, as on the server).
    if (!(when >= Math.floor(starts / 1000) * 1000 && when < ends) || document.getElementById("post-" + status.id)) return;
    const question = questionOf(status);
    if (question) { question.dataset.question = status.id; return; }
    const parent = status.in_reply_to_id && document.getElementById("post-" + status.in_reply_to_id);
    if (parent) { parent.querySelector("ol.replies").append(card(status)); return; }
    let section = status.in_reply_to_id && chat.querySelector('section.topic[data-question="' + status.in_reply_to_id + '"]');
    section = section || topicAt(when);
    if (!section) return;
    section.hidden = false;
    section.querySelector("ol.posts").append(card(status));
  }

  // Signed in (the page carries the session's read-only stream token): the person's home stream also
  // brings what only they may see, e.g. followers-only posts with the hashtag by people they follow.
  const token = document.body.dataset.streamToken;
  if (token && window.WebSocket) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const home = new WebSocket(scheme + "//" + location.host + "/api/v1/streaming", token);
    home.addEventListener("open", function () { home.send(JSON.stringify({ type: "subscribe", stream: "user" })); });
    home.addEventListener("message", function (message) {
      try {
        const event = JSON.parse(message.data);
        if (event.event !== "update") return;
        const status = JSON.parse(event.payload);
        if ((status.tags || []).some(function (t) { return t.name.toLowerCase() === chat.dataset.tag; })) place(status);
      } catch (err) { console.warn("chat: unreadable post", err); }
    });
  }

  const stream = new EventSource(chat.dataset.stream);
  stream.addEventListener("update", function (event) {
    try { place(JSON.parse(event.data)); } catch (err) { console.warn("chat: unreadable post", err); }
  });
  stream.addEventListener("delete", function (event) {
    const gone = document.getElementById("post-" + event.data);
    if (gone) gone.remove();
  });
  chat.classList.add("streaming");
  markCurrent();
  setInterval(markCurrent, 5000);
})();
