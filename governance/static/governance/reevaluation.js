// Live progress of a re-evaluation: polls its API resource, updates the bar, reloads when every run has ended.
(function () {
  "use strict";
  var root = document.getElementById("reevaluation");
  if (!root || root.dataset.finished === "1") { return; }
  var bar = root.querySelector("[data-bar]");
  var count = root.querySelector("[data-count]");
  var counted = root.querySelector("[data-counted]");
  var last = null;
  function poll() {
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (!progress) { window.setTimeout(poll, 5000); return; }
        bar.value = progress.progress_percent;
        bar.textContent = progress.progress_percent + "%";
        count.textContent = progress.runs_done + " / " + progress.runs_total;
        counted.textContent = progress.runs_counted;
        if (progress.finished) { window.location.reload(); return; }
        if (last !== null && last !== progress.runs_done) { window.location.reload(); return; }
        last = progress.runs_done;
        window.setTimeout(poll, 3000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
