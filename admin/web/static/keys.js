// Keyboard on the order lists: "/" search, j/k move, e (or Enter) open, r resubmit the current order,
// x select it. Ticking "select all" ticks every order on the page; a select marked data-autosubmit
// sends its form when changed; a form marked data-confirm="question" is sent only once the operator
// says yes (here, not in an onsubmit attribute: the pages' CSP runs no inline script).
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var question = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { ev.preventDefault(); }
  }, true);
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.orders tr[data-order]")); }
  function current() { return document.querySelector("table.orders tr.cursor"); }
  function move(step) {
    var all = rows(); if (!all.length) return;
    var at = all.indexOf(current());
    var next = all[Math.max(0, Math.min(all.length - 1, at + step))];
    all.forEach(function (r) { r.classList.remove("cursor"); });
    next.classList.add("cursor"); next.scrollIntoView({ block: "nearest" });
  }
  function resubmit(row) {
    var box = row.querySelector("input[name=ids]"); var button = document.querySelector("#bulk button[value=resubmit]");
    if (!box || !button) return;
    rows().forEach(function (r) { var b = r.querySelector("input[name=ids]"); if (b) b.checked = false; });
    // "every order matching this filter" ticked earlier would widen r to all of them
    document.querySelectorAll("#bulk input[name=scope]").forEach(function (b) { b.checked = false; });
    box.checked = true; button.click();
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.matches("select[data-autosubmit]")) { ev.target.form.requestSubmit(); return; }
    if (ev.target.matches("[data-select-all]")) {
      document.querySelectorAll("#bulk input[name=ids]").forEach(function (b) { b.checked = ev.target.checked; });
    }
  });
  document.addEventListener("keydown", function (ev) {
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var row = current();
    if (ev.key === "/") { var q = document.getElementById("q"); if (q) { ev.preventDefault(); q.focus(); } }
    else if (ev.key === "j") { move(1); }
    else if (ev.key === "k") { move(-1); }
    else if ((ev.key === "e" || ev.key === "Enter") && row) { window.location = row.getAttribute("data-href"); }
    else if (ev.key === "r" && row) { resubmit(row); }
    else if (ev.key === "x" && row) { var b = row.querySelector("input[name=ids]"); if (b) b.checked = !b.checked; }
  });
})();
