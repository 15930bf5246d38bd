// Amounts, durations and keys as people read them.

/** Planck per GPUX (12 decimals). */
export const UNIT = 10n ** 12n;
/** Blocks per hour at the chain's 6-second slots: prices are per GPU-hour. */
export const BLOCKS_PER_HOUR = 600n;

/** `1.5 GPUX` from planck (bigint, BN or number), with up to `digits` decimals, rounded down. */
export function gpux (planck, digits = 4) {
  const value = BigInt(planck.toString());
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  const whole = abs / UNIT;
  const frac = (abs % UNIT).toString().padStart(12, '0').slice(0, digits).replace(/0+$/, '');
  return `${sign}${whole.toLocaleString('en-US')}${frac ? `.${frac}` : ''} GPUX`;
}

/** Planck from a decimal GPUX string (`"0.5"`); `null` when it is not a non-negative amount. */
export function parseGpux (text) {
  const match = /^\s*(\d+)(?:\.(\d{0,12}))?\s*$/.exec(String(text));
  if (!match) return null;
  return BigInt(match[1]) * UNIT + BigInt((match[2] ?? '').padEnd(12, '0'));
}

/** What `blocks` of leasing at `pricePerGpuHour` for `gpus` GPUs costs: the chain's escrow. */
export function leaseCost (pricePerGpuHour, gpus, blocks) {
  return BigInt(pricePerGpuHour.toString()) * BigInt(gpus) * BigInt(blocks) / BLOCKS_PER_HOUR;
}

/** `2 h 5 min` for a number of blocks of `blockSeconds` each. */
export function duration (blocks, blockSeconds = 6) {
  let seconds = Math.max(0, Number(blocks)) * blockSeconds;
  const days = Math.floor(seconds / 86400); seconds -= days * 86400;
  const hours = Math.floor(seconds / 3600); seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60); seconds -= minutes * 60;
  const parts = [days && `${days} d`, hours && `${hours} h`, minutes && `${minutes} min`];
  const shown = parts.filter(Boolean);
  return shown.length ? shown.slice(0, 2).join(' ') : `${seconds} s`;
}

/** A Permill as a percentage: `87.5 %`. */
export function percent (permill) {
  return `${(Number(permill.toString()) / 10_000).toFixed(1).replace(/\.0$/, '')} %`;
}

/** OpenSSH's `SHA256:…` for a 32-byte fingerprint (unpadded base64). */
export function sshFingerprint (bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `SHA256:${btoa(binary).replace(/=+$/, '')}`;
}

/** Text from on-chain bytes (a `Bytes`/`BoundedVec<u8>` codec or a Uint8Array). */
export function text (bytes) {
  const u8a = bytes?.toU8a ? bytes.toU8a(true) : bytes;
  return new TextDecoder().decode(u8a ?? new Uint8Array());
}

/**
 * Whether `host` (what a provider's worker attested) is a plain DNS name or IP address, safe to
 * put in a command a renter copies into a shell. The chain does not check it: a provider could
 * attest `x; rm -rf ~` or an ssh option such as `-oProxyCommand=…`.
 */
export function isPlainHost (host) {
  if (/^[0-9A-Fa-f:]+$/.test(host) && host.includes(':')) return host.length <= 45; // IPv6
  // A numeric last label is an IPv4 address, and only as a dotted quad: resolvers read `0`,
  // `2130706433` or `0x7f.1` as addresses too (gpux-client's is_plain_host, the same rule).
  const last = host.split('.').at(-1);
  if (/^[0-9]*$/.test(last) || /^0x/i.test(last)) {
    return /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/.test(host);
  }
  const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
  return host.length <= 253 && new RegExp(`^${label}(?:\\.${label})*$`).test(host);
}

/** `host` as a URL's host: an IPv6 address in brackets. */
export const urlHost = (host) => (host.includes(':') ? `[${host}]` : host);
