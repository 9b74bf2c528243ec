/* Viesti chat widget. Embed with:
 *   <script src="https://YOUR-VIESTI/widget.js" data-chatbot="CHATBOT-ID" async></script>
 * Optional data-target="#element-id" shows the chat inside that element instead of a floating button.
 * Talks only to the server it was loaded from (/api/widget/), keeps the visitor's token in this
 * site's localStorage, and draws inside a shadow root so the host page's styles don't reach it. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-chatbot][src*='widget.js']");
  if (!script) return;
  var chatbot = script.getAttribute("data-chatbot");
  var base = new URL(script.src, location.href).origin;
  var api = base + "/api/widget/" + encodeURIComponent(chatbot);
  var key = "viesti:visitor:" + chatbot;
  var targetSelector = script.getAttribute("data-target");
  var inline = !!targetSelector;
  var memory = null;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();

  function mount() {

  function getToken() {
    try { return localStorage.getItem(key) || memory; } catch (e) { return memory; }
  }
  function setToken(token) {
    memory = token;
    try { localStorage.setItem(key, token); } catch (e) { /* storage blocked: this page only */ }
  }

  var host = inline ? document.querySelector(targetSelector) : document.createElement("div");
  if (!host || host.getAttribute("data-viesti-widget")) return;
  host.setAttribute("data-viesti-widget", chatbot);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var css =
    ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:999px;background:#4338ca;color:#fff;padding:12px 18px;font-size:15px;font-weight:600;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}" +
    ".launch:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    ".panel{display:flex;flex-direction:column;background:#fff;color:#111827;border:1px solid #d1d5db;border-radius:14px;overflow:hidden;font-size:14px}" +
    ".float{position:fixed;right:20px;bottom:80px;z-index:2147483000;width:min(360px,calc(100vw - 40px));height:min(520px,calc(100vh - 120px));box-shadow:0 10px 30px rgba(0,0,0,.25)}" +
    ".inline{width:100%;height:100%;min-height:360px}" +
    ".head{display:flex;align-items:center;justify-content:space-between;background:#4338ca;color:#fff;padding:10px 14px}" +
    ".head h2{font-size:15px;margin:0}.close{background:none;border:0;color:#fff;font-size:20px;cursor:pointer;line-height:1}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f9fafb}" +
    ".msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;line-height:1.4}" +
    ".you{align-self:flex-end;background:#4338ca;color:#fff}.bot,.person{align-self:flex-start;background:#fff;border:1px solid #e5e7eb}" +
    ".notice{align-self:center;background:#fef3c7;color:#78350f;font-size:13px}.who{display:block;font-size:11px;color:#4b5563;margin-bottom:2px}.you .who{color:#e0e7ff}" +
    ".typing{align-self:flex-start;color:#6b7280;font-style:italic}" +
    ".status{min-height:0;padding:0 12px;color:#b91c1c;font-size:13px}.status:not(:empty){padding:6px 12px}" +
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff}" +
    "textarea{flex:1;resize:none;border:1px solid #9ca3af;border-radius:8px;padding:8px;font-size:14px;color:#111827;height:40px}" +
    ".send{border:0;border-radius:8px;background:#4338ca;color:#fff;padding:0 14px;font-weight:600;cursor:pointer}.send:disabled{opacity:.6;cursor:default}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  var style = el("style");
  style.textContent = css;
  root.appendChild(style);

  var panel = el("section", "panel " + (inline ? "inline" : "float"));
  panel.setAttribute("role", "region");
  var head = el("div", "head");
  var title = el("h2", null, "Chat");
  title.id = "viesti-title";
  panel.setAttribute("aria-labelledby", "viesti-title");
  head.appendChild(title);
  var launch = null;
  if (!inline) {
    var close = el("button", "close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Close the chat");
    close.onclick = function () { toggle(false); };
    head.appendChild(close);
  }
  var log = el("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "Messages");
  var status = el("div", "status");
  status.setAttribute("role", "alert");
  var form = el("form");
  var label = el("label", "sr", "Your message");
  label.setAttribute("for", "viesti-input");
  var input = el("textarea");
  input.id = "viesti-input";
  input.rows = 1;
  input.maxLength = 2000;
  input.placeholder = "Type your question…";
  var send = el("button", "send", "Send");
  send.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);

  if (inline) {
    root.appendChild(panel);
  } else {
    launch = el("button", "launch", "Chat with us");
    launch.type = "button";
    launch.setAttribute("aria-expanded", "false");
    launch.onclick = function () { toggle(panel.hidden); };
    panel.hidden = true;
    root.appendChild(launch);
    root.appendChild(panel);
    document.body.appendChild(host);
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") toggle(false);
    });
  }

  var seen = {};
  var cursor = null;
  var typing = null;
  var polling = false;
  var started = false;
  var withPerson = false;

  function showTyping(on) {
    if (on && !typing) {
      typing = el("div", "typing", withPerson ? "A person will reply here…" : "Typing…");
      log.appendChild(typing);
    } else if (!on && typing) {
      typing.remove();
      typing = null;
    }
    log.scrollTop = log.scrollHeight;
  }

  function add(message) {
    if (seen[message.id]) return;
    seen[message.id] = true;
    var who = { you: "You", bot: title.textContent, person: "Support team", notice: null }[message.from];
    var node = el("div", "msg " + message.from);
    if (who) node.appendChild(el("span", "who", who));
    node.appendChild(document.createTextNode(message.text));
    node.setAttribute("data-from", message.from);
    if (typing) log.insertBefore(node, typing); else log.appendChild(node);
    if (message.from !== "you") showTyping(false);
    log.scrollTop = log.scrollHeight;
  }

  function request(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    var token = getToken();
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(api + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, credentials: "omit" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) throw new Error(data.error || "The chat is unavailable right now (" + response.status + ").");
          return data;
        });
      });
  }

  function poll() {
    if (polling || !getToken() || !host.isConnected) return;
    polling = true;
    var path = "/messages?wait=25" + (cursor ? "&since=" + encodeURIComponent(cursor) : "");
    request("GET", path).then(function (data) {
      polling = false;
      status.textContent = "";
      withPerson = data.with_person;
      if (data.cursor) cursor = data.cursor;
      data.messages.forEach(add);
      poll();
    }, function (error) {
      polling = false;
      status.textContent = error.message + " Reconnecting…";
      setTimeout(poll, 3000);
    });
  }

  function start() {
    if (started) return;
    started = true;
    request("GET", "").then(function (about) {
      title.textContent = about.name;
      if (!getToken()) log.appendChild(el("div", "msg notice", about.greeting));
    }, function (error) { status.textContent = error.message; });
    poll();
  }

  function toggle(open) {
    panel.hidden = !open;
    if (launch) launch.setAttribute("aria-expanded", String(open));
    if (open) { start(); input.focus(); } else if (launch) launch.focus();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || send.disabled) return;
    send.disabled = true;
    status.textContent = "";
    request("POST", "/messages", { text: text }).then(function (data) {
      send.disabled = false;
      input.value = "";
      if (data.visitor && data.visitor !== getToken()) setToken(data.visitor);
      add(data.message);
      showTyping(true);
      poll();
      input.focus();
    }, function (error) {
      send.disabled = false;
      status.textContent = error.message;
    });
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  if (inline) start();
  }
})();
