// sohoa — the little script of the web pages (no library, nothing loaded from outside): the page viewer's zoom.
// The highlight boxes are placed in percentages of the page, so they follow the image at any zoom.
(function () {
  "use strict";
  var steps = [100, 150, 200, 300];
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-zoom]") : null;
    var frame = document.getElementById("page-frame");
    if (!button || !frame) { return; }
    var current = parseInt(frame.getAttribute("data-zoom") || "0", 10);
    var change = parseInt(button.getAttribute("data-zoom"), 10);
    var next = change === 0 ? 0 : Math.max(0, Math.min(steps.length - 1, current + change));
    frame.setAttribute("data-zoom", String(next));
    frame.style.width = steps[next] + "%";
  });
})();
