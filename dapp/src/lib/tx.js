// Sends a transaction and reports its progress (signing, in the pool, in a block, finalized)
// and, on failure, the runtime's error by name with its documentation, in plain words.

/** `section.Name: what the runtime's docs say`, for a dispatch error from a block. */
export function explainDispatchError (api, dispatchError) {
  if (dispatchError.isModule) {
    const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
    return `${section}.${name}: ${docs.join(' ').trim() || 'no description'}`;
  }
  if (dispatchError.isToken) return `token.${dispatchError.asToken.type}: the balance does not allow this`;
  if (dispatchError.isArithmetic) return `arithmetic.${dispatchError.asArithmetic.type}`;
  if (dispatchError.isBadOrigin) return 'BadOrigin: this account may not make this call';
  return dispatchError.type;
}

/** A refusal from the pool (`author_submitAndWatchExtrinsic`), in plain words. */
export function explainPoolError (error) {
  const message = String(error?.message ?? error);
  const known = [
    [/Inability to pay some fees|account balance too low/i, 'the account cannot pay the transaction fee'],
    [/Priority is too low/i, 'a transaction with the same nonce is already pending'],
    [/Transaction is outdated|Stale/i, 'the nonce was already used (another transaction of this account was included)'],
    [/Cancelled|Rejected by user/i, 'signing was cancelled in the wallet'],
  ];
  for (const [pattern, words] of known) if (pattern.test(message)) return `${words} (${message})`;
  return message;
}

/**
 * What a `utility.forceBatch` left undone: `"2 of 5 calls failed: leases.LeaseClosed: …"`, or
 * `null` when every call went through.
 */
export function batchFailures (api, events) {
  const failed = events.filter(({ event }) => api.events.utility?.ItemFailed?.is(event));
  if (failed.length === 0) return null;
  const total = events.filter(({ event }) => api.events.utility?.ItemCompleted?.is(event)).length + failed.length;
  const reasons = [...new Set(failed.map(({ event }) => explainDispatchError(api, event.data.error)))];
  return `${failed.length} of ${total} calls failed: ${reasons.join('; ')}`;
}

/**
 * Signs and sends `tx` as `account` (`{ address, signer }` for the extension, or a keyring pair),
 * calling `onStatus(stage, detail)` with stage signing | pool | inBlock | finalized | failed.
 * Resolves with `{ blockHash, events, batchFailures }` once a block includes it with success
 * (re-checked when it is finalized: a reorganised block can change the outcome); rejects with an
 * Error whose message names the failure.
 */
export function send (api, tx, account, onStatus = () => {}) {
  onStatus('signing');
  return new Promise((resolve, reject) => {
    let settled = false;
    let over = false;
    let unsubscribe = null;
    const stop = () => { over = true; unsubscribe?.(); };
    const fail = (message) => {
      if (over) return;
      stop();
      onStatus('failed', message);
      if (!settled) { settled = true; reject(new Error(message)); }
    };
    const options = account.signer ? { signer: account.signer, nonce: -1 } : { nonce: -1 };
    const who = account.signer ? account.address : account;
    tx.signAndSend(who, options, ({ status, events, dispatchError }) => {
      if (over) return;
      if (status.isFuture) onStatus('pool', 'waiting for an earlier transaction of this account');
      if (status.isReady || status.isBroadcast) onStatus('pool');
      if (status.isRetracted) onStatus('pool', 'its block was replaced: waiting for another');
      if (status.isInBlock || status.isFinalized) {
        // A chain with instant finality (a --dev node) reports Finalized without InBlock first.
        const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
        if (dispatchError) return fail(explainDispatchError(api, dispatchError));
        if (!settled) {
          settled = true;
          resolve({ blockHash, events, batchFailures: batchFailures(api, events) });
        }
        if (status.isInBlock) onStatus('inBlock', blockHash);
      }
      if (status.isFinalized) { stop(); onStatus('finalized', status.asFinalized.toHex()); }
      if (status.isFinalityTimeout) fail('its block was not finalized in time');
      if (status.isDropped || status.isInvalid || status.isUsurped) fail(`the transaction was ${status.type.toLowerCase()} by the pool`);
    }).then((u) => { unsubscribe = u; if (over) u(); }).catch((e) => fail(explainPoolError(e)));
  });
}
