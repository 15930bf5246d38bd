// The renter's leases: state, time left, spend so far, the connection the worker attested
// (SSH with the host key to check, Jupyter with the token opened by this browser's seal key),
// and what a renter can do with a lease.
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { useState } from 'preact/hooks';
import { duration, gpux, isPlainHost, leaseCost, sshFingerprint, urlHost } from '../lib/format.js';
import { openSealed } from '../lib/seal.js';
import { spendable, wholeNumber } from '../lib/market.js';
import { Field, html, TxButton, useChainData } from '../ui.js';
import { hexText } from './browse.js';
import { useSealKey } from './seal-key.js';

/** A lease record and what the chain says about it now, as plain values. */
export async function leaseView (api, id, record) {
  const [accrued, attestation] = await Promise.all([
    api.call.leasesApi.accrued(id),
    api.query.attestation.leaseAttestations(id),
  ]);
  const r = record.toJSON();
  const started = attestation.isSome && attestation.unwrap().started.isSome ? attestation.unwrap().started.unwrap()[0].toJSON() : null;
  return {
    id: Number(id),
    ...r,
    status: record.status.type,
    closeReason: record.status.isClosed ? record.status.asClosed.reason.type : null,
    // Accrual stops at the notice's end while a spot lease is being preempted.
    accruesUntil: record.status.isPreempting ? Math.min(record.status.asPreempting.until.toNumber(), r.endsAt) : r.endsAt,
    paid: BigInt(r.paid),
    escrow: BigInt(r.escrow),
    accrued: accrued.isSome ? accrued.unwrap().toBigInt() : 0n,
    endpoint: started,
    dispute: attestation.isSome && attestation.unwrap().dispute.isSome ? attestation.unwrap().dispute.unwrap().toJSON() : null,
  };
}

export function MyLeases ({ api, account, best }) {
  const [leases, error, refresh] = useChainData(async () => {
    if (!account) return null;
    // Oldest first, 100 a page: read every page so the newest lease is not left out.
    const all = [];
    for (let after = null; ;) {
      const page = await api.call.leasesApi.leasesOf(account.address, after, 100);
      all.push(...page);
      if (page.length < 100) break;
      after = page[page.length - 1][0];
    }
    return (await Promise.all(all.map(([id, record]) => leaseView(api, id, record)))).reverse();
  }, [api, account?.address, best]);
  if (!account) return html`<p>Choose an account to see its leases.</p>`;
  return html`<section>
    <h2>My leases</h2>
    ${error && html`<p class="error">${error}</p>`}
    ${leases?.length === 0 && html`<p class="muted">No lease yet: rent one under Find GPUs.</p>`}
    ${leases?.map((lease) => html`<${Lease} key=${lease.id} api=${api} account=${account} best=${best} lease=${lease} refresh=${refresh} />`)}
  </section>`;
}

function Lease ({ api, account, best, lease, refresh }) {
  const seal = useSealKey(account);
  const [form, setForm] = useState({ extraHours: '1', stars: '5', reason: '', kind: 'Offline' });
  const open = lease.status !== 'Closed';
  const left = open ? Math.max(0, lease.accruesUntil - best) : 0;
  const spent = lease.paid + lease.accrued;
  const ep = lease.endpoint;
  let token = null;
  if (ep?.jupyter) {
    const opened = openSealed(hexToU8a(ep.jupyter.sealedToken), seal.secret());
    token = opened ? new TextDecoder().decode(opened) : false;
  }
  const host = ep && hexText(ep.host);
  const hostOk = ep && isPlainHost(host);
  return html`<article class="lease" data-testid=${`lease-${lease.id}`}>
    <h3>Lease #${lease.id} · machine #${lease.machine} · ${lease.gpus} GPU${lease.gpus > 1 ? 's' : ''} · ${lease.mode}</h3>
    <p>
      <b data-testid="lease-state">${lease.status}${lease.closeReason ? ` (${lease.closeReason})` : ''}</b>
      ${open && html` · <span data-testid="lease-left">${duration(left)} left</span> (ends at block ${lease.accruesUntil})`}
      ${' · '}spent so far <b data-testid="lease-spent">${gpux(spent)}</b> of ${gpux(lease.paid + lease.escrow)}
      ${' · '}${gpux(BigInt(lease.pricePerGpuHour))} per GPU-hour
    </p>
    ${ep && !hostOk && html`<p class="error" data-testid="lease-connection">The provider attested "${host}" as the host: not a plain host name or address, so no command is shown. Report it.</p>`}
    ${ep && hostOk ? html`<div class="connect" data-testid="lease-connection">
      <p>SSH: <code data-testid="ssh-command">ssh -p ${ep.port} root@${host}</code></p>
      ${ep.hostKeyFingerprint
        ? html`<p>Host key: <code data-testid="host-key">${sshFingerprint(hexToU8a(ep.hostKeyFingerprint))}</code> — on first login ssh shows the key's fingerprint: it must be this one (or use <code>gpux ssh ${lease.id}</code>, which checks it).</p>`
        : html`<p class="muted">This provider attested no host key.</p>`}
      ${ep.jupyter && (token
        ? html`<p>Jupyter: <a data-testid="jupyter-link" target="_blank" rel="noopener noreferrer" href=${`http://${urlHost(host)}:${ep.jupyter.port}/?token=${encodeURIComponent(token)}`}>http://${urlHost(host)}:${ep.jupyter.port}/?token=…</a> (plain HTTP: on an untrusted network tunnel it through SSH)</p>`
        : html`<p class="error">Jupyter token sealed to another seal key than this browser's.</p>`)}
    </div>` : !ep && open && html`<p class="muted" data-testid="lease-connection">Waiting for the provider's worker to attest the start…</p>`}
    ${lease.dispute && html`<p>Disputed at block ${lease.dispute.raisedAt}: ${lease.dispute.resolution === null ? 'undecided' : lease.dispute.resolution ? 'upheld' : 'rejected'}.</p>`}
    <div class="actions">
      ${open && html`
        <${Field} label="Extend by hours" name="extraHours" values=${form} set=${setForm} type="number" />
        <${TxButton} api=${api} account=${account} label="Extend" testId=${`extend-${lease.id}`} onDone=${refresh}
          build=${() => checkExtend(api, account, best, lease, wholeNumber(Math.round(Number(form.extraHours) * 600), 'extra blocks'))} />
        <${TxButton} api=${api} account=${account} label="Terminate" testId=${`terminate-${lease.id}`} onDone=${refresh}
          build=${() => api.tx.leases.terminate(lease.id)} />
        <${Field} label="Fault" name="kind" values=${form} set=${setForm} options=${[['Offline', 'Machine offline'], ['SpecMismatch', 'Not the GPUs listed'], ['LeaseAbandoned', 'Never started']]} />
        ${!lease.dispute && html`<${TxButton} api=${api} account=${account} label="Report fault (deposit held)" testId=${`report-${lease.id}`} onDone=${refresh}
          build=${() => api.tx.attestation.reportFault(lease.id, form.kind, reason(form.reason))} />`}`}
      ${!open && lease.rating === null && html`
        <${Field} label="Stars" name="stars" values=${form} set=${setForm} options=${[['5', '★★★★★'], ['4', '★★★★'], ['3', '★★★'], ['2', '★★'], ['1', '★']]} />
        <${TxButton} api=${api} account=${account} label="Rate" testId=${`rate-${lease.id}`} onDone=${refresh}
          build=${() => api.tx.leases.rate(lease.id, Number(form.stars))} />`}
      ${lease.rating !== null && html`<span>Rated ${'★'.repeat(lease.rating)}</span>`}
      ${!lease.dispute && html`
        <${Field} label="Reason (dispute or fault evidence)" name="reason" values=${form} set=${setForm} />
        <${TxButton} api=${api} account=${account} label="Dispute (deposit held)" testId=${`dispute-${lease.id}`} onDone=${refresh}
          build=${() => api.tx.attestation.dispute(lease.id, reason(form.reason, true))} />`}
    </div>
  </article>`;
}

function reason (text, required = false) {
  const bytes = new TextEncoder().encode(text ?? '');
  if (required && bytes.length === 0) throw new Error('say what went wrong: the reason is what governance reads');
  if (bytes.length > 256) throw new Error('the reason is longer than 256 bytes');
  return u8aToHex(bytes);
}

/** `leases.extend`, checked as the chain will check it in the next block. */
async function checkExtend (api, account, best, lease, extra) {
  if (lease.heldPayout !== null) throw new Error('a job\'s lease has the length its job set (JobLeaseFixed)');
  if (lease.status === 'Preempting') throw new Error('the lease is being preempted (LeasePreempting)');
  const record = await api.query.marketplace.machines(lease.machine);
  const terms = record.isSome && record.unwrap().listing.isSome ? record.unwrap().listing.unwrap().toJSON() : null;
  if (!terms) throw new Error('the machine is no longer listed (NotListed)');
  const length = lease.endsAt + extra - lease.startsAt;
  if (length > terms.maxLeaseBlocks) throw new Error(`the listing takes leases of at most ${terms.maxLeaseBlocks} blocks; this one would be ${length} (DurationOutOfBounds)`);
  if (terms.availableUntil !== null && lease.endsAt + extra > terms.availableUntil) {
    throw new Error(`the machine is listed until block ${terms.availableUntil} (DurationOutOfBounds)`);
  }
  const tx = api.tx.leases.extend(lease.id, extra);
  const fee = (await tx.paymentInfo(account.address)).partialFee.toBigInt();
  if (leaseCost(lease.pricePerGpuHour, lease.gpus, extra) > await spendable(api, account.address, fee)) {
    throw new Error('your balance cannot hold the extension\'s escrow and its fee (EscrowExceedsBalance)');
  }
  return tx;
}
