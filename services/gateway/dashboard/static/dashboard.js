// Draws every <div class="chart" data-chart='{"data":..., "layout":...}'> with Plotly.
(function () {
  var base = {margin: {l: 48, r: 12, t: 12, b: 48}, font: {family: "Noto Sans CJK SC, sans-serif", size: 12},
              legend: {orientation: "h", y: -0.2}, paper_bgcolor: "#fff", plot_bgcolor: "#fff"};
  // a chart with nothing to draw says so: Plotly would draw bare axes from -1 to 6
  function nothingToDraw(data) {
    return data.every(function (t) {
      return !((t.x && t.x.length) || (t.y && t.y.length) || (t.values && t.values.length));
    });
  }
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var spec = JSON.parse(el.getAttribute("data-chart"));
    if (nothingToDraw(spec.data || [])) {
      el.classList.add("empty");
      el.textContent = "暂无数据。";
      el.setAttribute("data-rendered", "1");
      return;
    }
    var layout = Object.assign({}, base, spec.layout || {});
    Plotly.newPlot(el, spec.data, layout, {responsive: true, displayModeBar: false, locale: "zh-CN"})
      .then(function () { el.setAttribute("data-rendered", "1"); });
  });
})();
