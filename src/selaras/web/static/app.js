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

  document.addEventListener("DOMContentLoaded", function () {
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
