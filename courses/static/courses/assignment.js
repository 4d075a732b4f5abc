// Live status of the runs listed on an assignment page: each unfinished row asks the run API every
// two seconds and updates its status, progress and metrics in place (no page reload).
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-run-row][data-terminal='0']"));
  var terminal = { succeeded: true, failed: true, cancelled: true, timed_out: true };
  var classes = { succeeded: "ok", failed: "bad", timed_out: "bad", running: "warn", queued: "warn" };

  function update(row, run) {
    var badge = row.querySelector("[data-status]");
    if (badge) {
      badge.textContent = run.status.replace("_", " ");
      badge.className = "badge status-" + run.status + " " + (classes[run.status] || "");
    }
    var cells = row.querySelector("[data-cells]");
    if (cells) cells.textContent = run.cells_done + "/" + run.cells_total;
    var metrics = row.querySelector("[data-metrics]");
    if (metrics && run.metrics) {
      metrics.textContent = Object.keys(run.metrics).map(function (key) { return key + "=" + run.metrics[key]; }).join(" ");
    }
    var wait = row.querySelector("[data-wait]");
    if (wait && run.status !== "queued") wait.remove();
    if (terminal[run.status]) row.setAttribute("data-terminal", "1");
  }

  function poll() {
    rows = rows.filter(function (row) { return row.getAttribute("data-terminal") === "0"; });
    if (!rows.length) return;
    rows.forEach(function (row) {
      fetch(row.getAttribute("data-api"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (run) { if (run) update(row, run); })
        .catch(function () {});
    });
    window.setTimeout(poll, 2000);
  }
  if (rows.length) window.setTimeout(poll, 1500);
})();
