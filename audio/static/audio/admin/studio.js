/* The recording studio (audio/admin/studio.py): record a section with the microphone, listen
 * back, record again, keep.
 *
 * MediaRecorder records in what the browser offers (Chromium WebM/Opus, Firefox Ogg/Opus,
 * Safari MP4/AAC); the take is sent as it was recorded, with its type, and the server names
 * and checks it like an uploaded file. Nothing leaves the phone until "Guardar esta toma";
 * a take the server refuses stays here to listen to, and the section keeps its recording.
 * Without MediaRecorder or a microphone, the file form below the recorder still works.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-altavoz-studio]");
  if (!root) { return; }
  var label = function (name) { return root.getAttribute("data-label-" + name) || ""; };
  var find = function (name) { return root.querySelector("[data-studio-" + name + "]"); };
  var recordButton = find("record");
  var stopButton = find("stop");
  var takeBox = find("take-box");
  var takePlayer = find("take");
  var keepButton = find("keep");
  var againButton = find("again");
  var status = find("status");
  // Types in order of preference; the first one the browser records is used.
  var TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];

  var recorder = null;
  var take = null;
  var takeUrl = null;

  function say(text, kind) {
    status.textContent = text;
    status.setAttribute("data-kind", kind || "info");
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function chosenType() {
    if (!window.MediaRecorder || !MediaRecorder.isTypeSupported) { return ""; }
    for (var i = 0; i < TYPES.length; i++) {
      if (MediaRecorder.isTypeSupported(TYPES[i])) { return TYPES[i]; }
    }
    return "";
  }

  function showTake(blob) {
    take = blob;
    if (takeUrl) { URL.revokeObjectURL(takeUrl); }
    takeUrl = URL.createObjectURL(blob);
    takePlayer.src = takeUrl;
    takeBox.hidden = false;
    keepButton.disabled = false;
    say(label("listen-back"));
  }

  function start() {
    recordButton.disabled = true;
    takeBox.hidden = true;
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var type = chosenType();
      recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      var chunks = [];
      recorder.ondataavailable = function (event) {
        if (event.data && event.data.size) { chunks.push(event.data); }
      };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        root.removeAttribute("data-recording");
        stopButton.hidden = true;
        recordButton.disabled = false;  // shown again once the take is kept ("Grabar de nuevo")
        showTake(new Blob(chunks, { type: recorder.mimeType || type || "audio/webm" }));
      };
      recorder.start();
      root.setAttribute("data-recording", "");
      recordButton.hidden = true;
      stopButton.hidden = false;
      stopButton.focus();
      say(label("recording"));
    }).catch(function () {
      recordButton.hidden = false;
      recordButton.disabled = false;
      say(label("no-microphone"), "error");
    });
  }

  function stop() {
    if (recorder && recorder.state !== "inactive") { recorder.stop(); }
  }

  function keep() {
    if (!take) { return; }
    var body = new FormData();
    // No extension: the server names the take by its type (audio.uploads.take_name).
    body.append("audio", take, "toma");
    keepButton.disabled = true;
    againButton.disabled = true;
    say(label("saving"));
    fetch(root.getAttribute("data-keep-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
    }).then(function (response) {
      return response.json().then(function (data) { kept(response.ok && data.ok, data); });
    }).catch(function () {
      keepButton.disabled = false;
      say(label("network"), "error");
    }).then(function () { againButton.disabled = false; });
  }

  function kept(ok, data) {
    if (!ok) {
      keepButton.disabled = false;  // the take stays: listen again, or record again
      say(data.message, "error");
      return;
    }
    say(data.message, "done");
    var current = document.querySelector("[data-studio-current]");
    var player = document.querySelector("[data-studio-current-audio]");
    if (current && player) {
      player.src = data.recording_url;
      current.hidden = false;
    }
    var state = document.querySelector("[data-recording-state]");
    if (state) {
      state.setAttribute("data-recording-state", "ok");
      state.textContent = label("current");
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-studio-progress]"), function (el) {
      el.textContent = data.progress;
    });
    takeBox.hidden = true;
    take = null;
    recordButton.hidden = false;
    var next = document.querySelector("[data-studio-next]");
    if (next) { next.focus(); }
  }

  if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    root.hidden = false;
    recordButton.disabled = true;
    say(label("unsupported"), "error");
    return;
  }
  root.hidden = false;
  recordButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  keepButton.addEventListener("click", keep);
  againButton.addEventListener("click", function () {
    takeBox.hidden = true;
    take = null;
    start();
  });
})();
