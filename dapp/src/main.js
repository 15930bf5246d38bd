// GPUX dApp: connects to the node named by `?node=` (or the one it was built for), offers the
// browser extension's accounts (and dev accounts on dev chains), and shows the market's views.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { gpux } from './lib/format.js';
import { devAccounts, extensionAccounts, isDevChain, nodeUrlProblem } from './lib/wallet.js';
import { html } from './ui.js';
import { Browse, PriceHistory } from './views/browse.js';
import { Governance } from './views/governance.js';
import { Jobs } from './views/jobs.js';
import { MyLeases } from './views/leases.js';
import { Provider } from './views/provider.js';
import { SealKeyPanel } from './views/seal-key.js';

const params = new URLSearchParams(location.search);
const BUILT_FOR = import.meta.env.VITE_GPUX_NODE ?? 'ws://127.0.0.1:9944';
const NODE_URL = params.get('node') ?? BUILT_FOR;

const TABS = [['browse', 'Find GPUs'], ['leases', 'My leases'], ['jobs', 'Jobs'], ['provider', 'Provider'], ['governance', 'Governance']];

function App () {
  const [api, setApi] = useState(null);
  const [failure, setFailure] = useState('');
  const [accounts, setAccounts] = useState([]);
  const [address, setAddress] = useState(params.get('account') ?? localStorage.getItem('gpux-account') ?? '');
  const [best, setBest] = useState(0);
  const [balance, setBalance] = useState(0n);
  const [tab, setTab] = useState(params.get('tab') ?? 'browse');
  const [chain, setChain] = useState('');

  useEffect(() => {
    const problem = nodeUrlProblem(NODE_URL);
    if (problem) { setFailure(problem); return undefined; }
    const provider = new WsProvider(NODE_URL, 2_000);
    provider.on('error', () => setFailure(`Cannot reach the node at ${NODE_URL}: is it running? (choose another with ?node=ws://HOST:PORT)`));
    let unsubscribe;
    ApiPromise.create({ provider, noInitWarn: true }).then(async (a) => {
      setFailure('');
      setChain(`${await a.rpc.system.chain()} (spec ${a.runtimeVersion.specVersion})`);
      const found = [...await extensionAccounts(a).catch(() => []), ...(await isDevChain(a) ? devAccounts(a) : [])];
      setAccounts(found);
      unsubscribe = await a.rpc.chain.subscribeNewHeads((h) => setBest(h.number.toNumber()));
      setApi(a);
    }).catch((e) => setFailure(`The node at ${NODE_URL} failed: ${e.message}`));
    return () => { unsubscribe?.(); provider.disconnect(); };
  }, []);

  const account = accounts.find((a) => a.address === address) ?? null;
  useEffect(() => {
    if (!api || !account) return;
    api.query.system.account(account.address).then((info) => setBalance(info.data.free.toBigInt())).catch(() => {});
  }, [api, address, best]);
  const choose = (value) => { setAddress(value); localStorage.setItem('gpux-account', value); };

  if (!api) return html`<main><h1>GPUX</h1><p data-testid="connecting">${failure || `Connecting to ${NODE_URL}…`}</p></main>`;
  const props = { api, account, best, balance };
  return html`<main>
    <header>
      <h1>GPUX</h1>
      <span class="muted" data-testid="chain">${chain} · block #${best}</span>
      ${NODE_URL !== BUILT_FOR && html`<span class="warning" data-testid="other-node">Connected to ${NODE_URL}, not ${BUILT_FOR}: check that you trust it before signing.</span>`}
      <select data-testid="account" value=${address} onChange=${(e) => choose(e.target.value)}>
        <option value="">${accounts.length ? 'Choose an account' : 'No account: install a polkadot wallet extension'}</option>
        ${accounts.map((a) => html`<option value=${a.address}>${a.name} · ${a.address.slice(0, 6)}…${a.address.slice(-4)}</option>`)}
      </select>
      ${account && html`<span data-testid="balance">${gpux(balance)} free</span>`}
    </header>
    <nav>${TABS.map(([id, label]) => html`<button class=${tab === id ? 'active' : ''} data-testid=${`tab-${id}`} onClick=${() => setTab(id)}>${label}</button>`)}</nav>
    ${tab === 'browse' && html`<${Browse} ...${props} /><${PriceHistory} ...${props} />`}
    ${tab === 'leases' && html`<${MyLeases} ...${props} /><${SealKeyPanel} account=${account} />`}
    ${tab === 'jobs' && html`<${Jobs} ...${props} />`}
    ${tab === 'provider' && html`<${Provider} ...${props} />`}
    ${tab === 'governance' && html`<${Governance} ...${props} />`}
  </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
