// ankideck preview: night mode and phone width toggles, the play buttons of sounds, and the
// live reload hook of `ankideck watch`. The modes are kept in the address's #fragment (#night,
// #phone, #night,phone), so a reload keeps them and a link can open a page in a mode.
(function () {
  "use strict";
  var modes = function () {
    return location.hash.replace(/^#/, "").split(",").filter(function (m) { return m; });
  };
  var apply = function () {
    var on = modes();
    var night = on.indexOf("night") >= 0;
    // Anki sets both classes on the body and on the card's container in night mode.
    var targets = [document.body].concat(Array.prototype.slice.call(document.querySelectorAll(".card")));
    targets.forEach(function (el) {
      el.classList.toggle("nightMode", night);
      el.classList.toggle("night_mode", night);
    });
    document.body.classList.toggle("ankideck-phone", on.indexOf("phone") >= 0);
    ["night", "phone"].forEach(function (mode) {
      var button = document.getElementById("ankideck-" + mode);
      if (button) button.setAttribute("aria-pressed", on.indexOf(mode) >= 0 ? "true" : "false");
    });
  };
  var toggle = function (mode) {
    var on = modes();
    var at = on.indexOf(mode);
    if (at >= 0) on.splice(at, 1); else on.push(mode);
    on.sort();
    history.replaceState(null, "", on.length ? "#" + on.join(",") : location.pathname + location.search);
    apply();
  };
  // `watch` writes _live.js: `window.ankideckLive && window.ankideckLive("STAMP")`. It is loaded
  // again every 500 ms as a <script> (fetch is refused on file://); a new stamp reloads the page.
  var stamp = null;
  window.ankideckLive = function (next) {
    if (stamp === null) stamp = next;
    else if (next !== stamp) location.reload();
  };
  var poll = function () {
    var script = document.createElement("script");
    script.src = "_live.js?" + Date.now();
    script.onload = script.onerror = function () { script.remove(); };
    document.head.appendChild(script);
  };
  document.addEventListener("DOMContentLoaded", function () {
    apply();
    window.addEventListener("hashchange", apply);
    ["night", "phone"].forEach(function (mode) {
      var button = document.getElementById("ankideck-" + mode);
      if (button) button.addEventListener("click", function () { toggle(mode); });
    });
    document.querySelectorAll(".ankideck-play").forEach(function (button) {
      button.addEventListener("click", function () {
        var audio = button.previousElementSibling;
        audio.currentTime = 0;
        audio.play();
      });
    });
    poll();
    setInterval(poll, 500);
  });
})();
