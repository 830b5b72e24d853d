/*
 * "Copy page as Markdown": copies this page's Markdown copy (index.md next to
 * the page, written by docs_macros/publish.py) to the clipboard.
 *
 * The button is rendered hidden (overrides/partials/actions.html) and shown
 * here, so without JavaScript only the "View as Markdown" link remains. The
 * copy is fetched from this site only, when the button is pressed. The
 * clipboard write gets a ClipboardItem whose content is still loading, so the
 * browser ties it to the click (Safari requires that); where ClipboardItem is
 * missing, the text is written once it has loaded.
 */
(function () {
  "use strict";

  var STATUS_CLEAR_MS = 4000;

  function markdownUrl(button) {
    return new URL(button.getAttribute("data-copy-page"), window.location.href).href;
  }

  function fetchMarkdown(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.text();
    });
  }

  function copy(url) {
    var clipboard = navigator.clipboard;
    if (!clipboard) {
      return Promise.reject(new Error("no clipboard"));
    }
    if (window.ClipboardItem && clipboard.write) {
      var blob = fetchMarkdown(url).then(function (text) {
        return new Blob([text], { type: "text/plain" });
      });
      return clipboard.write([new ClipboardItem({ "text/plain": blob })]).catch(function () {
        // Some browsers refuse a pending ClipboardItem: write the text instead.
        return fetchMarkdown(url).then(function (text) {
          return clipboard.writeText(text);
        });
      });
    }
    return fetchMarkdown(url).then(function (text) {
      return clipboard.writeText(text);
    });
  }

  function say(container, message) {
    var status = container.querySelector("[data-copy-page-status]");
    if (!status) {
      return;
    }
    status.textContent = message;
    window.clearTimeout(status._flowlixTimer);
    status._flowlixTimer = window.setTimeout(function () {
      status.textContent = "";
    }, STATUS_CLEAR_MS);
  }

  function bind() {
    var buttons = document.querySelectorAll("[data-copy-page]");
    Array.prototype.forEach.call(buttons, function (button) {
      if (button._flowlixBound) {
        return;
      }
      button._flowlixBound = true;
      button.hidden = false;
      button.addEventListener("click", function () {
        var container = button.closest(".flx-page-markdown") || document;
        copy(markdownUrl(button)).then(
          function () {
            say(container, "Copied this page as Markdown");
          },
          function () {
            say(container, "Could not copy: open the Markdown link instead");
          }
        );
      });
    });
  }

  // Material's instant navigation swaps the page without reloading scripts.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(bind);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
