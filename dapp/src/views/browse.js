// The renter's market: filter and sort listings, quote, rent on demand or spot, place an order.
import { useEffect, useState } from 'preact/hooks';
import { duration, gpux, leaseCost, parseGpux, percent, text } from '../lib/format.js';
import { accessSpec, checkRent, listingFilter, requirements, spendable, wholeNumber } from '../lib/market.js';
import { priceHistory } from '../lib/history.js';
import { Chart, Field, html, TxButton } from '../ui.js';
import { useSealKey } from './seal-key.js';

const SORTS = [
  ['PriceAscending', 'Price, lowest first'],
  ['PriceDescending', 'Price, highest first'],
  ['ReputationDescending', 'Reputation, best first'],
  ['AdjustedPriceAscending', 'Price for reputation, best first'],
  ['PerVram', 'Price per GiB of GPU memory (of the 100 cheapest)'],
];

export function Browse ({ api, account, best }) {
  const [classes, setClasses] = useState([]);
  const [filter, setFilter] = useState({ mode: 'OnDemand' });
  const [sort, setSort] = useState({ sort: 'PriceAscending' });
  const [listings, setListings] = useState(null);
  const [error, setError] = useState('');
  const [chosen, setChosen] = useState(null);

  useEffect(() => {
    api.call.marketplaceApi.gpuClasses().then((list) => setClasses(list.map(([id, model, vram, ceiling]) => ({
      id: id.toNumber(), model: text(model), vram: vram.toNumber(), ceiling: ceiling.toBigInt(),
    })))).catch((e) => setError(e.message));
  }, [api]);

  const search = async () => {
    setError('');
    try {
      const runtimeSort = sort.sort === 'PerVram' ? 'PriceAscending' : sort.sort;
      const page = await api.call.marketplaceApi.listings(listingFilter(filter), runtimeSort, { offset: 0, limit: 100 });
      let rows = page.map((l) => l.toJSON());
      if (sort.sort === 'PerVram') {
        const perGib = (l) => Number(BigInt(l.pricePerGpuHour)) / Math.max(1, l.spec.vramGibPerGpu);
        rows = rows.sort((a, b) => perGib(a) - perGib(b));
      }
      setListings(rows);
    } catch (e) { setError(e.message); }
  };
  useEffect(() => { search(); }, [api]);

  const classOptions = [['', 'any class'], ...classes.map((c) => [String(c.id), `${c.model} (${c.vram} GiB)`])];
  return html`<section>
    <h2>Find GPUs</h2>
    <div class="filters" data-testid="filters">
      <${Field} label="GPU class" name="gpuClass" values=${filter} set=${setFilter} options=${classOptions} />
      <${Field} label="Model contains" name="model" values=${filter} set=${setFilter} placeholder="4090" />
      <${Field} label="Lease mode" name="mode" values=${filter} set=${setFilter} options=${[['OnDemand', 'On demand'], ['Spot', 'Spot']]} />
      <${Field} label="Max price / GPU-hour (GPUX)" name="maxPrice" values=${filter} set=${setFilter} />
      <${Field} label="Free GPUs at least" name="minFreeGpus" values=${filter} set=${setFilter} type="number" />
      <${Field} label="GPU memory at least (GiB)" name="minVramGib" values=${filter} set=${setFilter} type="number" />
      <${Field} label="Compute capability at least" name="minComputeCapability" values=${filter} set=${setFilter} placeholder="8.9" />
      <${Field} label="Country" name="country" values=${filter} set=${setFilter} placeholder="DE" />
      <${Field} label="Reputation at least (%)" name="minReputation" values=${filter} set=${setFilter} type="number" />
      <${Field} label="Uptime at least (%)" name="minUptime" values=${filter} set=${setFilter} type="number" />
      <${Field} label="CPU cores at least" name="minCpuCores" values=${filter} set=${setFilter} type="number" />
      <${Field} label="RAM at least (GiB)" name="minRamGib" values=${filter} set=${setFilter} type="number" />
      <${Field} label="Disk at least (GiB)" name="minDiskGib" values=${filter} set=${setFilter} type="number" />
      <${Field} label="Upload at least (Mbit/s)" name="minBandwidthUpMbps" values=${filter} set=${setFilter} type="number" />
      <${Field} label="Download at least (Mbit/s)" name="minBandwidthDownMbps" values=${filter} set=${setFilter} type="number" />
      <${Field} label="Access" name="access" values=${filter} set=${setFilter} options=${[['', 'any'], ['Ssh', 'SSH'], ['Jupyter', 'Jupyter'], ['Api', 'API']]} />
      <${Field} label="Lease length (blocks) it must take" name="leaseBlocks" values=${filter} set=${setFilter} type="number" />
      <${Field} label="Driver version at least" name="minDriverVersion" values=${filter} set=${setFilter} placeholder="550.54" />
      <${Field} label="Sort" name="sort" values=${sort} set=${setSort} options=${SORTS} />
      <button data-testid="search" onClick=${search}>Search</button>
    </div>
    ${error && html`<p class="error">${error}</p>`}
    ${listings && html`<table data-testid="listings">
      <thead><tr><th>Machine</th><th>GPUs</th><th>Free</th><th>Region</th><th>Price / GPU-h</th><th>Reputation</th><th>Uptime</th><th>Lease length</th><th></th></tr></thead>
      <tbody>${listings.length === 0 && html`<tr><td colspan="9" class="muted">No listing matches.</td></tr>`}
      ${listings.map((l) => html`<tr data-testid=${`listing-${l.machine}`}>
        <td>#${l.machine} ${hexText(l.model)}</td>
        <td>${l.spec.gpuCount} × ${l.spec.vramGibPerGpu} GiB (cc ${l.spec.computeCapability.major}.${l.spec.computeCapability.minor})</td>
        <td>${l.freeGpus}</td>
        <td>${hexText(l.region.country)}${l.region.location ? ` · ${hexText(l.region.location)}` : ''}</td>
        <td>${gpux(BigInt(l.pricePerGpuHour))}</td>
        <td>${percent(l.reputation)}</td>
        <td>${l.uptime === null ? '—' : percent(l.uptime)}</td>
        <td>${duration(l.terms.minLeaseBlocks)} – ${duration(l.terms.maxLeaseBlocks)}</td>
        <td><button data-testid=${`choose-${l.machine}`} onClick=${() => setChosen(l)}>Rent…</button></td>
      </tr>`)}</tbody>
    </table>`}
    ${chosen && html`<${RentForm} api=${api} account=${account} best=${best} listing=${chosen} mode=${filter.mode} />`}
    <${QuoteAndOrder} api=${api} account=${account} best=${best} filter=${filter} />
  </section>`;
}

/** Bytes from `toJSON()` (hex) as text. */
export const hexText = (hex) => (typeof hex === 'string' && hex.startsWith('0x')
  ? new TextDecoder().decode(Uint8Array.from(hex.slice(2).match(/../g) ?? [], (b) => parseInt(b, 16)))
  : String(hex ?? ''));

function RentForm ({ api, account, best, listing, mode }) {
  const seal = useSealKey(account);
  const [form, setForm] = useState({ gpus: '1', hours: '1', mode: mode ?? 'OnDemand', maxPrice: '', sshKey: '' });
  const [result, setResult] = useState(null);
  const blocks = Math.round(Number(form.hours) * 600);
  const price = form.mode === 'OnDemand' ? BigInt(listing.terms.onDemandPrice) : (parseGpux(form.maxPrice) ?? 0n);
  const gpusOk = Number.isInteger(Number(form.gpus)) && Number(form.gpus) > 0;
  const estimate = Number.isInteger(blocks) && blocks > 0 && gpusOk ? leaseCost(price, Number(form.gpus), blocks) : null;
  const build = async () => {
    const gpus = wholeNumber(form.gpus, 'GPUs', 1, listing.spec.gpuCount);
    wholeNumber(blocks, 'the lease length in blocks');
    const maxPrice = form.mode === 'OnDemand' && !form.maxPrice ? BigInt(listing.terms.onDemandPrice) : parseGpux(form.maxPrice);
    if (maxPrice === null) throw new Error(`max price "${form.maxPrice}" is not an amount of GPUX`);
    // The listing as it is now, not as it was when the page fetched it.
    const record = await api.query.marketplace.machines(listing.machine);
    const terms = record.isSome && record.unwrap().listing.isSome ? record.unwrap().listing.unwrap().toJSON() : null;
    if (!terms) throw new Error(`machine #${listing.machine} is no longer listed (NotListed)`);
    const gpuClass = listing.spec.gpuClass;
    const [spot, mfp] = await Promise.all([api.call.marketplaceApi.spotPrice(gpuClass), api.call.marketplaceApi.mfp(gpuClass)]);
    const some = (o) => (o.isSome ? o.unwrap().toBigInt() : null);
    const access = accessSpec(form.sshKey, form.useSeal ? seal.publicKeyHex() : null);
    const tx = api.tx.leases.rent(listing.machine, gpus, form.mode, blocks, maxPrice, access);
    const fee = (await tx.paymentInfo(account.address)).partialFee.toBigInt();
    checkRent({
      listing: { ...listing, terms }, gpus, blocks, mode: form.mode, maxPrice, best,
      spendable: await spendable(api, account.address, fee),
      spotPrice: some(spot), mfp: some(mfp),
      minEscrow: api.consts.leases.minEscrow.toBigInt(),
    });
    return tx;
  };
  return html`<div class="panel" data-testid="rent-form">
    <h3>Rent machine #${listing.machine}</h3>
    <div class="filters">
      <${Field} label="GPUs" name="gpus" values=${form} set=${setForm} type="number" />
      <${Field} label="Hours" name="hours" values=${form} set=${setForm} type="number"
        hint=${`${duration(listing.terms.minLeaseBlocks)} to ${duration(listing.terms.maxLeaseBlocks)}`} />
      <${Field} label="Mode" name="mode" values=${form} set=${setForm} options=${[['OnDemand', 'On demand'], ['Spot', 'Spot (preemptible)']]} />
      <${Field} label=${form.mode === 'Spot' ? 'Your bid / GPU-hour (GPUX)' : 'Max price / GPU-hour (GPUX, optional)'} name="maxPrice" values=${form} set=${setForm} />
      <${Field} label="SSH public key" name="sshKey" values=${form} set=${setForm} type="textarea" placeholder="ssh-ed25519 AAAA… you@laptop" />
      <${Field} label="Jupyter: seal the token to this browser's seal key" name="useSeal" values=${form} set=${setForm} type="checkbox" />
    </div>
    <p data-testid="rent-estimate">Escrow held now: <b>${estimate === null ? '—' : gpux(estimate)}</b>; unused time is refunded.</p>
    <${TxButton} api=${api} account=${account} label="Rent" testId="rent" build=${build}
      onDone=${({ events }) => setResult(events.find(({ event }) => api.events.leases.Rented.is(event))?.event.data.lease.toNumber())} />
    ${result !== null && result !== undefined && html`<p data-testid="rented">Lease #${result} is yours: see My leases.</p>`}
  </div>`;
}

function QuoteAndOrder ({ api, account, best, filter }) {
  const seal = useSealKey(account);
  const [form, setForm] = useState({ gpus: '1', hours: '1', maxPrice: '1', expiresIn: '600', sshKey: '', split: false });
  const [quote, setQuote] = useState('');
  const mode = filter.mode || 'OnDemand';
  const blocks = () => wholeNumber(Math.round(Number(form.hours) * 600), 'the lease length in blocks');
  const getQuote = async () => {
    try {
      const q = await api.call.marketplaceApi.quote(requirements(filter), wholeNumber(form.gpus, 'GPUs'), blocks(), mode);
      setQuote(q.isOk
        ? `Machine #${q.asOk.listing.machine} at ${gpux(q.asOk.listing.pricePerGpuHour.toBigInt())} per GPU-hour: ${gpux(q.asOk.total.toBigInt())} in all.`
        : `Nothing matches: ${q.asErr.type}.`);
    } catch (e) { setQuote(e.message); }
  };
  const build = () => {
    const maxPrice = parseGpux(form.maxPrice);
    if (maxPrice === null || maxPrice === 0n) throw new Error('max price must be an amount of GPUX above 0');
    // The order is placed in the next block, and must expire after it.
    const expiresAt = best + 1 + wholeNumber(form.expiresIn, 'expiry (blocks from now)', 1, 100_800);
    return api.tx.marketplace.placeOrder(requirements(filter), wholeNumber(form.gpus, 'GPUs'), blocks(), mode, maxPrice,
      expiresAt, accessSpec(form.sshKey, form.useSeal ? seal.publicKeyHex() : null), Boolean(form.split));
  };
  return html`<div class="panel" data-testid="order-form">
    <h3>Quote or order by the filters above</h3>
    <div class="filters">
      <${Field} label="GPUs" name="gpus" values=${form} set=${setForm} type="number" />
      <${Field} label="Hours" name="hours" values=${form} set=${setForm} type="number" />
      <${Field} label="Max price / GPU-hour (GPUX)" name="maxPrice" values=${form} set=${setForm} />
      <${Field} label="Order expires in (blocks)" name="expiresIn" values=${form} set=${setForm} type="number" />
      <${Field} label="SSH public key" name="sshKey" values=${form} set=${setForm} type="textarea" />
      <${Field} label="Seal the Jupyter token to this browser" name="useSeal" values=${form} set=${setForm} type="checkbox" />
      <${Field} label="May split across a fleet" name="split" values=${form} set=${setForm} type="checkbox" />
    </div>
    <button data-testid="quote" onClick=${getQuote}>Quote</button> <span data-testid="quote-result">${quote}</span>
    <div><${TxButton} api=${api} account=${account} label="Place order" testId="place-order" build=${build} /></div>
  </div>`;
}

/** A class's spot price against its MFP over recent blocks. */
export function PriceHistory ({ api, best }) {
  const [gpuClass, setGpuClass] = useState({ id: '0' });
  const [history, setHistory] = useState(null);
  useEffect(() => {
    priceHistory(api, Number(gpuClass.id), best).then(setHistory).catch(() => setHistory(null));
  }, [api, gpuClass.id, Math.floor(best / 20)]);
  return html`<div class="panel">
    <${Field} label="Price history of GPU class" name="id" values=${gpuClass} set=${setGpuClass} type="number" />
    ${history && html`<${Chart} title="Spot price against the Maximum Fair Price" unit="GPUX per GPU-hour" testId="price-history"
      series=${[{ name: 'MFP', color: '#d54', points: history.mfp }, { name: 'spot', color: '#27a', points: history.spot }]} />`}
  </div>`;
}
