//! What must always hold of tracked machines and challenges; checked after every test and by
//! try-runtime.

use frame_support::{ensure, traits::Get};
use sp_runtime::TryRuntimeError;

use crate::{
	ChallengeOf, ChallengeState, Challenges, Config, GpuEvidenceHashes, Heartbeats,
	NextChallengeId, OpenChallenges, Pallet, PendingAbandons, PendingChallengeFaults,
	RevealedRowsOf, StartCheckBlocks, StartChecks, TrackedMachineCount, TrackedMachines, Verdicts,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_try_state() -> Result<(), TryRuntimeError> {
		let count = TrackedMachineCount::<T>::get();
		ensure!(count <= T::MaxTrackedMachines::get(), "more machines tracked than the bound");
		ensure!(TrackedMachines::<T>::iter().count() == count as usize, "slots differ from count");
		ensure!(Heartbeats::<T>::iter().count() == count as usize, "records differ from count");
		for slot in 0..count {
			let machine =
				TrackedMachines::<T>::get(slot).ok_or("a slot below the count is empty")?;
			let record = Heartbeats::<T>::get(machine).ok_or("a tracked machine has no record")?;
			ensure!(record.slot == slot, "a record names the wrong slot");
		}

		let open = OpenChallenges::<T>::get();
		let next = NextChallengeId::<T>::get();
		ensure!(Challenges::<T>::iter().count() == open.len(), "undecided challenges not open");
		for (id, record) in Challenges::<T>::iter() {
			ensure!(id < next, "challenge id at or above NextChallengeId");
			ensure!(open.contains(&id), "a challenge is not in OpenChallenges");
			let revealed = matches!(record.state, ChallengeState::Revealed { .. });
			ensure!(
				RevealedRowsOf::<T>::contains_key(id) == revealed,
				"revealed rows kept for exactly the revealed challenges"
			);
			let verdicts = Verdicts::<T>::iter_prefix(id).count() as u32;
			ensure!(
				verdicts == record.passes.saturating_add(record.fails),
				"verdict tally differs from the verdicts given"
			);
		}
		ensure!(RevealedRowsOf::<T>::iter().count() <= open.len(), "rows of decided challenges");
		for id in GpuEvidenceHashes::<T>::iter_keys() {
			ensure!(Challenges::<T>::contains_key(id), "GPU evidence of a decided challenge");
		}
		ensure!(
			ChallengeOf::<T>::iter().count() == open.len(),
			"challenged machines differ from the open challenges"
		);
		for (machine, id) in ChallengeOf::<T>::iter() {
			let record = Challenges::<T>::get(id).ok_or("a machine's challenge is not open")?;
			ensure!(record.machine == machine, "a machine indexed under another's challenge");
		}
		ensure!(
			PendingChallengeFaults::<T>::iter_keys().count()
				== PendingChallengeFaults::<T>::count() as usize,
			"pending challenge faults differ from their count"
		);

		let mut checks = 0usize;
		for (block, due) in StartChecks::<T>::iter() {
			for lease in due {
				checks = checks.saturating_add(1);
				ensure!(
					StartCheckBlocks::<T>::get(lease) == Some(block),
					"a start check's block is not recorded"
				);
			}
		}
		ensure!(
			StartCheckBlocks::<T>::iter().count() == checks,
			"a recorded start check is in no block"
		);
		let pending = PendingAbandons::<T>::count();
		ensure!(
			PendingAbandons::<T>::iter_keys().count() == pending as usize,
			"pending abandons differ from their count"
		);
		for lease in PendingAbandons::<T>::iter_keys() {
			ensure!(!StartCheckBlocks::<T>::contains_key(lease), "a pending abandon still checked");
		}
		let mut undecided_on: alloc::collections::BTreeMap<u64, u32> = Default::default();
		let mut undecided = 0u32;
		for (_, record) in crate::LeaseAttestations::<T>::iter() {
			if record.dispute.is_some_and(|d| d.resolution.is_none()) {
				*undecided_on.entry(record.machine).or_default() += 1;
				undecided += 1;
			}
		}
		for (machine, hold) in crate::DisputeHolds::<T>::iter() {
			ensure!(
				undecided_on.remove(&machine).unwrap_or_default() == hold.undecided,
				"a machine's undecided count differs from its leases' disputes"
			);
		}
		ensure!(undecided_on.is_empty(), "an undecided dispute without its machine's hold");
		ensure!(
			crate::UndecidedDisputes::<T>::iter_values().sum::<u32>() == undecided,
			"providers' undecided counts differ from the undecided disputes"
		);
		for (lease, _) in crate::FaultClaims::<T>::iter() {
			let undecided = crate::LeaseAttestations::<T>::get(lease)
				.and_then(|r| r.dispute)
				.is_some_and(|d| d.resolution.is_none());
			ensure!(undecided, "a fault claim without an undecided dispute");
		}

		// The beacon: anchors belong to verifiers in the set; one reveal each a round (a round
		// keeps the reveals of a verifier removed during it).
		let verifiers = crate::Verifiers::<T>::get();
		for (verifier, _) in crate::BeaconAnchors::<T>::iter() {
			ensure!(verifiers.contains(&verifier), "a beacon anchor of a key not in the set");
		}
		let reveals = crate::BeaconReveals::<T>::get();
		for (i, (verifier, _)) in reveals.iter().enumerate() {
			ensure!(
				!reveals[..i].iter().any(|(v, _)| v == verifier),
				"a verifier revealed twice in a round"
			);
		}
		Ok(())
	}
}
