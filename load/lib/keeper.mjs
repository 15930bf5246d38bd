// Does what each leased machine's gpux-worker would: one heartbeat per window, and an
// attestation of every new lease's start. Without it the chain reports a rented machine offline
// after its grace windows (closing its leases and slashing its provider) and abandons a lease
// whose start is not attested in time. Its transactions are tagged 'keeper' in the report and
// counted apart from the kind under test.
import { concat, u64le, windowOf, workerSigningMessage } from './codec.mjs';
import { heartbeatTx } from './kinds.mjs';
import { ENDPOINT } from './setup.mjs';
import { rejectionReason } from './submit.mjs';

export class Keeper {
  constructor ({ api, machines, anchor, genesis, connection, tags, log, concurrency = 64 }) {
    this.api = api;
    this.byId = new Map(machines.map((m) => [m.id, m]));
    this.anchor = anchor;
    this.genesis = genesis;
    this.connection = connection;
    this.tags = tags;
    this.log = log;
    this.concurrency = concurrency;
    this.window = null;
    this.attested = new Set();
    this.queue = [];
    this.inflight = 0;
    this.stopped = false;
    this.stats = { heartbeats: 0, attestations: 0, accepted: 0, rejected: {}, windows: 0 };
    // The endpoint's SCALE bytes, as the call encodes them, for the signed statement.
    const dummy = api.tx.attestation.attestLeaseStart(0, ENDPOINT, new Uint8Array(64));
    this.endpointBytes = dummy.method.args[1].toU8a();
  }

  /** Call on every new best block: a new window (of the next block) gets its heartbeats. */
  onHead (best) {
    if (this.stopped || this.byId.size === 0) return;
    const window = windowOf(this.anchor, best + 1);
    if (window === this.window) return;
    this.window = window;
    this.stats.windows++;
    // Heartbeats still queued for a window that has passed are useless now.
    const stale = this.queue.length;
    this.queue = this.queue.filter((job) => job.what !== 'heartbeat');
    this.stats.staleHeartbeats = (this.stats.staleHeartbeats ?? 0) + stale - this.queue.length;
    for (const machine of this.byId.values()) {
      this.enqueue('heartbeat', () => heartbeatTx(this.api, machine, window, this.genesis));
    }
  }

  /** Call for every `leases.Rented`: a lease on one of our machines gets its start attested. */
  onRented (lease, machineId) {
    if (this.stopped) return;
    const machine = this.byId.get(machineId);
    if (!machine || this.attested.has(lease)) return;
    this.attested.add(lease);
    this.enqueue('attestation', () => {
      const statement = concat(Uint8Array.of(3), u64le(lease), this.endpointBytes);
      const signature = machine.worker.sign(workerSigningMessage(this.genesis, statement));
      return this.api.tx.attestation.attestLeaseStart(lease, ENDPOINT, signature);
    });
  }

  enqueue (what, build) {
    // Bounded: at most one window's heartbeats (older ones are dropped above) and one
    // attestation per lease of our machines.
    this.queue.push({ what, build, window: this.window });
    this.pump();
  }

  pump () {
    while (!this.stopped && this.inflight < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift();
      if (job.what === 'heartbeat' && job.window !== this.window) continue;
      let tx;
      try {
        tx = job.build();
      } catch (e) {
        this.count(`build failed: ${e.message}`);
        continue;
      }
      const entry = { kind: 'keeper', what: job.what };
      this.tags.set(tx.hash.toHex(), entry);
      this.stats[job.what === 'heartbeat' ? 'heartbeats' : 'attestations']++;
      this.inflight++;
      Promise.resolve(this.connection.send('author_submitExtrinsic', [tx.toHex()]))
        .then(() => { this.stats.accepted++; }, (e) => this.count(rejectionReason(e?.message ?? e)))
        .finally(() => { this.inflight--; this.pump(); });
    }
  }

  count (reason) {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
  }

  /** Waits (at most `timeoutMs`) for what is queued and in flight, e.g. setup's attestations. */
  async flush (timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length > 0 || this.inflight > 0) && Date.now() < deadline) {
      this.pump();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  stop () {
    this.stopped = true;
    this.queue.length = 0;
  }
}
