// The money audit: every account's balance (free + reserved) at the end of a range of blocks
// equals its balance at the start plus what the range's `balances` events say moved in and out.
// The runtime deposits `balances.Slashed` for slashes of held funds too (pallet-balances emits
// nothing for them), so every change of a balance has its event. It imports nothing: the e2e
// suites use it with their own @polkadot/api.

export class AuditError extends Error {}

const TRANSFERS = { Transfer: ['from', 'to', 'amount'], ReserveRepatriated: ['from', 'to', 'amount'],
  TransferOnHold: ['source', 'dest', 'amount'], TransferAndHold: ['source', 'dest', 'transferred'] };
const INTO = { Deposit: ['who', 'amount'], Minted: ['who', 'amount'], Restored: ['who', 'amount'] };
const OUT = { Withdraw: ['who', 'amount'], Slashed: ['who', 'amount'], Burned: ['who', 'amount'],
  BurnedHeld: ['who', 'amount'], Suspended: ['who', 'amount'], DustLost: ['account', 'amount'] };
/** Within an account (holds, reserves, locks, freezes) or issuance only: no balance moves. */
const WITHIN = new Set(['Endowed', 'Reserved', 'Unreserved', 'Held', 'Released', 'Locked', 'Unlocked', 'Frozen',
  'Thawed', 'Upgraded', 'Issued', 'Rescinded', 'MintedCredit', 'BurnedDebt', 'TotalIssuanceForced']);

/**
 * Folds one `balances` event (`method` and its named `fields`; accounts as strings or codecs,
 * amounts as bigints or codecs) into `moves`: per account `{ into, out }` bigints, and `set`, the
 * accounts whose balance was set outright (`BalanceSet`), which no sum explains. Throws on an
 * event it does not know, so a new way to move money cannot pass unseen.
 */
export function foldBalancesEvent (moves, method, fields) {
  const add = (who, amount, side) => {
    const key = who.toString();
    const entry = moves.accounts.get(key) ?? { into: 0n, out: 0n };
    entry[side] += BigInt(amount.toString());
    moves.accounts.set(key, entry);
  };
  if (TRANSFERS[method]) {
    const [from, to, amount] = TRANSFERS[method].map((f) => fields[f]);
    add(from, amount, 'out');
    add(to, amount, 'into');
  } else if (INTO[method]) {
    add(fields[INTO[method][0]], fields[INTO[method][1]], 'into');
  } else if (OUT[method]) {
    add(fields[OUT[method][0]], fields[OUT[method][1]], 'out');
  } else if (method === 'BalanceSet') {
    moves.set.add(fields.who.toString());
  } else if (method === 'Unexpected') {
    throw new AuditError(`pallet-balances reported Unexpected(${fields[0] ?? ''})`);
  } else if (!WITHIN.has(method)) {
    throw new AuditError(`the money audit does not know balances.${method}`);
  }
  return moves;
}

/** The treasury's account (`modl` ‖ its PalletId, zero-padded), or null on a chain without one. */
export function treasuryAccount (api) {
  const id = api.consts.treasury?.palletId;
  if (!id) return null;
  const raw = new Uint8Array(32);
  raw.set(new TextEncoder().encode('modl'), 0);
  raw.set(id.toU8a(), 4);
  return api.createType('AccountId', raw).toString();
}

export const newMoves = () => ({ accounts: new Map(), set: new Set() });

/** An event's fields by name (by position where unnamed), from a polkadot.js event. */
function fieldsOf (event) {
  const names = event.data.names ?? event.meta.fields.map((f, i) => (f.name.isSome ? f.name.unwrap().toString() : i));
  return Object.fromEntries(names.map((name, i) => [name ?? i, event.data[i]]));
}

/**
 * Compares `before` and `after` (Map account → total) with `moves`; returns the accounts that
 * disagree, each `{ who, before, after, into, out }`.
 */
export function mismatches (moves, before, after) {
  const out = [];
  for (const who of new Set([...before.keys(), ...after.keys()])) {
    if (moves.set.has(who)) continue;
    const { into, out: spent } = moves.accounts.get(who) ?? { into: 0n, out: 0n };
    const [was, is] = [before.get(who) ?? 0n, after.get(who) ?? 0n];
    if (was + into !== is + spent) out.push({ who, before: was, after: is, into, out: spent });
  }
  return out;
}

/**
 * Audits the blocks after `fromHash` up to and including `toHash` (walking parent hashes, so a
 * reorganisation elsewhere cannot mix chains): reads every block's events, folds the balances
 * events, and compares **every account** stored at either end (`system.account`), so a balance
 * that changed with no event at all is found too. Returns `{ blocks, events, accounts, moved,
 * mismatches }`; `moved` is the sum of what the events moved into accounts.
 */
export async function auditRange (api, fromHash, toHash, { maxBlocks = 2_000 } = {}) {
  const fromNumber = (await api.rpc.chain.getHeader(fromHash)).number.toNumber();
  const hashes = [];
  let hash = toHash;
  for (;;) {
    const header = await api.rpc.chain.getHeader(hash);
    const number = header.number.toNumber();
    if (number <= fromNumber) {
      if (header.hash.toHex() !== api.createType('Hash', fromHash).toHex()) {
        throw new AuditError(`block ${number} of the audited chain is not the start block ${fromHash}`);
      }
      break;
    }
    if (hashes.length >= maxBlocks) throw new AuditError(`more than ${maxBlocks} blocks to audit`);
    hashes.push(hash);
    hash = header.parentHash;
  }
  try {
    return await foldAndCompare(api, fromHash, toHash, hashes);
  } catch (e) {
    if (/State already discarded/.test(e.message)) {
      throw new AuditError('the node has discarded the state of the audited blocks (it prunes state, 256 blocks by ' +
        `default): run it with --state-pruning archive-canonical for audits this long (${e.message})`);
    }
    throw e;
  }
}

async function foldAndCompare (api, fromHash, toHash, hashes) {
  const moves = newMoves();
  let events = 0;
  for (const at of hashes) {
    for (const { event } of await api.query.system.events.at(at)) {
      if (event.section !== 'balances') continue;
      foldBalancesEvent(moves, event.method, fieldsOf(event));
      events += 1;
    }
  }
  const totals = async (at) => new Map((await (await api.at(at)).query.system.account.entries())
    .map(([key, account]) => [key.args[0].toString(), account.data.free.toBigInt() + account.data.reserved.toBigInt()]));
  const [before, after] = [await totals(fromHash), await totals(toHash)];
  const moved = [...moves.accounts.values()].reduce((sum, m) => sum + m.into, 0n);
  const accounts = new Set([...before.keys(), ...after.keys()]).size;
  return { blocks: hashes.length, events, accounts, moved, mismatches: mismatches(moves, before, after) };
}
