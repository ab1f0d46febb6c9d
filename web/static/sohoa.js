// sohoa — the little script of the web pages (no library, nothing loaded from outside): the page viewer's zoom.
// The highlight boxes are placed in percentages of the page, so they follow the image at any zoom.
(function () {
  "use strict";
  var steps = [100, 150, 200, 300];
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-zoom]") : null;
    var frame = document.getElementById("page-frame");
    if (!button || !frame) { return; }
    var current = parseInt(frame.getAttribute("data-zoom") || "0", 10);
    var change = parseInt(button.getAttribute("data-zoom"), 10);
    var next = change === 0 ? 0 : Math.max(0, Math.min(steps.length - 1, current + change));
    frame.setAttribute("data-zoom", String(next));
    frame.style.width = steps[next] + "%";
  });
})();

// The upload page: each file sent on its own (the JSON API's upload, the same ingest), a progress bar while it is
// sent, then "being read" until its report comes back: archived, duplicate, or quarantined with the reason. Without
// this script the form still posts every file at once and the page lists the reports.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var table = document.getElementById("upload-progress");
  if (!form || !table || !window.FormData || !window.XMLHttpRequest) { return; }
  var STATUS = { archived: "Đã lưu trữ", duplicate: "Trùng (đã có)", quarantined: "Bị cách ly" };
  var names = document.getElementById("type-names");
  var TYPE_NAMES = names ? JSON.parse(names.textContent) : {};

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)sohoa_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text || "";
    row.appendChild(td);
    return td;
  }

  function showReport(row, report) {
    row.className = "status-" + report.status;
    row.cells[2].textContent = STATUS[report.status] || report.status;
    if (report.id) {
      var link = document.createElement("a");
      link.href = "/documents/" + encodeURIComponent(report.id);
      link.textContent = TYPE_NAMES[report.doc_type] || report.doc_type || "Xem";
      row.cells[3].textContent = "";
      row.cells[3].appendChild(link);
    }
    row.cells[4].textContent = report.pages ? String(report.pages) : "";
    row.cells[5].textContent = report.failure ? report.failure.vi : "";
  }

  function send(file, row, dossier, agency, done) {
    var bar = row.cells[1].firstChild;
    var request = new XMLHttpRequest();
    var body = new FormData();
    body.append("files", file, file.name);
    body.append("agency", agency);
    request.open("POST", "/api/dossiers/" + encodeURIComponent(dossier) + "/files");
    request.setRequestHeader("X-CSRF-Token", csrfToken());
    request.upload.onprogress = function (event) {
      if (event.lengthComputable) { bar.value = Math.round((event.loaded / event.total) * 100); }
    };
    request.upload.onload = function () {
      bar.removeAttribute("value");  // sent: an indeterminate bar while it is read
      row.cells[2].textContent = "Đang đọc…";
    };
    request.onload = function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = null; }
      bar.value = 100;
      if (request.status === 200 && answer && answer.documents && answer.documents.length) {
        showReport(row, answer.documents[0]);
      } else {
        row.className = "status-quarantined";
        row.cells[2].textContent = "Không nộp được";
        row.cells[5].textContent = answer && answer.vi ? answer.vi : "Lỗi máy chủ (" + request.status + ")";
      }
      done();
    };
    request.onerror = function () {
      row.className = "status-quarantined";
      row.cells[2].textContent = "Không nộp được";
      row.cells[5].textContent = "Mất kết nối tới máy chủ";
      done();
    };
    request.send(body);
  }

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.value === "new_code") { return; }  // the server makes the code
    var files = Array.prototype.slice.call(document.getElementById("files").files);
    var dossier = document.getElementById("dossier").value.trim();
    var agency = document.getElementById("agency").value;
    if (!files.length || !dossier) { return; }  // the browser's own checks say what is missing
    event.preventDefault();
    var body = table.tBodies[0];
    body.textContent = "";
    table.hidden = false;
    var rows = files.map(function (file) {
      var row = document.createElement("tr");
      cell(row, file.name);
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      cell(row, "").appendChild(bar);
      cell(row, "Đang chờ");
      cell(row, ""); cell(row, ""); cell(row, "");
      body.appendChild(row);
      return row;
    });
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    var next = 0;
    (function one() {
      if (next >= files.length) {
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
        table.setAttribute("data-done", "true");
        return;
      }
      var index = next++;
      rows[index].cells[2].textContent = "Đang gửi…";
      send(files[index], rows[index], dossier, agency, one);
    })();
  });

  // Files dropped on the form go into its file field.
  form.addEventListener("dragover", function (event) { event.preventDefault(); });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      document.getElementById("files").files = event.dataTransfer.files;
    }
  });
})();
