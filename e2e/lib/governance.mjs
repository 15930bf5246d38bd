// OpenGov through polkadot.js, as a token holder does it in polkadot.js apps: note the
// proposal's preimage, submit it on a track, place the decision deposit, vote with conviction,
// and follow the referendum until it is decided and enacted.
import { blake2AsHex } from '@polkadot/util-crypto';
import { submit, waitFor } from './node.mjs';

/**
 * `proposer` notes `call`'s preimage and submits it for `origin` (e.g. `{ Governance:
 * 'MarketAdmin' }` or `{ system: 'Root' }`), placing the decision deposit unless `decide` is
 * false. Resolves with the referendum's index.
 */
export async function propose (api, call, origin, proposer, { decide = true } = {}) {
  const encoded = call.method.toU8a();
  const hash = blake2AsHex(encoded, 256);
  await submit(api, api.tx.preimage.notePreimage(call.method.toHex()), proposer);
  const { events } = await submit(api,
    api.tx.referenda.submit(origin, { Lookup: { hash, len: encoded.length } }, { After: 0 }), proposer);
  const index = events.find(({ event }) => api.events.referenda.Submitted.is(event)).event.data.index.toNumber();
  if (decide) await submit(api, api.tx.referenda.placeDecisionDeposit(index), proposer);
  return index;
}

/** Each of `voters` votes `aye` (or nay) with `balance` at `conviction` on referendum `index`. */
export async function vote (api, index, voters, { aye = true, balance, conviction = 'Locked1x' }) {
  for (const voter of voters) {
    await submit(api, api.tx.convictionVoting.vote(index, { Standard: { vote: { aye, conviction }, balance } }), voter);
  }
}

/** Waits until referendum `index` is no longer ongoing; resolves with its outcome's name. */
export async function decided (api, index, timeoutMs) {
  return waitFor(`referendum ${index} to be decided`, async () => {
    const info = await api.query.referenda.referendumInfoFor(index);
    return info.isSome && !info.unwrap().isOngoing ? info.unwrap().type : null;
  }, timeoutMs, 1_000);
}
