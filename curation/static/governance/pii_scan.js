// Live progress of a PII scan: polls the scan's API resource, updates the bar, reloads when it ends.
(function () {
  "use strict";
  var root = document.getElementById("scan");
  if (!root) { return; }
  var status = root.dataset.status;
  if (status !== "queued" && status !== "running") { return; }
  var bar = root.querySelector("[data-scan-bar]");
  var count = root.querySelector("[data-scan-count]");
  var badge = root.querySelector("[data-scan-status]");
  function poll() {
    fetch(root.dataset.scanUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (scan) {
        if (!scan) { window.setTimeout(poll, 3000); return; }
        bar.value = scan.progress_percent;
        bar.textContent = scan.progress_percent + "%";
        count.textContent = scan.items_done + " / " + scan.items_total;
        badge.textContent = scan.status;
        if (scan.status === "succeeded" || scan.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
