// Sends a transaction and reports its progress (signing, in the pool, in a block, finalized)
// and, on failure, the runtime's error by name with its documentation, in plain words.

/** `Section.Name: what the runtime's docs say`, for a dispatch error from a block. */
export function explainDispatchError (api, dispatchError) {
  if (dispatchError.isModule) {
    const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
    return `${section}.${name}: ${docs.join(' ').trim() || 'no description'}`;
  }
  if (dispatchError.isToken) return `token.${dispatchError.asToken.type}: the balance cannot pay for this`;
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
 * Signs and sends `tx` as `account` (`{ address, signer? }` for the extension, or a keyring pair),
 * calling `onStatus(stage, detail)` with stage signing | pool | inBlock | finalized | failed.
 * Resolves with `{ blockHash, events }` once in a block with success; rejects with an Error whose
 * message names the failure.
 */
export function send (api, tx, account, onStatus = () => {}) {
  onStatus('signing');
  return new Promise((resolve, reject) => {
    let settled = false;
    let failed = false;
    const fail = (message) => {
      if (failed) return;
      failed = true;
      onStatus('failed', message);
      if (!settled) { settled = true; reject(new Error(message)); }
    };
    const options = account.signer ? { signer: account.signer, nonce: -1 } : { nonce: -1 };
    const who = account.signer ? account.address : account;
    tx.signAndSend(who, options, ({ status, events, dispatchError }) => {
      if (failed) return; // a refusal stays on screen, whatever the block does next
      if (status.isReady || status.isBroadcast) onStatus('pool');
      // A chain with instant finality (a --dev node) reports Finalized without InBlock first.
      if ((status.isInBlock || status.isFinalized) && !settled) {
        const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
        if (dispatchError) return fail(explainDispatchError(api, dispatchError));
        const batchFailure = events.find(({ event }) => api.events.utility?.BatchInterrupted?.is(event));
        settled = true;
        if (status.isInBlock) onStatus('inBlock', blockHash);
        resolve({ blockHash, events, batchFailure: batchFailure && explainDispatchError(api, batchFailure.event.data[1]) });
      }
      if (status.isFinalized) onStatus('finalized', status.asFinalized.toHex());
      if (status.isDropped || status.isInvalid || status.isUsurped) fail(`the transaction was ${status.type.toLowerCase()} by the pool`);
    }).catch((e) => fail(explainPoolError(e)));
  });
}
