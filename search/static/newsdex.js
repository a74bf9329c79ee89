// newsdex serve's search page works without this script. With it:
// - a search's link stays short: empty fields and defaults are left out of its address;
// - "/" puts the cursor in the search box, as on many search pages.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.search");
  if (form) {
    form.addEventListener("submit", (event) => {
      const wanted = new URLSearchParams();
      for (const [name, value] of new FormData(form)) {
        const field = form.elements.namedItem(name);
        if (value === "" || (field && field.dataset && field.dataset.default === value)) continue;
        wanted.append(name, value);
      }
      event.preventDefault();
      const query = wanted.toString();
      window.location.assign(query ? form.action + "?" + query : form.action);
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest && event.target.closest("input, select, textarea, [contenteditable]")) return;
    const box = document.getElementById("q");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
});
