// The chain's SSH key check (pallets/primitives/src/access.rs), in the browser: a key it would
// refuse with `MalformedSshKey` is refused here before anything is signed. Keep the two in step;
// test/sshkey.test.mjs runs the Rust tests' keys through this one.

/** Longest key line the chain stores (`MAX_SSH_KEY_LEN`). */
export const MAX_SSH_KEY_LEN = 1024;
const MIN_RSA_MODULUS_BITS = 1024;

const KEY_TYPES = {
  'ssh-ed25519': { shape: 'ed25519' },
  'sk-ssh-ed25519@openssh.com': { shape: 'sk-ed25519' },
  'ssh-rsa': { shape: 'rsa' },
  'ecdsa-sha2-nistp256': { shape: 'ecdsa', curve: 'nistp256', point: 65 },
  'ecdsa-sha2-nistp384': { shape: 'ecdsa', curve: 'nistp384', point: 97 },
  'ecdsa-sha2-nistp521': { shape: 'ecdsa', curve: 'nistp521', point: 133 },
  'sk-ecdsa-sha2-nistp256@openssh.com': { shape: 'sk-ecdsa' },
};

const REASONS = {
  TooLong: `longer than ${MAX_SSH_KEY_LEN} bytes`,
  NotOneLine: 'not one line of printable ASCII',
  UnknownType: 'not "TYPE BASE64 [COMMENT]" with a type sshd accepts (ssh-ed25519, ssh-rsa, ecdsa-sha2-*, sk-*)',
  BadKeyData: 'its base64 part is not a key of the named type',
};

/** Why `line` is not an SSH public key the chain accepts, in words; `null` when it is. */
export function sshKeyProblem (line) {
  const reason = sshKeyError(line);
  return reason && `SSH key refused: ${REASONS[reason]}`;
}

/** The chain's `SshKeyError` name for `line` (or `TooLong`); `null` when it passes. */
export function sshKeyError (line) {
  const bytes = new TextEncoder().encode(line);
  if (bytes.length > MAX_SSH_KEY_LEN) return 'TooLong';
  if (bytes.length === 0 || !bytes.every((b) => b >= 0x20 && b < 0x7f)) return 'NotOneLine';
  const first = line.indexOf(' ');
  if (first < 0) return 'UnknownType';
  const type = line.slice(0, first);
  const rest = line.slice(first + 1);
  const second = rest.indexOf(' ');
  const data = second < 0 ? rest : rest.slice(0, second);
  if (!Object.hasOwn(KEY_TYPES, type)) return 'UnknownType';
  const shape = KEY_TYPES[type];
  const blob = base64Decode(data);
  return blob && checkBlob(blob, type, shape) ? null : 'BadKeyData';
}

/** The key blob of an accepted key line: what OpenSSH's `SHA256:` fingerprint hashes. */
export function sshKeyBlob (line) {
  return sshKeyError(line) ? null : base64Decode(line.split(' ')[1]);
}

function wire (bytes) {
  let at = 0;
  return {
    string () {
      if (bytes.length - at < 4) return null;
      const len = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
      if (bytes.length - at - 4 < len) return null;
      const value = bytes.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      return value;
    },
    done: () => at === bytes.length,
  };
}

const ascii = (bytes) => bytes && String.fromCharCode(...bytes);

function checkBlob (blob, type, { shape, curve, point: pointLen }) {
  const w = wire(blob);
  if (ascii(w.string()) !== type) return false;
  let ok;
  switch (shape) {
    case 'ed25519': ok = w.string()?.length === 32; break;
    case 'sk-ed25519': ok = w.string()?.length === 32 && w.string()?.length > 0; break;
    case 'rsa': {
      const e = positiveMpint(w.string());
      const n = positiveMpint(w.string());
      ok = e !== null && n !== null && e.length > 0 && n.length > 0 &&
        n.length * 8 - Math.clz32(n[0]) + 24 >= MIN_RSA_MODULUS_BITS;
      break;
    }
    case 'ecdsa': {
      const point = ascii(w.string()) === curve ? w.string() : null;
      ok = point?.length === pointLen && point[0] === 4;
      break;
    }
    case 'sk-ecdsa': {
      const point = ascii(w.string()) === 'nistp256' ? w.string() : null;
      ok = point?.length === 65 && point[0] === 4 && w.string()?.length > 0;
      break;
    }
  }
  return Boolean(ok) && w.done();
}

/** An RFC 4251 mpint's magnitude when positive and minimal; `null` otherwise. */
function positiveMpint (bytes) {
  if (bytes === null) return null;
  if (bytes.length === 0) return bytes;
  if (bytes[0] === 0) return bytes.length > 1 && (bytes[1] & 0x80) ? bytes.subarray(1) : null;
  return (bytes[0] & 0x80) ? null : bytes;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Padded standard base64, strictly (no stray bits in the last chunk), as the chain decodes it. */
function base64Decode (text) {
  if (text.length === 0 || text.length % 4 !== 0) return null;
  const padding = text.length - text.replace(/=+$/, '').length;
  if (padding > 2) return null;
  const body = text.slice(0, text.length - padding);
  const out = [];
  for (let i = 0; i < body.length; i += 4) {
    const chunk = body.slice(i, i + 4);
    let acc = 0;
    for (const c of chunk) {
      const v = B64.indexOf(c);
      if (v < 0) return null;
      acc = acc * 64 + v;
    }
    acc *= 64 ** (4 - chunk.length);
    const keep = Math.floor(chunk.length * 6 / 8);
    const bytes = [(acc >> 16) & 0xff, (acc >> 8) & 0xff, acc & 0xff];
    if (chunk.length < 4 && bytes.slice(keep).some((b) => b !== 0)) return null;
    out.push(...bytes.slice(0, keep));
  }
  return Uint8Array.from(out);
}
