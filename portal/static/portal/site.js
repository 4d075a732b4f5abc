// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
