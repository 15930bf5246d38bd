// Small pieces every view uses: a form field, a transaction button with its progress, a chart.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { send } from './lib/tx.js';
import { signingAccount } from './lib/wallet.js';

export const html = htm.bind(h);

const STAGES = {
  signing: 'Waiting for your signature…',
  pool: 'Sent: waiting for a block…',
  inBlock: 'In a block: waiting for finality…',
  finalized: 'Finalized ✓',
};

/**
 * A button that builds a transaction with `build()` (which may throw an Error to refuse before
 * signing), signs it with `account` and shows its progress and, on failure, the named error.
 */
export function TxButton ({ api, account, label, build, onDone, testId, disabled }) {
  const [stage, setStage] = useState(null);
  const [detail, setDetail] = useState('');
  const busy = stage === 'checking' || stage === 'signing' || stage === 'pool';
  const click = async () => {
    setDetail('');
    setStage('checking');
    let tx;
    try {
      if (!account) throw new Error('Choose an account first.');
      tx = await build();
    } catch (e) {
      setStage('failed');
      setDetail(e.message);
      return;
    }
    try {
      const result = await send(api, tx, signingAccount(account), (s, d) => {
        setStage(s);
        setDetail(d && (s === 'failed' || s === 'pool') ? d : '');
      });
      if (result.batchFailures) setDetail(result.batchFailures);
      onDone?.(result);
    } catch (e) {
      setStage('failed');
      setDetail(e.message);
    }
  };
  return html`<span class="tx">
    <button data-testid=${testId} disabled=${busy || disabled} onClick=${click}>${label}</button>
    ${stage && stage !== 'checking' && html`<span class=${`tx-status ${stage}`} data-testid=${testId && `${testId}-status`}>
      ${stage === 'failed' ? `Refused: ${detail}` : STAGES[stage]}${stage !== 'failed' && detail ? ` (${detail})` : ''}
    </span>`}
  </span>`;
}

/**
 * What `load()` reads from the chain, read again whenever `deps` change (a new block, another
 * account): `[value, error, reload]`. One read at a time per view (a slow node does not pile
 * them up); an answer that arrives after `deps` changed is dropped, so one account's data never
 * shows under another.
 */
export function useChainData (load, deps) {
  const [state, setState] = useState({ value: null, error: '' });
  const running = useRef(false);
  const generation = useRef(0);
  const read = async (fresh) => {
    if (fresh) generation.current += 1;
    else if (running.current) return;
    const mine = generation.current;
    running.current = true;
    try {
      const value = await load();
      if (mine === generation.current) setState({ value, error: '' });
    } catch (e) {
      if (mine === generation.current) setState((s) => ({ ...s, error: e.message }));
    } finally {
      running.current = false;
    }
  };
  const key = deps.slice(0, -1).map(String).join('|'); // all but the block: what the data is about
  const lastKey = useRef(key);
  useEffect(() => {
    const fresh = lastKey.current !== key;
    lastKey.current = key;
    read(fresh);
  }, deps);
  return [state.value, state.error, () => read(false)];
}

/** A labelled input bound to `values[name]`. */
export function Field ({ label, name, values, set, type = 'text', placeholder, options, hint }) {
  const value = values[name] ?? '';
  const onInput = (e) => set({ ...values, [name]: type === 'checkbox' ? e.target.checked : e.target.value });
  let input;
  if (options) {
    input = html`<select name=${name} value=${value} onChange=${onInput}>
      ${options.map(([v, text]) => html`<option value=${v}>${text}</option>`)}
    </select>`;
  } else if (type === 'textarea') {
    input = html`<textarea name=${name} value=${value} placeholder=${placeholder} onInput=${onInput} rows="2" />`;
  } else if (type === 'checkbox') {
    input = html`<input type="checkbox" name=${name} checked=${Boolean(value)} onChange=${onInput} />`;
  } else {
    input = html`<input name=${name} type=${type} value=${value} placeholder=${placeholder} onInput=${onInput} />`;
  }
  return html`<label class="field"><span>${label}</span>${input}${hint && html`<small>${hint}</small>`}</label>`;
}

/**
 * A line chart of one or more series over the same x values, in SVG: `series` is
 * `[{ name, color, points: [[x, y], …] }]`, `unit` labels the y axis, `yMax` fixes its top.
 */
export function Chart ({ title, series, unit, testId, yMax, width = 420, height = 140 }) {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return html`<figure class="chart" data-testid=${testId}><figcaption>${title}</figcaption><p class="muted">No data yet.</p></figure>`;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), yMax ?? Math.max(...ys, 1)];
  const pad = 28;
  const sx = (x) => pad + (x1 === x0 ? 0 : (x - x0) / (x1 - x0)) * (width - pad - 8);
  const sy = (y) => height - 18 - ((y - y0) / (y1 - y0)) * (height - 28);
  return html`<figure class="chart" data-testid=${testId}>
    <figcaption>${title}</figcaption>
    <svg viewBox=${`0 0 ${width} ${height}`} width=${width} height=${height} role="img" aria-label=${title}>
      <line x1=${pad} y1=${sy(y0)} x2=${width - 8} y2=${sy(y0)} class="axis" />
      <text x="2" y=${sy(y1) + 4} class="tick">${fmt(y1)}</text>
      <text x="2" y=${sy(y0)} class="tick">${fmt(y0)}</text>
      <text x=${pad} y=${height - 4} class="tick">#${x0}</text>
      <text x=${width - 8} y=${height - 4} class="tick" text-anchor="end">#${x1}</text>
      ${series.map((s) => html`<polyline fill="none" stroke=${s.color} stroke-width="2"
        points=${s.points.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ')} />
        ${s.points.map(([x, y]) => html`<circle cx=${sx(x)} cy=${sy(y)} r="2.5" fill=${s.color} />`)}`)}
    </svg>
    <div class="legend">${series.map((s) => html`<span style=${`color:${s.color}`}>■ ${s.name}</span>`)} <span class="muted">${unit}</span></div>
  </figure>`;
}

const fmt = (v) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100).toString();
