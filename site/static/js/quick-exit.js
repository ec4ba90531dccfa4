// Quick exit (the GOV.UK "Exit this page" pattern): silence the audio, blank
// the page and leave at once, replacing this page in the history so "back"
// does not return here. Works as a plain link without JavaScript.
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) return;
  var target = link.getAttribute("data-exit-url");
  function leave(event) {
    if (event) event.preventDefault();
    var media = document.querySelectorAll("audio, video");
    for (var i = 0; i < media.length; i++) {
      try { media[i].pause(); media[i].muted = true; } catch (e) { /* leave anyway */ }
    }
    if ("mediaSession" in navigator) {
      try { navigator.mediaSession.metadata = null; } catch (e) { /* leave anyway */ }
    }
    document.title = "";
    document.body.style.display = "none";
    window.location.replace(target);
  }
  link.addEventListener("click", leave);
  // Pressing Escape three times within two seconds also leaves.
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") return;
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) leave(event);
  });
})();
