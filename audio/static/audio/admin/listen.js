/* "Escuchar" in the admin (audio/admin/listen.py): hear a guide's section, or a pronunciation
 * entry, as publishing would read it, before anything is saved or published.
 *
 * Page editor: a button on the intro (next to the summary) and on every section of the guide,
 * sent with that section's fields as they are in the form now (unsaved edits included).
 * Lexicon form: the button the server renders (audio/admin/lexicon_listen.html).
 * The answer is audio (played in a small player beside the button) or a JSON message.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var pageUrlTemplate = script && script.getAttribute("data-page-listen-url");
  var labels = {
    listen: (script && script.getAttribute("data-label-listen")) || "Escuchar",
    preparing: (script && script.getAttribute("data-label-preparing")) || "…",
    signedOut: (script && script.getAttribute("data-label-signed-out")) || "",
  };

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function place(container) {
    var box = document.createElement("div");
    box.className = "altavoz-listen";
    box.setAttribute("data-altavoz-listen", "");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-small button-secondary";
    button.setAttribute("data-altavoz-listen-button", "");
    button.textContent = labels.listen;
    box.appendChild(button);
    container.appendChild(box);
    return box;
  }

  function show(box, className, text, detail) {
    var old = box.querySelector("[data-altavoz-listen-result]");
    if (old) { box.removeChild(old); }
    var result = document.createElement("div");
    result.setAttribute("data-altavoz-listen-result", className);
    result.className = className === "error" ? "help-block help-critical" : "help";
    result.setAttribute("role", "status");
    if (text) { result.appendChild(document.createTextNode(text)); }
    if (detail) {
      var more = document.createElement("details");
      var summary = document.createElement("summary");
      summary.textContent = "…";
      more.appendChild(summary);
      more.appendChild(document.createTextNode(detail));
      result.appendChild(more);
    }
    box.appendChild(result);
    return result;
  }

  function listen(box, url, fields) {
    var button = box.querySelector("[data-altavoz-listen-button]");
    var body = new FormData();
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    button.disabled = true;
    button.textContent = labels.preparing;
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.ok && type.indexOf("audio/") === 0) {
        var spoken = decodeURIComponent(response.headers.get("X-Altavoz-Spoken") || "");
        return response.blob().then(function (blob) { play(box, blob, spoken); });
      }
      if (type.indexOf("application/json") === 0) {
        return response.json().then(function (data) {
          show(box, "error", data.error.message, data.error.detail);
        });
      }
      show(box, "error", labels.signedOut || response.status + " " + response.statusText);
    }).catch(function (error) {
      show(box, "error", String(error));
    }).then(function () {
      button.disabled = false;
      button.textContent = labels.listen;
    });
  }

  function play(box, blob, spoken) {
    var result = show(box, "audio", spoken ? "« " + spoken + " »" : "");
    var player = document.createElement("audio");
    player.controls = true;
    player.src = URL.createObjectURL(blob);
    player.setAttribute("data-altavoz-listen-player", "");
    result.insertBefore(player, result.firstChild);
    player.play().catch(function () { /* the controls are there to start it by hand */ });
  }

  // --- The page editor -------------------------------------------------------------------

  function formValues(container, prefix, rename) {
    var fields = {};
    container.querySelectorAll("input[name], textarea[name], select[name]").forEach(function (el) {
      if (el.name.indexOf(prefix) === 0 && el.type !== "file") {
        fields[rename + el.name.slice(prefix.length)] = el.value;
      }
    });
    return fields;
  }

  function addSectionButton(child) {
    var idInput = child.querySelector(":scope > input[name$='-id']");
    if (!idInput || !/^sections-\d+-id$/.test(idInput.name)) { return; }
    var prefix = idInput.name.slice(0, -"-id".length);
    var typeInput = child.querySelector(":scope > input[name$='-type']");
    if (typeInput && typeInput.value !== "section") { return; }
    var content = child.querySelector("[data-streamfield-block]") || child;
    if (content.querySelector(":scope > [data-altavoz-listen]")) { return; }
    var box = place(content);
    box.querySelector("button").addEventListener("click", function () {
      var fields = formValues(child, prefix + "-value-", "section-");
      fields.section = idInput.value;
      listen(box, pageUrl(), fields);
    });
  }

  function pageUrl() {
    var match = window.location.pathname.match(/\/pages\/(\d+)\/edit\//);
    return match && pageUrlTemplate.replace("/0/", "/" + match[1] + "/");
  }

  function setUpPageEditor() {
    var form = document.querySelector("form[data-edit-form]") || document.querySelector("form");
    var summary = document.querySelector("[name=summary]");
    if (!pageUrlTemplate || !pageUrl() || !form || !document.querySelector("[name=sections-count]")) {
      return;
    }
    if (summary) {
      var box = place(summary.parentNode);
      box.setAttribute("data-altavoz-listen", "intro");
      box.querySelector("button").addEventListener("click", function () {
        var title = document.querySelector("[name=title]");
        listen(box, pageUrl(), {
          section: "intro", title: title ? title.value : "", summary: summary.value,
        });
      });
    }
    var scan = function () {
      document.querySelectorAll("[data-streamfield-child]").forEach(addSectionButton);
    };
    scan();
    // Sections are drawn by Wagtail's script, and editors add new ones: watch for them.
    new MutationObserver(scan).observe(form, { childList: true, subtree: true });
  }

  // --- The lexicon form ------------------------------------------------------------------

  function setUpLexiconForm() {
    var box = document.querySelector("[data-altavoz-lexicon-listen]");
    if (!box) { return; }
    box.querySelector("button").addEventListener("click", function () {
      var value = function (name) {
        var field = document.querySelector("[name=" + name + "]");
        return field ? field.value : "";
      };
      listen(box, box.getAttribute("data-url"), {
        locale: value("locale"), written: value("written"), spoken: value("spoken"),
        entry: box.getAttribute("data-entry") || "",
      });
    });
  }

  function start() {
    setUpPageEditor();
    setUpLexiconForm();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
