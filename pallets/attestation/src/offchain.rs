//! The validators' offchain worker: recompute every revealed row (`rounds` × 1,024²
//! multiply-adds each, whatever the challenge's row count) and submit a verdict signed with the
//! node's `gpux` key, if that key is in the verifier set.

use alloc::vec::Vec;
use codec::Encode;
use frame_system::{offchain::SubmitTransaction, pallet_prelude::BlockNumberFor};
use gpux_primitives::{
	attestation::verdict_message, challenge::rounds::final_rows_at, ChallengeId, VerifierId,
};
use sp_runtime::{offchain::storage::StorageValueRef, RuntimeAppPublic, SaturatedConversion};

use crate::{
	Call, ChallengeRecordOf, ChallengeState, Challenges, Config, OpenChallenges, Pallet,
	RevealedRowsOf, Verdicts, Verifiers, LOG_TARGET,
};

/// Blocks after sending a verdict before this node checks the challenge again (a verdict lost
/// from the pool is sent again then).
pub const VERDICT_RESEND_BLOCKS: u32 = 5;
/// Challenges one offchain run checks at most: each costs up to `rounds` × 1,024² multiply-adds
/// per revealed row, and runs of successive blocks must not pile up.
pub const MAX_CHECKS_PER_RUN: usize = 4;

/// Where this node notes the block it last sent a verdict on `challenge` (persistent offchain
/// storage: node-local, kept across restarts).
fn sent_key(challenge: ChallengeId) -> Vec<u8> {
	(b"gpux/attestation/verdict-sent/", challenge).encode()
}

impl<T: Config> Pallet<T> {
	/// This node's key in the verifier set, if it has one.
	pub(crate) fn local_verifier() -> Option<VerifierId> {
		let verifiers = Verifiers::<T>::get();
		VerifierId::all().into_iter().find(|key| verifiers.contains(key))
	}

	/// Whether the revealed rows are the challenge's final rows.
	pub fn rows_are_correct(challenge: ChallengeId, record: &ChallengeRecordOf<T>) -> bool {
		let Some(rows) = RevealedRowsOf::<T>::get(challenge) else { return false };
		let indices: Vec<u32> = rows.iter().map(|(index, _)| *index).collect();
		let expected = final_rows_at(&record.seed, &indices, record.size.rounds);
		rows.iter().zip(expected).all(|((_, values), row)| values[..] == row[..])
	}

	pub(crate) fn verify_revealed_challenges(now: BlockNumberFor<T>) {
		let Some(verifier) = Self::local_verifier() else { return };
		let now: u32 = now.saturated_into();
		let mut checked = 0;
		for challenge in OpenChallenges::<T>::get() {
			if checked == MAX_CHECKS_PER_RUN {
				break;
			}
			let Some(record) = Challenges::<T>::get(challenge) else { continue };
			if !matches!(record.state, ChallengeState::Revealed { .. })
				|| Verdicts::<T>::contains_key(challenge, &verifier)
			{
				continue;
			}
			// Claimed atomically: a run of another block that started meanwhile skips it.
			let key = sent_key(challenge);
			let sent = StorageValueRef::persistent(&key);
			let claimed = sent.mutate::<u32, (), _>(|last| match last {
				Ok(Some(at)) if now < at.saturating_add(VERDICT_RESEND_BLOCKS) => Err(()),
				_ => Ok(now),
			});
			if claimed.is_err() {
				continue;
			}
			checked += 1;
			let passed = Self::rows_are_correct(challenge, &record);
			let message = verdict_message(&Self::genesis_hash(), challenge, passed);
			let Some(signature) = verifier.sign(&message) else {
				log::warn!(target: LOG_TARGET, "challenge {challenge}: the gpux key cannot sign");
				continue;
			};
			let call =
				Call::submit_verdict { challenge, verifier: verifier.clone(), passed, signature };
			// A verdict already in the pool is rejected as a duplicate: harmless.
			match SubmitTransaction::<T, Call<T>>::submit_transaction(T::create_bare(call.into())) {
				Ok(()) => log::info!(
					target: LOG_TARGET,
					"challenge {challenge}: verdict {passed} submitted"
				),
				Err(()) => log::debug!(
					target: LOG_TARGET,
					"challenge {challenge}: verdict not submitted (already pending?)"
				),
			}
		}
	}
}
