//! The verifiers' randomness beacon: commit-reveal over hash chains. Each verifier anchors a
//! chain `x, H(x), …, Hⁿ(x)` by its last value (signed for the round in progress, so it cannot
//! be replayed) and, in every round, reveals the value before the last one it revealed; the
//! chain checks the hash. A value is therefore fixed before the round opens: a verifier can
//! reveal it or withhold it, nothing else. A round's output is the hash of the values revealed,
//! in verifier order: with one honest verifier revealing, no block author chooses it, and one
//! verifier can only pick between two outputs (with or without its value). With no reveal at
//! all the round falls back to the parent block's randomness, and says so.
//!
//! Two rounds an epoch: `Issue`, whose reveals take the epoch's last `BEACON_REVEAL_BLOCKS`
//! blocks and whose output draws the next epoch's challenges and seeds; `Rows`, whose reveals
//! follow the epoch's last commit deadline and whose output draws the rows every challenge of
//! the epoch reveals.

use codec::Encode;
use frame_support::{pallet_prelude::*, traits::Randomness};
use frame_system::{offchain::SubmitTransaction, pallet_prelude::BlockNumberFor};
use gpux_primitives::{
	attestation::{beacon_anchor_message, beacon_reveal_message},
	challenge::Hash32,
	VerifierId, VerifierSignature,
};
use sp_crypto_hashing::blake2_256;
use sp_runtime::{
	offchain::storage::StorageValueRef,
	traits::{One, Saturating},
	RuntimeAppPublic, SaturatedConversion,
};

use crate::{
	unsigned::Checks, BeaconAnchors, BeaconPurpose, BeaconReveals, BeaconRound, Call, Config,
	CurrentBeacon, EpochEndsAt, Error, Event, Pallet, RowDraw, Verifiers, WeightInfo, LOG_TARGET,
};

/// Blocks a round takes reveals in.
pub const BEACON_REVEAL_BLOCKS: u32 = 3;
/// An anchor must land at least this many blocks before the next round's reveals open: the
/// pool takes reveals a block before their first block, and a verifier must not anchor a
/// value chosen after seeing the others'.
pub const ANCHOR_LEAD_BLOCKS: u32 = 2;
/// Blocks from the epoch's last commit deadline to the row draw: the rows round's reveals, then
/// the draw at the start of the next block.
pub const ROW_DRAW_BLOCKS: u32 = BEACON_REVEAL_BLOCKS + 1;
/// Values in a verifier's hash chain: two rounds an epoch, so about 500 epochs (3.5 days at
/// 10 minutes) before its offchain worker anchors a new one.
pub const BEACON_CHAIN_LENGTH: u32 = 1_000;

/// The round's output from its reveals, whatever order blocks included them in.
pub fn beacon_output(
	number: u32,
	purpose: BeaconPurpose,
	reveals: &[(VerifierId, Hash32)],
) -> Hash32 {
	let mut sorted = reveals.to_vec();
	sorted.sort_by(|a, b| a.0.cmp(&b.0));
	blake2_256(&(b"gpux/beacon", number, purpose, sorted).encode())
}

/// The value before `head` in the chain grown from `seed`, if `head` is in it and not its
/// first value.
fn preimage_in_chain(seed: &Hash32, head: &Hash32) -> Option<Hash32> {
	let mut value = *seed;
	for _ in 0..BEACON_CHAIN_LENGTH {
		let next = blake2_256(&value);
		if &next == head {
			return Some(value);
		}
		value = next;
	}
	None
}

/// The last value of the chain grown from `seed`: what a verifier anchors.
pub fn chain_end(seed: &Hash32) -> Hash32 {
	(0..BEACON_CHAIN_LENGTH).fold(*seed, |value, _| blake2_256(&value))
}

impl<T: Config> Pallet<T> {
	/// Opens the next round, taking reveals in blocks `opens_at..closes_at`.
	pub(crate) fn open_beacon_round(
		purpose: BeaconPurpose,
		epoch: BlockNumberFor<T>,
		opens_at: BlockNumberFor<T>,
		closes_at: BlockNumberFor<T>,
	) {
		// Round 0 is the fallback before any round (a new chain's first epoch).
		let number = CurrentBeacon::<T>::get().map_or(1, |round| round.number.saturating_add(1));
		let tracked = crate::TrackedMachineCount::<T>::get();
		CurrentBeacon::<T>::put(BeaconRound {
			number,
			purpose,
			epoch,
			opens_at,
			closes_at,
			tracked,
		});
		BeaconReveals::<T>::kill();
	}

	/// Closes the round in progress: its output, or the parent block's randomness if nobody
	/// revealed (or no round was open: round 0), the weight of closing it, and the round.
	pub(crate) fn close_beacon_round(
		_now: BlockNumberFor<T>,
	) -> (Hash32, Weight, Option<BeaconRound<BlockNumberFor<T>>>) {
		let reveals = BeaconReveals::<T>::take();
		let round = CurrentBeacon::<T>::get();
		let number = round.as_ref().map_or(0, |round| round.number);
		let purpose = round.as_ref().map_or(BeaconPurpose::Issue, |round| round.purpose);
		let fallback = reveals.is_empty();
		let output = if fallback {
			let (random, _) = T::Randomness::random(&(b"gpux/beacon", number).encode());
			blake2_256(random.as_ref())
		} else {
			beacon_output(number, purpose, &reveals)
		};
		let revealed = reveals.len() as u32;
		Self::deposit_event(Event::BeaconClosed {
			round: number,
			purpose,
			output,
			revealed,
			fallback,
		});
		// Measured from one reveal up; the fallback's parent-hash read is charged on top.
		let weight = T::WeightInfo::close_beacon(revealed.max(1))
			.saturating_add(T::DbWeight::get().reads(u64::from(fallback)));
		(output, weight, round)
	}

	/// At the close of the epoch's rows round: draws the rows and opens the round whose output
	/// the next epoch start draws its challenges from.
	pub(crate) fn draw_rows(now: BlockNumberFor<T>) -> Weight {
		let Some(round) = CurrentBeacon::<T>::get() else { return T::DbWeight::get().reads(1) };
		if round.purpose != BeaconPurpose::Rows || now < round.closes_at {
			return T::DbWeight::get().reads(1);
		}
		let (output, weight, _) = Self::close_beacon_round(now);
		RowDraw::<T>::put((round.epoch, output));
		let next_epoch = EpochEndsAt::<T>::get();
		let opens_at = next_epoch.saturating_sub(BEACON_REVEAL_BLOCKS.into()).max(now);
		Self::open_beacon_round(BeaconPurpose::Issue, next_epoch, opens_at, next_epoch);
		weight.saturating_add(T::DbWeight::get().reads_writes(2, 3))
	}

	/// The round an anchor made now precedes: the one in progress (0 before any).
	pub fn anchor_round() -> u32 {
		CurrentBeacon::<T>::get().map_or(0, |round| round.number)
	}

	pub(crate) fn check_beacon_anchor(
		verifier: &VerifierId,
		round: u32,
		anchor: &Hash32,
		signature: &VerifierSignature,
		checks: Checks,
	) -> Result<(), Error<T>> {
		ensure!(Verifiers::<T>::get().contains(verifier), Error::<T>::NotVerifier);
		ensure!(round == Self::anchor_round(), Error::<T>::StaleBeaconAnchor);
		let now = frame_system::Pallet::<T>::block_number();
		// Anchors only well before the round's reveals: none during or just before them.
		ensure!(
			!CurrentBeacon::<T>::get().is_some_and(|current| {
				now.saturating_add(ANCHOR_LEAD_BLOCKS.into()) > current.opens_at
					&& now < current.closes_at
			}),
			Error::<T>::BeaconRoundOpen
		);
		if checks.signatures() {
			let message = beacon_anchor_message(&Self::genesis_hash(), round, anchor);
			ensure!(verifier.verify(&message, signature), Error::<T>::BadSignature);
		}
		Ok(())
	}

	pub(crate) fn do_anchor_beacon(
		verifier: VerifierId,
		round: u32,
		anchor: Hash32,
		signature: &VerifierSignature,
	) -> DispatchResult {
		Self::check_beacon_anchor(&verifier, round, &anchor, signature, Checks::State)?;
		BeaconAnchors::<T>::insert(&verifier, anchor);
		Self::deposit_event(Event::BeaconAnchored { verifier });
		Ok(())
	}

	/// Every check a beacon reveal must pass; the round's last reveal block on success.
	pub(crate) fn check_beacon_reveal(
		verifier: &VerifierId,
		round: u32,
		value: &Hash32,
		signature: &VerifierSignature,
		checks: Checks,
	) -> Result<BlockNumberFor<T>, Error<T>> {
		let current = CurrentBeacon::<T>::get().ok_or(Error::<T>::BeaconRoundClosed)?;
		ensure!(current.number == round, Error::<T>::StaleBeaconReveal);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(current.is_open(&now), Error::<T>::BeaconRoundClosed);
		ensure!(Verifiers::<T>::get().contains(verifier), Error::<T>::NotVerifier);
		let anchor = BeaconAnchors::<T>::get(verifier).ok_or(Error::<T>::NoBeaconAnchor)?;
		ensure!(
			!BeaconReveals::<T>::get().iter().any(|(v, _)| v == verifier),
			Error::<T>::BeaconAlreadyRevealed
		);
		ensure!(blake2_256(value) == anchor, Error::<T>::BeaconRevealMismatch);
		if checks.signatures() {
			let message = beacon_reveal_message(&Self::genesis_hash(), round, value);
			ensure!(verifier.verify(&message, signature), Error::<T>::BadSignature);
		}
		Ok(current.closes_at.saturating_sub(One::one()))
	}

	pub(crate) fn do_reveal_beacon(
		verifier: VerifierId,
		round: u32,
		value: Hash32,
		signature: &VerifierSignature,
	) -> DispatchResult {
		Self::check_beacon_reveal(&verifier, round, &value, signature, Checks::State)?;
		// One entry per verifier in the set (checked above), so it fits `MaxVerifiers`.
		BeaconReveals::<T>::try_mutate(|reveals| reveals.try_push((verifier.clone(), value)))
			.map_err(|_| Error::<T>::Overflow)?;
		BeaconAnchors::<T>::insert(&verifier, value);
		Self::deposit_event(Event::BeaconRevealed { round, verifier });
		Ok(())
	}

	/// Claims, in this node's persistent offchain storage, sending `what` for round `round`
	/// now: `false` if it was sent for that round fewer than `gap` blocks ago (it may still be
	/// in the pool). One key per kind, so nothing accumulates.
	fn claim_sending(what: &[u8], round: u32, now: u32, gap: u32) -> bool {
		let key = (b"gpux/attestation/beacon-sent/", what).encode();
		StorageValueRef::persistent(&key)
			.mutate::<(u32, u32), (), _>(|last| match last {
				Ok(Some((sent_round, at)))
					if sent_round == round && now < at.saturating_add(gap) =>
				{
					Err(())
				},
				_ => Ok((round, now)),
			})
			.is_ok()
	}

	/// The verifier's offchain part: in a round's reveal blocks, reveal the next value of its
	/// chain; outside them, anchor a new chain when it has none it can continue (the node's
	/// secret seed lives in its persistent offchain storage).
	pub(crate) fn beacon_duty(now: BlockNumberFor<T>) {
		let Some(verifier) = Self::local_verifier() else { return };
		let now: u32 = now.saturated_into();
		// What this run sends lands in the next block at the earliest.
		let next: BlockNumberFor<T> = now.saturating_add(1).into();
		let seed_key = (b"gpux/attestation/beacon-seed/", &verifier).encode();
		let seed_ref = StorageValueRef::persistent(&seed_key);
		let value = || {
			let seed = seed_ref.get::<Hash32>().ok().flatten()?;
			preimage_in_chain(&seed, &BeaconAnchors::<T>::get(&verifier)?)
		};
		let genesis = Self::genesis_hash();
		let round = CurrentBeacon::<T>::get();
		let call = match round {
			Some(round) if round.is_open(&next) => {
				if BeaconReveals::<T>::get().iter().any(|(v, _)| v == &verifier) {
					return;
				}
				// Two tries in a round's three blocks.
				let Some(value) = value() else { return };
				if !Self::claim_sending(b"reveal", round.number, now, 2) {
					return;
				}
				let message = beacon_reveal_message(&genesis, round.number, &value);
				let Some(signature) = verifier.sign(&message) else { return };
				Call::reveal_beacon { verifier, round: round.number, value, signature }
			},
			_ => {
				let number = Self::anchor_round();
				let too_late = round.is_some_and(|round| {
					next.saturating_add(ANCHOR_LEAD_BLOCKS.into()) > round.opens_at
				});
				if too_late || value().is_some() || !Self::claim_sending(b"anchor", number, now, 5)
				{
					return;
				}
				let fresh = blake2_256(&(sp_io::offchain::random_seed(), &verifier).encode());
				seed_ref.set(&fresh);
				let anchor = chain_end(&fresh);
				let message = beacon_anchor_message(&genesis, number, &anchor);
				let Some(signature) = verifier.sign(&message) else { return };
				Call::anchor_beacon { verifier, round: number, anchor, signature }
			},
		};
		if SubmitTransaction::<T, Call<T>>::submit_transaction(T::create_bare(call.into())).is_err()
		{
			log::debug!(target: LOG_TARGET, "beacon transaction not submitted");
		}
	}
}
