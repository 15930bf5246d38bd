// This browser's seal key for an account: made on first use and kept in localStorage, so the
// Jupyter tokens sealed to it open here. It can be exported (to open them elsewhere, e.g. with
// `gpux jupyter`) and replaced by an imported one.
import { u8aToHex, hexToU8a } from '@polkadot/util';
import { useState } from 'preact/hooks';
import { newSealKeyPair, sealPublicKey } from '../lib/seal.js';
import { html } from '../ui.js';

const storageKey = (address) => `gpux-seal-secret:${address}`;

function secretFor (address) {
  let hex = localStorage.getItem(storageKey(address));
  if (!hex) {
    hex = u8aToHex(newSealKeyPair().secretKey);
    localStorage.setItem(storageKey(address), hex);
  }
  return hexToU8a(hex);
}

/** `{ secret(), publicKeyHex(), replace(hex) }` for `account`'s seal key in this browser. */
export function useSealKey (account) {
  const [, bump] = useState(0);
  const address = account?.address;
  const need = () => { if (!address) throw new Error('Choose an account first.'); return address; };
  return {
    secret: () => secretFor(need()),
    publicKeyHex: () => u8aToHex(sealPublicKey(secretFor(need()))),
    replace: (hex) => {
      if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new Error('a seal secret is 32 bytes of hex (0x…)');
      // The old secret opens the tokens of leases rented with it: replacing it loses them.
      if (!window.confirm('Replace this browser\'s seal secret? Tokens sealed to the old one will no longer open here.')) return;
      localStorage.setItem(storageKey(need()), hex);
      bump((n) => n + 1);
    },
  };
}

/** Shows the seal key and lets its secret be exported or replaced. */
export function SealKeyPanel ({ account }) {
  const seal = useSealKey(account);
  const [shown, setShown] = useState(false);
  const [error, setError] = useState('');
  if (!account) return null;
  return html`<details class="panel" data-testid="seal-key">
    <summary>Seal key of this browser (opens Jupyter tokens)</summary>
    <p>Public: <code>${seal.publicKeyHex()}</code></p>
    <button onClick=${() => setShown(!shown)}>${shown ? 'Hide' : 'Show'} the secret</button>
    ${shown && html`<p>Secret (keep it private): <code>${u8aToHex(seal.secret())}</code></p>`}
    <label class="field"><span>Use another seal secret</span>
      <input placeholder="0x…" onChange=${(e) => { try { seal.replace(e.target.value.trim()); setError(''); } catch (x) { setError(x.message); } }} />
    </label>
    ${error && html`<p class="error">${error}</p>`}
  </details>`;
}
