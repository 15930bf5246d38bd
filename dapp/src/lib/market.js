// The renter's forms turned into the runtime's types, and the checks made before signing: what
// the chain would refuse for a reason the page can know is refused here, by name.
import { leaseCost, parseGpux } from './format.js';
import { sshKeyProblem } from './sshkey.js';

const num = (v) => (v === '' || v === undefined || v === null ? null : Number(v));
const opt = (v) => (v === '' || v === undefined ? null : v);

/** `8.9` → `{ major: 8, minor: 9 }`; `null` when empty. */
export function computeCapability (text) {
  if (!text) return null;
  const match = /^(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`compute capability "${text}" is not MAJOR.MINOR, e.g. 8.9`);
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/** A two-letter country code, upper-case, or `null`. */
export function country (text) {
  if (!text) return null;
  if (!/^[A-Za-z]{2}$/.test(text.trim())) throw new Error(`country "${text}" is not a two-letter code such as DE`);
  return text.trim().toUpperCase();
}

const permill = (pct) => (num(pct) === null ? null : Math.round(num(pct) * 10_000));

/** `MarketplaceApi.listings`' filter from the browse form (empty fields do not filter). */
export function listingFilter (f) {
  const maxPrice = f.maxPrice ? parseGpux(f.maxPrice) : null;
  if (f.maxPrice && maxPrice === null) throw new Error(`max price "${f.maxPrice}" is not an amount of GPUX`);
  return {
    gpuClass: num(f.gpuClass),
    model: opt(f.model),
    minVramGib: num(f.minVramGib),
    minFreeGpus: num(f.minFreeGpus),
    maxPrice,
    country: country(f.country),
    mode: opt(f.mode),
    minReputation: permill(f.minReputation),
    minCpuCores: num(f.minCpuCores),
    minRamGib: num(f.minRamGib),
    minDiskGib: num(f.minDiskGib),
    minBandwidthUpMbps: num(f.minBandwidthUpMbps),
    minBandwidthDownMbps: num(f.minBandwidthDownMbps),
    minComputeCapability: computeCapability(f.minComputeCapability),
    access: opt(f.access),
    leaseBlocks: num(f.leaseBlocks),
    minDriverVersion: opt(f.minDriverVersion),
    minUptime: permill(f.minUptime),
  };
}

/** The order/job `Requirements` the same form describes. */
export function requirements (f) {
  return {
    gpuClass: num(f.gpuClass),
    minVramGib: num(f.minVramGib) ?? 0,
    minComputeCapability: computeCapability(f.minComputeCapability),
    minCpuCores: num(f.minCpuCores) ?? 0,
    minRamGib: num(f.minRamGib) ?? 0,
    minDiskGib: num(f.minDiskGib) ?? 0,
    minBandwidthUpMbps: num(f.minBandwidthUpMbps) ?? 0,
    minBandwidthDownMbps: num(f.minBandwidthDownMbps) ?? 0,
    country: country(f.country),
    minReputation: permill(f.minReputation),
    access: opt(f.access),
  };
}

/** `AccessSpec` from the SSH key and the seal key (hex or empty), checked as the chain checks. */
export function accessSpec (sshKey, sealKeyHex) {
  const problem = sshKeyProblem((sshKey ?? '').trim());
  if (problem) throw new Error(problem);
  if (sealKeyHex && !/^0x[0-9a-fA-F]{64}$/.test(sealKeyHex)) throw new Error('seal key is not 32 bytes of hex (0x…)');
  return { sshPublicKey: sshKey.trim(), sealKey: sealKeyHex || null };
}

/** A whole number within `[min, max]`, named in the error. */
export function wholeNumber (text, what, min = 1, max = 2 ** 32 - 1) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${what} must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * Checks a direct rent of `listing` (a `ListingView` as JSON) before signing, as `leases.rent`
 * will in the next block (`best + 1`); returns the escrow it holds. `spendable` is what the
 * account can hold (free balance less the existential deposit and the fee); `spotPrice`, `mfp`
 * and `minEscrow` are the chain's now (planck, `null` when unset).
 */
export function checkRent ({ listing, gpus, blocks, mode, maxPrice, spendable, best, spotPrice, mfp, minEscrow }) {
  const terms = listing.terms;
  const now = best + 1;
  // More GPUs than are free is the chain's to judge: a rent can preempt spot leases.
  if (gpus > listing.spec.gpuCount) throw new Error(`the machine has ${listing.spec.gpuCount} GPUs (NoFreeGpus)`);
  if (blocks < terms.minLeaseBlocks || blocks > terms.maxLeaseBlocks) {
    throw new Error(`the listing takes leases of ${terms.minLeaseBlocks} to ${terms.maxLeaseBlocks} blocks (DurationOutOfBounds)`);
  }
  if (terms.availableFrom > now) throw new Error(`the machine is listed from block ${terms.availableFrom} (NotAvailableYet)`);
  if (terms.availableUntil !== null && now + blocks > terms.availableUntil) {
    throw new Error(`the machine is listed until block ${terms.availableUntil}: at most ${Math.max(0, terms.availableUntil - now)} blocks from the next block (DurationOutOfBounds)`);
  }
  // The chain lists a machine only while its class has both prices (`listed_machine`).
  if (mfp === null || spotPrice === null) throw new Error('the machine\'s GPU class has no Maximum Fair Price now: it takes no lease (NotListed)');
  let price;
  if (mode === 'OnDemand') {
    price = BigInt(terms.onDemandPrice);
    if (maxPrice < price) throw new Error('the listing\'s price is above your maximum (PriceAboveMax)');
  } else {
    price = maxPrice;
    if (price < BigInt(terms.spotFloorPrice)) throw new Error('your bid is below the listing\'s spot floor (BidBelowFloor)');
    if (price < spotPrice) throw new Error('your bid is below the class\'s spot price (BidBelowSpotPrice)');
  }
  if (price > mfp) throw new Error('the price is above the class\'s Maximum Fair Price (PriceAboveMfp)');
  const escrow = leaseCost(price, gpus, blocks);
  if (escrow < minEscrow) throw new Error('the lease would cost less than the minimum escrow (EscrowBelowMinimum)');
  if (escrow > spendable) throw new Error('your balance cannot hold this lease\'s escrow and its fee (EscrowExceedsBalance)');
  return escrow;
}

/**
 * What `who` can put on hold now: the free balance less the existential deposit (the account
 * must survive) and `fee` (the transaction's own). Freezes (vote locks) do not stop a hold.
 */
export async function spendable (api, who, fee = 0n) {
  const info = await api.query.system.account(who);
  const keep = api.consts.balances.existentialDeposit.toBigInt() + fee;
  const free = info.data.free.toBigInt();
  return free > keep ? free - keep : 0n;
}
