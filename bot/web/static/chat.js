// The chat page: one session id per browser tab keeps follow-up questions in context.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("text");
  var send = document.getElementById("send");
  var session = sessionStorage.getItem("chat-session");
  if (!session) {
    session = Array.from(crypto.getRandomValues(new Uint8Array(12)), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    sessionStorage.setItem("chat-session", session);
  }

  function add(kind, text, citations) {
    var row = document.createElement("div");
    row.className = "msg " + kind;
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    var body = document.createElement("div");
    body.className = "text";
    body.textContent = text;
    bubble.appendChild(body);
    if (citations && citations.length) {
      var list = document.createElement("ul");
      list.className = "cites";
      citations.forEach(function (c) {
        var item = document.createElement("li");
        item.textContent = c;
        list.appendChild(item);
      });
      bubble.appendChild(list);
    }
    row.appendChild(bubble);
    log.appendChild(row);
    row.scrollIntoView({block: "end"});
    return row;
  }

  function ask(text) {
    add("me", text);
    send.disabled = true;
    var pending = add("bot pending", "正在查找依据…");
    fetch("api/chat", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({text: text, session: session})
    }).then(function (res) {
      return res.json().then(function (body) { return {ok: res.ok, body: body}; });
    }).then(function (r) {
      pending.remove();
      if (r.ok) { add("bot", r.body.text, r.body.citations); }
      else { add("error", r.body.error || "出错了，请稍后再试。"); }
    }).catch(function () {
      pending.remove();
      add("error", "网络连接失败，请稍后再试。");
    }).finally(function () {
      send.disabled = false;
      input.focus();
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    ask(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  document.querySelectorAll(".hint").forEach(function (b) {
    b.addEventListener("click", function () { ask(b.textContent); });
  });
})();
