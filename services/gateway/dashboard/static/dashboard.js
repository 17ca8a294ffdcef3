// Draws every <div class="chart" data-chart='{"data":..., "layout":...}'> with Plotly.
(function () {
  var base = {margin: {l: 48, r: 12, t: 12, b: 48}, font: {family: "Noto Sans CJK SC, sans-serif", size: 12},
              legend: {orientation: "h", y: -0.2}, paper_bgcolor: "#fff", plot_bgcolor: "#fff"};
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var spec = JSON.parse(el.getAttribute("data-chart"));
    var layout = Object.assign({}, base, spec.layout || {});
    Plotly.newPlot(el, spec.data, layout, {responsive: true, displayModeBar: false, locale: "zh-CN"})
      .then(function () { el.setAttribute("data-rendered", "1"); });
  });
})();
