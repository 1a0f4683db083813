/* Draws the dashboard charts from the JSON the page embeds; the tables beside them hold the
   same numbers, so the page still reads without JavaScript or when printed. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.animation = false;
  // Colours are CSS custom properties of app.css, named here and in the chart data.
  var rootStyle = getComputedStyle(document.documentElement);
  function colour(name) { return rootStyle.getPropertyValue(name).trim(); }
  var palette = ["--brand", "--accent", "--light-green", "--light-yellow", "--chart-violet", "--chart-teal", "--warn", "--muted"].map(colour);

  function stacked(id, datasets, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.zones,
        datasets: datasets.map(function (set) {
          return { label: set.label, data: set.values, backgroundColor: colour(set.colour), borderWidth: 0 };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  stacked("chart-status", data.status, false);
  stacked("chart-reporting", data.reporting, true);

  var progress = document.getElementById("chart-progress");
  if (progress) {
    new Chart(progress, {
      type: "line",
      data: {
        labels: data.progress.periods,
        datasets: data.progress.series.map(function (series, index) {
          var colour = palette[index % palette.length];
          return { label: series.label, data: series.values, borderColor: colour, backgroundColor: colour, spanGaps: true, tension: 0.2 };
        })
      },
      options: {
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: function (value) { return value + "%"; } } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }
})();
