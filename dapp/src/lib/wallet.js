// Accounts: the browser extension's (polkadot{.js}, Talisman, SubWallet…) for real chains, and
// the well-known dev accounts only on a chain whose type says Development or Local.
import { Keyring } from '@polkadot/keyring';

export const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

/** Whether the connected chain is a dev or local chain (dev accounts are offered only there). */
export async function isDevChain (api) {
  const type = await api.rpc.system.chainType();
  return type.isDevelopment || type.isLocal;
}

/** The dev accounts as keyring pairs, `{ address, name, pair }`. */
export function devAccounts (api) {
  const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
  return DEV_NAMES.map((name) => {
    const pair = keyring.addFromUri(`//${name}`, { name });
    return { address: pair.address, name: `${name} (dev)`, pair };
  });
}

/** The extension's accounts, `{ address, name, signer }`; empty without an extension. */
export async function extensionAccounts (api) {
  const { web3Enable, web3Accounts, web3FromAddress } = await import('@polkadot/extension-dapp');
  const extensions = await web3Enable('GPUX dApp');
  if (extensions.length === 0) return [];
  const accounts = await web3Accounts({ ss58Format: api.registry.chainSS58 });
  return Promise.all(accounts.map(async ({ address, meta }) => ({
    address,
    name: meta.name ?? address.slice(0, 8),
    signer: (await web3FromAddress(address)).signer,
  })));
}

/** What `send` signs with: the extension's signer, or the dev pair itself. */
export const signingAccount = (account) => account.pair ?? account;

/** Why the page will not use `url` as its node, or `null`: plain ws:// only on loopback. */
export function nodeUrlProblem (url) {
  let parsed;
  try { parsed = new URL(url); } catch { return `"${url}" is not a URL`; }
  if (parsed.protocol === 'wss:') return null;
  if (parsed.protocol !== 'ws:') return `"${url}" is not a ws:// or wss:// URL`;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  return loopback ? null : `"${url}" is plain ws:// to another machine: anyone on the way could change what the page shows and signs; use wss://`;
}
