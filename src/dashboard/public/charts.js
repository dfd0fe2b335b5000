// The charts, drawn with Chart.js (the UMD bundle loaded before this module sets window.Chart).
import { formatNumber } from './i18n.js';

// Colours chosen for contrast on white (≥ 4.5:1 for the text-bearing ones) and told apart without hue.
const colours = {
  recognitions: '#1d4ed8',
  yuan: '#b45309',
  series: ['#1d4ed8', '#b45309', '#0f766e', '#7c3aed', '#be123c', '#4d7c0f', '#0369a1', '#a21caf', '#57534e', '#c2410c'],
};

const instances = new Map();

function chartLibrary() {
  const Chart = globalThis.Chart;
  if (!Chart) throw new Error('Chart.js did not load');
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#1f2937';
  return Chart;
}

function draw(canvas, config) {
  instances.get(canvas.id)?.destroy();
  const Chart = chartLibrary();
  // No animation: the figures are the point, and a still chart is what a screenshot or a test sees.
  const options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options };
  instances.set(canvas.id, new Chart(canvas, { ...config, options }));
}

/** Removes a canvas's chart: a panel with nothing to draw shows its "no data" message instead. */
export function destroyChart(canvas) {
  instances.get(canvas.id)?.destroy();
  instances.delete(canvas.id);
}

export function destroyCharts() {
  for (const chart of instances.values()) chart.destroy();
  instances.clear();
}

const numberTicks = { callback: (value) => formatNumber(Number(value)) };

/** Recognitions (bars, left axis) and yuan saved (line, right axis) per day or month. */
export function drawTrend(canvas, { labels, recognitions, yuan, recognitionsLabel, yuanLabel }) {
  draw(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { type: 'bar', label: recognitionsLabel, data: recognitions, backgroundColor: colours.recognitions, yAxisID: 'y', order: 2 },
        {
          type: 'line',
          label: yuanLabel,
          data: yuan,
          borderColor: colours.yuan,
          backgroundColor: colours.yuan,
          pointRadius: 2,
          borderWidth: 2,
          tension: 0.2,
          yAxisID: 'y1',
          order: 1,
        },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { position: 'bottom', reverse: true } },
      scales: {
        x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: {
          beginAtZero: true,
          position: 'left',
          title: { display: true, text: recognitionsLabel },
          ticks: { ...numberTicks, precision: 0 },
        },
        y1: {
          beginAtZero: true,
          position: 'right',
          grid: { drawOnChartArea: false },
          title: { display: true, text: yuanLabel },
          ticks: numberTicks,
        },
      },
    },
  });
}

/** Horizontal bars: the items recognised most often. */
export function drawTopItems(canvas, { labels, recognitions, recognitionsLabel }) {
  draw(canvas, {
    type: 'bar',
    data: { labels, datasets: [{ label: recognitionsLabel, data: recognitions, backgroundColor: colours.series[2] }] },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { ...numberTicks, precision: 0 } }, y: { ticks: { autoSkip: false } } },
    },
  });
}

/** A doughnut of declines by reason. */
export function drawDeclines(canvas, { labels, declines }) {
  draw(canvas, {
    type: 'doughnut',
    data: {
      labels,
      datasets: [{ data: declines, backgroundColor: labels.map((_, i) => colours.series[i % colours.series.length]), borderWidth: 1 }],
    },
    options: { plugins: { legend: { position: 'right', labels: { boxWidth: 10, padding: 6, font: { size: 11 } } } } },
  });
}
