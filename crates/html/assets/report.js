// Progressive enhancement only: the report reads without it (tooltips are SVG <title>s, pages
// are shown by CSS :target). It makes tables sortable and flame-graph boxes clickable.
(function () {
  function cellValue(row, col) {
    var cell = row.cells[col];
    if (!cell) return "";
    var v = cell.getAttribute("data-v");
    return v !== null ? v : cell.textContent.trim().toLowerCase();
  }
  function sortBy(table, col, numeric, th) {
    var body = table.tBodies[0];
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, col), y = cellValue(b, col);
      var c = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : (x < y ? -1 : x > y ? 1 : 0);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      if (!th.hasAttribute("data-sort")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        sortBy(table, col, th.getAttribute("data-sort") === "num", th);
      });
    });
    table.setAttribute("data-sortable", "ready");
  });
  Array.prototype.forEach.call(document.querySelectorAll("svg.flame"), function (svg) {
    var detail = document.getElementById(svg.getAttribute("data-detail"));
    if (!detail) return;
    svg.addEventListener("click", function (e) {
      var g = e.target.closest("g.node");
      if (!g) return;
      var t = g.querySelector("title");
      detail.textContent = t ? t.textContent : "";
    });
    svg.setAttribute("data-interactive", "ready");
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
