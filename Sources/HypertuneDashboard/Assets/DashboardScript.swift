extension Assets {
    /// The pages' script: tooltips, selection, the trial table and details, and live refresh by
    /// polling the study's version. No framework; every string from the store reaches the DOM
    /// through `textContent` or an attribute, never as markup (the charts are SVG documents the
    /// server escaped, parsed as XML).
    static let script = #"""
'use strict';
(() => {
  const body = document.body;
  const page = body.dataset.page;
  const refreshMs = Math.max(250, Number(body.dataset.refreshMs) || 2000);
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const STATES = ['COMPLETE', 'PRUNED', 'FAILED', 'RUNNING', 'WAITING'];
  const SVGNS = 'http://www.w3.org/2000/svg';
  const MAX_POINTS = { history: 5000, contour: 3000 };

  // ---- DOM and formatting helpers -------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }
  function fmt(x) {
    if (x === null || x === undefined) return '—';
    if (typeof x === 'string') return x;
    if (typeof x === 'boolean') return String(x);
    if (typeof x !== 'number') return JSON.stringify(x);
    if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
    return String(Number(x.toPrecision(6)));
  }
  function fmtInt(n) { return Number(n).toLocaleString('en-US'); }
  function fmtDuration(s) {
    if (s === null || s === undefined) return '—';
    if (s < 1) return Math.round(s * 1000) + ' ms';
    if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min';
  }
  const pad = n => String(n).padStart(2, '0');
  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function relative(iso) {
    if (!iso) return '—';
    const s = (Date.now() - new Date(iso).getTime()) / 1000;
    if (s < 5) return 'just now';
    if (s < 60) return Math.floor(s) + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  function timeEl(iso) {
    if (!iso) return el('span', { class: 'muted', text: '—' });
    return el('time', { datetime: iso, title: fmtTime(iso), text: relative(iso) });
  }
  function stateChip(state, count) {
    const label = state.toLowerCase();
    return el('span', { class: 'chip ' + label, 'data-state': state }, count === undefined ? label : [el('b', { text: fmtInt(count) }), ' ' + label]);
  }
  function stateBar(counts, total) {
    const svg = svgEl('svg', { class: 'statebar', viewBox: '0 0 100 6', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
    let x = 0;
    for (const s of STATES) {
      const n = counts[s] || 0;
      if (!n) continue;
      const w = n / Math.max(1, total) * 100;
      svg.append(svgEl('rect', { class: s.toLowerCase(), x: x, width: w, height: 6 }));
      x += w;
    }
    return svg;
  }

  async function api(path) {
    const r = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    let data = null;
    try { data = await r.json(); } catch (_) { /* not JSON */ }
    if (!r.ok) {
      const err = new Error(data && data.error ? data.error : `${r.status} ${r.statusText}`);
      err.status = r.status;
      throw err;
    }
    return data;
  }

  // ---- live updates ---------------------------------------------------------------------
  const live = { paused: false, timer: null, updates: 0 };
  const liveButton = $('#live');
  function setLive(kind, text) {
    if (!liveButton) return;
    liveButton.classList.remove('ok', 'error', 'paused');
    liveButton.classList.add(kind);
    $('.live-text', liveButton).textContent = text;
  }
  function schedule(fn) {
    clearTimeout(live.timer);
    live.timer = setTimeout(async () => {
      if (!live.paused && !document.hidden) {
        try {
          await fn();
          setLive('ok', 'live · ' + fmtTime(new Date().toISOString()).slice(11));
        } catch (e) {
          setLive('error', e.status === 404 ? 'study gone' : 'offline');
        }
      }
      schedule(fn);
    }, refreshMs);
  }
  if (liveButton) {
    liveButton.addEventListener('click', () => {
      live.paused = !live.paused;
      if (live.paused) setLive('paused', 'paused'); else setLive('ok', 'live');
      liveButton.title = live.paused ? 'Live updates paused: click to resume' : 'Live updates: click to pause';
    });
  }

  // ---- study list -------------------------------------------------------------------------
  function studyRow(s) {
    const chips = STATES.filter(st => s.counts[st]).map(st => stateChip(st, s.counts[st]));
    let best;
    if (s.best) best = [fmt(s.best.value), ' ', el('span', { class: 'muted', text: '#' + s.best.number })];
    else if (s.pareto_front_size !== null) best = s.pareto_front_size + ' on the Pareto front';
    else best = el('span', { class: 'muted', text: '—' });
    return el('tr', { 'data-study': s.name },
      el('td', { class: 'name' }, el('a', { href: s.url, text: s.name })),
      el('td', { text: s.directions.join(', ') }),
      el('td', { text: s.sampler || '—' }),
      el('td', { class: 'num', text: fmtInt(s.total) }),
      el('td', { class: 'states' }, el('div', { class: 'states-cell' }, stateBar(s.counts, s.total), el('div', { class: 'chips' }, chips))),
      el('td', { class: 'num' }, best),
      el('td', {}, timeEl(s.last_activity)));
  }
  async function refreshStudyList() {
    const data = await api('/api/studies');
    $('#study-table tbody').replaceChildren(...data.studies.map(studyRow));
    $('#study-count').textContent = data.studies.length + (data.studies.length === 1 ? ' study' : ' studies');
    const empty = $('#no-studies');
    if (empty) empty.hidden = data.studies.length > 0;
    body.dataset.loaded = 'true';
  }

  // ---- study page -------------------------------------------------------------------------
  const S = {
    api: body.dataset.api,
    version: null,
    study: null,
    sort: 'value', order: null,
    states: null,
    offset: 0, limit: 50,
    objective: 0,
    contour: { x: '', y: '' },
    selected: null,
    chartsBusy: false, chartsAgain: false,
  };

  function updateHeader(study) {
    const s = study.study;
    const best = $('#stat-best');
    if (best) {
      const block = best.parentElement;
      const sub = $('.sub', block);
      if (s.best) {
        best.textContent = fmt(s.best.value);
        best.classList.remove('muted');
        sub.replaceChildren(el('a', { href: '#trial=' + s.best.number, 'data-trial-link': s.best.number, text: 'trial #' + s.best.number }));
      } else if (s.pareto_front_size !== null) {
        best.textContent = String(s.pareto_front_size);
        sub.textContent = 'trials on the Pareto front';
      }
    }
    $('#stat-total').textContent = fmtInt(s.total);
    const bar = $('#stat-total').parentElement.querySelector('.sub');
    bar.replaceChildren(stateBar(s.counts, s.total));
    $('#stat-states').replaceChildren(...STATES.map(st => stateChip(st, s.counts[st] || 0)));
    $('#stat-last').replaceChildren(timeEl(s.last_activity));
  }

  function valueColumns() {
    const n = S.study ? S.study.study.directions.length : 1;
    if (n <= 1) return [{ label: 'Value', sort: 'value', get: t => t.value, num: true }];
    return Array.from({ length: n }, (_, k) => ({ label: 'Value ' + k, sort: k === 0 ? 'value' : 'value:' + k, get: t => t.values ? t.values[k] : null, num: true }));
  }
  function columns() {
    const params = S.study ? S.study.parameters : [];
    return [
      { label: '#', sort: 'number', get: t => t.number, num: true },
      { label: 'State', sort: 'state', cell: t => stateChip(t.state) },
      ...valueColumns(),
      { label: 'Duration', sort: 'duration', get: t => fmtDuration(t.duration), num: true, raw: true },
      { label: 'Started', sort: 'datetime_start', get: t => fmtTime(t.datetime_start), raw: true },
      ...params.map(p => ({ label: p.name, sort: 'param:' + p.name, get: t => (p.name in t.params ? t.params[p.name] : null), num: p.numeric, param: true })),
    ];
  }
  function renderTableHead(current) {
    const tr = $('#trial-table thead tr');
    tr.replaceChildren(...columns().map(c => {
      const active = current && current.sort === c.sort;
      const th = el('th', { class: (c.num ? 'num ' : '') + 'sortable' + (active ? ' sorted ' + current.order : '') + (c.param ? ' param' : ''),
                            'data-sort': c.sort, tabindex: 0, 'aria-sort': active ? (current.order === 'asc' ? 'ascending' : 'descending') : 'none',
                            title: 'Sort by ' + c.label },
        el('span', { text: c.label }), el('span', { class: 'arrow', text: active ? (current.order === 'asc' ? '▲' : '▼') : '' }));
      const choose = () => {
        if (S.sort === c.sort) S.order = (current && current.order === 'asc') ? 'desc' : 'asc';
        else { S.sort = c.sort; S.order = null; }
        S.offset = 0;
        loadTable();
      };
      th.addEventListener('click', choose);
      th.addEventListener('keydown', e => { if (e.key === 'Enter') choose(); });
      return th;
    }));
  }
  function renderRows(trials) {
    const cols = columns();
    $('#trial-table tbody').replaceChildren(...trials.map(t => {
      const tr = el('tr', { 'data-trial': t.number, tabindex: 0, class: 'state-' + t.state.toLowerCase() + (S.selected === t.number ? ' sel' : '') },
        cols.map(c => {
          if (c.cell) return el('td', {}, c.cell(t));
          const v = c.get(t);
          return el('td', { class: (c.num ? 'num' : '') + (v === null ? ' muted' : ''), text: c.raw ? v : fmt(v) });
        }));
      tr.addEventListener('click', () => openTrial(t.number));
      tr.addEventListener('keydown', e => { if (e.key === 'Enter') openTrial(t.number); });
      tr.addEventListener('mouseenter', () => highlight(t.number, 'hl'));
      tr.addEventListener('mouseleave', () => highlight(null, 'hl'));
      return tr;
    }));
  }
  async function loadTable() {
    const p = new URLSearchParams({ offset: S.offset, limit: S.limit, sort: S.sort });
    if (S.order) p.set('order', S.order);
    if (S.states) p.set('state', Array.from(S.states).join(','));
    let data;
    try {
      data = await api(`${S.api}/trials?${p}`);
    } catch (e) {
      $('#trial-table tbody').replaceChildren(el('tr', {}, el('td', { class: 'error-text', colspan: columns().length, text: e.message })));
      throw e;
    }
    if (data.count > 0 && S.offset >= data.count) {
      S.offset = Math.floor((data.count - 1) / S.limit) * S.limit;
      return loadTable();
    }
    renderTableHead(data);
    renderRows(data.trials);
    const from = data.count ? data.offset + 1 : 0, to = data.offset + data.trials.length;
    $('#page-info').textContent = `${fmtInt(from)}–${fmtInt(to)} of ${fmtInt(data.count)}` + (data.count !== data.total ? ` (${fmtInt(data.total)} in all)` : '');
    $('#prev').disabled = data.offset === 0;
    $('#next').disabled = to >= data.count;
    $('#trials').dataset.count = data.count;
  }

  // ---- charts -----------------------------------------------------------------------------
  // Charts are drawn at the width of their card (in steps of 40 px, so that similar windows
  // share the server's cache), so their text keeps its size.
  function chartSize(fig) {
    const kind = fig.dataset.chart;
    const inner = $('.chart-body', fig).clientWidth || 800;
    const width = Math.max(480, Math.min(1800, Math.floor(inner / 40) * 40));
    if (kind === 'slice' || kind === 'hypergradient') return { width, height: 300 };
    if (kind === 'importance') return { width, height: 240 };
    if (kind === 'parallel-coordinates') return { width, height: Math.max(400, Math.min(560, Math.round(width * 0.42))) };
    return { width, height: Math.max(340, Math.min(560, Math.round(width * 0.62))) };
  }
  function chartURL(kind, fig) {
    const p = new URLSearchParams();
    if (fig) { const size = chartSize(fig); p.set('width', size.width); p.set('height', size.height); }
    // Lines and many panels cost the browser more than points: fewer of them in big studies.
    p.set('max_points', MAX_POINTS[kind] || 2000);
    if (S.objective) p.set('objective', S.objective);
    if (kind === 'contour' && S.contour.x && S.contour.y) { p.set('x', S.contour.x); p.set('y', S.contour.y); }
    const q = p.toString();
    return `${S.api}/charts/${kind}.svg` + (q ? '?' + q : '');
  }
  function chartMessage(fig, message, status) {
    fig.classList.add('failed');
    $('.chart-body', fig).replaceChildren(el('div', { class: 'chart-message' + (status && status >= 500 ? ' error-text' : '') },
      el('div', { class: 'chart-message-icon', text: status === 422 ? '∅' : '!' }), el('p', { text: message })));
  }
  // The chart as the server drew it, made ready for the page: sized by CSS, tooltips moved
  // into data-tip (the page shows its own), and (belt and braces) no scripts or handlers.
  function prepareSVG(svg) {
    for (const bad of svg.querySelectorAll('script, foreignObject')) bad.remove();
    for (const node of [svg, ...svg.querySelectorAll('*')]) {
      for (const a of Array.from(node.attributes)) if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) node.removeAttribute(a.name);
    }
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    for (const t of svg.querySelectorAll('[data-trial]')) {
      const title = t.querySelector(':scope > title');
      if (title) { t.setAttribute('data-tip', title.textContent); title.remove(); }
    }
  }
  async function loadChart(fig) {
    const kind = fig.dataset.chart;
    try {
      const r = await fetch(chartURL(kind, fig), { credentials: 'same-origin' });
      const text = await r.text();
      if (!r.ok) {
        let message = `${r.status} ${r.statusText}`;
        try { message = JSON.parse(text).error || message; } catch (_) { /* keep the status */ }
        chartMessage(fig, message, r.status);
        return;
      }
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const svg = doc.documentElement;
      if (!svg || svg.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) throw new Error('the chart is not valid SVG');
      prepareSVG(svg);
      fig.classList.remove('failed');
      $('.chart-body', fig).replaceChildren(document.importNode(svg, true));
      fig.dataset.points = fig.querySelectorAll('.chart-body [data-trial]').length;
      if (S.selected !== null) highlight(S.selected, 'sel');
    } catch (e) {
      chartMessage(fig, e.message || String(e));
    }
  }
  async function refreshCharts() {
    if (S.chartsBusy) { S.chartsAgain = true; return; }
    S.chartsBusy = true;
    try {
      await Promise.all($$('#charts figure[data-chart]').map(loadChart));
    } finally {
      S.chartsBusy = false;
      if (S.chartsAgain) { S.chartsAgain = false; refreshCharts(); }
    }
  }
  function fillContourSelects() {
    const numeric = (S.study ? S.study.parameters : []).filter(p => p.numeric).map(p => p.name);
    for (const sel of $$('select[data-axis]')) {
      const current = sel.value;
      sel.replaceChildren(el('option', { value: '', text: 'auto' }), ...numeric.map(n => el('option', { value: n, text: n })));
      sel.value = numeric.includes(current) ? current : '';
    }
  }

  // ---- tooltips, highlighting and selection ------------------------------------------------
  const tooltip = $('#tooltip');
  function highlight(number, cls) {
    for (const e of $$('.' + cls)) if (e.closest('.chart-body') || e.closest('#trial-table')) e.classList.remove(cls);
    if (number === null || number === undefined) return;
    const sel = `[data-trial="${CSS.escape(String(number))}"]`;
    for (const e of $$('.chart-body ' + sel + ', #trial-table tbody tr' + sel)) e.classList.add(cls);
  }
  function showTip(target, event) {
    if (!tooltip) return;
    const text = target.getAttribute('data-tip') || ('trial ' + target.getAttribute('data-trial'));
    tooltip.textContent = text;
    tooltip.hidden = false;
    moveTip(event);
  }
  function moveTip(event) {
    if (!tooltip || tooltip.hidden) return;
    const pad = 14, w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    let x = event.clientX + pad, y = event.clientY + pad;
    if (x + w > window.innerWidth - 8) x = event.clientX - w - pad;
    if (y + h > window.innerHeight - 8) y = event.clientY - h - pad;
    tooltip.style.transform = `translate(${Math.max(4, x)}px, ${Math.max(4, y)}px)`;
  }
  function chartTarget(e) {
    const t = e.target instanceof Element ? e.target.closest('[data-trial]') : null;
    return t && t.closest('.chart-body') ? t : null;
  }
  if (page === 'study') {
    document.addEventListener('mouseover', e => {
      const t = chartTarget(e);
      if (t) { showTip(t, e); highlight(t.getAttribute('data-trial'), 'hl'); }
      else if (tooltip && !tooltip.hidden) { tooltip.hidden = true; highlight(null, 'hl'); }
    });
    document.addEventListener('mousemove', moveTip);
    document.addEventListener('click', e => {
      const t = chartTarget(e);
      if (t) { openTrial(Number(t.getAttribute('data-trial'))); return; }
      const link = e.target instanceof Element ? e.target.closest('[data-trial-link]') : null;
      if (link) { e.preventDefault(); openTrial(Number(link.getAttribute('data-trial-link'))); }
    });
  }

  // ---- trial detail -----------------------------------------------------------------------
  function kv(rows) {
    return el('table', { class: 'kv' }, el('tbody', {}, rows.map(([k, v]) => el('tr', {}, el('th', { text: k }), el('td', {}, v)))));
  }
  function jsonText(v) { return typeof v === 'string' ? v : JSON.stringify(v); }
  function distributionText(d) {
    if (!d) return '';
    if (d.type === 'categorical') return 'categorical: ' + (d.choices || []).map(jsonText).join(', ');
    return `${d.type} [${fmt(d.low)}, ${fmt(d.high)}]` + (d.log ? ' log' : '') + (d.step !== undefined && d.step !== null ? ' step ' + fmt(d.step) : '');
  }
  function sparkline(intermediate) {
    const steps = Object.keys(intermediate).map(Number).sort((a, b) => a - b);
    const values = steps.map(s => intermediate[String(s)]).map(v => (typeof v === 'number' ? v : NaN));
    const finite = values.filter(Number.isFinite);
    if (steps.length < 2 || finite.length < 2) return null;
    const W = 440, H = 90, P = 6;
    const x0 = steps[0], x1 = steps[steps.length - 1], y0 = Math.min(...finite), y1 = Math.max(...finite);
    const sx = s => P + (s - x0) / Math.max(1e-12, x1 - x0) * (W - 2 * P);
    const sy = v => H - P - (v - y0) / Math.max(1e-12, y1 - y0) * (H - 2 * P);
    const pts = steps.map((s, i) => Number.isFinite(values[i]) ? `${sx(s).toFixed(1)},${sy(values[i]).toFixed(1)}` : null).filter(Boolean).join(' ');
    const svg = svgEl('svg', { class: 'sparkline', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'intermediate values by step' });
    svg.append(svgEl('polyline', { points: pts, fill: 'none', stroke: '#2563eb', 'stroke-width': 2 }));
    return svg;
  }
  function section(title, ...content) {
    return el('section', {}, el('h3', { text: title }), ...content);
  }
  async function openTrial(number) {
    if (!Number.isInteger(number) || number < 0) return;
    S.selected = number;
    highlight(number, 'sel');
    history.replaceState(null, '', '#trial=' + number);
    const panel = $('#detail'), out = $('#detail-body');
    panel.hidden = false;
    $('#detail-title').textContent = 'Trial #' + number;
    out.replaceChildren(el('p', { class: 'muted', text: 'loading…' }));
    let t;
    try {
      t = await api(`${S.api}/trials/${number}`);
    } catch (e) {
      out.replaceChildren(el('p', { class: 'error-text', text: e.message }));
      return;
    }
    if (S.selected !== number) return;
    const parts = [];
    const values = 'values' in t ? (t.values ? t.values.map(fmt).join(', ') : '—') : fmt(t.value);
    parts.push(el('div', { class: 'detail-summary' }, stateChip(t.state),
      el('span', { class: 'detail-value' }, el('span', { class: 'label', text: 'values' in t ? 'values' : 'value' }), el('b', { text: values }))));
    parts.push(kv([
      ['started', fmtTime(t.datetime_start)], ['completed', fmtTime(t.datetime_complete)], ['duration', fmtDuration(t.duration)],
    ]));
    const names = Object.keys(t.params).sort();
    parts.push(section('Parameters', names.length ? kv(names.map(n => [n, el('span', {}, el('b', { text: fmt(t.params[n]) }), el('span', { class: 'muted dist', text: distributionText(t.distributions[n]) }))])) : el('p', { class: 'muted', text: 'none' })));
    if (t.fail_reason) parts.push(section('Failure', el('pre', { class: 'fail-reason', text: t.fail_reason })));
    const sys = Object.assign({}, t.system_attrs);
    if (typeof sys.stderr_tail === 'string') {
      parts.push(section('Standard error (tail)', el('pre', { class: 'stderr', text: sys.stderr_tail })));
      delete sys.stderr_tail;
    }
    const steps = Object.keys(t.intermediate);
    if (steps.length) {
      const sorted = steps.map(Number).sort((a, b) => a - b);
      parts.push(section(`Intermediate values (${steps.length})`, sparkline(t.intermediate),
        el('div', { class: 'steps' }, kv(sorted.map(s => ['step ' + s, fmt(t.intermediate[String(s)])])))));
    }
    const user = Object.keys(t.user_attrs).sort();
    if (user.length) parts.push(section('User attributes', kv(user.map(k => [k, jsonText(t.user_attrs[k])]))));
    const sysKeys = Object.keys(sys).sort();
    if (sysKeys.length) parts.push(section('System attributes', kv(sysKeys.map(k => [k, jsonText(sys[k])]))));
    out.replaceChildren(...parts);
    panel.dataset.trial = number;
  }
  function closeTrial() {
    $('#detail').hidden = true;
    S.selected = null;
    highlight(null, 'sel');
    history.replaceState(null, '', location.pathname + location.search);
  }

  // ---- study page wiring ------------------------------------------------------------------
  async function refreshStudy(force) {
    const study = await api(S.api);
    const changed = study.version !== S.version;
    if (!changed && !force) return;
    const first = S.study === null;
    const paramsBefore = S.study ? S.study.parameters.map(p => p.name).join('\u0000') : null;
    S.study = study;
    if (!first) live.updates += 1;
    S.version = study.version;
    body.dataset.version = study.version;
    body.dataset.liveUpdates = live.updates;
    updateHeader(study);
    if (paramsBefore !== study.parameters.map(p => p.name).join('\u0000')) fillContourSelects();
    await Promise.all([loadTable(), refreshCharts()]);
    if (S.selected !== null && !$('#detail').hidden && !first) openTrial(S.selected);
    body.dataset.loaded = 'true';
  }

  function initStudyPage() {
    $('#prev').addEventListener('click', () => { S.offset = Math.max(0, S.offset - S.limit); loadTable(); });
    $('#next').addEventListener('click', () => { S.offset += S.limit; loadTable(); });
    $('#page-size').addEventListener('change', e => { S.limit = Number(e.target.value); S.offset = 0; loadTable(); });
    for (const box of $$('#state-filter input')) {
      box.addEventListener('change', () => {
        const checked = $$('#state-filter input').filter(b => b.checked).map(b => b.value);
        if (checked.length === 0) { box.checked = true; return; }
        S.states = checked.length === STATES.length ? null : new Set(checked);
        S.offset = 0;
        loadTable();
      });
    }
    for (const sel of $$('select[data-axis]')) {
      sel.addEventListener('change', () => {
        S.contour[sel.dataset.axis] = sel.value;
        if (Boolean(S.contour.x) === Boolean(S.contour.y)) loadChart($('figure[data-chart="contour"]'));
      });
    }
    const objective = $('#objective');
    if (objective) objective.addEventListener('change', () => { S.objective = Number(objective.value); refreshCharts(); });
    let resizeTimer = null, lastWidths = '';
    const widths = () => $$('#charts figure[data-chart]').map(f => chartSize(f).width).join(',');
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => { const w = widths(); if (w !== lastWidths) { lastWidths = w; refreshCharts(); } }, 300);
    });
    lastWidths = widths();
    $('#detail-close').addEventListener('click', closeTrial);
    document.addEventListener('keydown', e => { if (e.key === 'Escape' && !$('#detail').hidden) closeTrial(); });
    refreshStudy(true).then(() => {
      setLive('ok', 'live · ' + fmtTime(new Date().toISOString()).slice(11));
      const m = /^#trial=(\d+)$/.exec(location.hash);
      if (m) openTrial(Number(m[1]));
    }).catch(e => setLive('error', e.message));
    schedule(() => refreshStudy(false));
  }

  if (page === 'studies') {
    refreshStudyList().catch(() => setLive('error', 'offline'));
    schedule(refreshStudyList);
  } else if (page === 'study') {
    initStudyPage();
  }
})();
"""#
}
