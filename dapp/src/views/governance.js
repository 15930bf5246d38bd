// Token holders: the open referenda with their track and tally, and a vote with conviction.
import { useState } from 'preact/hooks';
import { gpux, parseGpux } from '../lib/format.js';
import { Field, html, TxButton, useChainData } from '../ui.js';

const CONVICTIONS = [
  ['None', '0.1× votes, no lock'], ['Locked1x', '1× votes, locked 1 period'], ['Locked2x', '2×, 2 periods'],
  ['Locked3x', '3×, 4 periods'], ['Locked4x', '4×, 8 periods'], ['Locked5x', '5×, 16 periods'], ['Locked6x', '6×, 32 periods'],
];

export function Governance ({ api, account, best }) {
  const [referenda, error, refresh] = useChainData(async () => {
    // Track names are fixed-size byte arrays, padded with NULs.
    const tracks = new Map(api.consts.referenda.tracks.map(([id, info]) => [id.toNumber(), new TextDecoder().decode(info.name.toU8a(true)).replace(/\0+$/, '')]));
    const entries = await api.query.referenda.referendumInfoFor.entries();
    return entries.filter(([, info]) => info.unwrap().isOngoing).map(([key, info]) => {
      const o = info.unwrap().asOngoing;
      return {
        index: key.args[0].toNumber(),
        track: tracks.get(o.track.toNumber()) ?? `track ${o.track}`,
        origin: JSON.stringify(o.origin.toJSON()),
        ayes: o.tally.ayes.toBigInt(),
        nays: o.tally.nays.toBigInt(),
        support: o.tally.support.toBigInt(),
        deciding: o.deciding.isSome ? o.deciding.unwrap().since.toNumber() : null,
        hasDecisionDeposit: o.decisionDeposit.isSome,
      };
    }).sort((a, b) => b.index - a.index);
  }, [api, Math.floor(best / 5)]);
  return html`<section>
    <h2>Referenda</h2>
    ${error && html`<p class="error">${error}</p>`}
    ${referenda?.length === 0 && html`<p class="muted">No referendum is open.</p>`}
    ${referenda?.map((r) => html`<${Referendum} key=${r.index} api=${api} account=${account} r=${r} refresh=${refresh} />`)}
  </section>`;
}

function Referendum ({ api, account, r, refresh }) {
  const [form, setForm] = useState({ conviction: 'Locked1x', balance: '' });
  const total = r.ayes + r.nays;
  const ayePct = total === 0n ? 0 : Number(r.ayes * 1000n / total) / 10;
  const vote = (aye) => () => {
    const balance = parseGpux(form.balance);
    if (balance === null || balance === 0n) throw new Error('vote with an amount of GPUX above 0');
    return voteChecked(api, account, r.index, aye, balance, form.conviction);
  };
  return html`<article class="referendum" data-testid=${`referendum-${r.index}`}>
    <h3>#${r.index} · ${r.track} · ${r.deciding === null ? (r.hasDecisionDeposit ? 'preparing' : 'waiting for a decision deposit') : `deciding since block ${r.deciding}`}</h3>
    <p data-testid="tally">Aye ${gpux(r.ayes)} · Nay ${gpux(r.nays)} (${ayePct} % aye) · support ${gpux(r.support)}</p>
    <div class="bar"><div style=${`width:${ayePct}%`}></div></div>
    <div class="actions">
      <${Field} label="Conviction" name="conviction" values=${form} set=${setForm} options=${CONVICTIONS} />
      <${Field} label="Balance (GPUX)" name="balance" values=${form} set=${setForm} />
      <${TxButton} api=${api} account=${account} label="Vote aye" testId=${`aye-${r.index}`} build=${vote(true)} onDone=${refresh} />
      <${TxButton} api=${api} account=${account} label="Vote nay" testId=${`nay-${r.index}`} build=${vote(false)} onDone=${refresh} />
    </div>
  </article>`;
}

/** A vote, refused before signing when the account does not hold what it votes with. */
async function voteChecked (api, account, index, aye, balance, conviction) {
  // Votes lock what they vote with; locks overlap, so the whole balance can vote.
  const info = await api.query.system.account(account.address);
  const total = info.data.free.toBigInt() + info.data.reserved.toBigInt();
  if (balance > total) throw new Error('the account holds less than that (InsufficientFunds)');
  return api.tx.convictionVoting.vote(index, { Standard: { vote: { aye, conviction }, balance } });
}
