/* tradecrew dashboard: plain JS, no build step. Data from /api/*, charts by lightweight-charts
 * (served from the bot), live updates by server-sent events. Runs as a Telegram Mini App too:
 * initData and the theme come from window.Telegram.WebApp when a client provides it, else from
 * the launch parameters Telegram puts in the address's #fragment. */
(function () {
  'use strict';
  var LC = window.LightweightCharts;
  var tg = window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  var launch = new URLSearchParams(location.hash.slice(1));
  var initData = (tg && tg.initData) || launch.get('tgWebAppData') || '';
  var theme = tg && tg.themeParams ? tg.themeParams : null;
  if (!theme && launch.get('tgWebAppThemeParams')) {
    try { theme = JSON.parse(launch.get('tgWebAppThemeParams')); } catch (e) { theme = null; }
  }
  if (location.hash) history.replaceState(null, '', location.pathname); // the initData leaves the address bar

  var css = document.documentElement.style;
  if (theme) {
    var map = { bg_color: '--bg', text_color: '--text', hint_color: '--hint', link_color: '--link', button_color: '--button', button_text_color: '--button-text', secondary_bg_color: '--card' };
    Object.keys(map).forEach(function (k) { if (theme[k]) css.setProperty(map[k], theme[k]); });
  }
  if (tg) { try { tg.ready(); tg.expand(); } catch (e) { /* an older client */ } }
  var color = function (name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); };

  var S = {}; var session = null; var charts = { equity: null, drawdown: null, minis: [] };
  var $ = function (id) { return document.getElementById(id); };
  var el = function (tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === 'text') e.textContent = attrs[k]; else if (k === 'class') e.className = attrs[k]; else e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  };
  var money = function (v) { return v == null ? '–' : Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }); };
  var price = function (v) { return v == null ? '–' : Number(v) >= 100 ? Number(v).toFixed(2) : Number(v).toPrecision(6); };
  var signed = function (v) { return (v > 0 ? '+' : '') + money(v); };
  var when = function (ms) { return new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }); };
  var tone = function (v) { return v > 0 ? 'up' : v < 0 ? 'down' : ''; };
  function toast(text) { var t = $('toast'); t.textContent = text; t.hidden = false; clearTimeout(toast.timer); toast.timer = setTimeout(function () { t.hidden = true; }, 4000); }

  function api(path, opts) {
    opts = opts || {};
    var headers = { accept: 'application/json' };
    if (opts.body) headers['content-type'] = 'application/json';
    if (opts.method === 'POST' && session) headers['x-csrf-token'] = session.csrf;
    return fetch(path, { method: opts.method || 'GET', headers: headers, body: opts.body ? JSON.stringify(opts.body) : undefined, credentials: 'same-origin' }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    });
  }

  function chartOptions(height) {
    return {
      autoSize: true, height: height,
      layout: { background: { color: 'transparent' }, textColor: color('--text'), fontSize: 11, attributionLogo: false },
      grid: { vertLines: { color: color('--line') }, horzLines: { color: color('--line') } },
      rightPriceScale: { borderVisible: false }, timeScale: { borderVisible: false, timeVisible: true },
      handleScroll: false, handleScale: false,
    };
  }

  function drawEquity(eq) {
    $('equity-now').textContent = money(eq.current);
    $('equity-now').className = 'figure ' + tone(eq.current - eq.start);
    if (!charts.equity) {
      var c = LC.createChart($('equity-chart'), chartOptions(260));
      charts.equity = { chart: c, series: c.addSeries(LC.AreaSeries, { lineColor: color('--button'), topColor: color('--button') + '55', bottomColor: color('--button') + '05', lineWidth: 2 }) };
      var d = LC.createChart($('drawdown-chart'), chartOptions(110));
      charts.drawdown = { chart: d, series: d.addSeries(LC.AreaSeries, { lineColor: color('--down'), topColor: color('--down') + '08', bottomColor: color('--down') + '66', lineWidth: 1, invertFilledArea: true, priceFormat: { type: 'custom', formatter: function (v) { return v.toFixed(1) + '%'; } } }) };
    }
    charts.equity.series.setData(eq.points);
    charts.drawdown.series.setData(eq.drawdown);
    charts.equity.chart.timeScale().fitContent();
    charts.drawdown.chart.timeScale().fitContent();
    document.body.dataset.equityPoints = String(eq.points.length);
  }

  function table(head, rows, numeric) {
    if (!rows.length) return el('p', { class: 'muted', text: S.none });
    return el('div', { class: 'scroll' }, [el('table', {}, [
      el('thead', {}, [el('tr', {}, head.map(function (h, i) { return el('th', { class: numeric[i] ? 'num' : '', text: h }); }))]),
      el('tbody', {}, rows.map(function (r) { return el('tr', {}, r.map(function (c, i) { return c instanceof Node ? el('td', {}, [c]) : el('td', { class: (numeric[i] ? 'num ' : '') + (c && c.cls ? c.cls : ''), text: c && c.text !== undefined ? c.text : String(c) }); })); })),
    ])]);
  }

  function act(button, path, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return;
    button.disabled = true;
    api(path, { method: 'POST' }).then(function (r) {
      toast(r.body.notice || r.body.error || String(r.status));
      refresh();
    }).finally(function () { button.disabled = false; });
  }

  function drawPending(list) {
    charts.minis.forEach(function (c) { c.remove(); });
    charts.minis = [];
    var box = $('pending'); box.replaceChildren();
    if (!list.length) { box.appendChild(el('p', { class: 'muted', text: S.none })); return; }
    list.forEach(function (p) {
      var card = el('div', { class: 'proposal', 'data-id': p.id, 'data-status': p.status });
      card.appendChild(el('div', {}, [el('strong', { class: p.direction === 'LONG' ? 'up' : 'down', text: p.direction + ' ' + p.symbol }), ' · ' + p.id + ' · ', el('span', { class: 'muted', text: S.expires + ' ' + when(p.expiresAt) })]));
      var mini = el('div', { class: 'chart mini' }); card.appendChild(mini);
      if (p.evidence) card.appendChild(el('div', { class: 'evidence', text: p.evidence }));
      if (p.votes.length) card.appendChild(el('div', { class: 'votes', title: S.votes }, p.votes.map(function (v) { return el('span', { class: 'vote', text: v.analyst + ': ' + (v.vote || '–') + (v.confidence != null ? ' ' + Math.round(v.confidence * 100) + '%' : '') }); })));
      card.appendChild(el('pre', { text: p.text + (p.votesText ? '\n\n' + p.votesText : '') }));
      if (session.role === 'trader' && p.status === 'pending') {
        var ap = el('button', { class: 'approve', text: S.approve });
        var rj = el('button', { class: 'reject', text: S.reject });
        ap.addEventListener('click', function () { act(ap, '/api/proposals/' + encodeURIComponent(p.id) + '/approve'); });
        rj.addEventListener('click', function () { act(rj, '/api/proposals/' + encodeURIComponent(p.id) + '/reject'); });
        card.appendChild(el('div', { class: 'actions' }, [ap, rj]));
      }
      box.appendChild(card);
      var c = LC.createChart(mini, chartOptions(170));
      var s = c.addSeries(LC.CandlestickSeries, { upColor: color('--up'), downColor: color('--down'), wickUpColor: color('--up'), wickDownColor: color('--down'), borderVisible: false });
      s.setData(p.candles);
      [['entry', p.entry, color('--button')], ['stop', p.stop, color('--down')], ['target', p.target, color('--up')]].forEach(function (l) { s.createPriceLine({ price: l[1], color: l[2], lineWidth: 1, lineStyle: 2, title: l[0] }); });
      c.timeScale().fitContent();
      charts.minis.push(c);
    });
  }

  function drawPositions(list) {
    $('positions').replaceChildren(table(['id', '', 'qty', 'entry', 'now', 'PnL', ''], list.map(function (p) {
      var btn = '';
      if (session.role === 'trader') {
        btn = el('button', { class: 'close ghost', text: S.close });
        btn.addEventListener('click', function () { act(btn, '/api/positions/' + encodeURIComponent(p.id) + '/close', S.confirm_close); });
      }
      return [p.id, { text: p.direction + ' ' + p.symbol, cls: p.direction === 'LONG' ? 'up' : 'down' }, price(p.quantity), price(p.entry), price(p.price), { text: signed(p.pnl), cls: tone(p.pnl) }, btn];
    }), [0, 0, 1, 1, 1, 1, 0]));
  }

  function drawTrades(list) {
    $('trades').replaceChildren(table(['', '', 'entry', 'exit', 'PnL', ''], list.map(function (t) {
      return [when(t.exitTs), t.direction + ' ' + t.symbol, price(t.entry), price(t.exit), { text: signed(t.pnl), cls: tone(t.pnl) }, t.reason || ''];
    }), [0, 0, 1, 1, 1, 0]));
  }

  function drawTraining(tr) {
    var box = $('training'); box.replaceChildren();
    var run = tr.current || tr.latest;
    if (!run) { box.appendChild(el('p', { class: 'muted', text: S.no_training })); return; }
    var frac = run.total ? run.done / run.total : 0;
    box.appendChild(el('div', {}, [(tr.current ? tr.current.runId : run.id) + ' · ' + (tr.current ? 'running' : run.status) + ' · ' + run.done + '/' + run.total]));
    box.appendChild(el('div', { class: 'bar' }, [el('div', { style: 'width:' + Math.round(frac * 100) + '%' })]));
  }

  function drawAgents(list) {
    $('agents').replaceChildren(table(['', '', 'trades', 'win', 'PnL', ''], list.map(function (a) {
      var badge = el('span', { class: 'badge ' + (a.edge === true ? 'yes' : a.edge === false ? 'no' : ''), title: a.edgeText, text: a.edge === true ? S.edge_yes : a.edge === false ? S.edge_no : S.edge_unknown });
      return [a.symbol, a.strategy, a.trades, Math.round(a.winRate * 100) + '%', { text: signed(a.pnl), cls: tone(a.pnl) }, badge];
    }), [0, 0, 1, 1, 1, 0]));
  }

  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    api('/api/overview').then(function (r) {
      if (r.status === 401) { showSignIn(); return; }
      var o = r.body;
      drawEquity(o.equity); drawPending(o.pending); drawPositions(o.positions); drawTrades(o.trades); drawTraining(o.training); drawAgents(o.agents);
      document.body.dataset.loaded = String(Date.now());
    }).catch(function () { /* the bot restarting: the event stream reconnects and refreshes */ }).finally(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }

  function showSignIn() {
    $('main').hidden = true;
    var p = $('signin'); p.textContent = S.sign_in_needed || 'Not signed in. Send /dashboard to the bot for a sign-in link.'; p.hidden = false;
  }

  function live() {
    var es = new EventSource('/api/events');
    var timer = null;
    es.addEventListener('open', function () { $('status').textContent = '● ' + S.live; });
    es.addEventListener('error', function () { $('status').textContent = '○ ' + S.offline; });
    es.addEventListener('update', function () { clearTimeout(timer); timer = setTimeout(refresh, 150); });
    setInterval(refresh, 30000); // prices move between events
  }

  function begin() {
    api('/api/session').then(function (r) {
      if (r.status === 401 && initData) {
        return api('/api/auth/telegram', { method: 'POST', body: { initData: initData } }).then(function (a) {
          if (a.status !== 200) return r;
          return api('/api/session');
        });
      }
      return r;
    }).then(function (r) {
      if (r.status !== 200) { showSignIn(); return; }
      session = r.body; S = r.body.strings;
      document.documentElement.lang = r.body.language;
      document.title = S.title; $('title').textContent = S.title;
      document.querySelectorAll('[data-s]').forEach(function (n) { n.textContent = S[n.dataset.s] || n.textContent; });
      $('who').textContent = S.signed_in_as + ' ' + session.user + ' (' + session.role + ')' + (session.role === 'viewer' ? ' · ' + S.viewer_note : '');
      document.body.dataset.role = session.role;
      var so = $('signout'); so.textContent = S.sign_out; so.hidden = false;
      so.addEventListener('click', function () { api('/api/logout', { method: 'POST' }).then(function () { session = null; showSignIn(); }); });
      $('main').hidden = false;
      refresh(); live();
    });
  }
  begin();
})();
