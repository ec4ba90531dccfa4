// Quick exit: leave at once and replace this page in the history, so "back"
// does not return here. Works as a plain link without JavaScript.
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) return;
  var target = link.getAttribute("data-exit-url");
  function leave(event) {
    if (event) event.preventDefault();
    document.body.style.display = "none";
    window.location.replace(target);
  }
  link.addEventListener("click", leave);
  // Pressing Escape three times within two seconds also leaves.
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) leave(event);
  });
})();
