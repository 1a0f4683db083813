/* Draws the dashboard charts from the JSON the page embeds; the tables beside them hold the
   same numbers, so the page still reads without JavaScript or when printed. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.animation = false;
  var palette = ["#12407a", "#c8102e", "#1f9d55", "#f0b400", "#6d4c9f", "#0f8b8d", "#8a5a00", "#5d6b7a"];

  function stacked(id, datasets, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.zones,
        datasets: datasets.map(function (set) {
          return { label: set.label, data: set.values, backgroundColor: set.colour, borderWidth: 0 };
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
