// TV mode: the scorecard on a screen nobody scrolls. The objectives are packed into screens that fit
// the window's height, laid side by side in a strip that slides by one screen every data-seconds
// seconds, round and round (the screens out of sight stay in the page, only out of view). The page
// reloads itself (meta refresh) for new data and goes on from the screen it was showing.
(function () {
  "use strict";
  var KEY = "onpace-tv-screen";
  var timer = null, strip = null, count = 0, current = 0;

  function blocks(board) { return Array.prototype.slice.call(board.querySelectorAll(".tv-objective")); }

  function outerHeight(el) {
    var style = window.getComputedStyle(el);
    return el.getBoundingClientRect().height + parseFloat(style.marginTop) + parseFloat(style.marginBottom);
  }

  // the blocks back in one column at the board's width, measured, then grouped into screens no taller
  // than the room under the header; a block taller than the room alone is a screen of its own, scaled
  // down to fit
  function pack(board) {
    var all = blocks(board);
    all.forEach(function (b) { b.style.transform = ""; b.style.width = ""; board.appendChild(b); });
    if (strip) { strip.remove(); strip = null; }
    board.style.height = "";
    var below = parseFloat(window.getComputedStyle(board.parentElement).paddingBottom) || 0;
    var room = Math.max(window.innerHeight - board.getBoundingClientRect().top - below - 2, 100);
    var screens = [], screen = [], used = 0;
    all.forEach(function (b) {
      var h = outerHeight(b);
      if (screen.length && used + h > room) { screens.push(screen); screen = []; used = 0; }
      screen.push(b);
      used += h;
      if (h > room) {  // scaled down, and as much wider first, so that it still spans the screen
        var scale = Math.max(room / h, 0.3);
        b.style.transformOrigin = "top left";
        b.style.transform = "scale(" + scale.toFixed(3) + ")";
        b.style.width = (100 / scale).toFixed(2) + "%";
      }
    });
    if (screen.length) screens.push(screen);
    strip = document.createElement("div");
    strip.className = "tv-strip";
    screens.forEach(function (members, i) {
      var div = document.createElement("div");
      div.className = "tv-screen";
      div.dataset.screen = String(i + 1);
      members.forEach(function (b) { div.appendChild(b); });
      strip.appendChild(div);
    });
    board.appendChild(strip);
    board.style.height = room + "px";  // a scaled block keeps its full size in the layout: the board clips it
    return screens.length;
  }

  function show(board, label) {
    if (!count || !strip) return;
    current = current % count;
    strip.style.transform = "translateX(" + (-100 * current) + "%)";
    Array.prototype.forEach.call(strip.children, function (s, i) { s.setAttribute("aria-hidden", i === current ? "false" : "true"); });
    if (label) label.textContent = count > 1 ? "screen " + (current + 1) + " of " + count : "";
    board.dataset.screen = String(current + 1);
    board.dataset.screens = String(count);
    try { window.sessionStorage.setItem(KEY, String(current)); } catch (e) { /* private mode: start over */ }
  }

  function start() {
    var board = document.getElementById("board"), label = document.querySelector("[data-testid=tv-page]");
    if (!board || !blocks(board).length) return;
    var seconds = Math.max(parseInt(board.dataset.seconds || "15", 10) || 15, 3);
    try { current = parseInt(window.sessionStorage.getItem(KEY) || "0", 10) || 0; } catch (e) { current = 0; }
    count = pack(board);
    show(board, label);
    timer = window.setInterval(function () { current += 1; show(board, label); }, seconds * 1000);
    var resized = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(resized);
      resized = window.setTimeout(function () { count = pack(board); show(board, label); }, 200);
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
