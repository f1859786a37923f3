// Selaras: small progressive enhancements. Every page works without this script.
(function () {
  "use strict";
  var TEXT = { ANTRE: "Dalam antrean…", JALAN: "Sedang diproses…", SELESAI: "Selesai; memuat hasil…" };

  function pollJob(el) {
    var id = el.getAttribute("data-job");
    var text = el.querySelector("[data-job-text]");
    var failures = 0;
    function tick() {
      fetch("/api/v1/jobs/" + encodeURIComponent(id), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (job) {
          if (text && TEXT[job.status]) { text.textContent = TEXT[job.status] + (job.pesan && job.status !== "SELESAI" ? " " + job.pesan : ""); }
          // Any state but queued or running is final: reload without the "queued" notice.
          if (job.status !== "ANTRE" && job.status !== "JALAN") { window.location.replace(window.location.pathname); }
          else { setTimeout(tick, 1000); }
        })
        .catch(function () { failures += 1; if (failures > 5) { window.location.replace(window.location.pathname); } else { setTimeout(tick, 3000); } });
    }
    tick();
  }

  // On a phone a table's header row is hidden (app.css): each cell then shows its column's name
  // (data-label), unless the template named it already, the cell holds only a button or spans columns.
  function labelCells() {
    document.querySelectorAll("table").forEach(function (t) {
      if (!t.tHead || !t.tHead.rows.length) { return; }
      var names = [];
      Array.prototype.forEach.call(t.tHead.rows[0].cells, function (c) {
        for (var i = 0; i < (c.colSpan || 1); i += 1) { names.push(c.textContent.trim()); }
      });
      Array.prototype.forEach.call(t.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var col = 0;
          Array.prototype.forEach.call(row.cells, function (c) {
            var own = c.cloneNode(true);
            own.querySelectorAll("form, button, a.button").forEach(function (x) { x.remove(); });
            var single = (c.colSpan || 1) === 1;
            if (c.tagName === "TD" && single && !c.hasAttribute("data-label") && names[col] && own.textContent.trim()) {
              c.setAttribute("data-label", names[col]);
            }
            col += c.colSpan || 1;
          });
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    labelCells();
    var job = document.querySelector("[data-job]");
    if (job) { pollJob(job); }
    else if (/[?&]job=/.test(window.location.search)) { window.history.replaceState(null, "", window.location.pathname); }
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
    document.querySelectorAll("form[method=post]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (e.defaultPrevented) { return; }
        f.querySelectorAll("button").forEach(function (b) { setTimeout(function () { b.disabled = true; }, 0); });
      });
    });
    var all = document.querySelector("[data-pilih-semua]");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("input[name=nip]").forEach(function (c) { c.checked = all.checked; });
      });
    }
  });
})();
