// The provider's dashboard: machines with heartbeats, challenges and reputation, listings and
// utilization, earnings with one transaction that settles all that is due, bond and slashes.
import { useEffect, useState } from 'preact/hooks';
import { gpux, parseGpux, percent } from '../lib/format.js';
import { heartbeatHistory } from '../lib/history.js';
import { Chart, Field, html, TxButton, useChainData } from '../ui.js';

/** Most settlements one claim sends: each is a `leases.settle`, well inside a block. */
export const MAX_SETTLEMENTS_PER_CLAIM = 100;

async function machineView (api, id) {
  const [record, heartbeat, reputation, leaseIds] = await Promise.all([
    api.query.marketplace.machines(id),
    api.query.attestation.heartbeats(id),
    api.call.reputationApi.machineReputation(id),
    api.query.leases.machineLeases(id),
  ]);
  const leases = await Promise.all(leaseIds.map(async (lease) => {
    const [r, accrued] = await Promise.all([api.query.leases.leases(lease), api.call.leasesApi.accrued(lease)]);
    const owed = accrued.isSome ? accrued.unwrap().toBigInt() : 0n;
    const fee = r.isSome ? BigInt(r.unwrap().protocolFee.toNumber()) : 0n;
    // What the provider receives of it: the fee is the lease's Perbill, the rest is theirs.
    return { id: lease.toNumber(), accrued: owed, toProvider: owed - owed * fee / 1_000_000_000n, isJob: r.isSome && r.unwrap().heldPayout.isSome };
  }));
  const m = record.unwrap().toJSON();
  const hb = heartbeat.isSome ? heartbeat.unwrap() : null;
  return {
    id,
    ...m,
    lastHeartbeat: hb?.receivedAt.isSome ? hb.receivedAt.unwrap().toNumber() : null,
    driver: hb ? new TextDecoder().decode(hb.telemetry.driverVersion.toU8a(true)) : '',
    reputation: reputation.toJSON(),
    leases,
  };
}

export function Provider ({ api, account, best }) {
  const [form, setForm] = useState({ amount: '' });
  const [data, error, refresh] = useChainData(async () => {
    if (!account) return null;
    const who = account.address;
    const keys = await api.query.marketplace.machinesOf.keys(who);
    const machines = await Promise.all(keys.map((k) => machineView(api, k.args[1].toNumber())));
    const ledger = await api.query.providerStaking.bonds(who);
    // Pending slashes are few (a defer window's worth): read them all, keep this provider's.
    const pending = await api.query.providerStaking.slashes.entries();
    const slashes = pending.map(([k, v]) => ({ id: k.args[0].toNumber(), ...v.unwrap().toJSON(), kind: v.unwrap().kind.type }))
      .filter((s) => s.provider === who);
    return { machines, bond: ledger.isSome ? ledger.unwrap().toJSON() : null, slashes };
  }, [api, account?.address, best]);
  const { machines, bond, slashes } = data ?? { machines: null, bond: null, slashes: [] };
  if (!account) return html`<p>Choose a provider account.</p>`;
  const due = (machines ?? []).flatMap((m) => m.leases.filter((l) => l.accrued > 0n && !l.isJob));
  const total = due.reduce((sum, l) => sum + l.toProvider, 0n);
  const claim = () => {
    if (due.length === 0) throw new Error('nothing is due: no open lease has accrued anything since its last settlement');
    const calls = due.slice(0, MAX_SETTLEMENTS_PER_CLAIM).map((l) => api.tx.leases.settle(l.id));
    // forceBatch: a lease that closes meanwhile (LeaseClosed) does not stop the others.
    return api.tx.utility.forceBatch(calls);
  };
  return html`<section>
    <h2>Provider</h2>
    ${error && html`<p class="error">${error}</p>`}
    <div class="panel" data-testid="earnings">
      <h3>Earnings</h3>
      <p>Due now: <b data-testid="earnings-due">${gpux(total)}</b> over ${due.length} lease${due.length === 1 ? '' : 's'} (after the protocol fee).
      ${due.length > MAX_SETTLEMENTS_PER_CLAIM ? ` One claim settles ${MAX_SETTLEMENTS_PER_CLAIM}; claim again for the rest.` : ''}</p>
      <${TxButton} api=${api} account=${account} label="Claim all" testId="claim-all" build=${claim} onDone=${refresh} />
    </div>
    <div class="panel" data-testid="bond">
      <h3>Bond</h3>
      ${bond ? html`<p>Bonded <b data-testid="bond-active">${gpux(BigInt(bond.active))}</b>;
        unbonding ${bond.unlocking.length ? bond.unlocking.map((c) => `${gpux(BigInt(c.amount))} at block ${c.unlocksAt}`).join(', ') : 'nothing'};${' '}
        ${bond.pendingSlashes} pending slash${bond.pendingSlashes === 1 ? '' : 'es'} (${gpux(BigInt(bond.pendingAmount))}).</p>`
        : html`<p class="muted">Not bonded.</p>`}
      ${slashes.length > 0 && html`<ul data-testid="slashes">${slashes.map((s) => html`<li>Slash #${s.id}: ${s.kind} of machine #${s.machine}, ${gpux(BigInt(s.amount))}, applies at block ${s.appliesAt} unless governance cancels it</li>`)}</ul>`}
      <${Field} label="Amount (GPUX)" name="amount" values=${form} set=${setForm} />
      <${TxButton} api=${api} account=${account} label="Bond" testId="bond-more" onDone=${refresh} build=${() => api.tx.providerStaking.bond(amount(form.amount))} />
      <${TxButton} api=${api} account=${account} label="Unbond" testId="unbond" onDone=${refresh} build=${() => api.tx.providerStaking.unbond(amount(form.amount))} />
      <${TxButton} api=${api} account=${account} label="Withdraw unbonded" testId="withdraw" onDone=${refresh} build=${() => api.tx.providerStaking.withdrawUnbonded()} />
    </div>
    ${machines?.length === 0 && html`<p class="muted">No machine registered: run <code>gpux-worker register</code> on it.</p>`}
    ${machines?.map((m) => html`<${Machine} key=${m.id} api=${api} machine=${m} best=${best} />`)}
  </section>`;
}

function amount (text) {
  const planck = parseGpux(text);
  if (planck === null || planck === 0n) throw new Error('the amount must be GPUX above 0, e.g. 100 or 2.5');
  return planck;
}

function Machine ({ api, machine: m, best }) {
  const [history, setHistory] = useState(null);
  useEffect(() => { heartbeatHistory(api, m.id, best).then(setHistory).catch(() => setHistory(null)); }, [api, m.id, Math.floor(best / 20)]);
  const rec = m.reputation.record;
  return html`<article class="machine" data-testid=${`machine-${m.id}`}>
    <h3>Machine #${m.id}: ${m.spec.gpuCount} GPUs, ${m.leasedGpus} leased (${Math.round(100 * m.leasedGpus / m.spec.gpuCount)} % utilized)</h3>
    <p>${m.listing ? html`Listed at <b>${gpux(BigInt(m.listing.onDemandPrice))}</b> on demand, spot floor ${gpux(BigInt(m.listing.spotFloorPrice))}` : 'Not listed'}
      ${' · '}last heartbeat <span data-testid="last-heartbeat">${m.lastHeartbeat === null ? 'never' : `block ${m.lastHeartbeat} (${best - m.lastHeartbeat} blocks ago)`}</span>
      ${m.driver && ` · driver ${m.driver}`}</p>
    <p data-testid="reputation">Reputation <b>${percent(m.reputation.score)}</b>: uptime ${percent(rec.uptime)} (${rec.windowsMet} windows met, ${rec.windowsMissed} missed),
      leases ${percent(rec.leaseOutcomes)} (${rec.leasesClean} clean, ${rec.leasesFaulty} faulty),
      challenges ${percent(rec.challenges)} (${rec.challengesPassed} passed, ${rec.challengesFailed} failed),
      ratings ${percent(rec.ratings)} (${rec.ratingsReceived})</p>
    <p>Open leases: ${m.leases.length ? m.leases.map((l) => `#${l.id} (${gpux(l.toProvider)} due${l.isJob ? ', job: paid on acceptance' : ''})`).join(', ') : 'none'}</p>
    ${history && html`<div class="charts">
      <${Chart} title="GPU utilization" unit="%" yMax=${100} testId=${`util-${m.id}`} series=${[{ name: 'mean', color: '#2a7', points: history.utilization }]} />
      <${Chart} title="Hottest GPU" unit="°C" testId=${`temp-${m.id}`} series=${[{ name: 'max', color: '#d54', points: history.temperature }]} />
    </div>`}
  </article>`;
}
