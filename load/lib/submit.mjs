// The timed phase: pre-signed transactions go to the node as raw hex (`author_submitExtrinsic`)
// over a few WebSocket connections, at `rate` a second (a token bucket with a 50 ms burst), with
// at most `concurrency` unanswered. Kinds are taken in `pattern` order; a heartbeat waits for its
// window and is dropped once the window has passed. It stops when everything is sent or
// `durationMs` has passed, then waits (bounded) for the outstanding answers.

const DONE = Symbol('done');
const WAIT = Symbol('wait');

/** An RPC error as a short, countable reason: numbers that vary per transaction are masked. */
export function rejectionReason (message) {
  return String(message)
    .replace(/\(\d+ vs \d+\)/g, '(N vs N)')
    .replace(/0x[0-9a-fA-F]{16,}/g, '0x…')
    .slice(0, 200);
}

export class Submitter {
  /**
   * - `queues`: { kind: [item] }, items in the order to send; `pattern`: kinds, in turn.
   * - `connections`: objects with `send(method, params)` (WsProviders).
   * - `best()`: the best block number now (heads subscription).
   */
  constructor ({ queues, pattern, rate, concurrency, durationMs, connections, best, now = () => Date.now(), tickMs = 5, settleTimeoutMs = 130_000 }) {
    this.queues = Object.fromEntries(Object.entries(queues).map(([k, items]) => [k, { items, pos: 0 }]));
    this.pattern = pattern;
    this.rate = rate;
    this.concurrency = concurrency;
    this.durationMs = durationMs;
    this.connections = connections;
    this.best = best;
    this.now = now;
    this.tickMs = tickMs;
    this.settleTimeoutMs = settleTimeoutMs;
    this.cursor = 0;
    this.inflight = 0;
    this.sent = 0;
    this.waits = 0;
    this.stopReason = null;
  }

  /** The next item to send, WAIT if every pending kind waits for its window, DONE if none left. */
  pick () {
    const best = this.best();
    let waiting = false;
    for (let attempt = 0; attempt < this.pattern.length; attempt++) {
      const kind = this.pattern[this.cursor % this.pattern.length];
      this.cursor = (this.cursor + 1) % this.pattern.length;
      const queue = this.queues[kind];
      if (!queue) continue;
      while (queue.pos < queue.items.length) {
        const head = queue.items[queue.pos];
        if (head.notAfter !== undefined && best > head.notAfter) {
          head.status = 'expired';
          queue.pos++;
          continue;
        }
        break;
      }
      if (queue.pos >= queue.items.length) continue;
      const head = queue.items[queue.pos];
      if (head.notBefore !== undefined && best < head.notBefore) {
        waiting = true;
        continue;
      }
      queue.pos++;
      return head;
    }
    if (waiting) return WAIT;
    return Object.values(this.queues).some((q) => q.pos < q.items.length) ? WAIT : DONE;
  }

  send (item) {
    const connection = this.connections[this.sent % this.connections.length];
    this.sent++;
    this.inflight++;
    item.sentAt = this.now() - this.startedAt;
    item.sentWall = Date.now();
    item.sentBest = this.best();
    item.status = 'pending';
    const t0 = this.now();
    let promise;
    try {
      promise = Promise.resolve(connection.send('author_submitExtrinsic', [item.hex]));
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise.then(() => {
      item.status = 'accepted';
    }, (e) => {
      item.status = 'rejected';
      item.error = rejectionReason(e?.message ?? e);
    }).finally(() => {
      item.latencyMs = this.now() - t0;
      this.inflight--;
    });
  }

  /** Runs the timed phase; resolves with what happened. Every loop is bounded by the deadline. */
  async run () {
    this.startedAt = this.now();
    const deadline = this.startedAt + this.durationMs;
    const burst = Math.max(1, (this.rate * Math.max(this.tickMs, 50)) / 1000);
    let tokens = 1;
    let last = this.startedAt;
    outer:
    while (true) {
      const t = this.now();
      if (t >= deadline) { this.stopReason = 'duration elapsed'; break; }
      tokens = Math.min(burst, tokens + ((t - last) * this.rate) / 1000);
      last = t;
      while (tokens >= 1 && this.inflight < this.concurrency) {
        const item = this.pick();
        if (item === DONE) { this.stopReason = 'all sent'; break outer; }
        if (item === WAIT) { this.waits++; break; }
        tokens -= 1;
        this.send(item);
      }
      await new Promise((resolve) => setTimeout(resolve, this.tickMs));
    }
    this.sendingMs = this.now() - this.startedAt;
    // Outstanding answers: each is bounded by the connection's request timeout; this bounds all.
    const settleDeadline = this.now() + this.settleTimeoutMs;
    while (this.inflight > 0 && this.now() < settleDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const { items, pos } of Object.values(this.queues)) {
      for (let i = pos; i < items.length; i++) items[i].status ??= 'unsent';
    }
    return { stopReason: this.stopReason, sendingMs: this.sendingMs, sent: this.sent, unanswered: this.inflight };
  }
}
