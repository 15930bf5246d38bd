// Jobs: post one for providers to bid on (reverse auction: the best reputation-adjusted bid wins
// when the window closes), watch its bids, and accept or dispute its result.
import { u8aToHex } from '@polkadot/util';
import { useState } from 'preact/hooks';
import { gpux, parseGpux, text } from '../lib/format.js';
import { accessSpec, requirements, wholeNumber } from '../lib/market.js';
import { Field, html, TxButton, useChainData } from '../ui.js';

export function Jobs ({ api, account, best }) {
  const [form, setForm] = useState({ gpus: '1', hours: '1', maxPrice: '1', bidWindow: '10', inputCid: '', sshKey: '', priority: false });
  const [jobs, error, refresh] = useChainData(async () => {
    if (!account) return null;
    // No index of jobs by submitter: the open jobs are few (bounded by the market), read them all.
    const entries = await api.query.marketplace.jobs.entries();
    const mine = entries.map(([k, v]) => ({ id: k.args[0].toNumber(), record: v.unwrap() }))
      .filter((j) => j.record.submitter.toString() === account.address);
    return Promise.all(mine.map(async (j) => ({
      id: j.id,
      status: j.record.status.type,
      closesAt: j.record.closesAt.toNumber(),
      input: text(j.record.inputCid),
      bids: (await api.query.marketplace.jobBids(j.id)).map((b) => ({ machine: b.machine.toNumber(), price: b.pricePerGpuHour.toBigInt() })),
    })));
  }, [api, account?.address, best]);
  const post = () => {
    const maxPrice = parseGpux(form.maxPrice);
    if (maxPrice === null || maxPrice === 0n) throw new Error('max price must be an amount of GPUX above 0');
    const cid = form.inputCid.trim();
    if (!/^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{10,127})$/.test(cid)) throw new Error('input CID must be a CIDv0 (Qm…) or a base32 CIDv1 (b…) of at most 128 characters (InvalidCid)');
    return api.tx.marketplace.postJob(requirements(form), wholeNumber(form.gpus, 'GPUs'),
      wholeNumber(Math.round(Number(form.hours) * 600), 'job length in blocks'), maxPrice,
      wholeNumber(form.bidWindow, 'bid window (blocks)', 10, 14_400), Boolean(form.priority),
      u8aToHex(new TextEncoder().encode(cid)), accessSpec(form.sshKey, null));
  };
  return html`<section>
    <h2>Jobs</h2>
    ${error && html`<p class="error">${error}</p>`}
    <div class="panel" data-testid="job-form">
      <div class="filters">
        <${Field} label="GPU class id (empty: any)" name="gpuClass" values=${form} set=${setForm} type="number" />
        <${Field} label="GPUs" name="gpus" values=${form} set=${setForm} type="number" />
        <${Field} label="Hours" name="hours" values=${form} set=${setForm} type="number" />
        <${Field} label="Max price / GPU-hour (GPUX)" name="maxPrice" values=${form} set=${setForm} />
        <${Field} label="Bid window (blocks)" name="bidWindow" values=${form} set=${setForm} type="number" />
        <${Field} label="Input CID" name="inputCid" values=${form} set=${setForm} placeholder="bafy…" />
        <${Field} label="SSH public key" name="sshKey" values=${form} set=${setForm} type="textarea" />
        <${Field} label="Priority (a fee)" name="priority" values=${form} set=${setForm} type="checkbox" />
      </div>
      <${TxButton} api=${api} account=${account} label="Post job (deposit held)" testId="post-job" build=${post} onDone=${refresh} />
    </div>
    ${jobs?.map((j) => html`<article data-testid=${`job-${j.id}`}>
      <h3>Job #${j.id}: ${j.status}${j.status === 'Bidding' ? `, bids close at block ${j.closesAt}` : ''}</h3>
      <p>Input ${j.input}</p>
      <p>${j.bids.length ? j.bids.map((b) => `machine #${b.machine} at ${gpux(b.price)}`).join(' · ') : 'No bid yet.'}</p>
      ${j.status === 'ResultAttested' && html`
        <${TxButton} api=${api} account=${account} label="Accept result" testId=${`accept-${j.id}`} build=${() => api.tx.marketplace.acceptResult(j.id)} onDone=${refresh} />
        <${TxButton} api=${api} account=${account} label="Dispute result" testId=${`dispute-job-${j.id}`} build=${() => api.tx.marketplace.disputeResult(j.id)} onDone=${refresh} />`}
    </article>`)}
  </section>`;
}
