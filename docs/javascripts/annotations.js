/*
 * Names for Material's code annotation markers (content.code.annotate).
 *
 * Material turns each "(1)" in a code comment into a link whose number is drawn by CSS, so the
 * link has no accessible name and a screen reader announces an unnamed link (axe-core:
 * link-name). This names each marker "Note N" as Material adds it. Loaded by overrides/main.html
 * only on pages with annotated code.
 */
(function () {
  "use strict";

  function name(root) {
    var links = root.querySelectorAll(".md-annotation__index:not([aria-label])");
    Array.prototype.forEach.call(links, function (link) {
      var number = link.querySelector("[data-md-annotation-id]");
      link.setAttribute(
        "aria-label",
        "Note " + (number ? number.getAttribute("data-md-annotation-id") : "")
      );
    });
  }

  if (window.flowlixAnnotations) {
    return;
  }
  window.flowlixAnnotations = true;
  name(document);
  new MutationObserver(function () {
    name(document);
  }).observe(document.body, { childList: true, subtree: true });
})();
