/*
 * The site's own script, on every page (one request): code blocks reachable by keyboard,
 * "Copy page as Markdown", then the checklists. Each part is a function of its own that runs
 * once Material has set up the page.
 */

/*
 * Runs fn once Material has set up the page (its document$ emits; it would emit again after
 * every page swap if `navigation.instant` were on, which mkdocs.yml explains it is not).
 *
 * fn runs in a task of its own (setTimeout), not inside the task in which Material's script
 * starts: that task is already the page's longest, and on a phone's CPU every millisecond
 * added to it counts as blocking time (Lighthouse's Total Blocking Time is the sum, over tasks,
 * of what each spends beyond 50 ms). Nothing here changes the layout (mkdocs.yml, site.css),
 * so running a moment later moves nothing on the screen.
 */
function flowlixOnEveryPage(fn) {
  "use strict";
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () {
      window.setTimeout(fn, 0);
    });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fn);
  } else {
    fn();
  }
}

/*
 * Code blocks reachable by keyboard from the start. Material sets up a code block (copy button,
 * annotations, and tabindex="0" when it scrolls sideways, so that a keyboard can scroll it) only
 * once it comes into view (`content.lazy` in mkdocs.yml). Until then every block gets
 * tabindex="0" here, without measuring any of them; Material removes it from the ones that turn
 * out not to scroll.
 */
(function () {
  "use strict";

  function focusable() {
    var blocks = document.querySelectorAll(".md-typeset pre > code:not([tabindex])");
    Array.prototype.forEach.call(blocks, function (block) {
      block.tabIndex = 0;
    });
  }

  flowlixOnEveryPage(focusable);
})();

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

  flowlixOnEveryPage(bind);
})();

/*
 * Flowlix checklists: remember ticked items in this browser.
 *
 * The HTML comes from docs_macros/checklist.py: native checkboxes with
 * data-checklist-item="<id>", rendered disabled so the page reads as a plain
 * list without JavaScript. This script enables them, restores and saves the
 * state, keeps every box with the same id (on this page, on other pages after
 * other pages, in other tabs) in step, and updates the progress.
 *
 * State: localStorage["flowlix.checklist.v1"] = {"version": 1, "items": {"<id>": true}}.
 * Anything else under that key is ignored and replaced. When the browser
 * refuses storage the boxes still work for this visit and a notice says so.
 */
(function () {
  "use strict";

  if (window.flowlixChecklist) {
    return; // already running: never bind the handlers twice
  }

  var STORAGE_KEY = "flowlix.checklist.v1";
  var VERSION = 1;
  var NOT_SAVED_NOTICE =
    "Your browser does not let this site store data, so your progress " +
    "will not be saved once you leave or reload the page.";

  var checked = Object.create(null); // id -> true, the state for this visit
  var storageWorks = true;

  // --- storage -------------------------------------------------------------

  function storage() {
    // Reading window.localStorage itself throws when the browser blocks it.
    return window.localStorage;
  }

  function parse(raw) {
    if (typeof raw !== "string") {
      return null;
    }
    var data;
    try {
      data = JSON.parse(raw);
    } catch (error) {
      return null;
    }
    if (!data || typeof data !== "object" || data.version !== VERSION) {
      return null;
    }
    var items = data.items;
    if (!items || typeof items !== "object" || Array.isArray(items)) {
      return null;
    }
    var state = Object.create(null);
    Object.keys(items).forEach(function (id) {
      if (items[id] === true) {
        state[id] = true;
      }
    });
    return state;
  }

  function serialise() {
    return JSON.stringify({ version: VERSION, items: checked });
  }

  function save() {
    if (!storageWorks) {
      return;
    }
    try {
      storage().setItem(STORAGE_KEY, serialise());
    } catch (error) {
      storageWorks = false;
    }
  }

  function load() {
    if (!storageWorks) {
      return; // storage failed earlier in this visit: what was ticked lives in memory only
    }
    var raw;
    try {
      raw = storage().getItem(STORAGE_KEY);
    } catch (error) {
      storageWorks = false;
      return;
    }
    var state = parse(raw);
    // Corrupt or foreign data counts as nothing ticked (and is replaced on the next save).
    checked = state === null ? Object.create(null) : state;
  }

  // --- the page ------------------------------------------------------------

  function all(root, selector) {
    return Array.prototype.slice.call(root.querySelectorAll(selector));
  }

  function boxes(root) {
    return all(root, "input[type=checkbox][data-checklist-item]");
  }

  function uniqueIds(container) {
    var ids = [];
    boxes(container).forEach(function (box) {
      var id = box.getAttribute("data-checklist-item");
      if (ids.indexOf(id) === -1) {
        ids.push(id);
      }
    });
    return ids;
  }

  function countDone(ids) {
    return ids.filter(function (id) {
      return checked[id] === true;
    }).length;
  }

  function updateProgress() {
    all(document, "[data-checklist-group]").forEach(function (group) {
      var ids = uniqueIds(group);
      var done = countDone(ids);
      var overall = group.querySelector("[data-checklist-count='" + group.getAttribute("data-checklist-group") + "']");
      if (overall) {
        overall.textContent = done + " of " + ids.length;
      }
      all(group, "[data-checklist-bar]").forEach(function (bar) {
        bar.max = ids.length;
        bar.value = done;
      });
      all(group, "[data-checklist-section]").forEach(function (section) {
        var sectionIds = uniqueIds(section);
        var count = section.querySelector("[data-checklist-count]");
        if (count) {
          count.textContent = countDone(sectionIds) + " of " + sectionIds.length;
        }
      });
    });
  }

  function updateNotices() {
    all(document, "[data-checklist-notice]").forEach(function (notice) {
      notice.textContent = storageWorks ? "" : NOT_SAVED_NOTICE;
      notice.hidden = storageWorks;
    });
  }

  function render() {
    boxes(document).forEach(function (box) {
      box.checked = checked[box.getAttribute("data-checklist-item")] === true;
      box.disabled = false;
    });
    updateProgress();
    updateNotices();
  }

  function announce(group, message) {
    var status = group && group.querySelector("[data-checklist-status]");
    if (status) {
      status.textContent = message;
    }
  }

  function groupOf(element) {
    return element.closest("[data-checklist-group]");
  }

  // --- actions -------------------------------------------------------------

  function toggle(box) {
    var id = box.getAttribute("data-checklist-item");
    if (box.checked) {
      checked[id] = true;
    } else {
      delete checked[id];
    }
    save();
    render();
    var group = groupOf(box);
    if (group) {
      var ids = uniqueIds(group);
      announce(
        group,
        box.getAttribute("data-checklist-title").replace(/`/g, "") +
          (box.checked ? ": done. " : ": not done. ") +
          countDone(ids) + " of " + ids.length + " done."
      );
    }
  }

  function reset(group) {
    var ids = uniqueIds(group);
    if (countDone(ids) === 0) {
      announce(group, "Nothing to reset: no item is ticked.");
      return;
    }
    if (!window.confirm("Untick all " + ids.length + " items of this checklist? This cannot be undone.")) {
      announce(group, "Reset cancelled: your progress is unchanged.");
      return;
    }
    ids.forEach(function (id) {
      delete checked[id];
    });
    save();
    render();
    announce(group, "Checklist reset: 0 of " + ids.length + " done.");
  }

  function markdown(group) {
    var ids = uniqueIds(group);
    var lines = [
      "# " + group.getAttribute("data-checklist-name") + " (" + countDone(ids) + " of " + ids.length + " done)",
    ];
    all(group, "[data-checklist-section]").forEach(function (section) {
      lines.push("", "## " + section.getAttribute("data-checklist-heading"));
      var seen = {};
      boxes(section).forEach(function (box) {
        var id = box.getAttribute("data-checklist-item");
        if (seen[id]) {
          return;
        }
        seen[id] = true;
        lines.push(
          "- [" + (checked[id] ? "x" : " ") + "] " +
            box.getAttribute("data-checklist-title") +
            " (" + box.getAttribute("data-checklist-url") + ")"
        );
      });
    });
    return lines.join("\n") + "\n";
  }

  function showFallback(group, text) {
    var fallback = group.querySelector("[data-checklist-fallback]");
    var area = fallback && fallback.querySelector("textarea");
    if (!area) {
      return;
    }
    area.value = text;
    fallback.hidden = false;
    area.focus();
    area.select();
    announce(group, "Your browser did not allow copying: the Markdown is shown below, selected.");
  }

  function copy(group) {
    var text = markdown(group);
    var fallback = group.querySelector("[data-checklist-fallback]");
    var clipboard = navigator.clipboard;
    if (!clipboard || typeof clipboard.writeText !== "function") {
      showFallback(group, text);
      return;
    }
    clipboard.writeText(text).then(
      function () {
        if (fallback) {
          fallback.hidden = true;
        }
        announce(group, "Progress copied to the clipboard as a Markdown list.");
      },
      function () {
        showFallback(group, text);
      }
    );
  }

  // --- wiring (once) -------------------------------------------------------

  // Delegated listeners on the document: they also cover boxes added later, and would survive
  // a page swap by instant navigation (swapped content, same document and script).
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box && box.matches && box.matches("input[type=checkbox][data-checklist-item]")) {
      toggle(box);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-checklist-action]") : null;
    var group = button && groupOf(button);
    if (!group) {
      return;
    }
    if (button.getAttribute("data-checklist-action") === "reset") {
      reset(group);
    } else if (button.getAttribute("data-checklist-action") === "copy") {
      copy(group);
    }
  });

  // Another tab changed the state: show it here without a reload.
  window.addEventListener("storage", function (event) {
    if (event.key === STORAGE_KEY || event.key === null) {
      load();
      render();
    }
  });

  function onPage() {
    load();
    if (boxes(document).length > 0) {
      // Write back what was read: replaces corrupt or foreign data with a clean state, and
      // finds out before anything is ticked whether progress can be saved at all.
      save();
    }
    render();
  }

  window.flowlixChecklist = { storageKey: STORAGE_KEY };

  flowlixOnEveryPage(onPage);
})();
