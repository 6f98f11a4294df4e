// The admin dashboard's charts (/ui/admin), drawn with Chart.js (served beside this file) from
// the counts at /ui/admin/dashboard.json. The page shows the same numbers as text and tables
// without this script; it adds the charts and a time-range switch that redraws in place.
// A file of the package, not an inline script: the UI's Content-Security-Policy allows none.
'use strict';

(function () {
  var root = document.getElementById('dashboard');
  if (!root || typeof Chart === 'undefined') return;

  // Outcomes keep their colour in every chart; gateways take the palette in order.
  var OUTCOME_COLOURS = { accept: '#1d6b2a', challenge: '#0b5cad', reject: '#a40000' };
  var PALETTE = ['#0b5cad', '#b35c00', '#6a3d9a', '#1d6b2a', '#a40000', '#00727a', '#8c564b', '#555555', '#c51b7d'];
  var WINDOWS = { hour: 'lastHour', day: 'lastDay' };
  // The words of the page's tables (the audit's are accept, reject, challenge).
  var OUTCOME_WORDS = { accept: 'accepted', reject: 'rejected', challenge: 'challenged' };
  var drawn = {};
  var data;

  // A bucket's start, HH:MM in UTC as the tables give it.
  function label(ms) {
    return new Date(ms).toISOString().slice(11, 16);
  }

  function colourOf(chartKey, name, i) {
    if (chartKey === 'logins' && OUTCOME_COLOURS[name]) return OUTCOME_COLOURS[name];
    return PALETTE[i % PALETTE.length];
  }

  function draw(range) {
    var charts = data[WINDOWS[range]];
    root.querySelectorAll('.range[data-range="' + range + '"] canvas[data-chart]').forEach(function (canvas) {
      if (drawn[canvas.id]) return;
      var key = canvas.getAttribute('data-chart');
      var chart = charts[key];
      var empty = chart.series.length === 0;
      var series = empty ? [{ name: 'none', values: chart.labels.map(function () { return 0; }) }] : chart.series;
      drawn[canvas.id] = new Chart(canvas, {
        type: 'bar',
        data: {
          labels: chart.labels.map(label),
          datasets: series.map(function (s, i) {
            var name = key === 'logins' && OUTCOME_WORDS[s.name] ? OUTCOME_WORDS[s.name] : s.name;
            return { label: name, data: s.values, backgroundColor: colourOf(key, s.name, i), borderWidth: 0 };
          }),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: {
            x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } },
            y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
          },
          plugins: { legend: { display: !empty, position: 'bottom' } },
        },
      });
      canvas.setAttribute('data-drawn', 'true');
    });
  }

  function show(range) {
    root.setAttribute('data-range', range);
    root.querySelectorAll('.range').forEach(function (el) {
      el.hidden = el.getAttribute('data-range') !== range;
    });
    root.querySelectorAll('.switch a[data-range]').forEach(function (a) {
      if (a.getAttribute('data-range') === range) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    });
    draw(range);
  }

  root.querySelectorAll('.switch a[data-range]').forEach(function (a) {
    a.addEventListener('click', function (event) {
      if (!data) return; // no counts yet: the link loads the page for that range
      event.preventDefault();
      var range = a.getAttribute('data-range');
      show(range);
      history.replaceState(null, '', a.getAttribute('href'));
    });
  });

  fetch(root.getAttribute('data-source'), { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    })
    .then(function (json) {
      data = json;
      show(root.getAttribute('data-range'));
      root.setAttribute('data-ready', 'true');
    })
    .catch(function (err) {
      // The tables still say everything; the charts are missing, and the page says so.
      var note = document.createElement('p');
      note.className = 'error';
      note.textContent = 'The charts could not be loaded (' + err.message + '); the tables below each heading have the numbers.';
      root.insertBefore(note, root.querySelector('.charts'));
    });
})();
