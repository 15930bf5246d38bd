//! Validation of the unsigned calls, in the pool and again in the block (`pre_dispatch`): a
//! transaction the block would reject never spreads, and a block author cannot include one.
//! Signatures are verified here, once per block; the calls then re-check only state (as
//! `pallet-im-online` does). A rejection is `InvalidTransaction::Custom(n)`, `n` being the
//! index of the pallet error the call would return (`api.errors.attestation`).

use codec::Encode;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::Saturating, DispatchError, SaturatedConversion};

use crate::{Call, Config, Error, Pallet};

/// How much of an unsigned call's checks to run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Checks {
	/// In the pool and in `pre_dispatch`: state and signatures.
	Full,
	/// In the call, which only `pre_dispatch` with `Full` lets into a block: state only.
	State,
}

impl Checks {
	pub(crate) fn signatures(self) -> bool {
		self == Checks::Full
	}
}

/// The index of `error` among the pallet's errors.
fn error_code<T: Config>(error: Error<T>) -> u8 {
	match DispatchError::from(error) {
		DispatchError::Module(module) => module.error[0],
		_ => u8::MAX,
	}
}

impl<T: Config> Pallet<T> {
	fn rejected(error: Error<T>) -> TransactionValidityError {
		InvalidTransaction::Custom(error_code::<T>(error)).into()
	}

	/// A valid transaction that lives until `until` and provides `tag`.
	fn valid(tag: impl Encode, until: BlockNumberFor<T>) -> TransactionValidity {
		let now = frame_system::Pallet::<T>::block_number();
		let longevity: u64 = until.saturating_sub(now).saturated_into::<u64>().max(1);
		ValidTransaction::with_tag_prefix("Attestation")
			.priority(T::UnsignedPriority::get())
			.and_provides(tag)
			.longevity(longevity)
			.propagate(true)
			.build()
	}

	pub(crate) fn validate_unsigned_call(call: &Call<T>) -> TransactionValidity {
		// Lease attestations have no deadline; an hour keeps a stuck one from lingering.
		let now = frame_system::Pallet::<T>::block_number();
		let later = now.saturating_add(Self::windows().interval.saturating_mul(60u32.into()));
		match call {
			Call::heartbeat { machine, window, telemetry, signature } => {
				Self::check_heartbeat(*machine, *window, telemetry, signature, Checks::Full)
					.map_err(Self::rejected)?;
				Self::valid((b"heartbeat", machine, window), Self::window_end(*window))
			},
			Call::commit_challenge { challenge, root, signature } => {
				let record = Self::check_commit(*challenge, root, signature, Checks::Full)
					.map_err(Self::rejected)?;
				Self::valid((b"commit", challenge), record.commit_by.saturating_add(1u32.into()))
			},
			Call::reveal_challenge { challenge, rows, signature } => {
				let (record, _) = Self::check_reveal(*challenge, rows, signature, Checks::Full)
					.map_err(Self::rejected)?;
				Self::valid((b"reveal", challenge), record.reveal_by.saturating_add(1u32.into()))
			},
			Call::attest_gpu_evidence { challenge, evidence, signature } => {
				let record =
					Self::check_gpu_evidence(*challenge, evidence, signature, Checks::Full)
						.map_err(Self::rejected)?;
				let until = record.commit_by.saturating_add(1u32.into());
				// Optional: below the commitments and reveals that share its deadlines.
				let mut valid = Self::valid((b"gpu-evidence", challenge), until)?;
				valid.priority /= 2;
				Ok(valid)
			},
			Call::submit_verdict { challenge, verifier, passed, signature } => {
				let record =
					Self::check_verdict(*challenge, verifier, *passed, signature, Checks::Full)
						.map_err(Self::rejected)?;
				Self::valid((b"verdict", challenge, verifier), record.decide_by)
			},
			Call::anchor_beacon { verifier, round, anchor, signature } => {
				Self::check_beacon_anchor(verifier, *round, anchor, signature, Checks::Full)
					.map_err(Self::rejected)?;
				Self::valid((b"beacon-anchor", verifier, round), now.saturating_add(5u32.into()))
			},
			Call::reveal_beacon { verifier, round, value, signature } => {
				let last =
					Self::check_beacon_reveal(verifier, *round, value, signature, Checks::Full)
						.map_err(Self::rejected)?;
				Self::valid((b"beacon-reveal", round, verifier), last)
			},
			Call::attest_lease_start { lease, endpoint, signature } => {
				Self::check_lease_start(*lease, endpoint, signature, Checks::Full)
					.map_err(Self::rejected)?;
				Self::valid((b"lease-start", lease), later)
			},
			Call::attest_lease_end { lease, digest, signature } => {
				Self::check_lease_end(*lease, digest, signature, Checks::Full)
					.map_err(Self::rejected)?;
				Self::valid((b"lease-end", lease), later)
			},
			_ => InvalidTransaction::Call.into(),
		}
	}
}
