/* Draws one small trend chart per indicator from the JSON the scorecard embeds; the table
   under each chart holds the same numbers, so the page reads without JavaScript too. */
(function () {
  "use strict";
  var source = document.getElementById("indicator-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.animation = false;

  data.indicators.forEach(function (indicator) {
    var canvas = document.getElementById("trend-" + indicator.id);
    if (!canvas) { return; }
    var datasets = [{
      label: indicator.label,
      data: indicator.values,
      borderColor: "#12407a",
      backgroundColor: "#12407a",
      spanGaps: true,
      // Counts step from one whole number to the next: no smoothing between them.
      tension: indicator.integer ? 0 : 0.2
    }];
    if (indicator.target !== null) {
      datasets.push({
        label: data.target_label,
        data: data.periods.map(function () { return indicator.target; }),
        borderColor: "#c8102e",
        borderDash: [6, 4],
        // A single period has no line to draw, so mark the target with a dash instead.
        pointRadius: data.periods.length > 1 ? 0 : 8,
        pointStyle: "line",
        fill: false
      });
    }
    new Chart(canvas, {
      type: "line",
      data: { labels: data.periods, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        scales: {
          x: { offset: true, ticks: { maxRotation: 0, autoSkip: true } },
          // precision 0: whole-number ticks for counts (never 0.1, 0.2 ... for a count of 1).
          y: { beginAtZero: true, ticks: indicator.integer ? { precision: 0 } : {} }
        },
        plugins: { legend: { display: false } }
      }
    });
  });
})();
