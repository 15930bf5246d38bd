// Recent history read from state at past blocks (the node keeps 256 blocks of state unless it
// runs as an archive): a machine's heartbeats, a class's price against its MFP.

/** Up to `points` block numbers evenly spread over the last `span` blocks, oldest first. */
export function sampleBlocks (best, span, points) {
  const first = Math.max(1, best - span + 1);
  const step = Math.max(1, Math.floor((best - first) / Math.max(1, points - 1)));
  const blocks = [];
  for (let n = first; n <= best && blocks.length < points; n += step) blocks.push(n);
  if (blocks[blocks.length - 1] !== best) blocks.push(best);
  return blocks;
}

/** `f(apiAt, block)` at each sampled block; blocks whose state is gone are left out. */
export async function atBlocks (api, blocks, f) {
  const out = [];
  for (const n of blocks) {
    try {
      const hash = await api.rpc.chain.getBlockHash(n);
      out.push([n, await f(await api.at(hash), n)]);
    } catch { /* pruned state: older than the node keeps */ }
  }
  return out;
}

/** Mean GPU utilization (%) and hottest GPU (°C) of `machine`'s heartbeats over recent blocks. */
export async function heartbeatHistory (api, machine, best, span = 240, points = 24) {
  const samples = await atBlocks(api, sampleBlocks(best, span, points), async (at) => {
    const record = await at.query.attestation.heartbeats(machine);
    if (record.isNone || record.unwrap().receivedAt.isNone) return null;
    const gpus = record.unwrap().telemetry.gpus.filter((g) => !g.lost.isTrue);
    const util = gpus.map((g) => g.utilizationPct.unwrapOr(null)?.toNumber()).filter((v) => v !== undefined && v !== null);
    const temp = gpus.map((g) => g.temperatureC.unwrapOr(null)?.toNumber()).filter((v) => v !== undefined && v !== null);
    return {
      util: util.length ? util.reduce((a, b) => a + b, 0) / util.length : null,
      temp: temp.length ? Math.max(...temp) : null,
    };
  });
  const present = samples.filter(([, s]) => s);
  return {
    utilization: present.filter(([, s]) => s.util !== null).map(([n, s]) => [n, s.util]),
    temperature: present.filter(([, s]) => s.temp !== null).map(([n, s]) => [n, s.temp]),
  };
}

/** A class's MFP and spot price (GPUX per GPU-hour) over recent blocks. */
export async function priceHistory (api, gpuClass, best, span = 240, points = 24) {
  const samples = await atBlocks(api, sampleBlocks(best, span, points), async (at) => {
    const [mfp, spot] = await Promise.all([at.call.marketplaceApi.mfp(gpuClass), at.call.marketplaceApi.spotPrice(gpuClass)]);
    const toGpux = (o) => (o.isSome ? Number(o.unwrap().toBigInt()) / 1e12 : null);
    return { mfp: toGpux(mfp), spot: toGpux(spot) };
  });
  return {
    mfp: samples.filter(([, s]) => s.mfp !== null).map(([n, s]) => [n, s.mfp]),
    spot: samples.filter(([, s]) => s.spot !== null).map(([n, s]) => [n, s.spot]),
  };
}
