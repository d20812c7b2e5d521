// Stepwise dashboard: one page, hash routes, plain JavaScript (no build step, nothing from elsewhere).
// Everything that comes from jobs (inputs, outputs, logs, errors) is put into the page as text
// (textContent / text nodes), never as HTML.
'use strict';
(function () {
  const POLL_MS = 2000;
  const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 };
  const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
  const app = document.getElementById('app');
  const live = document.getElementById('live');
  let token = sessionStorage.getItem('stepwise-token');
  let cleanups = [];

  // ------------------------------------------------------------------------------ helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'data') Object.entries(v).forEach(([dk, dv]) => { e.dataset[dk] = String(dv); });
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function badge(status) {
    return el('span', { class: 'badge s-' + status, data: { status }, text: status });
  }

  function when(iso) {
    return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
  }

  function clock(iso) {
    const m = /T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(iso || '');
    return m ? m[1] : (iso || '');
  }

  function ms(n) {
    if (n === null || n === undefined) return '';
    return n < 1000 ? n + ' ms' : (n / 1000).toFixed(n < 10000 ? 2 : 1) + ' s';
  }

  function progressBar(job) {
    const bar = el('div');
    bar.style.width = Math.max(0, Math.min(100, job.progress)) + '%';
    const cls = 'progress' + (job.status === 'completed' ? ' done' : job.status === 'failed' ? ' bad' : '');
    return el('span', { class: 'progress-wrap' }, el('span', { class: cls, role: 'progressbar',
      'aria-valuenow': job.progress, 'aria-valuemin': 0, 'aria-valuemax': 100 }, bar),
    el('span', { class: 'pct', text: job.progress + '%' }));
  }

  function toast(text, bad) {
    const t = document.getElementById('toast');
    t.textContent = text;
    t.className = 'toast show' + (bad ? ' bad' : '');
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.className = 'toast'; }, bad ? 6000 : 2500);
  }

  function setLive(text, on) {
    live.textContent = text;
    live.className = 'live' + (on ? ' on' : '');
    live.dataset.mode = text;
  }

  function onCleanup(fn) { cleanups.push(fn); }

  /** Calls fn every POLL_MS (after each call ends) until stopped or the route changes. */
  function poll(fn) {
    let stopped = false;
    let timer = null;
    const tick = async () => {
      if (stopped) return;
      try { await fn(); } catch (e) { setLive('offline: retrying', false); }
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    timer = setTimeout(tick, POLL_MS);
    const handle = { stop() { stopped = true; clearTimeout(timer); }, get stopped() { return stopped; } };
    onCleanup(handle.stop);
    return handle;
  }

  async function api(method, path, body, etag) {
    const headers = { Accept: 'application/json' };
    if (token) headers['X-Stepwise-Token'] = token;
    if (method !== 'GET') headers['X-Stepwise-Request'] = 'dashboard';
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (etag) headers['If-None-Match'] = etag;
    const res = await fetch(path, { method, headers, cache: 'no-store', credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 304) return { status: 304, ok: true, etag, data: null };
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: text }; }
    if (res.status === 401) askToken(data && data.message);
    return { status: res.status, ok: res.ok, etag: res.headers.get('ETag'), data };
  }

  function canStream() {
    return typeof EventSource === 'function' && !token && !/[?&]poll\b/.test(location.search);
  }

  function askToken(message) {
    if (document.getElementById('token-form')) return;
    const input = el('input', { type: 'password', id: 'token-input', autocomplete: 'off', placeholder: 'token' });
    const form = el('form', { id: 'token-form', class: 'panel', onsubmit: (e) => {
      e.preventDefault();
      token = input.value.trim();
      sessionStorage.setItem('stepwise-token', token);
      route();
    } }, el('h2', { text: 'This dashboard needs its token' }), el('p', { class: 'muted', text: message || '' }),
    el('div', { class: 'row' }, input, el('button', { class: 'primary', type: 'submit', text: 'Use token' })));
    app.replaceChildren(form);
    input.focus();
  }

  // ------------------------------------------------------------------------------- router

  function route() {
    cleanups.forEach((fn) => { try { fn(); } catch (e) { /* ignore */ } });
    cleanups = [];
    const hash = location.hash || '#/jobs';
    const [path, query] = hash.slice(1).split('?');
    const params = new URLSearchParams(query || '');
    const parts = path.split('/').filter(Boolean);
    document.querySelectorAll('.top nav a').forEach((a) => a.classList.toggle('active', a.dataset.nav === (parts[0] === 'jobs' && parts.length > 1 ? 'jobs' : parts[0] || 'jobs')));
    if (parts[0] === 'jobs' && parts[1]) return jobView(decodeURIComponent(parts[1]));
    if (parts[0] === 'new') return newJobView(params);
    if (parts[0] === 'recipes') return recipesView();
    if (parts[0] === 'config') return configView();
    return jobsView(params);
  }

  // ---------------------------------------------------------------------------- jobs list

  function jobsView(params) {
    const status = params.get('status') || '';
    const recipe = params.get('recipe') || '';
    const offset = Math.max(0, parseInt(params.get('offset') || '0', 10) || 0);
    const statusSel = el('select', { id: 'filter-status', onchange: () => go({ status: statusSel.value, offset: 0 }) },
      ['', 'pending', 'running', 'completed', 'failed', 'cancelled'].map((s) => el('option', { value: s, text: s || 'any status', selected: s === status })));
    const recipeSel = el('select', { id: 'filter-recipe', onchange: () => go({ recipe: recipeSel.value, offset: 0 }) },
      el('option', { value: '', text: 'any recipe' }));
    const tbody = el('tbody', { id: 'job-rows' });
    const prev = el('button', { id: 'page-prev', text: '\u2190 Newer', disabled: offset === 0, onclick: () => go({ offset: Math.max(0, offset - 25) }) });
    const next = el('button', { id: 'page-next', text: 'Older \u2192', disabled: true, onclick: () => go({ offset: offset + 25 }) });
    app.replaceChildren(el('section', { class: 'panel' },
      el('div', { class: 'row' }, el('h1', { text: 'Jobs' }), el('span', { class: 'spacer' }), statusSel, recipeSel,
        el('a', { href: '#/new' }, el('button', { class: 'primary', text: 'New job' }))),
      el('table', { class: 'grid', id: 'jobs' }, el('thead', {}, el('tr', {}, ['Job', 'Status', 'Recipe', 'Progress', 'Current step', 'Created', 'Last error'].map((h) => el('th', { text: h })))), tbody),
      el('div', { class: 'row pager' }, prev, next, el('span', { class: 'muted', id: 'page-info' }))));

    api('GET', '/api/recipes').then((r) => {
      if (!r.ok) return;
      r.data.recipes.forEach((rc) => recipeSel.append(el('option', { value: rc.slug, text: rc.slug, selected: rc.slug === recipe })));
    });

    function go(change) {
      const p = new URLSearchParams({ status, recipe, offset: String(offset) });
      Object.entries(change).forEach(([k, v]) => p.set(k, String(v)));
      [...p.keys()].forEach((k) => { if (!p.get(k) || (k === 'offset' && p.get(k) === '0')) p.delete(k); });
      location.hash = '#/jobs' + (p.toString() ? '?' + p : '');
    }

    const query = new URLSearchParams({ limit: '25', offset: String(offset) });
    if (status) query.set('status', status);
    if (recipe) query.set('recipe', recipe);
    let etag = null;

    function render(data) {
      tbody.replaceChildren(...data.jobs.map((j) => el('tr', { data: { job: j.id, status: j.status } },
        el('td', {}, el('a', { class: 'mono', href: '#/jobs/' + encodeURIComponent(j.id), text: j.id })),
        el('td', {}, badge(j.status)),
        el('td', { text: j.recipe }),
        el('td', {}, progressBar(j)),
        el('td', { text: j.current_step || '' }),
        el('td', { text: when(j.created_at) }),
        el('td', { class: 'error-text', text: j.last_error || '' }))));
      if (data.jobs.length === 0) tbody.append(el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'No jobs' + (status || recipe ? ' match these filters' : ' yet') + '.' })));
      next.disabled = !data.has_more;
      document.getElementById('page-info').textContent = data.jobs.length ? 'jobs ' + (offset + 1) + '\u2013' + (offset + data.jobs.length) : '';
    }

    async function refresh() {
      const r = await api('GET', '/api/jobs?' + query, undefined, etag);
      if (r.status === 304) return;
      if (!r.ok) { toast(r.data && r.data.message || 'cannot list jobs', true); return; }
      etag = r.etag;
      render(r.data);
    }

    refresh().then(() => {
      if (canStream()) {
        const es = new EventSource('/api/events?' + query);
        onCleanup(() => es.close());
        setLive('live', true);
        es.addEventListener('jobs', (e) => render(JSON.parse(e.data)));
        es.onerror = () => { es.close(); setLive('polling every 2 s', true); poll(refresh); };
      } else {
        setLive('polling every 2 s', true);
        poll(refresh);
      }
    });
  }

  // ------------------------------------------------------------------------------ one job

  function jobView(id) {
    const base = '/api/jobs/' + encodeURIComponent(id);
    const st = { job: null, steps: [], cursor: 0, following: true, jobEtag: null, manifestEtag: null,
      manifestText: '', manifestUpdated: null, stream: null, poller: null, blobUrl: null, stepKeys: [] };

    const title = el('h1', {}, el('span', { text: 'Job ' }), el('span', { class: 'mono', id: 'job-id', text: id }), el('span', { id: 'job-status' }));
    const actions = el('div', { class: 'row' },
      el('button', { id: 'cancel-job', class: 'danger', text: 'Cancel', onclick: () => act('/cancel', 'cancel requested') }),
      el('button', { id: 'retry-job', class: 'primary', text: 'Retry job', onclick: () => act('/retry', 'job retried') }));
    const meta = el('div', { class: 'meta', id: 'job-meta' });
    const pipeline = el('div', { class: 'pipeline', id: 'pipeline' });

    const levelSel = el('select', { id: 'log-level', onchange: applyFilters },
      [['debug', 'all levels'], ['info', 'info and above'], ['warn', 'warn and above'], ['error', 'errors only']].map(([v, t]) => el('option', { value: v, text: t })));
    const stepSel = el('select', { id: 'log-step', onchange: applyFilters }, el('option', { value: '', text: 'all steps' }), el('option', { value: '-', text: 'job lines' }));
    const follow = el('span', { class: 'follow', id: 'log-follow', text: 'following' });
    const rows = el('tbody', { id: 'log-rows' });
    const box = el('div', { class: 'log-box', id: 'log-box' }, el('table', {}, rows));
    box.addEventListener('scroll', () => {
      const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 4;
      if (atBottom !== st.following) {
        st.following = atBottom;
        follow.textContent = atBottom ? 'following' : 'paused \u2014 scroll to the bottom to resume';
        follow.classList.toggle('paused', !atBottom);
      }
    });

    const copyStatus = el('span', { class: 'muted', id: 'copy-status' });
    const download = el('a', { id: 'download-manifest', download: 'manifest-' + id + '.json', href: '#' }, el('button', { text: 'Download' }));
    const tree = el('div', { class: 'json', id: 'manifest' });

    app.replaceChildren(
      el('section', { class: 'panel job-head' },
        el('div', {}, el('div', { class: 'muted' }, el('a', { href: '#/jobs', text: '\u2190 Jobs' })), title, el('div', { id: 'job-progress' }), meta),
        actions),
      el('section', { class: 'panel' }, el('div', { class: 'row' }, el('h2', { text: 'Pipeline' }), el('span', { class: 'muted', id: 'pipeline-note' })), pipeline),
      el('section', { class: 'panel' },
        el('div', { class: 'row' }, el('h2', { text: 'Logs' }), el('span', { class: 'spacer' }), levelSel, stepSel, follow),
        box),
      el('section', { class: 'panel' },
        el('div', { class: 'row' }, el('h2', { text: 'Manifest' }), el('span', { class: 'spacer' }), copyStatus,
          el('button', { id: 'expand-manifest', text: 'Expand all', onclick: () => tree.querySelectorAll('details').forEach((d) => { d.open = true; }) }),
          el('button', { id: 'collapse-manifest', text: 'Collapse all', onclick: () => tree.querySelectorAll('details').forEach((d, i) => { d.open = i === 0; }) }),
          el('button', { id: 'copy-manifest', text: 'Copy JSON', onclick: copyManifest }), download),
        tree));

    onCleanup(() => { stopLive(); if (st.blobUrl) URL.revokeObjectURL(st.blobUrl); });

    // ---- the job and its pipeline

    function renderJob(data) {
      const j = data.job;
      const changed = !st.job || st.job.updated_at !== j.updated_at || st.job.status !== j.status;
      st.job = j;
      st.steps = data.steps;
      document.getElementById('job-status').replaceChildren(badge(j.status));
      document.getElementById('job-progress').replaceChildren(progressBar(j));
      const item = (k, v, cls) => el('div', {}, el('span', { text: k }), el('span', { class: cls || '', text: v }));
      meta.replaceChildren(item('Recipe', j.recipe), item('Current step', j.current_step || '\u2014'),
        item('Created', when(j.created_at)), item('Started', when(j.started_at) || '\u2014'),
        item('Finished', when(j.finished_at) || '\u2014'), item('Duration', ms(j.duration_ms)),
        item('Input', JSON.stringify(j.input), 'mono'),
        ...(j.last_error ? [item('Last error', j.last_error, 'error-text')] : []));
      document.getElementById('cancel-job').disabled = j.terminal || j.cancel_requested;
      document.getElementById('retry-job').disabled = !(j.status === 'failed' || j.status === 'cancelled');
      renderPipeline(data);
      const keys = data.steps.map((s) => s.key).join('\n');
      if (keys !== st.stepKeys.join('\n')) {
        st.stepKeys = data.steps.map((s) => s.key);
        stepSel.replaceChildren(el('option', { value: '', text: 'all steps' }), el('option', { value: '-', text: 'job lines' }),
          ...st.stepKeys.map((k) => el('option', { value: k, text: k })));
      }
      if (changed) refreshManifest();
    }

    function stepCard(s) {
      return el('div', { class: 'step', data: { step: s.key, status: s.status } },
        el('div', { class: 'step-head' }, el('span', { class: 'step-key', text: s.key }), badge(s.status)),
        el('div', { class: 'step-type', text: s.type }),
        el('div', { class: 'step-meta', text: 'attempts ' + s.attempts + (s.duration_ms || s.completed_at ? ' \u00b7 ' + ms(s.duration_ms) : '') + (s.interruptions ? ' \u00b7 interrupted ' + s.interruptions + '\u00d7' : '') }),
        s.from_checkpoint ? el('span', { class: 'mark', text: '\u21bb from checkpoint' }) : null,
        s.output_preview !== null && s.output_preview !== undefined ? el('pre', { class: 'step-output', title: 'output (preview)', text: s.output_preview }) : null,
        s.error ? el('div', { class: 'error-text step-error', text: s.error }) : null,
        el('button', { class: 'retry-step', data: { step: s.key }, disabled: !st.job.terminal, title: 'run this step and every step after it again',
          text: '\u21bb Retry from here', onclick: () => act('/steps/' + encodeURIComponent(s.key) + '/retry', 'retrying from ' + s.key) }));
    }

    function renderPipeline(data) {
      const note = document.getElementById('pipeline-note');
      if (!data.graph) {
        pipeline.className = 'pipeline seq';
        const parts = [];
        data.steps.forEach((s, i) => { if (i) parts.push(el('span', { class: 'arrow', text: '\u2192' })); parts.push(stepCard(s)); });
        pipeline.replaceChildren(...parts);
        note.textContent = data.steps.length + ' steps in order';
        return;
      }
      pipeline.className = 'pipeline graph';
      const depth = {};
      const byKey = Object.fromEntries(data.steps.map((s) => [s.key, s]));
      const depthOf = (k) => {
        if (depth[k] !== undefined) return depth[k];
        depth[k] = 0;
        const d = byKey[k].depends_on.reduce((m, dep) => Math.max(m, depthOf(dep) + 1), 0);
        depth[k] = d;
        return d;
      };
      data.steps.forEach((s) => depthOf(s.key));
      const cols = [];
      data.steps.forEach((s) => { (cols[depth[s.key]] = cols[depth[s.key]] || []).push(s); });
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('class', 'edges');
      pipeline.replaceChildren(svg, ...cols.map((c) => el('div', { class: 'col' }, c.map(stepCard))));
      note.textContent = data.steps.length + ' steps, a graph (depends_on): steps in one column may run at once';
      requestAnimationFrame(() => drawEdges(svg, data.steps));
    }

    function drawEdges(svg, steps) {
      const origin = pipeline.getBoundingClientRect();
      svg.setAttribute('width', pipeline.scrollWidth);
      svg.setAttribute('height', pipeline.scrollHeight);
      const box = (k) => {
        const n = pipeline.querySelector('.step[data-step="' + CSS.escape(k) + '"]');
        return n ? n.getBoundingClientRect() : null;
      };
      steps.forEach((s) => s.depends_on.forEach((dep) => {
        const a = box(dep);
        const b = box(s.key);
        if (!a || !b) return;
        const x1 = a.right - origin.left + pipeline.scrollLeft;
        const y1 = a.top + a.height / 2 - origin.top;
        const x2 = b.left - origin.left + pipeline.scrollLeft;
        const y2 = b.top + b.height / 2 - origin.top;
        const p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
        const mid = (x1 + x2) / 2;
        p.setAttribute('d', 'M' + x1 + ',' + y1 + ' C' + mid + ',' + y1 + ' ' + mid + ',' + y2 + ' ' + x2 + ',' + y2);
        svg.append(p);
      }));
    }

    async function act(path, done) {
      const r = await api('POST', base + path);
      if (!r.ok) { toast(r.data && r.data.message || 'failed', true); return; }
      toast(done);
      st.jobEtag = null;
      await refreshJob();
      startLive();
    }

    // ---- logs

    function appendLines(page) {
      if (!page.lines.length) return;
      const minLevel = LEVELS[levelSel.value];
      const step = stepSel.value;
      const frag = document.createDocumentFragment();
      for (const l of page.lines) {
        const tr = el('tr', { class: 'log-row lv-' + l.level, data: { level: l.level, step: l.step === null ? '-' : l.step, cursor: l.cursor } },
          el('td', { class: 't', title: l.at, text: clock(l.at) }),
          el('td', { class: 'l', text: l.level.toUpperCase() }),
          el('td', { class: 's', text: l.step === null ? 'job' : l.step + '#' + l.attempt }),
          el('td', { class: 'm', text: l.message }));
        if (!visible(tr, minLevel, step)) tr.classList.add('hidden');
        frag.append(tr);
      }
      rows.append(frag);
      st.cursor = Math.max(st.cursor, page.cursor);
      if (st.following) box.scrollTop = box.scrollHeight;
    }

    function visible(tr, minLevel, step) {
      return LEVELS[tr.dataset.level] >= minLevel && (!step || tr.dataset.step === step);
    }

    function applyFilters() {
      const minLevel = LEVELS[levelSel.value];
      const step = stepSel.value;
      rows.querySelectorAll('tr').forEach((tr) => tr.classList.toggle('hidden', !visible(tr, minLevel, step)));
      if (st.following) box.scrollTop = box.scrollHeight;
    }

    async function refreshLogs() {
      for (let i = 0; i < 100; i++) {
        const r = await api('GET', base + '/logs?after=' + st.cursor);
        if (!r.ok) return;
        appendLines(r.data);
        if (!r.data.more) return;
      }
    }

    // ---- manifest

    async function refreshManifest() {
      const r = await api('GET', base + '/manifest', undefined, st.manifestEtag);
      if (r.status === 304 || !r.ok) return;
      st.manifestEtag = r.etag;
      st.manifestText = JSON.stringify(r.data, null, 2);
      tree.replaceChildren(jsonNode(r.data, null, 0));
      tree.dataset.length = String(st.manifestText.length);
      if (st.blobUrl) URL.revokeObjectURL(st.blobUrl);
      st.blobUrl = URL.createObjectURL(new Blob([st.manifestText], { type: 'application/json' }));
      download.href = st.blobUrl;
    }

    async function copyManifest() {
      const text = st.manifestText;
      let ok = false;
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch (e) {
        const ta = el('textarea', { class: 'offscreen' });
        ta.value = text;
        document.body.append(ta);
        ta.select();
        try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
        ta.remove();
      }
      copyStatus.textContent = ok ? 'copied ' + text.length + ' characters' : 'copy failed: select the JSON and copy it by hand';
      copyStatus.dataset.copied = ok ? String(text.length) : '';
      toast(ok ? 'manifest copied' : 'copy failed', !ok);
    }

    // ---- live updates: events when the browser can, else polling every 2 s; none once terminal

    async function refreshJob() {
      const r = await api('GET', base, undefined, st.jobEtag);
      if (r.status === 304) return;
      if (!r.ok) {
        if (r.status === 404) { app.replaceChildren(el('section', { class: 'panel' }, el('h1', { text: 'No such job' }), el('p', { class: 'error-text', text: r.data.message }))); stopLive(); }
        return;
      }
      st.jobEtag = r.etag;
      renderJob(r.data);
    }

    function stopLive() {
      if (st.stream) { st.stream.close(); st.stream = null; }
      if (st.poller) { st.poller.stop(); st.poller = null; }
    }

    function idle() {
      stopLive();
      setLive('idle: job ' + st.job.status, false);
      refreshManifest();
    }

    function startPolling() {
      stopLive();
      setLive('polling every 2 s', true);
      st.poller = poll(async () => {
        await refreshJob();
        await refreshLogs();
        if (st.job && st.job.terminal) idle();
      });
    }

    function startLive() {
      stopLive();
      if (st.job && st.job.terminal) { idle(); return; }
      if (!canStream()) { startPolling(); return; }
      const es = new EventSource(base + '/events?after=' + st.cursor);
      st.stream = es;
      setLive('live', true);
      es.addEventListener('job', (e) => renderJob(JSON.parse(e.data)));
      es.addEventListener('logs', (e) => appendLines(JSON.parse(e.data)));
      es.addEventListener('end', () => idle());
      es.onerror = () => { if (st.stream === es) startPolling(); };
    }

    (async () => {
      await refreshJob();
      if (!st.job) return;
      await refreshLogs();
      startLive();
    })();
  }

  /** A collapsible, highlighted JSON tree; values are text nodes. */
  function jsonNode(value, key, depth) {
    const keyPart = key === null ? [] : [el('span', { class: 'jk', text: JSON.stringify(key) }), el('span', { class: 'jp', text: ': ' })];
    if (value !== null && typeof value === 'object') {
      const isArr = Array.isArray(value);
      const entries = isArr ? value.map((v, i) => [i, v]) : Object.entries(value);
      const open = isArr ? '[' : '{';
      const close = isArr ? ']' : '}';
      const details = el('details', { open: depth < 2 });
      details.append(el('summary', {}, ...keyPart, el('span', { class: 'jp', text: open }),
        el('span', { class: 'muted', text: ' ' + entries.length + (isArr ? ' items ' : ' fields ') })));
      const kids = el('div', { class: 'kids' });
      entries.forEach(([k, v]) => kids.append(jsonNode(v, isArr ? null : k, depth + 1)));
      details.append(kids, el('div', { class: 'jp', text: close }));
      return details;
    }
    let cls = 'jz';
    if (typeof value === 'string') cls = 'js';
    else if (typeof value === 'number') cls = 'jn';
    else if (typeof value === 'boolean') cls = 'jb';
    return el('div', { class: 'leaf' }, ...keyPart, el('span', { class: cls, text: JSON.stringify(value) }));
  }

  // ------------------------------------------------------------------------------ new job

  function newJobView(params) {
    const recipeSel = el('select', { id: 'new-recipe' });
    const versionSel = el('select', { id: 'new-version' });
    const input = el('textarea', { id: 'new-input', spellcheck: 'false' });
    input.value = params.get('input') || '{}';
    const result = el('div', { id: 'new-result' });
    let recipes = [];
    const fillVersions = () => {
      const r = recipes.find((x) => x.slug === recipeSel.value);
      versionSel.replaceChildren(el('option', { value: '', text: 'latest' + (r ? ' (' + r.version + ')' : '') }),
        ...(r ? r.versions.slice().reverse().map((v) => el('option', { value: String(v), text: 'version ' + v })) : []));
    };
    recipeSel.addEventListener('change', fillVersions);
    const create = async () => {
      let parsed;
      try { parsed = JSON.parse(input.value || '{}'); } catch (e) {
        result.replaceChildren(el('p', { class: 'error-text', text: 'The input is not valid JSON: ' + e.message }));
        return;
      }
      const body = { recipe: recipeSel.value, input: parsed };
      if (versionSel.value) body.version = parseInt(versionSel.value, 10);
      const r = await api('POST', '/api/jobs', body);
      if (r.status === 201) { location.hash = '#/jobs/' + encodeURIComponent(r.data.job.id); return; }
      result.replaceChildren(el('div', {}, el('p', { class: 'error-text', text: r.data && r.data.message || 'failed' }),
        r.data && r.data.violations ? el('ul', { class: 'violations' }, r.data.violations.map((v) => el('li', { text: v.path + ': ' + v.message }))) : null));
    };
    app.replaceChildren(el('section', { class: 'panel' }, el('h1', { text: 'New job' }),
      el('p', { class: 'muted', text: 'Creates a pending job; a worker runs it (for example `stepwise worker --dashboard`).' }),
      el('div', { class: 'row' }, el('label', {}, 'Recipe ', recipeSel), el('label', {}, 'Version ', versionSel)),
      el('p', {}, el('label', { for: 'new-input', text: 'Input (a JSON object)' })), input,
      el('div', { class: 'row' }, el('button', { class: 'primary', id: 'new-create', text: 'Create job', onclick: create })),
      result));
    setLive('idle', false);
    api('GET', '/api/recipes').then((r) => {
      if (!r.ok) return;
      recipes = r.data.recipes;
      recipes.forEach((rc) => recipeSel.append(el('option', { value: rc.slug, text: rc.slug, selected: rc.slug === params.get('recipe') })));
      fillVersions();
    });
  }

  // ----------------------------------------------------------------------- recipes, config

  function recipesView() {
    const tbody = el('tbody', { id: 'recipe-rows' });
    app.replaceChildren(el('section', { class: 'panel' }, el('h1', { text: 'Recipes' }),
      el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, ['Recipe', 'Latest', 'Versions', 'Steps', 'Input schema'].map((h) => el('th', { text: h })))), tbody)));
    setLive('idle', false);
    api('GET', '/api/recipes').then((r) => {
      if (!r.ok) return;
      tbody.replaceChildren(...r.data.recipes.map((rc) => el('tr', { data: { recipe: rc.slug } },
        el('td', {}, el('a', { href: '#/jobs?recipe=' + encodeURIComponent(rc.slug), text: rc.slug })),
        el('td', { text: String(rc.version) }),
        el('td', { text: rc.versions.join(', ') }),
        el('td', { class: 'mono', text: rc.steps.map((s) => s.key + ' (' + s.type + ')' + (s.depends_on && s.depends_on.length ? ' \u2190 ' + s.depends_on.join(', ') : '')).join('\n') }),
        el('td', {}, rc.input_schema ? el('pre', { class: 'mono', text: JSON.stringify(rc.input_schema, null, 1) }) : el('span', { class: 'muted', text: 'any object' })))));
      if (!r.data.recipes.length) tbody.append(el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'No recipes.' })));
    });
  }

  function configView() {
    const tbody = el('tbody', { id: 'config-rows' });
    app.replaceChildren(el('section', { class: 'panel' }, el('h1', { text: 'Config' }),
      el('p', { class: 'muted', text: 'Prompts, presets, providers and voices, latest versions. Secrets appear only as references; their values are never shown.' }),
      el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, ['Kind', 'Key', 'Version', 'Published', 'Value'].map((h) => el('th', { text: h })))), tbody)));
    setLive('idle', false);
    api('GET', '/api/config').then((r) => {
      if (!r.ok) return;
      tbody.replaceChildren(...r.data.config.map((c) => el('tr', { data: { kind: c.kind, key: c.key } },
        el('td', { text: c.kind }), el('td', { class: 'mono', text: c.key }), el('td', { text: String(c.version) }),
        el('td', { text: when(c.created_at) }), el('td', {}, el('pre', { class: 'mono', text: JSON.stringify(c.value, null, 1) })))));
      if (!r.data.config.length) tbody.append(el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'No config entries.' })));
    });
  }

  window.addEventListener('hashchange', route);
  route();
}());
