(() => {
  'use strict';
  // Lists the findings of #report-data a page at a time, filtered and searched, with a
  // timeline per finding and the people's drawing when a finding names three or more.
  // Text goes in with textContent only: nothing of the registry is parsed as markup.
  const form = document.getElementById('filters');
  if (!form) return;
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const words = document.getElementById('words').dataset;
  const tpl = document.getElementById('finding-template');
  const SVG = 'http://www.w3.org/2000/svg';
  const DAY = 86400000;
  const findings = data.findings;
  const person = (p) => (p in data.names ? `${p} (${data.names[p]})` : p);
  // "t015 coaching from p-1 to p-2, 2025-02-25 to ongoing", as the other formats write it
  const tieText = (t) => fill(t.directed ? words.tieDirected : words.tieUndirected, {
    id: t.id, kind: t.kind, source: person(t.source), target: person(t.target),
    start: t.start || words.openStart, end: t.end || words.openEnd});
  let haystack = null; // built at the first search
  const hay = (i) => {
    haystack ??= findings.map((f) => [
      f.title, f.rule, f.fp, f.status, f.severity, f.subjects, f.cites, f.waiver || '',
      ...f.ties.map(tieText), ...f.records.map((r) => r.id), ...f.steps.map((s) => s.text),
    ].join('\n').toLowerCase());
    return haystack[i];
  };
  const nodes = new Map();
  let matches = [];
  let page = 0;
  let printing = false;

  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const el = (name, attrs, text) => {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const day = (iso) => Date.parse(iso + 'T00:00:00Z') / DAY;
  const iso = (d) => new Date(d * DAY).toISOString().slice(0, 10);

  function timeline(f) {
    // one row per tie and record, then the remediation window; x is the date
    const asOf = day(data.asOf);
    const dates = [asOf];
    for (const t of f.ties) for (const d of [t.start, t.end]) if (d) dates.push(day(d));
    for (const r of f.records) for (const [, d] of r.dates) dates.push(day(d));
    for (const s of f.steps) dates.push(day(s.due));
    for (const v of f.windows) dates.push(day(v.bound));
    let lo = Math.min(...dates), hi = Math.max(...dates);
    const pad = Math.max(7, (hi - lo) * 0.06);
    lo -= pad; hi += pad;
    const rows = f.ties.length + f.records.length + (f.steps.length ? 1 : 0);
    const w = 460, left = 150, right = 10, rowH = 22, top = 8, h = top + rows * rowH + 34;
    const x = (d) => left + ((d - lo) / (hi - lo)) * (w - left - right);
    const svg = el('svg', {xmlns: SVG, width: w, height: h, viewBox: `0 0 ${w} ${h}`,
      role: 'img', class: 'timeline', 'aria-label': `timeline of finding ${f.fp.slice(0, 12)}`});
    let y = top;
    const label = (text) => svg.appendChild(el('text', {x: 4, y: y + 14, 'font-size': 11}, text));
    const bounds = (item) => {
      // the rule's windows on this row: a dashed line at the date the condition gives
      for (const v of f.windows.filter((v) => v.item === item)) {
        const bx = x(day(v.bound));
        const line = svg.appendChild(el('line', {class: 'bound', 'data-item': item, x1: bx, x2: bx,
          y1: y + 1, y2: y + rowH - 1, stroke: '#6a1b9a', 'stroke-width': 2,
          'stroke-dasharray': '3 2'}));
        line.appendChild(el('title', {}, `${v.condition}: ${v.bound}`));
      }
    };
    for (const t of f.ties) {
      const colour = data.kindColours[t.kind] || '#555';
      const x1 = t.start ? x(day(t.start)) : left, x2 = t.end ? x(day(t.end)) : w - right;
      label(`${t.id} ${t.kind}`);
      const bar = svg.appendChild(el('rect', {class: 'tie', 'data-tie': t.id, x: x1, y: y + 5,
        width: Math.max(2, x2 - x1), height: 12, rx: 3, fill: colour,
        'fill-opacity': t.start && t.end ? 1 : 0.75}));
      bar.appendChild(el('title', {}, `${t.id}: ${t.start || words.openStart} to ${t.end || words.openEnd}`));
      bounds(t.id);
      y += rowH;
    }
    for (const r of f.records) {
      label(r.id);
      for (const [name, d] of r.dates) {
        const dot = svg.appendChild(el('circle', {class: 'record', 'data-record': r.id,
          cx: x(day(d)), cy: y + 11, r: 5, fill: '#333'}));
        dot.appendChild(el('title', {}, `${r.id} ${name} ${d}`));
      }
      bounds(r.id);
      y += rowH;
    }
    if (f.steps.length) {
      label('remediation');
      for (const s of f.steps) {
        const x1 = x(Math.min(asOf, day(s.due))), x2 = x(Math.max(asOf, day(s.due)));
        const win = svg.appendChild(el('rect', {class: 'window', x: x1, y: y + 3,
          width: Math.max(3, x2 - x1), height: 16, fill: s.overdue ? '#f4b6b6' : '#fde0c5',
          stroke: '#e65100', 'stroke-width': 0.5}));
        win.appendChild(el('title', {}, `${s.text}`));
      }
      y += rowH;
    }
    const nx = x(asOf);
    svg.appendChild(el('line', {class: 'now', x1: nx, x2: nx, y1: 2, y2: y + 4, stroke: '#222',
      'stroke-width': 2}));
    svg.appendChild(el('line', {x1: left, x2: w - right, y1: y + 6, y2: y + 6, stroke: '#999'}));
    const tick = (d, anchor) => svg.appendChild(el('text', {x: x(d), y: y + 20, 'font-size': 10,
      'text-anchor': anchor}, iso(d)));
    tick(lo + pad, 'start');
    tick(hi - pad, 'end');
    svg.appendChild(el('text', {x: nx, y: y + 32, 'font-size': 10,
      'text-anchor': nx > w - 80 ? 'end' : nx < left + 80 ? 'start' : 'middle',
      'font-weight': 'bold'}, `${words.evaluation} ${data.asOf}`));
    return svg;
  }

  function graph(f, n) {
    // the people on a circle, the ties as curves coloured by kind (arrows when directed)
    const w = 360, h = 240, r = 22, cx = w / 2, cy = h / 2, radius = 80;
    const pos = new Map();
    f.people.forEach(([p], i) => {
      const a = Math.PI + (2 * Math.PI * i) / f.people.length;
      pos.set(p, [cx + radius * Math.cos(a), cy + radius * Math.sin(a)]);
    });
    const svg = el('svg', {xmlns: SVG, width: w, height: h, viewBox: `0 0 ${w} ${h}`,
      role: 'img', class: 'people', 'aria-label': `people and ties of finding ${f.fp.slice(0, 12)}`});
    const defs = svg.appendChild(el('defs', {}));
    for (const kind of new Set(f.ties.map((t) => t.kind))) {
      const m = defs.appendChild(el('marker', {id: `arrow-${n}-${kind}`, viewBox: '0 0 10 10',
        refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'}));
      m.appendChild(el('path', {d: 'M0,0 L10,5 L0,10 z', fill: data.kindColours[kind] || '#555'}));
    }
    const seen = new Map();
    for (const t of f.ties) {
      const [x1, y1] = pos.get(t.source), [x2, y2] = pos.get(t.target);
      const pair = [t.source, t.target].sort().join(' ');
      const k = seen.get(pair) || 0;
      seen.set(pair, k + 1);
      const len = Math.hypot(x2 - x1, y2 - y1) || 1, ux = (x2 - x1) / len, uy = (y2 - y1) / len;
      const sx = x1 + ux * r, sy = y1 + uy * r, ex = x2 - ux * r, ey = y2 - uy * r;
      const bend = 28 * Math.floor((k + 1) / 2) * (k % 2 ? 1 : -1);
      const mx = (sx + ex) / 2 - uy * bend, my = (sy + ey) / 2 + ux * bend;
      const colour = data.kindColours[t.kind] || '#555';
      const path = svg.appendChild(el('path', {class: 'tie', 'data-kind': t.kind,
        d: `M${sx.toFixed(1)},${sy.toFixed(1)} Q${mx.toFixed(1)},${my.toFixed(1)} ${ex.toFixed(1)},${ey.toFixed(1)}`,
        fill: 'none', stroke: colour, 'stroke-width': 3}));
      if (t.directed) path.setAttribute('marker-end', `url(#arrow-${n}-${t.kind})`);
      path.appendChild(el('title', {}, `${t.id}: ${t.kind}`));
      svg.appendChild(el('text', {x: mx, y: my - 4, 'font-size': 11, 'text-anchor': 'middle',
        fill: colour}, t.kind));
    }
    for (const [p, role] of f.people) {
      const [x, y] = pos.get(p);
      const g = svg.appendChild(el('g', {class: 'person'}));
      g.appendChild(el('circle', {cx: x, cy: y, r, fill: '#fff', stroke: '#333', 'stroke-width': 2}));
      g.appendChild(el('text', {x, y: y + 4, 'font-size': 11, 'text-anchor': 'middle'}, role.slice(0, 8)));
      g.appendChild(el('text', {x, y: y + r + 14, 'font-size': 11, 'text-anchor': 'middle'}, p));
    }
    return svg;
  }

  function build(f, n) {
    const node = tpl.content.firstElementChild.cloneNode(true);
    const slot = (name) => node.querySelector(`[data-slot="${name}"]`);
    node.id = `f-${f.fp}`;
    node.dataset.fingerprint = f.fp;
    node.dataset.level = f.level;
    node.dataset.status = f.status;
    node.style.setProperty('--lvl', data.levelColours[f.level] || '#555');
    slot('title').textContent = f.title;
    slot('level').textContent = data.levels[f.level] || `level ${f.level}`;
    slot('severity').textContent = f.severity;
    slot('status').textContent = f.new ? `${f.status} · new` : f.status;
    slot('rule').textContent = f.rule;
    slot('fp').textContent = f.fp;
    slot('subjects').textContent = f.subjects;
    slot('description').textContent = data.descriptions[f.rule] || '';
    slot('timeline').appendChild(timeline(f));
    if (f.people.length >= 3) slot('graph').appendChild(graph(f, n));
    const evidence = slot('evidence');
    for (const t of f.ties) evidence.appendChild(document.createElement('li')).textContent = tieText(t);
    for (const r of f.records) {
      const li = evidence.appendChild(document.createElement('li'));
      li.className = 'record';
      li.textContent = r.dates.length
        ? `${r.id}, ${r.dates.map(([k, d]) => `${k} ${d}`).join(', ')}`
        : r.id;
    }
    const windows = slot('windows');
    for (const v of f.windows) {
      windows.appendChild(document.createElement('li')).textContent =
        fill(words.window, {condition: v.condition, item: v.item, bound: v.bound,
          value: v.value || words.openStart});
    }
    if (!f.windows.length) windows.previousElementSibling.remove(), windows.remove();
    const steps = slot('steps');
    for (const s of f.steps) {
      const li = steps.appendChild(document.createElement('li'));
      li.textContent = s.text;
      if (s.overdue) li.className = 'overdue';
    }
    const cites = slot('cites');
    cites.textContent = f.cites || cites.dataset.empty;
    const waiver = slot('waiver');
    if (f.waiver) waiver.textContent = waiver.dataset.prefix + f.waiver;
    else waiver.remove();
    return node;
  }

  function node(i) {
    let n = nodes.get(i);
    if (!n) {
      n = build(findings[i], i);
      nodes.set(i, n);
    }
    return n;
  }

  function filtered() {
    const fd = new FormData(form);
    const levels = new Set(fd.getAll('level').map(Number));
    const statuses = new Set(fd.getAll('status'));
    const onlyNew = fd.get('new') !== null;
    const rule = fd.get('rule') || '';
    const who = fd.get('assignee') || '';
    const overdue = fd.get('overdue') !== null;
    const terms = String(fd.get('q') || '').toLowerCase().split(/\s+/).filter(Boolean);
    const out = [];
    findings.forEach((f, i) => {
      if (!levels.has(f.level) || !statuses.has(f.status)) return;
      if (onlyNew && !f.new) return;
      if (rule && f.rule !== rule) return;
      if (who === '-' && !f.steps.some((s) => s.assignee === null)) return;
      if (who && who !== '-' && !f.steps.some((s) => s.assignee === who)) return;
      if (overdue && !f.steps.some((s) => s.overdue)) return;
      if (terms.length && !terms.every((t) => hay(i).includes(t))) return;
      out.push(i);
    });
    return out;
  }

  function show() {
    const size = data.pageSize;
    const pages = Math.max(1, Math.ceil(matches.length / size));
    page = Math.min(Math.max(page, 0), pages - 1);
    const shown = printing ? matches : matches.slice(page * size, (page + 1) * size);
    const lists = new Map();
    for (const sec of document.querySelectorAll('section.level')) {
      const list = sec.querySelector('.list');
      list.replaceChildren();
      lists.set(Number(sec.dataset.level), list);
    }
    for (const i of shown) lists.get(findings[i].level)?.appendChild(node(i));
    const perLevel = new Map();
    for (const i of matches) perLevel.set(findings[i].level, (perLevel.get(findings[i].level) || 0) + 1);
    for (const sec of document.querySelectorAll('section.level')) {
      const level = Number(sec.dataset.level);
      sec.hidden = !sec.querySelector('.list').childElementCount;
      sec.querySelector('[data-level-shown]').textContent = `(${perLevel.get(level) || 0})`;
    }
    for (const c of document.querySelectorAll('[data-level-count]')) {
      c.textContent = String(perLevel.get(Number(c.dataset.levelCount)) || 0);
    }
    document.getElementById('shown').textContent = matches.length
      ? fill(words.shown, {shown: matches.length, total: findings.length})
      : words.none;
    document.getElementById('page-info').textContent = fill(words.page, {page: page + 1, pages});
    document.getElementById('prev').disabled = page === 0;
    document.getElementById('next').disabled = page >= pages - 1;
  }

  function update() {
    matches = filtered();
    page = 0;
    show();
  }

  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  document.getElementById('prev').addEventListener('click', () => { page -= 1; show(); });
  document.getElementById('next').addEventListener('click', () => {
    page += 1;
    show();
    document.getElementById('findings').scrollIntoView();
  });
  for (const a of document.querySelectorAll('[data-level-link]')) {
    a.addEventListener('click', (e) => {
      // the contents jump to the page holding the level's first match
      const level = Number(a.dataset.levelLink);
      const at = matches.findIndex((i) => findings[i].level === level);
      if (at < 0) return;
      e.preventDefault();
      page = Math.floor(at / data.pageSize);
      show();
      document.getElementById(`level-${level}`).scrollIntoView();
    });
  }
  function goTo() {
    // #f-<fingerprint or its first characters, as the text report shows them>: the page
    // holding that finding, scrolled to it
    const m = /^#f-([0-9a-f]{6,32})$/.exec(location.hash);
    if (!m) return;
    const at = matches.findIndex((i) => findings[i].fp.startsWith(m[1]));
    if (at < 0) return;
    page = Math.floor(at / data.pageSize);
    show();
    node(matches[at]).scrollIntoView();
  }
  window.addEventListener('hashchange', goTo);
  window.addEventListener('beforeprint', () => { printing = true; show(); });
  window.addEventListener('afterprint', () => { printing = false; show(); });
  update();
  goTo();
  performance.mark('findings-listed'); // benchmarks/html_render.py reads it
})();
