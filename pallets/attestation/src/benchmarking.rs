//! Benchmarks of every call and hook, worst case each: a first heartbeat (the machine becomes
//! tracked), the largest reveal, the verdict that reaches the quorum and reports a fault, a
//! sweep where every machine is reported offline.

use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use gpux_primitives::{
	attestation::{
		verdict_message, AccessMethod, ChallengeSize, Endpoint, RevealedRow, RevealedRows,
		Telemetry, WorkerStatement, MAX_CHALLENGE_ROUNDS, MAX_CHALLENGE_ROWS, MAX_PROOF_DEPTH,
		ROW_WIDTH,
	},
	challenge::{rounds::leaf, Hash32},
	ChallengeId, FaultKind, LeaseDisputes, LeaseId, MachineId, MachineKeys, VerifierId, WorkerKey,
};
use sp_core::{crypto::KeyTypeId, sr25519};
use sp_runtime::RuntimeAppPublic;

use crate::*;

/// Key type the benchmarks' worker keys live under in the keystore.
const WORKER_KEY_TYPE: KeyTypeId = KeyTypeId(*b"bwrk");

/// Creates what the benchmarks need in the pallets this one talks to.
pub trait BenchmarkHelper<AccountId> {
	/// A new listed machine whose worker key is `key`.
	fn listed_machine(key: WorkerKey) -> MachineId;
	/// A new listed machine whose worker key is `key`, of the one provider every call
	/// gives its machines to: a fleet, challenged as a whole.
	fn fleet_machine(key: WorkerKey) -> MachineId;
	/// An open lease on `machine`; returns it with its renter.
	fn open_lease(machine: MachineId) -> (LeaseId, AccountId);
}

fn worker_key() -> sr25519::Public {
	sp_io::crypto::sr25519_generate(WORKER_KEY_TYPE, None)
}

fn sign<T: Config>(key: &sr25519::Public, statement: &WorkerStatement) -> sr25519::Signature {
	let message = statement.signing_message(&Pallet::<T>::genesis_hash());
	sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, key, &message).expect("the key is in the keystore")
}

/// Largest telemetry: every GPU slot filled.
fn full_telemetry() -> Telemetry {
	let gpus = (0..gpux_primitives::attestation::MAX_GPUS_PER_MACHINE)
		.map(|i| gpux_primitives::attestation::GpuTelemetry {
			uuid_hash: [i as u8; 16],
			lost: false,
			utilization_pct: Some(100),
			memory_used_mib: Some(80_000),
			memory_total_mib: Some(81_559),
			temperature_c: Some(80),
			power_w: Some(700),
			ecc_errors: Some(1),
			xid_errors: Some(1),
			retired_pages: Some(1),
			remapped_rows: Some(1),
			row_remap_failed: false,
		})
		.collect::<Vec<_>>();
	Telemetry {
		gpus: gpus.try_into().expect("MAX_GPUS_PER_MACHINE entries"),
		driver_version: vec![b'9'; 32].try_into().expect("32 bytes fit"),
		samples_root: [7; 32],
	}
}

/// A listed machine that heartbeats now; returns it with its key.
fn tracked_machine<T: Config>() -> (MachineId, sr25519::Public) {
	heartbeating::<T>(T::BenchmarkHelper::listed_machine)
}

/// A listed machine of the benchmarks' one fleet that heartbeats now.
fn fleet_machine<T: Config>() -> MachineId {
	heartbeating::<T>(T::BenchmarkHelper::fleet_machine).0
}

/// A machine made by `make` with a new worker key, after its first heartbeat.
fn heartbeating<T: Config>(make: fn(WorkerKey) -> MachineId) -> (MachineId, sr25519::Public) {
	let key = worker_key();
	let machine = make(WorkerKey::from(key));
	let window = Pallet::<T>::window_of(frame_system::Pallet::<T>::block_number());
	let telemetry = full_telemetry();
	let signature = sign::<T>(&key, &WorkerStatement::heartbeat(machine, window, &telemetry));
	Pallet::<T>::do_heartbeat(machine, window, telemetry, &signature).expect("heartbeat accepted");
	(machine, key)
}

/// The largest challenge size: its proofs are the deepest the chain checks.
const LARGEST: ChallengeSize =
	ChallengeSize { rows: MAX_CHALLENGE_ROWS, rounds: MAX_CHALLENGE_ROUNDS };

/// The Merkle tree of `MAX_CHALLENGE_ROWS` (2^`MAX_PROOF_DEPTH`) final rows of zeros (the chain
/// checks the commitment, not the rows): every leaf is equal, so each level is one repeated
/// node, and the root and a full-depth proof (the same for every row) come without the leaves.
fn zero_tree() -> (Hash32, Vec<Hash32>) {
	let mut node = leaf(&[0i8; ROW_WIDTH as usize]);
	let mut proof = Vec::new();
	for _ in 0..MAX_PROOF_DEPTH {
		proof.push(node);
		node = sp_io::hashing::blake2_256(&[node, node].concat());
	}
	(node, proof)
}

/// The zero rows `indices` of the largest challenge, with their full-depth proofs.
fn zero_reveal(indices: &[u32]) -> RevealedRows {
	let proof = zero_tree().1;
	let rows: Vec<RevealedRow> = indices
		.iter()
		.map(|index| RevealedRow {
			index: *index,
			values: vec![0i8; ROW_WIDTH as usize].try_into().expect("one row"),
			proof: proof.clone().try_into().expect("MAX_PROOF_DEPTH siblings"),
		})
		.collect();
	rows.try_into().expect("at most MAX_REVEALED_ROWS")
}

/// A challenge on a tracked machine, issued at the next epoch start, at the largest size.
fn issued_challenge<T: Config>() -> (ChallengeId, MachineId, sr25519::Public) {
	let (machine, key) = tracked_machine::<T>();
	let class = T::Machines::attested_machine(machine).expect("machine exists").gpu_class;
	Pallet::<T>::do_set_challenge_size(class, LARGEST).expect("size valid");
	let start = T::ChallengePeriod::get();
	frame_system::Pallet::<T>::set_block_number(start);
	Pallet::<T>::issue_challenges(start, [0; 32], None);
	// A chain's genesis may track machines of its own (the dev chain's demo machine).
	let challenge = ChallengeOf::<T>::get(machine).expect("every tracked machine is drawn");
	(challenge, machine, key)
}

/// A committed challenge, at its row draw so its rows are drawn.
fn committed_challenge<T: Config>() -> (ChallengeId, sr25519::Public) {
	let (challenge, _, key) = issued_challenge::<T>();
	let root = zero_tree().0;
	let signature = sign::<T>(&key, &WorkerStatement::ChallengeCommitted { challenge, root });
	Pallet::<T>::do_commit_challenge(challenge, root, &signature).expect("commit accepted");
	let draw_at = Challenges::<T>::get(challenge).expect("challenge exists").draw_at;
	frame_system::Pallet::<T>::set_block_number(draw_at);
	Pallet::<T>::draw_rows(draw_at);
	(challenge, key)
}

fn revealed_challenge<T: Config>() -> ChallengeId {
	let (challenge, key) = committed_challenge::<T>();
	let record = Challenges::<T>::get(challenge).expect("challenge exists");
	let drawn = Pallet::<T>::rows_to_reveal(&record).expect("rows drawn");
	let revealed = zero_reveal(&drawn);
	let signature = sign::<T>(&key, &WorkerStatement::revealed(challenge, &revealed));
	Pallet::<T>::do_reveal_challenge(challenge, revealed, &signature).expect("reveal accepted");
	challenge
}

/// `v` verifiers whose keys are in the keystore.
fn verifiers<T: Config>(v: u32) -> Vec<VerifierId> {
	let keys: Vec<VerifierId> = (0..v).map(|_| VerifierId::generate_pair(None)).collect();
	Pallet::<T>::do_set_verifiers(keys.clone().try_into().expect("v ≤ MaxVerifiers"))
		.expect("keys are distinct");
	keys
}

/// `v` verifiers, each anchored to the hash of its value `[i; 32]`, and a round open now.
fn beacon_round<T: Config>(v: u32) -> (Vec<VerifierId>, u32) {
	let keys = verifiers::<T>(v);
	for (i, key) in keys.iter().enumerate() {
		BeaconAnchors::<T>::insert(key, sp_io::hashing::blake2_256(&[i as u8; 32]));
	}
	let now = frame_system::Pallet::<T>::block_number();
	Pallet::<T>::open_beacon_round(BeaconPurpose::Rows, now, now, now + 3u32.into());
	(keys, CurrentBeacon::<T>::get().expect("opened").number)
}

/// The reveal of verifier `i` (its key `key`) in `round`.
fn beacon_reveal<T: Config>(key: &VerifierId, i: usize, round: u32) -> Call<T> {
	let value = [i as u8; 32];
	let message = gpux_primitives::attestation::beacon_reveal_message(
		&Pallet::<T>::genesis_hash(),
		round,
		&value,
	);
	let signature = key.sign(&message).expect("key in keystore");
	Call::<T>::reveal_beacon { verifier: key.clone(), round, value, signature }
}

fn endpoint() -> Endpoint {
	Endpoint {
		host: vec![b'h'; 253].try_into().expect("253 bytes fit"),
		port: 22,
		method: AccessMethod::Ssh,
		host_key_fingerprint: Some([7; 32]),
		jupyter: Some(gpux_primitives::attestation::JupyterEndpoint {
			port: 8888,
			sealed_token: vec![9; gpux_primitives::attestation::MAX_SEALED_TOKEN_LEN as usize]
				.try_into()
				.expect("the bound fits"),
		}),
	}
}

/// Runs an unsigned call as a block does: the pool's checks again (`pre_dispatch`, a second
/// signature check), then the call. Its benchmark measures both, so its weight covers both.
#[allow(deprecated)]
fn unsigned_in_block<T: Config>(call: Call<T>) {
	use frame_support::{traits::UnfilteredDispatchable, unsigned::ValidateUnsigned};
	<Pallet<T> as ValidateUnsigned>::pre_dispatch(&call).expect("the pool's checks pass");
	call.dispatch_bypass_filter(RawOrigin::None.into()).expect("the call succeeds");
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn heartbeat() {
		let key = worker_key();
		let machine = T::BenchmarkHelper::listed_machine(WorkerKey::from(key));
		// The worst case: a machine listed before the monitor watched from listing (genesis
		// machines) is tracked by its first heartbeat.
		if let Some(record) = Heartbeats::<T>::get(machine) {
			Pallet::<T>::untrack(record.slot, machine);
		}
		let window = Pallet::<T>::window_of(frame_system::Pallet::<T>::block_number());
		let telemetry = full_telemetry();
		let signature = sign::<T>(&key, &WorkerStatement::heartbeat(machine, window, &telemetry));

		let call = Call::<T>::heartbeat { machine, window, telemetry, signature };

		#[block]
		{
			unsigned_in_block::<T>(call);
		}

		assert!(Heartbeats::<T>::contains_key(machine));
	}

	#[benchmark]
	fn commit_challenge() {
		let (challenge, _, key) = issued_challenge::<T>();
		let root = [1u8; 32];
		let signature = sign::<T>(&key, &WorkerStatement::ChallengeCommitted { challenge, root });

		let call = Call::<T>::commit_challenge { challenge, root, signature };

		#[block]
		{
			unsigned_in_block::<T>(call);
		}

		let record = Challenges::<T>::get(challenge).expect("challenge exists");
		assert!(matches!(record.state, ChallengeState::Committed { .. }));
	}

	#[benchmark]
	fn attest_gpu_evidence() {
		let (challenge, _, key) = issued_challenge::<T>();
		let evidence = [2u8; 32];
		let signature = sign::<T>(&key, &WorkerStatement::GpuEvidence { challenge, evidence });

		let call = Call::<T>::attest_gpu_evidence { challenge, evidence, signature };

		#[block]
		{
			unsigned_in_block::<T>(call);
		}

		assert_eq!(GpuEvidenceHashes::<T>::get(challenge), Some(evidence));
	}

	#[benchmark]
	fn reveal_challenge() {
		let (challenge, key) = committed_challenge::<T>();
		let record = Challenges::<T>::get(challenge).expect("challenge exists");
		let drawn = Pallet::<T>::rows_to_reveal(&record).expect("rows drawn");
		let revealed = zero_reveal(&drawn);
		let signature = sign::<T>(&key, &WorkerStatement::revealed(challenge, &revealed));

		let call = Call::<T>::reveal_challenge { challenge, rows: revealed, signature };

		#[block]
		{
			unsigned_in_block::<T>(call);
		}

		assert!(RevealedRowsOf::<T>::contains_key(challenge));
	}

	/// The verdict that reaches the quorum for a pass, of a machine whose last heartbeat
	/// lost every GPU: the pass is recorded and a spec mismatch reported.
	#[benchmark]
	fn submit_verdict(v: Linear<1, { T::MaxVerifiers::get() }>) {
		let challenge = revealed_challenge::<T>();
		let machine = Challenges::<T>::get(challenge).expect("challenge exists").machine;
		Heartbeats::<T>::mutate(machine, |r| {
			let r = r.as_mut().expect("tracked");
			r.telemetry.gpus.iter_mut().for_each(|gpu| gpu.lost = true);
		});
		let keys = verifiers::<T>(v);
		let quorum = Pallet::<T>::quorum() as usize;
		let genesis = Pallet::<T>::genesis_hash();
		for key in keys.iter().take(quorum - 1) {
			let signature =
				key.sign(&verdict_message(&genesis, challenge, true)).expect("key in keystore");
			Pallet::<T>::do_submit_verdict(challenge, key.clone(), true, &signature)
				.expect("verdict accepted");
		}
		let last = keys[quorum - 1].clone();
		let signature =
			last.sign(&verdict_message(&genesis, challenge, true)).expect("key in keystore");

		let call = Call::<T>::submit_verdict { challenge, verifier: last, passed: true, signature };

		#[block]
		{
			unsigned_in_block::<T>(call);
		}

		assert!(!Challenges::<T>::contains_key(challenge));
	}

	#[benchmark]
	fn attest_lease_start() {
		let (machine, key) = tracked_machine::<T>();
		let (lease, _) = T::BenchmarkHelper::open_lease(machine);
		let endpoint = endpoint();
		let signature =
			sign::<T>(&key, &WorkerStatement::LeaseStarted { lease, endpoint: endpoint.clone() });

		let call = Call::<T>::attest_lease_start { lease, endpoint, signature };

		#[block]
		{
			unsigned_in_block::<T>(call);
		}

		assert!(LeaseAttestations::<T>::get(lease).is_some_and(|a| a.started.is_some()));
	}

	#[benchmark]
	fn attest_lease_end() {
		let (machine, key) = tracked_machine::<T>();
		let (lease, _) = T::BenchmarkHelper::open_lease(machine);
		let endpoint = endpoint();
		let started = WorkerStatement::LeaseStarted { lease, endpoint: endpoint.clone() };
		Pallet::<T>::do_attest_lease_start(lease, endpoint, &sign::<T>(&key, &started))
			.expect("start attested");
		let digest = [3u8; 32];
		let signature = sign::<T>(&key, &WorkerStatement::LeaseEnded { lease, digest });
		// At its end block, still open: the closing lease is the one the worker attests.
		let ends_at = T::Leases::lease_facts(lease).expect("lease exists").ends_at;
		frame_system::Pallet::<T>::set_block_number(ends_at);

		let call = Call::<T>::attest_lease_end { lease, digest, signature };

		#[block]
		{
			unsigned_in_block::<T>(call);
		}

		assert!(LeaseAttestations::<T>::get(lease).is_some_and(|a| a.ended.is_some()));
	}

	/// `n` leases due for their start check, none attested: every one waits to be abandoned
	/// (from one: the first also writes the queue's counter).
	#[benchmark]
	fn check_lease_starts(n: Linear<1, { T::MaxStartChecksPerBlock::get() }>) {
		let now = frame_system::Pallet::<T>::block_number();
		let at = now + T::StartAttestationDeadline::get();
		for _ in 0..n {
			let (machine, _) = tracked_machine::<T>();
			let (lease, _) = T::BenchmarkHelper::open_lease(machine);
			// The runtime's rent scheduled the check already; the mock's did not.
			if !StartChecks::<T>::get(at).contains(&lease) {
				Pallet::<T>::do_expect_start(lease, now).expect("room for the check");
			}
		}
		frame_system::Pallet::<T>::set_block_number(at);

		#[block]
		{
			Pallet::<T>::check_lease_starts(at);
		}

		assert!(StartChecks::<T>::get(at).is_empty());
		assert_eq!(PendingAbandons::<T>::count(), n);
	}

	/// `n` unattested leases, each on its own machine, abandoned and their machines reported.
	#[benchmark]
	fn report_abandons(n: Linear<1, { T::MaxAbandonReportsPerBlock::get() }>) {
		for _ in 0..n {
			let (machine, _) = tracked_machine::<T>();
			let (lease, _) = T::BenchmarkHelper::open_lease(machine);
			PendingAbandons::<T>::insert(lease, ());
		}

		#[block]
		{
			Pallet::<T>::report_abandons();
		}

		assert_eq!(PendingAbandons::<T>::count(), 0);
	}

	/// `n` machines a closed epoch failed, each with an open lease the fault closes.
	#[benchmark]
	fn report_challenge_faults(n: Linear<1, { T::MaxOfflineReportsPerBlock::get() }>) {
		for _ in 0..n {
			let (machine, _) = tracked_machine::<T>();
			T::BenchmarkHelper::open_lease(machine);
			PendingChallengeFaults::<T>::insert(machine, ());
		}

		#[block]
		{
			Pallet::<T>::report_challenge_faults();
		}

		assert_eq!(PendingChallengeFaults::<T>::count(), 0);
	}

	/// An offline report the chain upholds at once: the fault is reported.
	#[benchmark]
	fn report_fault() {
		let (machine, _) = tracked_machine::<T>();
		let (lease, renter) = T::BenchmarkHelper::open_lease(machine);
		Heartbeats::<T>::mutate(machine, |r| {
			if let Some(r) = r {
				r.missed_in_a_row = 1;
			}
		});
		let evidence: DisputeReasonOf<T> =
			vec![b'e'; T::MaxDisputeReasonLen::get() as usize].try_into().expect("fits");

		#[extrinsic_call]
		_(RawOrigin::Signed(renter), lease, FaultKind::Offline, evidence);

		assert!(FaultClaims::<T>::get(lease).is_none());
	}

	#[benchmark]
	fn dispute() {
		let (machine, _) = tracked_machine::<T>();
		let (lease, renter) = T::BenchmarkHelper::open_lease(machine);
		let reason: DisputeReasonOf<T> =
			vec![b'r'; T::MaxDisputeReasonLen::get() as usize].try_into().expect("fits");

		#[extrinsic_call]
		_(RawOrigin::Signed(renter), lease, reason);

		assert!(LeaseAttestations::<T>::get(lease).is_some_and(|a| a.dispute.is_some()));
	}

	#[benchmark]
	fn resolve_dispute() -> Result<(), BenchmarkError> {
		let (machine, _) = tracked_machine::<T>();
		let (lease, renter) = T::BenchmarkHelper::open_lease(machine);
		Pallet::<T>::do_dispute(renter, lease, Default::default()).expect("dispute raised");
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, lease, true);

		let raised = LeaseAttestations::<T>::get(lease).and_then(|a| a.dispute);
		assert_eq!(raised.and_then(|d| d.resolution), Some(true));
		Ok(())
	}

	#[benchmark]
	fn set_challenge_size() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 3, LARGEST);

		assert_eq!(ChallengeSizes::<T>::get(3), Some(LARGEST));
		Ok(())
	}

	#[benchmark]
	fn set_commit_window() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 3, Some(MIN_COMMIT_WINDOW));

		assert_eq!(CommitWindows::<T>::get(3), Some(MIN_COMMIT_WINDOW));
		Ok(())
	}

	#[benchmark]
	fn set_verifiers(v: Linear<0, { T::MaxVerifiers::get() }>) -> Result<(), BenchmarkError> {
		// A full set before, each with a beacon anchor that goes with it.
		for old in verifiers::<T>(T::MaxVerifiers::get()) {
			BeaconAnchors::<T>::insert(old, [1; 32]);
		}
		let keys: Vec<VerifierId> = (0..v).map(|_| VerifierId::generate_pair(None)).collect();
		let keys: BoundedVec<_, _> = keys.try_into().expect("v ≤ MaxVerifiers");
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, keys);

		assert_eq!(Verifiers::<T>::get().len() as u32, v);
		Ok(())
	}

	/// `n` machines checked, the first `f` of them leased and past the grace: each of those
	/// is reported offline.
	#[benchmark]
	fn sweep(
		n: Linear<0, { T::MaxChecksPerBlock::get() }>,
		f: Linear<0, { T::MaxOfflineReportsPerBlock::get() }>,
	) {
		let f = f.min(n);
		for i in 0..n {
			let (machine, _) = tracked_machine::<T>();
			if i < f {
				T::BenchmarkHelper::open_lease(machine);
				Heartbeats::<T>::mutate(machine, |r| {
					if let Some(r) = r {
						r.missed_in_a_row = T::OfflineGraceWindows::get();
					}
				});
			}
		}
		// The first block of the window after next: the heartbeats' window is over and the
		// next one was missed.
		let interval = T::HeartbeatInterval::get();
		let now = frame_system::Pallet::<T>::block_number();
		let window = Pallet::<T>::window_of(now);
		let at: BlockNumberFor<T> = Pallet::<T>::window_end(window) + interval;
		frame_system::Pallet::<T>::set_block_number(at);
		Sweep::<T>::put(SweepCursor { window: window + 1, next: 0, finished: false });

		#[block]
		{
			Pallet::<T>::sweep_windows(at);
		}

		assert!(Sweep::<T>::get().next >= f);
	}

	/// The draw reads a fleet of `n` machines, all serving: each is challenged. (One provider
	/// has at most `MaxMachinesPerProvider`; the weight is linear beyond.)
	#[benchmark]
	fn issue_challenges(n: Linear<0, { T::MaxMachinesPerProvider::get() }>) {
		// A chain's genesis may track machines already (the dev chain's demo machine).
		let tracked_before = TrackedMachineCount::<T>::get();
		for _ in 0..n {
			fleet_machine::<T>();
		}
		let start = T::ChallengePeriod::get();
		frame_system::Pallet::<T>::set_block_number(start);

		#[block]
		{
			Pallet::<T>::issue_challenges(start, [0; 32], None);
		}

		assert!(OpenChallenges::<T>::get().len() as u32 <= n.saturating_add(tracked_before));
	}

	/// `n` challenges never committed: each is a missed commit, its fault queued.
	#[benchmark]
	fn close_epoch(n: Linear<0, { T::MaxMachinesPerProvider::get() }>) {
		for _ in 0..n {
			fleet_machine::<T>();
		}
		let start = T::ChallengePeriod::get();
		frame_system::Pallet::<T>::set_block_number(start);
		Pallet::<T>::issue_challenges(start, [0; 32], None);
		let next = start + T::ChallengePeriod::get();
		frame_system::Pallet::<T>::set_block_number(next);

		#[block]
		{
			Pallet::<T>::close_epoch(next);
		}

		assert!(OpenChallenges::<T>::get().is_empty());
	}

	/// What a verifier pays for one revealed row of the int8 challenge (#15 part 2): 32
	/// rounds of a 1,024-wide row by a 1,024² `B`, in the runtime's wasm. (A measurement for
	/// docs/attestation.md; no call is charged by it.)
	#[benchmark]
	fn check_int8_row() {
		use gpux_primitives::challenge::rounds::{final_row, seeded_b};
		let seed = [5u8; 32];
		let row;

		#[block]
		{
			let b = seeded_b(&seed);
			row = final_row(&seed, &b, 0, 32);
		}

		assert_eq!(row.len(), gpux_primitives::challenge::rounds::WIDTH);
	}

	#[benchmark]
	fn anchor_beacon() {
		let key = verifiers::<T>(1).remove(0);
		let (anchor, round) = ([7u8; 32], Pallet::<T>::anchor_round());
		let message = gpux_primitives::attestation::beacon_anchor_message(
			&Pallet::<T>::genesis_hash(),
			round,
			&anchor,
		);
		let signature = key.sign(&message).expect("key in keystore");
		let call = Call::<T>::anchor_beacon { verifier: key.clone(), round, anchor, signature };

		#[block]
		{
			unsigned_in_block::<T>(call);
		}

		assert_eq!(BeaconAnchors::<T>::get(&key), Some(anchor));
	}

	/// The `v`-th reveal of a round: it is checked against the `v − 1` before.
	#[benchmark]
	fn reveal_beacon(v: Linear<1, { T::MaxVerifiers::get() }>) {
		let (keys, round) = beacon_round::<T>(v);
		for (i, key) in keys.iter().enumerate().take(v as usize - 1) {
			let Call::reveal_beacon { value, signature, .. } = beacon_reveal::<T>(key, i, round)
			else {
				unreachable!("built above")
			};
			Pallet::<T>::do_reveal_beacon(key.clone(), round, value, &signature)
				.expect("reveal accepted");
		}
		let call = beacon_reveal::<T>(&keys[v as usize - 1], v as usize - 1, round);

		#[block]
		{
			unsigned_in_block::<T>(call);
		}

		assert_eq!(BeaconReveals::<T>::get().len() as u32, v);
	}

	/// A round closed with `v` reveals: sorted and hashed. (With none, the fallback reads the
	/// parent hash instead: `close_beacon_round` charges that read on top of `v` = 1.)
	#[benchmark]
	fn close_beacon(v: Linear<1, { T::MaxVerifiers::get() }>) {
		let (keys, round) = beacon_round::<T>(v);
		for (i, key) in keys.iter().enumerate() {
			let Call::reveal_beacon { value, signature, .. } = beacon_reveal::<T>(key, i, round)
			else {
				unreachable!("built above")
			};
			Pallet::<T>::do_reveal_beacon(key.clone(), round, value, &signature)
				.expect("reveal accepted");
		}
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Pallet::<T>::close_beacon_round(now);
		}

		assert!(BeaconReveals::<T>::get().is_empty());
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder.build_with_keystore(),
		crate::mock::Test
	);
}
