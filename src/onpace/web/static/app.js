// onpace's page behaviour: HTMX settings, sortable tables, and the ECharts charts.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });

  // An error answer (4xx/5xx) goes where the answer would have gone, but only as text, unless it is
  // the server's own error fragment (rendered and escaped by a template, marked X-Onpace-Fragment).
  // Never as HTML otherwise: an error body may repeat what someone typed (a 422 echoing a definition).
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (!xhr || xhr.status < 400) return;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (xhr.getResponseHeader("X-Onpace-Fragment") === "error" && type.indexOf("text/html") === 0) {
      e.detail.shouldSwap = true;
      return;
    }
    e.detail.shouldSwap = false;
    showError(e.detail.target, messageOf(xhr, type));
  });

  // forms marked data-reset-on-success are emptied once the server took them
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (e.detail.successful && form && form.matches && form.matches("form[data-reset-on-success]")) form.reset();
  });

  function messageOf(xhr, type) {
    var text = xhr.responseText || "";
    if (type.indexOf("application/json") === 0) {
      try {
        var detail = JSON.parse(text).detail;
        if (typeof detail === "string") text = detail;
        else if (Array.isArray(detail)) text = detail.map(function (d) { return (d.loc || []).join(".") + ": " + d.msg; }).join("; ");
      } catch (err) { /* not JSON after all: shown as it is, as text */ }
    } else if (type.indexOf("text/plain") !== 0) {
      text = "";
    }
    text = text.trim();
    if (text.length > 500) text = text.slice(0, 500) + "…";
    return text || "The server refused the request (" + xhr.status + ").";
  }

  function showError(target, message) {
    if (!target) return;
    var p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.dataset.testid = "error";
    p.textContent = message;
    target.replaceChildren(p);
  }
  document.addEventListener("htmx:afterSettle", function (e) { initCharts(e.target); });
  document.addEventListener("annotations-changed", function () {
    var el = document.getElementById("kpi-chart");
    if (el) { el.dataset.ready = ""; initCharts(document); }
  });

  // sortable tables: click a header with data-sort
  document.addEventListener("click", function (e) {
    var th = e.target.closest("th[data-sort]");
    if (!th) return;
    var table = th.closest("table"), body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.dataset.sort === "num";
    var down = th.dataset.dir !== "desc";
    th.dataset.dir = down ? "desc" : "asc";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index], y = b.cells[index];
      var u = numeric ? parseFloat(x.dataset.value || "NaN") : x.textContent.trim();
      var v = numeric ? parseFloat(y.dataset.value || "NaN") : y.textContent.trim();
      if (numeric) { u = isNaN(u) ? -Infinity : u; v = isNaN(v) ? -Infinity : v; return down ? v - u : u - v; }
      return down ? String(v).localeCompare(u) : String(u).localeCompare(v);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });

  function formatter(kind) {
    return function (v) {
      if (v === null || v === undefined || isNaN(v)) return "–";
      if (kind === "percent") return (v * 100).toFixed(1) + "%";
      var a = Math.abs(v);
      if (a >= 1e9) return (v / 1e9).toFixed(1) + "B";
      if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
      if (a >= 1e4) return (v / 1e3).toFixed(1) + "K";
      return Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 });
    };
  }

  function initCharts(root) {
    if (!window.echarts) return;
    (root.querySelectorAll ? root : document).querySelectorAll("[data-chart]").forEach(kpiChart);
    (root.querySelectorAll ? root : document).querySelectorAll("[data-points]").forEach(metricChart);
  }

  function chartOf(el) {
    var c = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "svg" });
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  function kpiChart(el) {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    var fmt = formatter(el.dataset.format);
    Promise.all([
      fetch(el.dataset.chart, { credentials: "same-origin" }).then(function (r) { return r.json(); }),
      fetch(el.dataset.annotations, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; }),
    ]).then(function (res) {
      var d = res[0], notes = res[1];
      if (!d.days || !d.days.length) { el.innerHTML = '<p class="muted">Not evaluated yet.</p>'; return; }
      var series = [
        { name: d.cumulative ? "Actual (cumulative)" : "Actual", type: "line", data: d.actual, showSymbol: false, lineStyle: { width: 3 }, color: "#0f766e",
          markLine: { symbol: "none", label: { formatter: "{b}", position: "insideEndTop" }, lineStyle: { color: "#98a2b3", type: "dashed" },
            data: notes.filter(function (a) { return d.days.indexOf(a.date) >= 0; }).map(function (a) { return { name: a.label, xAxis: a.date }; }) } },
      ];
      if (d.target.some(function (v) { return v !== null; })) series.push({ name: "Target path", type: "line", data: d.target, showSymbol: false, color: "#6366f1", lineStyle: { type: "dashed" } });
      if (d.target_low.some(function (v) { return v !== null; })) {
        series.push({ name: "Range low", type: "line", data: d.target_low, showSymbol: false, color: "#6366f1", lineStyle: { type: "dotted" } });
        series.push({ name: "Range high", type: "line", data: d.target_high, showSymbol: false, color: "#6366f1", lineStyle: { type: "dotted" } });
      }
      if (d.cone) {
        var i0 = d.days.indexOf(d.cone.from), n = d.days.length - 1;
        var mid = d.days.map(function () { return null; }), lo = mid.slice(), hi = mid.slice();
        for (var i = i0; i <= n && i0 >= 0; i++) {
          var f = n === i0 ? 1 : (i - i0) / (n - i0);
          mid[i] = d.cone.start + (d.cone.value - d.cone.start) * f;
          lo[i] = d.cone.low === null ? null : d.cone.start + (d.cone.low - d.cone.start) * f;
          hi[i] = d.cone.high === null ? null : d.cone.start + (d.cone.high - d.cone.start) * f;
        }
        series.push({ name: "Forecast", type: "line", data: mid, showSymbol: false, color: "#d97706", lineStyle: { type: "dashed" } });
        series.push({ name: "Forecast low", type: "line", data: lo, showSymbol: false, stack: "cone", lineStyle: { opacity: 0 }, color: "#d97706" });
        series.push({ name: "Forecast interval", type: "line", data: hi.map(function (v, k) { return v === null || lo[k] === null ? null : v - lo[k]; }),
          showSymbol: false, stack: "cone", lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(217,119,6,.15)" }, color: "#d97706",
          tooltip: { valueFormatter: function () { return ""; } } });
      }
      chartOf(el).setOption({
        animation: false, grid: { left: 60, right: 20, top: 40, bottom: 30 },
        legend: { top: 0, data: series.map(function (s) { return s.name; }).filter(function (n) { return n !== "Forecast low"; }) },
        tooltip: { trigger: "axis", valueFormatter: fmt },
        xAxis: { type: "category", data: d.days, boundaryGap: false },
        yAxis: { type: "value", axisLabel: { formatter: fmt }, scale: !d.cumulative },
        series: series,
      }, true);
    });
  }

  function metricChart(el) {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    var rows = JSON.parse(el.dataset.points || "[]"), fmt = formatter(el.dataset.format);
    // a period the data or the range covers only in part is drawn hatched and lighter: its value
    // counts only some of its days, so a lower bar there is no slump (the note under the chart says so)
    var partial = JSON.parse(el.dataset.partial || "[]");
    var data = rows.map(function (r) {
      if (partial.indexOf(r.period) < 0) return r.value;
      return { value: r.value, partial: true, itemStyle: { color: "rgba(15,118,110,.35)", borderColor: "#0f766e", borderType: "dashed", borderWidth: 1,
        decal: { symbol: "rect", dashArrayX: [1, 0], dashArrayY: [3, 4], rotation: -Math.PI / 4, color: "rgba(15,118,110,.55)" } } };
    });
    chartOf(el).setOption({
      animation: false, grid: { left: 60, right: 20, top: 20, bottom: 30 },
      tooltip: { trigger: "axis", formatter: function (items) {
        var item = items[0], text = item.name + ": " + fmt(item.value);
        return partial.indexOf(item.name) >= 0 ? text + " (partial " + (el.dataset.grain || "period") + ")" : text;
      } },
      xAxis: { type: "category", data: rows.map(function (r) { return r.period; }) },
      yAxis: { type: "value", axisLabel: { formatter: fmt } },
      series: [{ type: "bar", data: data, color: "#0f766e" }],
    });
  }
})();
