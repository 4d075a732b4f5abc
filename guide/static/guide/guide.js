// Draws the guide's Mermaid diagrams with the copy of mermaid the portal serves itself.
(function () {
  "use strict";
  if (!window.mermaid) { return; }
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral" });
  window.mermaid.run({ querySelector: "pre.mermaid" }).catch(function (error) {
    document.querySelectorAll("pre.mermaid:not([data-processed])").forEach(function (block) {
      block.classList.add("mermaid-error");
      block.setAttribute("title", String(error && error.message || error));
    });
  });
})();
