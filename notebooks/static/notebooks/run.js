// Live progress of one run: polls the run's API resource and updates the page in place.
(function () {
  "use strict";
  var root = document.getElementById("run");
  if (!root || root.dataset.terminal === "1") { return; }
  var terminal = ["succeeded", "failed", "cancelled", "timed_out"];
  var labels = JSON.parse(root.dataset.labels || "{}");
  function text(selector, value) { var node = root.querySelector(selector); if (node) { node.textContent = value; } }
  function render(run) {
    var percent = run.status === "succeeded" ? 100 : (run.cells_total ? Math.floor(100 * run.cells_done / run.cells_total) : 0);
    var bar = root.querySelector("[data-bar]");
    bar.value = percent;
    bar.textContent = percent + "%";
    text("[data-cells]", run.cells_done + " / " + run.cells_total);
    text("[data-elapsed]", run.elapsed_seconds === null ? "—" : run.elapsed_seconds.toFixed(1) + " s");
    // The page says the place and the wait in words; a new place is said as "#N", and once the run leaves
    // the line neither is said any more.
    if (String(run.queue_position || "") !== (root.dataset.position || "")) {
      root.dataset.position = run.queue_position || "";
      text("[data-queue]", run.queue_position ? "· #" + run.queue_position : "");
      if (!run.queue_position) { text("[data-wait]", ""); }
    }
    text("[data-runner]", run.runner || "—");
    var current = root.querySelector("[data-current]");
    current.textContent = "";
    if (run.current_cell_preview && run.status === "running") {
      var code = document.createElement("code");
      code.textContent = run.current_cell_preview;
      current.appendChild(code);
    }
    root.querySelectorAll("[data-status]").forEach(function (badge) {
      badge.textContent = labels[run.status] || run.status.replace("_", " ");
      badge.className = "badge status-" + run.status + " " + (run.status === "succeeded" ? "ok" : (run.status === "failed" || run.status === "timed_out") ? "bad" : "warn");
    });
    if (terminal.indexOf(run.status) >= 0) { finish(run); return true; }
    return false;
  }
  function finish(run) {
    // The run ended: take its results as the server renders them (labelled metrics, where the time went,
    // the error, the framed output) from this page's own URL, and swap them in without a reload.
    root.dataset.terminal = "1";
    var cancel = root.querySelector("[data-cancel-form]");
    if (cancel) { cancel.remove(); }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("#run [data-results]");
        var results = root.querySelector("[data-results]");
        if (fresh && results) { results.replaceWith(document.adoptNode(fresh)); }
      })
      .catch(function () { window.location.reload(); });
  }
  // A short notebook is done in a fraction of a second: ask soon, then less and less often (every second at most,
  // as long runs report progress per cell), so a quick result shows at once and a long run costs few requests.
  var delay = 100;
  function next() { var wait = delay; delay = Math.min(1000, Math.round(delay * 1.5)); return wait; }
  function poll() {
    fetch(root.dataset.api, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (run) { if (!run || !render(run)) { window.setTimeout(poll, next()); } })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, next());
})();
