//! Heartbeats, the window sweep, challenges from issue to verdict, the offchain worker, lease
//! attestations and disputes. Every test ends with `do_try_state`.

use frame_support::{assert_noop, assert_ok, pallet_prelude::*};
use gpux_primitives::{
	attestation::{
		commit_rows, reveal_rows, AccessMethod, ChallengeSize, Endpoint, GpuTelemetry, Telemetry,
		WorkerStatement, MAX_CHALLENGE_ROUNDS, MAX_CHALLENGE_ROWS,
	},
	FaultKind, MachineId, MachineMonitor,
};
use sp_runtime::DispatchError;

use crate::{mock::*, *};

type AttestationError = Error<Test>;

/// The pool's answer to `call`.
#[allow(deprecated)]
fn pool(call: Call<Test>) -> TransactionValidity {
	<Attestation as ValidateUnsigned>::validate_unsigned(TransactionSource::External, &call)
}

/// The pool's rejection for `error`.
fn rejected(error: AttestationError) -> TransactionValidity {
	let DispatchError::Module(module) = DispatchError::from(error) else { unreachable!() };
	Err(InvalidTransaction::Custom(module.error[0]).into())
}

mod spec_mismatch {
	use super::*;

	/// `MACHINE`'s telemetry with `change` applied.
	fn reading(change: impl FnOnce(&mut Telemetry)) -> Telemetry {
		let mut t = telemetry();
		change(&mut t);
		t
	}

	/// Sends `t` as `MACHINE`'s heartbeat in windows `from..to`, one each.
	fn beat_windows(from: u64, to: u64, t: &Telemetry) {
		for window in from..to {
			run_to_block(window * INTERVAL);
			assert_ok!(beat_with(MACHINE, 1, t.clone()));
		}
	}

	fn spec_faults() -> usize {
		told().faults.iter().filter(|(_, kind)| *kind == FaultKind::SpecMismatch).count()
	}

	#[test]
	fn one_odd_reading_is_not_a_fault() {
		ExtBuilder.build_and_execute(|| {
			let one_gpu = reading(|t| {
				t.gpus.pop();
			});
			beat_windows(0, 1, &telemetry());
			beat_windows(1, 2, &one_gpu);
			assert_eq!(Heartbeats::<Test>::get(MACHINE).unwrap().mismatched_in_a_row, 1);
			beat_windows(2, 3, &telemetry());
			assert_eq!(Heartbeats::<Test>::get(MACHINE).unwrap().mismatched_in_a_row, 0);
			run_to_block(6 * INTERVAL);
			assert_eq!(spec_faults(), 0);
		});
	}

	#[test]
	fn fewer_gpus_than_registered_reported_twice_in_a_row_is_a_spec_mismatch() {
		ExtBuilder.build_and_execute(|| {
			let one_gpu = reading(|t| {
				t.gpus.pop();
			});
			beat_windows(0, SPEC_MISMATCH_HEARTBEATS as u64, &one_gpu);
			// The sweep checks the last window at the next window's start.
			run_to_block(SPEC_MISMATCH_HEARTBEATS as u64 * INTERVAL + 1);
			assert_eq!(spec_faults(), 1);
			assert!(events().contains(&Event::SpecMismatchReported {
				machine: MACHINE,
				heartbeats: SPEC_MISMATCH_HEARTBEATS
			}));
			assert_eq!(Heartbeats::<Test>::get(MACHINE).unwrap().mismatched_in_a_row, 0);
		});
	}

	#[test]
	fn one_gpu_reported_twice_does_not_pass_for_two() {
		ExtBuilder.build_and_execute(|| {
			let twice = reading(|t| t.gpus[1].uuid_hash = t.gpus[0].uuid_hash);
			beat_windows(0, SPEC_MISMATCH_HEARTBEATS as u64, &twice);
			run_to_block(SPEC_MISMATCH_HEARTBEATS as u64 * INTERVAL + 1);
			assert_eq!(spec_faults(), 1);
		});
	}

	#[test]
	fn swapped_gpus_less_memory_a_lost_gpu_or_no_driver_are_spec_mismatches() {
		let swapped = reading(|t| t.gpus[1].uuid_hash = [9; 16]);
		let small = reading(|t| t.gpus.iter_mut().for_each(|g| g.memory_total_mib = Some(16_376)));
		let no_driver = reading(|t| t.driver_version = Default::default());
		let lost = reading(|t| {
			t.gpus[1] =
				GpuTelemetry { uuid_hash: t.gpus[1].uuid_hash, lost: true, ..Default::default() }
		});
		for odd in [swapped, small, no_driver, lost] {
			ExtBuilder.build_and_execute(|| {
				// The first heartbeat fixes the GPU set; later ones must match it.
				beat_windows(0, 1, &telemetry());
				beat_windows(1, 1 + SPEC_MISMATCH_HEARTBEATS as u64, &odd);
				run_to_block((1 + SPEC_MISMATCH_HEARTBEATS as u64) * INTERVAL + 1);
				assert_eq!(spec_faults(), 1, "{odd:?}");
			});
		}
	}

	#[test]
	fn readings_the_driver_could_not_take_are_not_mismatches() {
		let degraded = reading(|t| {
			t.gpus[0].temperature_c = None;
			t.gpus[1].memory_total_mib = None;
			t.gpus[1].power_w = None;
		});
		ExtBuilder.build_and_execute(|| {
			beat_windows(0, 1, &telemetry());
			beat_windows(1, 2 + SPEC_MISMATCH_HEARTBEATS as u64, &degraded);
			run_to_block((2 + SPEC_MISMATCH_HEARTBEATS as u64) * INTERVAL + 1);
			assert_eq!(spec_faults(), 0);
			assert_eq!(Heartbeats::<Test>::get(MACHINE).unwrap().mismatched_in_a_row, 0);
		});
	}
}

mod heartbeats {
	use super::*;

	#[test]
	fn a_heartbeat_stores_telemetry_and_tracks_the_machine() {
		ExtBuilder.build_and_execute(|| {
			assert_ok!(beat(MACHINE, 1));
			let record = Heartbeats::<Test>::get(MACHINE).expect("recorded");
			assert_eq!(record.telemetry, telemetry());
			assert_eq!((record.last_window, record.received_at, record.slot), (0, Some(1), 0));
			assert_eq!(TrackedMachineCount::<Test>::get(), 1);
			assert_eq!(events(), vec![Event::HeartbeatReceived { machine: MACHINE, window: 0 }]);
		});
	}

	#[test]
	fn one_heartbeat_per_window() {
		ExtBuilder.build_and_execute(|| {
			assert_ok!(beat(MACHINE, 1));
			assert_noop!(beat(MACHINE, 1), AttestationError::HeartbeatTooEarly);
			let t = telemetry();
			let signature = sign(1, &WorkerStatement::heartbeat(MACHINE, 0, &t));
			let call = Call::heartbeat { machine: MACHINE, window: 0, telemetry: t, signature };
			assert_eq!(pool(call), rejected(AttestationError::HeartbeatTooEarly));
			run_to_block(INTERVAL);
			assert_ok!(beat(MACHINE, 1));
			assert_eq!(Heartbeats::<Test>::get(MACHINE).unwrap().last_window, 1);
		});
	}

	#[test]
	fn the_pool_takes_a_valid_heartbeat_until_its_window_ends() {
		ExtBuilder.build_and_execute(|| {
			let t = telemetry();
			let signature = sign(1, &WorkerStatement::heartbeat(MACHINE, 0, &t));
			let call = Call::heartbeat { machine: MACHINE, window: 0, telemetry: t, signature };
			let valid = pool(call).expect("valid");
			assert_eq!(valid.longevity, INTERVAL - 1);
			assert_eq!(valid.provides.len(), 1);
			// The pool does not change state.
			assert!(Heartbeats::<Test>::get(MACHINE).is_none());
		});
	}

	#[test]
	fn bad_heartbeats_are_refused_by_name_and_change_nothing() {
		ExtBuilder.build_and_execute(|| {
			let t = telemetry();
			let send = |machine, window, seed| {
				let signature = sign(seed, &WorkerStatement::heartbeat(machine, window, &t));
				in_block(Call::heartbeat { machine, window, telemetry: t.clone(), signature })
			};
			// Another machine's key, an unknown machine, a past or future window, an idle one.
			assert_noop!(send(MACHINE, 0, 2), AttestationError::BadSignature);
			assert_noop!(send(99, 0, 1), AttestationError::UnknownMachine);
			assert_noop!(send(MACHINE, 1, 1), AttestationError::WrongWindow);
			assert_noop!(send(IDLE, 0, 3), AttestationError::NotServing);
			// Signed telemetry cannot be swapped for other telemetry.
			let signature = sign(1, &WorkerStatement::heartbeat(MACHINE, 0, &t));
			let mut forged = t.clone();
			forged.gpus[0].ecc_errors = Some(0xdead);
			assert_noop!(
				in_block(Call::heartbeat {
					machine: MACHINE,
					window: 0,
					telemetry: forged,
					signature
				}),
				AttestationError::BadSignature
			);
			// Only as an unsigned transaction.
			let signature = sign(1, &WorkerStatement::heartbeat(MACHINE, 0, &t));
			assert_noop!(
				Attestation::heartbeat(
					RuntimeOrigin::signed(PROVIDER),
					MACHINE,
					0,
					t.clone(),
					signature
				),
				DispatchError::BadOrigin
			);
			assert_eq!(TrackedMachineCount::<Test>::get(), 0);
		});
	}

	#[test]
	fn an_idle_machine_with_a_lease_may_heartbeat() {
		ExtBuilder.build_and_execute(|| {
			put_lease(LEASE, FakeLease::open(IDLE, 0, 500));
			assert_ok!(beat(IDLE, 3));
		});
	}

	#[test]
	fn the_tracked_set_is_bounded() {
		ExtBuilder.build_and_execute(|| {
			for id in 10..30u64 {
				listed_machine(id);
				assert_ok!(beat(id, id as u8));
			}
			assert_eq!(TrackedMachineCount::<Test>::get(), 20);
			assert_noop!(beat(MACHINE, 1), AttestationError::TooManyMachines);
		});
	}

	#[test]
	fn each_window_feeds_uptime_and_a_missed_one_counts() {
		ExtBuilder.build_and_execute(|| {
			assert_ok!(beat(MACHINE, 1));
			run_to_block(INTERVAL);
			// Window 0 is checked at the start of window 1.
			assert_eq!(told().uptime, vec![(MACHINE, true)]);
			run_to_block(2 * INTERVAL);
			assert_eq!(told().uptime, vec![(MACHINE, true), (MACHINE, false)]);
			let record = Heartbeats::<Test>::get(MACHINE).unwrap();
			// Missed without a lease: uptime suffers, but it does not count toward a fault.
			assert_eq!(
				(record.windows_checked, record.windows_met, record.missed_in_a_row),
				(2, 1, 0)
			);
			// A heartbeat before the sweep reaches an earlier window still counts for it.
			assert_ok!(beat(MACHINE, 1));
			run_to_block(3 * INTERVAL);
			assert_eq!(told().uptime.last(), Some(&(MACHINE, true)));
			assert!(told().faults.is_empty(), "an unleased machine is not reported offline");
		});
	}

	#[test]
	fn a_new_interval_starts_with_the_next_window_and_the_numbering_carries_on() {
		ExtBuilder.build_and_execute(|| {
			assert_ok!(beat(MACHINE, 1));
			run_to_block(15);
			assert_ok!(beat(MACHINE, 1));
			// Governance doubles the interval in window 1 (blocks 10..=19): it ends as it began.
			HeartbeatInterval::set(2 * INTERVAL);
			run_to_block(19);
			assert_eq!(Attestation::window_of(19), 1);
			run_to_block(20);
			System::assert_has_event(RuntimeEvent::Attestation(
				crate::Event::HeartbeatIntervalChanged { window: 2, interval: 2 * INTERVAL },
			));
			assert_eq!((Attestation::window_of(39), Attestation::window_of(40)), (2, 3));
			assert_ok!(beat(MACHINE, 1));
			// One heartbeat per window, in the new windows too.
			run_to_block(39);
			assert_noop!(beat(MACHINE, 1), AttestationError::HeartbeatTooEarly);
			run_to_block(40);
			assert_ok!(beat(MACHINE, 1));
			run_to_block(60);
			// No window was lost or counted twice across the change.
			let record = Heartbeats::<Test>::get(MACHINE).unwrap();
			assert_eq!((record.windows_checked, record.windows_met), (4, 4));
			// Back to 10 blocks from the next window's start (block 80, window 5).
			HeartbeatInterval::set(INTERVAL);
			run_to_block(79);
			assert_eq!(Attestation::window_of(79), 4);
			run_to_block(80);
			assert_eq!(
				(
					Attestation::window_of(80),
					Attestation::window_of(89),
					Attestation::window_of(90)
				),
				(5, 5, 6)
			);
		});
	}

	fn lease_on(machine: MachineId) -> FakeLease {
		FakeLease::open(machine, 0, 500)
	}

	#[test]
	fn a_listed_machine_is_watched_before_its_worker_ever_sends_a_heartbeat() {
		ExtBuilder.build_and_execute(|| {
			watched_machine(MACHINE);
			assert!(<Attestation as MachineMonitor>::is_watched(MACHINE));
			let record = Heartbeats::<Test>::get(MACHINE).expect("watched from listing");
			assert_eq!((record.received_at, record.since_window), (None, 1));
			// Watching again changes nothing.
			assert_ok!(<Attestation as MachineMonitor>::watch(MACHINE));
			assert_eq!(TrackedMachineCount::<Test>::get(), 1);
			// Its worker may start late: the first heartbeat is welcome in any window.
			assert_ok!(beat(MACHINE, 1));
			assert_eq!(Heartbeats::<Test>::get(MACHINE).unwrap().received_at, Some(1));
		});
	}

	#[test]
	fn a_leased_machine_whose_worker_never_runs_is_reported_offline() {
		ExtBuilder.build_and_execute(|| {
			watched_machine(MACHINE);
			put_lease(LEASE, lease_on(MACHINE));
			// Windows 1 and 2 missed (window 0, the listing's own, is not held against it).
			run_to_block(3 * INTERVAL);
			assert!(told().faults.is_empty());
			run_to_block(4 * INTERVAL);
			assert_eq!(told().faults, vec![(MACHINE, FaultKind::Offline)]);
			assert!(!leases()[&LEASE].open, "the fault closed the lease");
			assert_eq!(told().uptime, vec![(MACHINE, false); 3]);
		});
	}

	#[test]
	fn windows_missed_before_a_rent_give_the_renter_nothing_to_report() {
		ExtBuilder.build_and_execute(|| {
			watched_machine(MACHINE);
			// Down for five windows with no lease.
			run_to_block(6 * INTERVAL);
			assert_eq!(Heartbeats::<Test>::get(MACHINE).unwrap().missed_in_a_row, 0);
			// Rented while down, in window 6: the grace runs from window 7, the first to begin
			// under the lease, in full.
			put_lease(LEASE, lease_on(MACHINE));
			// (Its missed proof-of-GPU challenge is a fault of its own.)
			let offline = || {
				told().faults.into_iter().filter(|(_, kind)| *kind == FaultKind::Offline).count()
			};
			run_to_block(9 * INTERVAL);
			assert_eq!(offline(), 0, "windows 7 and 8 missed: within the grace");
			run_to_block(10 * INTERVAL);
			assert_eq!(offline(), 1);
		});
	}

	#[test]
	fn listing_beyond_the_watched_set_is_refused() {
		ExtBuilder.build_and_execute(|| {
			for id in 10..30u64 {
				watched_machine(id);
			}
			assert_eq!(TrackedMachineCount::<Test>::get(), 20);
			listed_machine(MACHINE);
			assert_noop!(
				<Attestation as MachineMonitor>::watch(MACHINE),
				AttestationError::TooManyMachines
			);
			assert!(!<Attestation as MachineMonitor>::is_watched(MACHINE));
		});
	}

	#[test]
	fn challenges_reach_a_watched_machine_without_heartbeats() {
		ExtBuilder.build_and_execute(|| {
			watched_machine(MACHINE);
			assert!(!<Attestation as MachineMonitor>::is_challenged(MACHINE));
			run_to_block(PERIOD);
			let open = OpenChallenges::<Test>::get();
			assert_eq!(open.len(), 1);
			assert_eq!(Challenges::<Test>::get(open[0]).unwrap().machine, MACHINE);
			assert!(<Attestation as MachineMonitor>::is_challenged(MACHINE));
			// Its worker never answers: a missed commit is a fault like any other.
			run_to_block(2 * PERIOD);
			assert!(told().faults.contains(&(MACHINE, FaultKind::FailedChallenge)));
		});
	}

	#[test]
	fn the_sweep_charges_the_staking_pallet_s_weight_for_each_report() {
		ExtBuilder.build_and_execute(|| {
			put_lease(LEASE, lease_on(MACHINE));
			assert_ok!(beat(MACHINE, 1));
			run_to_block(4 * INTERVAL - 1);
			assert!(told().faults.is_empty());
			// The block that reports the machine offline.
			System::set_block_number(4 * INTERVAL);
			let weight = Attestation::sweep_windows(4 * INTERVAL);
			assert_eq!(told().faults, vec![(MACHINE, FaultKind::Offline)]);
			assert!(weight.all_gte(FAULT_WEIGHT), "{weight:?}");
			// A check that reports nothing does not charge for a report.
			System::set_block_number(5 * INTERVAL);
			assert!(!Attestation::sweep_windows(5 * INTERVAL).all_gte(FAULT_WEIGHT));
		});
	}

	#[test]
	fn a_leased_machine_silent_past_the_grace_is_reported_offline_once() {
		ExtBuilder.build_and_execute(|| {
			put_lease(LEASE, lease_on(MACHINE));
			assert_ok!(beat(MACHINE, 1));
			// Windows 1 and 2 missed: within the grace of 2.
			run_to_block(3 * INTERVAL);
			assert!(told().faults.is_empty());
			// Window 3 missed: the third in a row.
			run_to_block(4 * INTERVAL);
			assert_eq!(told().faults, vec![(MACHINE, FaultKind::Offline)]);
			assert!(
				events().contains(&Event::OfflineReported { machine: MACHINE, missed_windows: 3 })
			);
			assert!(!leases()[&LEASE].open, "the fault closed the lease");
			// The machine is still listed, so it stays watched, but is not reported again.
			run_to_block(8 * INTERVAL);
			let offline =
				told().faults.iter().filter(|(_, kind)| *kind == FaultKind::Offline).count();
			assert_eq!(offline, 1);
		});
	}

	#[test]
	fn offline_reports_per_block_are_bounded_and_the_rest_wait_a_block() {
		ExtBuilder.build_and_execute(|| {
			for (lease, machine) in [(1, MACHINE), (2, OTHER)] {
				put_lease(lease, FakeLease::open(machine, 0, 500));
			}
			assert_ok!(beat(MACHINE, 1));
			assert_ok!(beat(OTHER, 2));
			run_to_block(4 * INTERVAL);
			// One report a block in this runtime: the second machine's check waits a block.
			assert_eq!(told().faults, vec![(MACHINE, FaultKind::Offline)]);
			run_to_block(4 * INTERVAL + 1);
			assert_eq!(
				told().faults,
				vec![(MACHINE, FaultKind::Offline), (OTHER, FaultKind::Offline)]
			);
		});
	}

	#[test]
	fn machines_that_leave_the_market_are_untracked_and_slots_stay_dense() {
		ExtBuilder.build_and_execute(|| {
			assert_ok!(beat(MACHINE, 1));
			assert_ok!(beat(OTHER, 2));
			edit_machine(MACHINE, |m| m.listed = false);
			run_to_block(INTERVAL);
			assert_eq!(TrackedMachineCount::<Test>::get(), 1);
			assert_eq!(TrackedMachines::<Test>::get(0), Some(OTHER));
			assert_eq!(Heartbeats::<Test>::get(OTHER).unwrap().slot, 0);
			assert!(events().contains(&Event::MachineUntracked { machine: MACHINE }));
			let mut all = machines();
			all.remove(&OTHER);
			set_machines(all);
			run_to_block(2 * INTERVAL);
			assert_eq!(TrackedMachineCount::<Test>::get(), 0);
		});
	}

	#[test]
	fn the_sweep_checks_at_most_max_checks_per_block() {
		ExtBuilder.build_and_execute(|| {
			for id in 10..13u64 {
				listed_machine(id);
				assert_ok!(beat(id, id as u8));
			}
			run_to_block(INTERVAL);
			assert_eq!(told().uptime.len(), 2);
			assert!(!Sweep::<Test>::get().finished);
			run_to_block(INTERVAL + 1);
			assert_eq!(told().uptime.len(), 3);
			assert!(Sweep::<Test>::get().finished);
			run_to_block(INTERVAL + 5);
			assert_eq!(told().uptime.len(), 3, "a window is checked once");
		});
	}
}

mod challenges {
	use super::*;

	/// Tracks `MACHINE` and `OTHER` and runs to the first epoch start; returns the challenges
	/// as (id, machine, worker seed).
	pub(super) fn issued() -> Vec<(u64, u64, u8)> {
		assert_ok!(beat(MACHINE, 1));
		assert_ok!(beat(OTHER, 2));
		for block in (INTERVAL..=PERIOD).step_by(INTERVAL as usize) {
			run_to_block(block - 1);
			run_to_block(block);
			let _ = beat(MACHINE, 1);
			let _ = beat(OTHER, 2);
		}
		OpenChallenges::<Test>::get()
			.into_iter()
			.map(|id| {
				let machine = Challenges::<Test>::get(id).unwrap().machine;
				(id, machine, if machine == MACHINE { 1 } else { 2 })
			})
			.collect()
	}

	pub(super) fn vote(challenge: u64, verifier_index: u8, passed: bool) -> DispatchResult {
		in_block(Call::submit_verdict {
			challenge,
			verifier: verifier(verifier_index),
			passed,
			signature: verdict_signature(verifier_index, challenge, passed),
		})
	}

	#[test]
	fn each_epoch_challenges_tracked_machines_with_their_class_size() {
		ExtBuilder.build_and_execute(|| {
			let issued = issued();
			assert_eq!(issued.len(), 2);
			for (id, machine, _) in issued {
				let record = Challenges::<Test>::get(id).unwrap();
				// OTHER is of class 1, whose size genesis set.
				assert_eq!(record.size, if machine == OTHER { CLASS_1_SIZE } else { SIZE });
				assert_eq!(record.commit_by, PERIOD + COMMIT_WINDOW);
				assert!(System::events().iter().any(|e| matches!(
					e.event,
					RuntimeEvent::Attestation(Event::ChallengeIssued { challenge, .. }) if challenge == id
				)));
			}
		});
	}

	/// Lists `count` machines of `SECOND_PROVIDER` of class 0 from id 10 (worker seeds from
	/// 10), watched from their listing; returns their ids.
	fn second_fleet(count: u64) -> Vec<MachineId> {
		(10..10 + count)
			.inspect(|id| {
				listed_machine(*id);
				edit_machine(*id, |m| m.provider = SECOND_PROVIDER);
				watched_machine(*id);
			})
			.collect()
	}

	/// The machines challenged at `block`.
	fn challenged_at(block: u64) -> Vec<MachineId> {
		let mut machines: Vec<_> = OpenChallenges::<Test>::get()
			.into_iter()
			.filter_map(Challenges::<Test>::get)
			.filter(|c| c.issued_at == block)
			.map(|c| c.machine)
			.collect();
		machines.sort();
		machines
	}

	#[test]
	fn a_providers_machines_are_all_challenged_in_the_same_block() {
		ExtBuilder.build_and_execute(|| {
			let fleet = second_fleet(3);
			run_to_block(PERIOD);
			// Two machines are wanted, but a fleet is never split.
			assert_eq!(challenged_at(PERIOD), fleet);
			for machine in &fleet {
				assert!(Attestation::has_open_challenge(*machine));
			}
		});
	}

	#[test]
	fn the_last_fleet_drawn_is_taken_whole_past_the_target() {
		ExtBuilder.build_and_execute(|| {
			watched_machine(MACHINE);
			let fleet = second_fleet(MAX_FLEET as u64);
			let mut with_machine = fleet.clone();
			with_machine.insert(0, MACHINE);
			let mut past_target = 0;
			// The draw is random (the mock's is deterministic): enough epochs for both cases.
			for epoch in 1..=24 {
				run_to_block(epoch * PERIOD);
				let challenged = challenged_at(epoch * PERIOD);
				// The fleet drawn first fills the target alone; `MACHINE` drawn first leaves
				// room under the target, and the fleet then comes in whole: nine challenges.
				assert!(challenged == fleet || challenged == with_machine, "{challenged:?}");
				past_target += usize::from(challenged == with_machine);
			}
			assert!(past_target > 0, "no epoch drew `MACHINE` first");
		});
	}

	#[test]
	fn epoch_faults_are_reported_a_few_a_block() {
		ExtBuilder.build_and_execute(|| {
			let fleet = second_fleet(3);
			run_to_block(PERIOD);
			run_to_block(2 * PERIOD);
			// The three missed commitments close with the epoch; this runtime reports one
			// fault a block.
			let failed = |machine: &MachineId| (*machine, FaultKind::FailedChallenge);
			assert_eq!(told().faults.len(), 1);
			assert_eq!(PendingChallengeFaults::<Test>::count(), 2);
			run_to_block(2 * PERIOD + 2);
			let mut faults = told().faults;
			faults.sort_by_key(|(machine, _)| *machine);
			assert_eq!(faults, fleet.iter().map(failed).collect::<Vec<_>>());
			assert_eq!(PendingChallengeFaults::<Test>::count(), 0);
		});
	}

	#[test]
	fn each_class_commits_within_its_own_window() {
		ExtBuilder.build_and_execute(|| {
			let gov = RuntimeOrigin::signed(GOVERNANCE);
			assert_noop!(
				Attestation::set_commit_window(RuntimeOrigin::signed(PROVIDER), 1, Some(2)),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Attestation::set_commit_window(gov.clone(), 1, Some(0)),
				AttestationError::InvalidCommitWindow
			);
			assert_noop!(
				Attestation::set_commit_window(gov.clone(), 1, Some(MIN_COMMIT_WINDOW - 1)),
				AttestationError::InvalidCommitWindow
			);
			// The row draw (4), the reveal window (10) and the verifiers' blocks (5) must still
			// fit in the period (40).
			let longest = (PERIOD - REVEAL_WINDOW) as u32 - VERDICT_BLOCKS - ROW_DRAW_BLOCKS;
			assert_noop!(
				Attestation::set_commit_window(gov.clone(), 1, Some(longest + 1)),
				AttestationError::InvalidCommitWindow
			);
			assert_ok!(Attestation::set_commit_window(gov.clone(), 1, Some(2)));
			assert!(events().contains(&Event::CommitWindowSet { gpu_class: 1, blocks: Some(2) }));
			let issued = issued();
			let (slow, _, slow_seed) = *issued.iter().find(|(_, m, _)| *m == OTHER).unwrap();
			let (fast, _, fast_seed) = *issued.iter().find(|(_, m, _)| *m == MACHINE).unwrap();
			assert_eq!(Challenges::<Test>::get(slow).unwrap().commit_by, PERIOD + 2);
			assert_eq!(Challenges::<Test>::get(fast).unwrap().commit_by, PERIOD + COMMIT_WINDOW);
			// Rows are drawn for the whole epoch after its last commit deadline.
			let draw_at = PERIOD + COMMIT_WINDOW + ROW_DRAW_BLOCKS as u64;
			assert_eq!(Challenges::<Test>::get(slow).unwrap().draw_at, draw_at);
			assert_eq!(Challenges::<Test>::get(slow).unwrap().reveal_by, draw_at + REVEAL_WINDOW);
			run_to_block(PERIOD + 3);
			let root = [1; 32];
			let late = Call::commit_challenge {
				challenge: slow,
				root,
				signature: sign(
					slow_seed,
					&WorkerStatement::ChallengeCommitted { challenge: slow, root },
				),
			};
			assert_eq!(pool(late.clone()), rejected(AttestationError::CommitTooLate));
			assert_noop!(in_block(late), AttestationError::CommitTooLate);
			// Class 0 still has the default window.
			commit_honestly(fast, fast_seed);
			// A period shortened later cuts a class's window so the reveal still fits.
			assert_ok!(Attestation::set_commit_window(gov.clone(), 1, Some(longest)));
			ChallengePeriod::set(30);
			assert_eq!(
				Attestation::commit_window(1),
				30 - REVEAL_WINDOW - (VERDICT_BLOCKS + ROW_DRAW_BLOCKS) as u64
			);
			assert_ok!(Attestation::set_commit_window(gov, 1, None));
			assert_eq!(Attestation::commit_window(1), COMMIT_WINDOW);
		});
	}

	/// Commits, reveals and passes `challenge` of worker `seed` by two verdicts.
	fn pass(challenge: u64, seed: u8) {
		let rows = commit_honestly(challenge, seed);
		run_to_block(System::block_number() + 1);
		assert_ok!(reveal(challenge, seed, &rows));
		assert_ok!(vote(challenge, 0, true));
		assert_ok!(vote(challenge, 1, true));
	}

	#[test]
	fn a_pass_is_held_only_against_a_heartbeat_sent_since_the_challenge() {
		ExtBuilder.build_and_execute(|| {
			// Heartbeats in the first window only, with 2 GPUs; the machine registered 3.
			assert_ok!(beat(MACHINE, 1));
			edit_machine(MACHINE, |m| m.gpus = 3);
			run_to_block(PERIOD);
			let id = OpenChallenges::<Test>::get()[0];
			pass(id, 1);
			assert!(told().faults.is_empty(), "an old reading is not held against a pass");
			assert_eq!(told().challenges, vec![(MACHINE, true)]);
		});
	}

	#[test]
	fn a_pass_with_fewer_gpus_than_registered_is_a_spec_mismatch() {
		ExtBuilder.build_and_execute(|| {
			let issued = issued();
			// `MACHINE`'s heartbeats show its 2 GPUs; say it registered 3.
			edit_machine(MACHINE, |m| m.gpus = 3);
			// Both commit within their windows, then both reveal after the row draw.
			let rows: Vec<_> =
				issued.iter().map(|(id, _, seed)| commit_honestly(*id, *seed)).collect();
			for ((id, _, seed), rows) in issued.iter().zip(&rows) {
				assert_ok!(reveal(*id, *seed, rows));
				assert_ok!(vote(*id, 0, true));
				assert_ok!(vote(*id, 1, true));
			}
			let (short, _, _) = *issued.iter().find(|(_, m, _)| *m == MACHINE).unwrap();
			assert!(events().contains(&Event::ChallengedGpusMissing {
				challenge: short,
				machine: MACHINE,
				registered: 3,
				reported: 2,
			}));
			assert_eq!(told().faults, vec![(MACHINE, FaultKind::SpecMismatch)]);
			// Both passed: the proof stands, the missing GPU is the fault.
			assert_eq!(told().challenges, vec![(MACHINE, true), (OTHER, true)]);
		});
	}

	#[test]
	fn an_honest_machine_passes_by_quorum() {
		ExtBuilder.build_and_execute(|| {
			let (id, machine, seed) = issued()[0];
			let rows = commit_honestly(id, seed);
			// Rows are drawn after the epoch's last commit deadline, unknown until then.
			run_to_block(PERIOD + COMMIT_WINDOW + ROW_DRAW_BLOCKS as u64 - 1);
			let early = reveal_rows(&rows, &[0, 1, 2]).unwrap();
			let statement = WorkerStatement::revealed(id, &early);
			assert_noop!(
				in_block(Call::reveal_challenge {
					challenge: id,
					rows: early,
					signature: sign(seed, &statement)
				}),
				AttestationError::RevealTooEarly
			);
			run_to_block(PERIOD + 1);
			assert_ok!(reveal(id, seed, &rows));
			let record = Challenges::<Test>::get(id).unwrap();
			assert!(Attestation::rows_are_correct(id, &record));
			// Quorum of 3 verifiers at 66% is 2.
			assert_ok!(vote(id, 0, true));
			assert!(Challenges::<Test>::contains_key(id));
			assert_ok!(vote(id, 1, true));
			assert!(!Challenges::<Test>::contains_key(id));
			assert!(!RevealedRowsOf::<Test>::contains_key(id));
			assert_eq!(Verdicts::<Test>::iter_prefix(id).count(), 0);
			assert_eq!(told().challenges, vec![(machine, true)]);
			assert!(told().faults.is_empty());
			assert!(events().contains(&Event::ChallengeDecided {
				challenge: id,
				machine,
				outcome: ChallengeOutcome::Passed
			}));
		});
	}

	#[test]
	fn a_wrong_product_fails_by_quorum_and_is_a_fault() {
		ExtBuilder.build_and_execute(|| {
			let (id, machine, seed) = issued()[0];
			let record = Challenges::<Test>::get(id).unwrap();
			// A machine that skips the work commits to rows it made up.
			let fake: Vec<Vec<i8>> = vec![
				vec![1; gpux_primitives::attestation::ROW_WIDTH as usize];
				record.size.rows as usize
			];
			let root = commit_rows(&fake);
			let statement = WorkerStatement::ChallengeCommitted { challenge: id, root };
			assert_ok!(in_block(Call::commit_challenge {
				challenge: id,
				root,
				signature: sign(seed, &statement)
			}));
			run_to_block(PERIOD + 1);
			assert_ok!(reveal(id, seed, &fake));
			let record = Challenges::<Test>::get(id).unwrap();
			assert!(!Attestation::rows_are_correct(id, &record));
			assert_ok!(vote(id, 0, false));
			assert_ok!(vote(id, 2, false));
			assert_eq!(told().faults, vec![(machine, FaultKind::FailedChallenge)]);
			assert_eq!(told().challenges, vec![(machine, false)]);
		});
	}

	#[test]
	fn commits_are_checked() {
		ExtBuilder.build_and_execute(|| {
			let (id, _, seed) = issued()[0];
			let root = [5u8; 32];
			let statement = WorkerStatement::ChallengeCommitted { challenge: id, root };
			let wrong_seed = if seed == 1 { 2 } else { 1 };
			assert_noop!(
				in_block(Call::commit_challenge {
					challenge: id,
					root,
					signature: sign(wrong_seed, &statement)
				}),
				AttestationError::BadSignature
			);
			assert_noop!(
				in_block(Call::commit_challenge {
					challenge: 99,
					root,
					signature: sign(seed, &statement)
				}),
				AttestationError::UnknownChallenge
			);
			let call =
				Call::commit_challenge { challenge: id, root, signature: sign(seed, &statement) };
			assert!(pool(call.clone()).is_ok());
			run_to_block(PERIOD + COMMIT_WINDOW + 1);
			assert_eq!(pool(call), rejected(AttestationError::CommitTooLate));
			assert_noop!(
				in_block(Call::commit_challenge {
					challenge: id,
					root,
					signature: sign(seed, &statement)
				}),
				AttestationError::CommitTooLate
			);
		});
	}

	#[test]
	fn gpu_evidence_is_attested_once_by_the_challenged_machine_by_its_commit_deadline() {
		ExtBuilder.build_and_execute(|| {
			let issued = issued();
			let ((id, machine, seed), (other, _, other_seed)) = (issued[0], issued[1]);
			let evidence = [7u8; 32];
			let statement = WorkerStatement::GpuEvidence { challenge: id, evidence };
			let attest = |challenge, signer| Call::attest_gpu_evidence {
				challenge,
				evidence,
				signature: sign(signer, &WorkerStatement::GpuEvidence { challenge, evidence }),
			};
			// Another machine's key cannot attest for this challenge, nor for an unknown one.
			assert_eq!(pool(attest(id, other_seed)), rejected(AttestationError::BadSignature));
			assert_noop!(in_block(attest(id, other_seed)), AttestationError::BadSignature);
			assert_noop!(in_block(attest(99, seed)), AttestationError::UnknownChallenge);
			// Optional: the pool ranks it below the machine's commitment.
			let commit = Call::commit_challenge {
				challenge: id,
				root: [5u8; 32],
				signature: sign(
					seed,
					&WorkerStatement::ChallengeCommitted { challenge: id, root: [5u8; 32] },
				),
			};
			assert!(pool(attest(id, seed)).unwrap().priority < pool(commit).unwrap().priority);
			assert_ok!(in_block(Call::attest_gpu_evidence {
				challenge: id,
				evidence,
				signature: sign(seed, &statement)
			}));
			assert_eq!(GpuEvidenceHashes::<Test>::get(id), Some(evidence));
			assert!(events().contains(&Event::GpuEvidenceAttested {
				challenge: id,
				machine,
				evidence
			}));
			// Once: a second file cannot replace the first.
			assert_eq!(
				pool(attest(id, seed)),
				rejected(AttestationError::GpuEvidenceAlreadyAttested)
			);
			assert_noop!(in_block(attest(id, seed)), AttestationError::GpuEvidenceAlreadyAttested);
			// The evidence is optional: the challenge is answered as before.
			commit_honestly(id, seed);
			// After the commit deadline the nonce is old news.
			run_to_block(PERIOD + COMMIT_WINDOW + 1);
			assert_eq!(
				pool(attest(other, other_seed)),
				rejected(AttestationError::GpuEvidenceTooLate)
			);
			assert_noop!(in_block(attest(other, other_seed)), AttestationError::GpuEvidenceTooLate);
			// Kept only while the challenge is open; the event is the lasting record.
			run_to_block(2 * PERIOD);
			assert!(!Challenges::<Test>::contains_key(id));
			assert_eq!(GpuEvidenceHashes::<Test>::get(id), None);
		});
	}

	#[test]
	fn a_second_commit_is_refused() {
		ExtBuilder.build_and_execute(|| {
			let (id, _, seed) = issued()[0];
			commit_honestly(id, seed);
			let root = [5u8; 32];
			let statement = WorkerStatement::ChallengeCommitted { challenge: id, root };
			assert_noop!(
				in_block(Call::commit_challenge {
					challenge: id,
					root,
					signature: sign(seed, &statement)
				}),
				AttestationError::AlreadyCommitted
			);
		});
	}

	#[test]
	fn reveals_must_be_the_drawn_rows_and_match_the_commitment() {
		ExtBuilder.build_and_execute(|| {
			let (id, _, seed) = issued()[0];
			let rows = commit_honestly(id, seed);
			let record = Challenges::<Test>::get(id).unwrap();
			run_to_block(record.draw_at);
			let drawn = Attestation::rows_to_reveal(&record).unwrap();
			assert_eq!(drawn.len(), ROWS as usize);
			let send = |revealed: gpux_primitives::attestation::RevealedRows| {
				let statement = WorkerStatement::revealed(id, &revealed);
				in_block(Call::reveal_challenge {
					challenge: id,
					rows: revealed,
					signature: sign(seed, &statement),
				})
			};
			// Other rows than the drawn ones.
			let other: Vec<u32> =
				(0..record.size.rows).filter(|r| !drawn.contains(r)).take(ROWS as usize).collect();
			assert_noop!(send(reveal_rows(&rows, &other).unwrap()), AttestationError::WrongRows);
			// The drawn rows, one value changed.
			let mut tampered = reveal_rows(&rows, &drawn).unwrap();
			tampered[1].values[0] ^= 1;
			assert_noop!(send(tampered), AttestationError::RevealMismatch);
			// Too late.
			run_to_block(record.reveal_by + 1);
			assert_noop!(
				send(reveal_rows(&rows, &drawn).unwrap()),
				AttestationError::RevealTooLate
			);
		});
	}

	#[test]
	fn verdicts_come_once_from_verifiers_after_the_reveal() {
		ExtBuilder.build_and_execute(|| {
			let (id, _, seed) = issued()[0];
			let rows = commit_honestly(id, seed);
			assert_noop!(vote(id, 0, true), AttestationError::NotRevealed);
			run_to_block(PERIOD + 1);
			assert_ok!(reveal(id, seed, &rows));
			// Key 3 is not in the genesis set of 0..3.
			assert_noop!(vote(id, 3, true), AttestationError::NotVerifier);
			let bad = in_block(Call::submit_verdict {
				challenge: id,
				verifier: verifier(0),
				passed: true,
				signature: verdict_signature(0, id, false),
			});
			assert_eq!(bad, Err(AttestationError::BadSignature.into()));
			assert_ok!(vote(id, 0, true));
			assert_noop!(vote(id, 0, false), AttestationError::AlreadyVoted);
			let call = Call::submit_verdict {
				challenge: id,
				verifier: verifier(0),
				passed: true,
				signature: verdict_signature(0, id, true),
			};
			assert_eq!(pool(call), rejected(AttestationError::AlreadyVoted));
		});
	}

	#[test]
	fn the_epoch_end_fails_missed_deadlines_and_expires_undecided_challenges() {
		ExtBuilder.build_and_execute(|| {
			let issued = issued();
			let (silent, silent_machine, _) = issued[0];
			let (answered, _, seed) = issued[1];
			let rows = commit_honestly(answered, seed);
			run_to_block(PERIOD + 1);
			assert_ok!(reveal(answered, seed, &rows));
			assert_ok!(vote(answered, 0, true));
			run_to_block(2 * PERIOD);
			assert_eq!(told().faults, vec![(silent_machine, FaultKind::FailedChallenge)]);
			assert_eq!(told().challenges, vec![(silent_machine, false)]);
			let decided: Vec<_> = events()
				.into_iter()
				.filter_map(|e| match e {
					Event::ChallengeDecided { challenge, outcome, .. } => {
						Some((challenge, outcome))
					},
					_ => None,
				})
				.collect();
			assert!(decided.contains(&(silent, ChallengeOutcome::MissedCommit)));
			assert!(decided.contains(&(answered, ChallengeOutcome::Undecided)));
			// The new epoch's challenges are issued after the old ones close.
			assert!(OpenChallenges::<Test>::get().iter().all(|c| *c > answered));
		});
	}

	#[test]
	fn a_shorter_period_set_mid_epoch_keeps_the_open_challenges_deadlines() {
		ExtBuilder.build_and_execute(|| {
			let (id, machine, seed) = issued()[0];
			let faulted = || told().faults.contains(&(machine, FaultKind::FailedChallenge));
			// Governance cuts the period to 15 in the epoch that began at 40: 45 and 60 are
			// multiples, but the open challenges run to 79.
			ChallengePeriod::set(15);
			run_to_block(PERIOD + 1);
			let rows = commit_honestly(id, seed);
			run_to_block(PERIOD + 5);
			assert!(OpenChallenges::<Test>::get().contains(&id), "closed early");
			assert_ok!(reveal(id, seed, &rows));
			run_to_block(PERIOD + 20);
			assert!(OpenChallenges::<Test>::get().contains(&id), "closed early");
			assert!(told().faults.is_empty(), "no challenge closed early");
			// The next epoch starts at the first multiple of 15 from 80: 90.
			run_to_block(89);
			assert!(OpenChallenges::<Test>::get().contains(&id));
			run_to_block(90);
			assert!(!OpenChallenges::<Test>::get().contains(&id));
			// Its epoch closed: the unanswered one is a fault, the revealed one is nobody's.
			assert!(!told().faults.is_empty());
			assert!(!faulted(), "a revealed challenge is nobody's fault");
		});
	}

	#[test]
	fn a_committed_but_unrevealed_challenge_fails() {
		ExtBuilder.build_and_execute(|| {
			let (id, machine, seed) = issued()[0];
			commit_honestly(id, seed);
			// Both challenges fail at the epoch's end; this runtime reports one a block.
			run_to_block(2 * PERIOD + 1);
			assert!(told().faults.contains(&(machine, FaultKind::FailedChallenge)));
			assert!(System::events().iter().any(|e| e.event
				== RuntimeEvent::Attestation(Event::ChallengeDecided {
					challenge: id,
					machine,
					outcome: ChallengeOutcome::MissedReveal
				})));
		});
	}

	#[test]
	fn governance_sets_sizes_and_verifiers() {
		ExtBuilder.build_and_execute(|| {
			let gov = RuntimeOrigin::signed(GOVERNANCE);
			let size = |rows, rounds| ChallengeSize { rows, rounds };
			assert_noop!(
				Attestation::set_challenge_size(RuntimeOrigin::signed(PROVIDER), 0, size(32, 2)),
				DispatchError::BadOrigin
			);
			for bad in [
				size(0, 2),
				size(32, 0),
				size(MAX_CHALLENGE_ROWS + 1, 2),
				size(32, MAX_CHALLENGE_ROUNDS + 1),
			] {
				assert_noop!(
					Attestation::set_challenge_size(gov.clone(), 0, bad),
					AttestationError::InvalidChallengeSize
				);
			}
			let production = size(6_862_000, 256);
			assert_ok!(Attestation::set_challenge_size(gov.clone(), 0, production));
			assert_eq!(Attestation::challenge_size(0), production);
			System::assert_last_event(
				Event::ChallengeSizeSet { gpu_class: 0, size: production }.into(),
			);
			let twice = vec![verifier(0), verifier(0)].try_into().unwrap();
			assert_noop!(
				Attestation::set_verifiers(gov.clone(), twice),
				AttestationError::DuplicateVerifier
			);
			assert_ok!(Attestation::set_verifiers(gov, vec![verifier(3)].try_into().unwrap()));
			assert_eq!(Attestation::quorum(), 1);
		});
	}

	#[test]
	fn a_verifier_offchain_worker_recomputes_and_submits_a_signed_verdict() {
		use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};

		let mut ext = ExtBuilder.build_with_keystore();
		let (offchain, _) = testing::TestOffchainExt::new();
		let (pool_ext, pool_state) = testing::TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool_ext));
		ext.execute_with(|| {
			let (id, _, seed) = issued()[0];
			let rows = commit_honestly(id, seed);
			run_to_block(PERIOD + 1);
			assert_ok!(reveal(id, seed, &rows));
			// Verifier 0's key in the node's keystore under `gpux`.
			sp_io::crypto::sr25519_generate(
				gpux_primitives::GPUX_KEY_TYPE,
				Some(format!("0x{}", hex_seed(0)).into_bytes()),
			);
			Attestation::verify_revealed_challenges(PERIOD + 1);
			let txs = pool_state.read().transactions.clone();
			assert_eq!(txs.len(), 1);
			let xt = Extrinsic::decode(&mut &txs[0][..]).unwrap();
			let RuntimeCall::Attestation(call) = xt.function else { panic!("not ours") };
			assert!(pool(call.clone()).is_ok());
			assert!(matches!(call, Call::submit_verdict { passed: true, .. }));
			// Sent and not yet in a block: the next runs do not recompute it, until the verdict
			// may have been lost from the pool.
			Attestation::verify_revealed_challenges(PERIOD + 2);
			assert_eq!(pool_state.read().transactions.len(), 1);
			Attestation::verify_revealed_challenges(
				PERIOD + 1 + crate::offchain::VERDICT_RESEND_BLOCKS as u64,
			);
			assert_eq!(pool_state.read().transactions.len(), 2, "sent again");
			assert_ok!(frame_support::traits::UnfilteredDispatchable::dispatch_bypass_filter(
				call,
				RuntimeOrigin::none()
			));
			assert_eq!(Challenges::<Test>::get(id).unwrap().passes, 1);
			// Already voted: nothing more is sent.
			Attestation::verify_revealed_challenges(PERIOD + 20);
			assert_eq!(pool_state.read().transactions.len(), 2);
			Attestation::do_try_state().unwrap();
		});
	}

	fn hex_seed(i: u8) -> String {
		[100 + i; 32].iter().map(|b| format!("{b:02x}")).collect()
	}
}

mod beacon {
	use super::*;
	use crate::beacon::{beacon_output, chain_end, BEACON_CHAIN_LENGTH};
	use gpux_primitives::attestation::{beacon_anchor_message, beacon_reveal_message};
	use sp_core::Pair;

	/// Verifier `i`'s secret chain seed in these tests.
	fn seed(i: u8) -> [u8; 32] {
		[50 + i; 32]
	}

	/// The `k`-th value verifier `i` reveals: the one before its last revealed (or anchor).
	fn value(i: u8, k: u32) -> [u8; 32] {
		(0..BEACON_CHAIN_LENGTH - k).fold(seed(i), |v, _| sp_io::hashing::blake2_256(&v))
	}

	fn anchor_call(i: u8, round: u32, seed: [u8; 32]) -> Call<Test> {
		let anchor = chain_end(&seed);
		let message = beacon_anchor_message(&genesis(), round, &anchor);
		let signature = verifier_pair(i).sign(&message).into();
		Call::anchor_beacon { verifier: verifier(i), round, anchor, signature }
	}

	fn anchor(i: u8) -> DispatchResult {
		in_block(anchor_call(i, Attestation::anchor_round(), seed(i)))
	}

	fn reveal_call(i: u8, round: u32, value: [u8; 32]) -> Call<Test> {
		let message = beacon_reveal_message(&genesis(), round, &value);
		let signature = verifier_pair(i).sign(&message).into();
		Call::reveal_beacon { verifier: verifier(i), round, value, signature }
	}

	fn current() -> BeaconRound<u64> {
		CurrentBeacon::<Test>::get().expect("a round is in progress")
	}

	#[test]
	fn rows_come_from_the_verifiers_values_and_a_withholding_verifier_cannot_choose_them() {
		ExtBuilder.build_and_execute(|| {
			for i in 0..3 {
				assert_ok!(anchor(i));
			}
			// The epoch's machines commit their answers.
			let issued = super::challenges::issued();
			let answers: Vec<_> =
				issued.iter().map(|(id, _, seed)| commit_honestly(*id, *seed)).collect();
			let round = current();
			assert_eq!(round.purpose, BeaconPurpose::Rows);
			assert_eq!(round.closes_at, PERIOD + COMMIT_WINDOW + ROW_DRAW_BLOCKS as u64);
			// Before the round's reveal blocks, and an anchor during them: refused.
			assert_noop!(
				in_block(reveal_call(0, round.number, value(0, 1))),
				AttestationError::BeaconRoundClosed
			);
			// Anchors stop two blocks before the reveals open: a value chosen after seeing the
			// others' (the pool takes them a block early) would let a verifier choose the draw.
			run_to_block(round.opens_at - 1);
			assert_noop!(anchor(0), AttestationError::BeaconRoundOpen);
			run_to_block(round.opens_at);
			assert_noop!(anchor(0), AttestationError::BeaconRoundOpen);
			assert_ok!(in_block(reveal_call(0, round.number, value(0, 1))));
			assert_ok!(in_block(reveal_call(1, round.number, value(1, 1))));
			// Verifier 2 can reveal only its chain's next value, or nothing.
			assert_eq!(
				pool(reveal_call(2, round.number, [9; 32])),
				rejected(AttestationError::BeaconRevealMismatch)
			);
			assert_noop!(
				in_block(reveal_call(2, round.number, value(2, 2))),
				AttestationError::BeaconRevealMismatch
			);
			// Bad input: twice, a stale round, a stranger's key, a forged signature.
			assert_noop!(
				in_block(reveal_call(0, round.number, value(0, 1))),
				AttestationError::BeaconAlreadyRevealed
			);
			assert_noop!(
				in_block(reveal_call(1, round.number.wrapping_sub(1), value(1, 2))),
				AttestationError::StaleBeaconReveal
			);
			assert_noop!(
				in_block(reveal_call(7, round.number, [7; 32])),
				AttestationError::NotVerifier
			);
			let Call::reveal_beacon { signature, .. } = reveal_call(0, round.number, [1; 32])
			else {
				unreachable!()
			};
			let forged = Call::reveal_beacon {
				verifier: verifier(2),
				round: round.number,
				value: value(2, 1),
				signature,
			};
			assert_eq!(pool(forged), rejected(AttestationError::BadSignature));
			// Verifier 2 withholds. The draw is the two others' values: one of the two outputs
			// that were fixed before the round opened (with or without verifier 2's value).
			run_to_block(round.closes_at);
			let (v0, v1, v2) = (
				(verifier(0), value(0, 1)),
				(verifier(1), value(1, 1)),
				(verifier(2), value(2, 1)),
			);
			let without =
				beacon_output(round.number, BeaconPurpose::Rows, &[v1.clone(), v0.clone()]);
			let with = beacon_output(round.number, BeaconPurpose::Rows, &[v0, v1, v2]);
			assert_ne!(without, with);
			assert_eq!(RowDraw::<Test>::get(), Some((PERIOD, without)));
			assert!(events().contains(&Event::BeaconClosed {
				round: round.number,
				purpose: BeaconPurpose::Rows,
				output: without,
				revealed: 2,
				fallback: false,
			}));
			// The machines reveal the rows so drawn and pass.
			for ((id, _, seed), rows) in issued.iter().zip(&answers) {
				let record = Challenges::<Test>::get(id).unwrap();
				let drawn = Attestation::rows_to_reveal(&record).unwrap();
				let (rows_of, reveal_count) = (record.size.rows, record.rows);
				assert_eq!(
					drawn,
					gpux_primitives::attestation::drawn_rows(
						&record.seed,
						&without,
						rows_of,
						reveal_count
					)
				);
				assert_ok!(reveal(*id, *seed, rows));
				assert_ok!(super::challenges::vote(*id, 0, true));
				assert_ok!(super::challenges::vote(*id, 1, true));
			}
			// Too late for that round.
			assert_noop!(
				in_block(reveal_call(2, round.number, value(2, 1))),
				AttestationError::StaleBeaconReveal
			);
			// The next round draws the next epoch's challenges: verifier 2 alone reveals.
			let next = current();
			assert_eq!((next.purpose, next.closes_at), (BeaconPurpose::Issue, 2 * PERIOD));
			run_to_block(next.opens_at);
			assert_ok!(in_block(reveal_call(2, next.number, value(2, 1))));
			run_to_block(2 * PERIOD);
			let output =
				beacon_output(next.number, BeaconPurpose::Issue, &[(verifier(2), value(2, 1))]);
			assert!(events().contains(&Event::BeaconClosed {
				round: next.number,
				purpose: BeaconPurpose::Issue,
				output,
				revealed: 1,
				fallback: false,
			}));
			// Seeds also take the parent block's randomness: unknown before the block before.
			let (parent, _) = <<Test as Config>::Randomness as frame_support::traits::Randomness<
				_,
				_,
			>>::random(b"gpux/seed");
			let seeds = sp_io::hashing::blake2_256(&(output, parent).encode());
			let open = OpenChallenges::<Test>::get();
			assert!(!open.is_empty());
			for id in open {
				let record = Challenges::<Test>::get(id).unwrap();
				let seed = sp_io::hashing::blake2_256(&(seeds, b"seed", record.machine).encode());
				assert_eq!(record.seed, seed, "the epoch's seeds come from the beacon");
			}
		});
	}

	#[test]
	fn without_reveals_the_round_falls_back_and_says_so() {
		ExtBuilder.build_and_execute(|| {
			run_to_block(PERIOD);
			let round = current();
			run_to_block(round.closes_at);
			assert!(events().iter().any(|e| matches!(
				e,
				Event::BeaconClosed {
					purpose: BeaconPurpose::Rows,
					revealed: 0,
					fallback: true,
					..
				}
			)));
			assert!(RowDraw::<Test>::get().is_some_and(|(epoch, _)| epoch == PERIOD));
		});
	}

	#[test]
	fn only_verifiers_anchor_and_a_removed_verifier_loses_its_anchor() {
		ExtBuilder.build_and_execute(|| {
			let call = anchor_call(7, 0, seed(7));
			assert_eq!(pool(call.clone()), rejected(AttestationError::NotVerifier));
			assert_noop!(in_block(call), AttestationError::NotVerifier);
			// An anchor signed for one round is no good in another: an old anchor replayed
			// would rewind a verifier's chain to values already public.
			let first = anchor_call(0, 0, seed(0));
			assert_ok!(in_block(first.clone()));
			run_to_block(PERIOD);
			assert_eq!(pool(first.clone()), rejected(AttestationError::StaleBeaconAnchor));
			assert_noop!(in_block(first), AttestationError::StaleBeaconAnchor);
			let Call::anchor_beacon { signature, .. } = anchor_call(0, 0, seed(0)) else {
				unreachable!()
			};
			let forged = Call::anchor_beacon {
				verifier: verifier(1),
				round: Attestation::anchor_round(),
				anchor: [1; 32],
				signature,
			};
			assert_eq!(pool(forged), rejected(AttestationError::BadSignature));
			assert_ok!(anchor(1));
			let gov = RuntimeOrigin::signed(GOVERNANCE);
			assert_ok!(Attestation::set_verifiers(gov, vec![verifier(1)].try_into().unwrap()));
			assert!(BeaconAnchors::<Test>::get(verifier(0)).is_none());
			assert!(BeaconAnchors::<Test>::get(verifier(1)).is_some());
		});
	}

	#[test]
	fn a_verifier_offchain_worker_anchors_then_reveals() {
		use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};

		let mut ext = ExtBuilder.build_with_keystore();
		let (offchain, _) = testing::TestOffchainExt::new();
		let (pool_ext, pool_state) = testing::TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool_ext));
		ext.execute_with(|| {
			sp_io::crypto::sr25519_generate(
				gpux_primitives::GPUX_KEY_TYPE,
				Some(
					format!(
						"0x{}",
						[100u8; 32].iter().map(|b| format!("{b:02x}")).collect::<String>()
					)
					.into_bytes(),
				),
			);
			let dispatch = |tx: &Vec<u8>| {
				let xt = Extrinsic::decode(&mut &tx[..]).unwrap();
				let RuntimeCall::Attestation(call) = xt.function else { panic!("not ours") };
				assert!(pool(call.clone()).is_ok(), "{call:?}");
				in_block(call)
			};
			// No round takes reveals yet: it anchors a chain.
			Attestation::offchain_worker(2);
			let sent = pool_state.read().transactions.clone();
			assert_eq!(sent.len(), 1);
			assert_ok!(dispatch(&sent[0]));
			assert!(BeaconAnchors::<Test>::get(verifier(0)).is_some());
			// Nothing more until the round: the chain continues.
			Attestation::offchain_worker(3);
			assert_eq!(pool_state.read().transactions.len(), 1);
			run_to_block(PERIOD);
			let round = current();
			run_to_block(round.opens_at - 1);
			Attestation::offchain_worker(round.opens_at - 1);
			let sent = pool_state.read().transactions.clone();
			assert_eq!(sent.len(), 2);
			run_to_block(round.opens_at);
			assert_ok!(dispatch(&sent[1]));
			assert_eq!(BeaconReveals::<Test>::get().len(), 1);
		});
	}
}

mod leases {
	use super::*;

	fn endpoint() -> Endpoint {
		Endpoint {
			host: b"gpu-1.example.net".to_vec().try_into().unwrap(),
			port: 2222,
			method: AccessMethod::Ssh,
			host_key_fingerprint: Some([3; 32]),
			jupyter: None,
		}
	}

	fn open_lease() {
		open_lease_of(RENTER);
	}

	/// `LEASE` on `MACHINE`, open from block 0 to 100, rented by `renter`.
	fn open_lease_of(renter: u64) {
		put_lease(LEASE, FakeLease { renter, ..FakeLease::open(MACHINE, 0, 100) });
	}

	fn start(seed: u8) -> DispatchResult {
		let statement = WorkerStatement::LeaseStarted { lease: LEASE, endpoint: endpoint() };
		in_block(Call::attest_lease_start {
			lease: LEASE,
			endpoint: endpoint(),
			signature: sign(seed, &statement),
		})
	}

	fn end(seed: u8) -> DispatchResult {
		let statement = WorkerStatement::LeaseEnded { lease: LEASE, digest: [4; 32] };
		in_block(Call::attest_lease_end {
			lease: LEASE,
			digest: [4; 32],
			signature: sign(seed, &statement),
		})
	}

	fn reason() -> DisputeReasonOf<Test> {
		b"ssh refused".to_vec().try_into().unwrap()
	}

	#[test]
	fn the_worker_attests_start_and_end() {
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_noop!(end(1), AttestationError::StartNotAttested);
			assert_noop!(start(2), AttestationError::BadSignature);
			assert_ok!(start(1));
			assert_noop!(start(1), AttestationError::AlreadyAttested);
			// Not before the lease closed or reached its end block (100).
			run_to_block(5);
			assert_noop!(end(1), AttestationError::LeaseNotEnded);
			run_to_block(100);
			assert_ok!(end(1));
			assert_noop!(end(1), AttestationError::AlreadyAttested);
			let record = LeaseAttestations::<Test>::get(LEASE).unwrap();
			assert_eq!(record.started, Some((endpoint(), 1)));
			assert_eq!(record.ended, Some(([4; 32], 100)));
			let events: Vec<_> =
				events().into_iter().filter(|e| !matches!(e, Event::BeaconClosed { .. })).collect();
			assert_eq!(
				events,
				vec![
					Event::LeaseStartAttested {
						lease: LEASE,
						machine: MACHINE,
						endpoint: endpoint()
					},
					Event::LeaseEndAttested { lease: LEASE, machine: MACHINE, digest: [4; 32] },
				]
			);
		});
	}

	/// `LEASE`, open and starting at `starts_at`, with its start check scheduled.
	fn expected_lease(starts_at: u64) {
		open_lease();
		assert_ok!(<Attestation as gpux_primitives::LeaseWatch<u64>>::expect_start(
			LEASE, starts_at
		));
	}

	#[test]
	fn a_lease_whose_start_is_never_attested_is_abandoned_with_a_full_refund() {
		ExtBuilder.build_and_execute(|| {
			expected_lease(1);
			run_to_block(START_DEADLINE);
			assert!(told().abandoned.is_empty(), "not before the deadline");
			run_to_block(1 + START_DEADLINE);
			assert_eq!(told().abandoned, vec![LEASE]);
			assert!(told().faults.contains(&(MACHINE, FaultKind::LeaseAbandoned)));
			assert_eq!(told().victims, vec![(RENTER, 30)], "the slash compensates what it paid");
			assert!(events().contains(&Event::LeaseAbandoned {
				lease: LEASE,
				machine: MACHINE,
				refunded: 600
			}));
			assert!(StartChecks::<Test>::get(1 + START_DEADLINE).is_empty());
		});
	}

	#[test]
	fn an_attested_or_closed_lease_is_not_abandoned() {
		ExtBuilder.build_and_execute(|| {
			expected_lease(1);
			run_to_block(START_DEADLINE);
			assert_ok!(start(1));
			run_to_block(2 + START_DEADLINE);
			assert!(told().abandoned.is_empty() && told().faults.is_empty());
		});
		ExtBuilder.build_and_execute(|| {
			expected_lease(1);
			edit_lease_closed();
			run_to_block(2 + START_DEADLINE);
			assert!(told().abandoned.is_empty() && told().faults.is_empty());
		});
	}

	#[test]
	fn start_checks_per_block_are_bounded_and_spill_into_the_next_block() {
		ExtBuilder.build_and_execute(|| {
			let watch =
				|lease| <Attestation as gpux_primitives::LeaseWatch<u64>>::expect_start(lease, 5);
			// Two a block, one block of delay: four leases, then the rent is refused.
			for lease in 0..4 {
				assert_ok!(watch(lease));
			}
			assert_eq!(StartChecks::<Test>::get(5 + START_DEADLINE).into_inner(), vec![0, 1]);
			assert_eq!(StartChecks::<Test>::get(6 + START_DEADLINE).into_inner(), vec![2, 3]);
			assert_noop!(watch(4), AttestationError::StartChecksFull);
		});
	}

	#[test]
	fn a_lease_closed_before_its_check_gives_its_room_back() {
		ExtBuilder.build_and_execute(|| {
			let watch =
				|lease| <Attestation as gpux_primitives::LeaseWatch<u64>>::expect_start(lease, 5);
			for lease in 0..4 {
				assert_ok!(watch(lease));
			}
			assert_noop!(watch(4), AttestationError::StartChecksFull);
			// Rent-and-terminate cannot fill the checks: a closed lease's check leaves.
			<Attestation as gpux_primitives::LeaseWatch<u64>>::lease_closed(0, MACHINE, 1);
			assert_eq!(StartChecks::<Test>::get(5 + START_DEADLINE).into_inner(), vec![1]);
			assert!(StartCheckBlocks::<Test>::get(0).is_none());
			assert_ok!(watch(4));
			assert_eq!(StartCheckBlocks::<Test>::get(4), Some(5 + START_DEADLINE));
		});
	}

	/// Two unattested leases on two machines, checked at `1 + START_DEADLINE`.
	fn two_unattested_leases() {
		for (lease, machine) in [(LEASE, MACHINE), (LEASE + 1, MACHINE + 1)] {
			listed_machine(machine);
			put_lease(lease, FakeLease::open(machine, 1, 100));
			assert_ok!(<Attestation as gpux_primitives::LeaseWatch<u64>>::expect_start(lease, 1));
		}
	}

	#[test]
	fn abandon_reports_per_block_are_bounded_and_the_rest_wait_their_turn() {
		ExtBuilder.build_and_execute(|| {
			two_unattested_leases();
			// One report a block in the mock: the other lease waits, and can no longer be
			// attested late.
			run_to_block(1 + START_DEADLINE);
			assert_eq!(told().abandoned.len(), 1);
			let waiting = if told().abandoned == vec![LEASE] { LEASE + 1 } else { LEASE };
			assert!(PendingAbandons::<Test>::contains_key(waiting));
			let machine = if waiting == LEASE { MACHINE } else { MACHINE + 1 };
			let statement = WorkerStatement::LeaseStarted { lease: waiting, endpoint: endpoint() };
			let late = Call::attest_lease_start {
				lease: waiting,
				endpoint: endpoint(),
				signature: sign(machine as u8, &statement),
			};
			assert_noop!(in_block(late), AttestationError::StartDeadlinePassed);
			run_to_block(2 + START_DEADLINE);
			assert_eq!(told().abandoned.len(), 2);
			assert_eq!(told().faults.len(), 2);
			assert_eq!(PendingAbandons::<Test>::count(), 0);
		});
	}

	#[test]
	fn rents_are_refused_while_abandons_are_backlogged_and_resume_as_they_are_reported() {
		ExtBuilder.build_and_execute(|| {
			two_unattested_leases();
			// Checked, not yet reported: two wait, the mock's bound.
			Attestation::check_lease_starts(1 + START_DEADLINE);
			assert_eq!(PendingAbandons::<Test>::count(), 2);
			let watch =
				|lease| <Attestation as gpux_primitives::LeaseWatch<u64>>::expect_start(lease, 5);
			assert_noop!(watch(LEASE + 2), AttestationError::AbandonsBacklogged);
			Attestation::report_abandons();
			assert_ok!(watch(LEASE + 2));
		});
	}

	#[test]
	fn a_lease_closed_while_its_abandon_waits_is_reported_all_the_same() {
		ExtBuilder.build_and_execute(|| {
			expected_lease(1);
			Attestation::check_lease_starts(1 + START_DEADLINE);
			assert!(PendingAbandons::<Test>::contains_key(LEASE));
			// Its renter ended it (or it expired) before its turn: it still paid for nothing.
			edit_lease_closed();
			Attestation::report_abandons();
			assert!(told().faults.contains(&(MACHINE, FaultKind::LeaseAbandoned)));
			assert_eq!(told().victims, vec![(RENTER, 30)], "compensated for what it paid");
			assert!(events().contains(&Event::LeaseAbandoned {
				lease: LEASE,
				machine: MACHINE,
				refunded: 0
			}));
			assert_eq!(PendingAbandons::<Test>::count(), 0);
		});
	}

	#[test]
	fn a_machine_stays_answerable_while_its_leases_may_be_disputed() {
		ExtBuilder.build_and_execute(|| {
			let disputable = || <Attestation as MachineMonitor>::is_disputable(MACHINE);
			open_lease();
			assert!(!disputable());
			run_to_block(10);
			// Closed long before its end (block 100): the window runs from the end.
			close_lease(LEASE);
			assert!(disputable());
			run_to_block(100 + DISPUTE_WINDOW);
			assert!(disputable(), "held as long as the renter may dispute");
			assert_ok!(Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()));
			run_to_block(101 + DISPUTE_WINDOW);
			assert_noop!(
				Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()),
				AttestationError::AlreadyDisputed
			);
			assert!(disputable(), "an undecided dispute holds the machine past the window");
			assert_eq!(
				<Attestation as gpux_primitives::DisputeRegistry<u64>>::undecided_disputes(
					&PROVIDER
				),
				1,
				"and its provider's bond"
			);
			assert!(
				!<Attestation as gpux_primitives::LeaseWatch<u64>>::forget(LEASE),
				"nor is its record pruned"
			);
			assert_ok!(Attestation::resolve_dispute(
				RuntimeOrigin::signed(GOVERNANCE),
				LEASE,
				false
			));
			assert!(!disputable());
			assert!(!UndecidedDisputes::<Test>::contains_key(PROVIDER));
			assert!(<Attestation as gpux_primitives::LeaseWatch<u64>>::forget(LEASE));
			assert!(LeaseAttestations::<Test>::get(LEASE).is_none());
			<Attestation as MachineMonitor>::machine_left(MACHINE);
			assert!(!DisputeHolds::<Test>::contains_key(MACHINE));
		});
	}

	#[test]
	fn a_dispute_holds_a_deposit_back_if_upheld_to_the_treasury_if_rejected() {
		for upheld in [true, false] {
			ExtBuilder.build_and_execute(|| {
				open_lease();
				assert_ok!(Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()));
				assert_eq!(told().held.get(&RENTER), Some(&REPORT_DEPOSIT));
				assert!(events().contains(&Event::LeaseDisputed {
					lease: LEASE,
					renter: RENTER,
					reason: reason(),
					deposit: REPORT_DEPOSIT
				}));
				assert_ok!(Attestation::resolve_dispute(
					RuntimeOrigin::signed(GOVERNANCE),
					LEASE,
					upheld
				));
				assert_eq!(told().held.get(&RENTER), Some(&0));
				assert_eq!(told().forfeited, if upheld { 0 } else { REPORT_DEPOSIT });
			});
		}
		ExtBuilder.build_and_execute(|| {
			open_lease_of(POOR);
			assert_noop!(
				Attestation::dispute(RuntimeOrigin::signed(POOR), LEASE, reason()),
				DispatchError::Other("insufficient balance")
			);
		});
	}

	#[test]
	fn a_lease_of_a_machine_that_left_cannot_be_disputed() {
		ExtBuilder.build_and_execute(|| {
			open_lease();
			close_lease(LEASE);
			let mut all = machines();
			all.remove(&MACHINE);
			set_machines(all);
			assert_noop!(
				Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()),
				AttestationError::UnknownMachine
			);
		});
	}

	#[test]
	fn a_fault_report_holds_the_machine_until_decided() {
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_ok!(report(RENTER, FaultKind::SpecMismatch));
			run_to_block(100);
			close_lease(LEASE);
			run_to_block(101 + DISPUTE_WINDOW);
			assert!(<Attestation as MachineMonitor>::is_disputable(MACHINE));
			assert_ok!(Attestation::resolve_dispute(
				RuntimeOrigin::signed(GOVERNANCE),
				LEASE,
				true
			));
			assert!(!<Attestation as MachineMonitor>::is_disputable(MACHINE));
		});
	}

	fn report(who: u64, kind: FaultKind) -> DispatchResult {
		Attestation::report_fault(RuntimeOrigin::signed(who), LEASE, kind, reason())
	}

	#[test]
	fn a_renter_s_offline_report_is_upheld_at_once_after_a_missed_window() {
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_ok!(beat(MACHINE, 1));
			// Windows 1 and 2 missed under the lease: within the grace, not yet reported.
			run_to_block(3 * INTERVAL);
			assert!(told().faults.is_empty());
			assert_ok!(report(RENTER, FaultKind::Offline));
			assert_eq!(told().faults, vec![(MACHINE, FaultKind::Offline)]);
			assert_eq!(told().reporters, vec![Some(RENTER)]);
			assert_eq!(told().held.get(&RENTER), Some(&0), "the deposit is back");
			assert!(FaultClaims::<Test>::get(LEASE).is_none());
			let dispute = LeaseAttestations::<Test>::get(LEASE).unwrap().dispute.unwrap();
			assert_eq!(dispute.resolution, Some(true));
			let events = events();
			assert!(events.contains(&Event::FaultClaimed {
				lease: LEASE,
				renter: RENTER,
				kind: FaultKind::Offline,
				deposit: REPORT_DEPOSIT
			}));
			assert!(events.contains(&Event::FaultClaimDecided {
				lease: LEASE,
				kind: FaultKind::Offline,
				upheld: true
			}));
		});
	}

	#[test]
	fn windows_missed_before_the_reporter_s_lease_do_not_uphold_its_report() {
		ExtBuilder.build_and_execute(|| {
			// The machine was already silent under another lease when this one began (15).
			put_lease(LEASE, FakeLease::open(MACHINE, 15, 100));
			assert_ok!(beat(MACHINE, 1));
			run_to_block(3 * INTERVAL);
			assert!(Heartbeats::<Test>::get(MACHINE).unwrap().missed_in_a_row > 0);
			assert_ok!(report(RENTER, FaultKind::Offline));
			assert!(told().faults.is_empty(), "not at once: governance decides");
			assert_eq!(FaultClaims::<Test>::get(LEASE), Some((FaultKind::Offline, 100)));
		});
	}

	#[test]
	fn a_report_the_chain_cannot_check_waits_for_governance() {
		// Upheld: the deposit comes back and the renter is the fault's reporter.
		ExtBuilder.build_and_execute(|| {
			open_lease();
			// No window missed: even an offline report waits.
			assert_ok!(report(RENTER, FaultKind::SpecMismatch));
			assert_eq!(told().held.get(&RENTER), Some(&REPORT_DEPOSIT));
			assert_eq!(FaultClaims::<Test>::get(LEASE), Some((FaultKind::SpecMismatch, 100)));
			assert!(told().faults.is_empty());
			assert_ok!(Attestation::resolve_dispute(
				RuntimeOrigin::signed(GOVERNANCE),
				LEASE,
				true
			));
			assert_eq!(told().faults, vec![(MACHINE, FaultKind::SpecMismatch)]);
			assert_eq!(told().reporters, vec![Some(RENTER)]);
			assert_eq!(told().held.get(&RENTER), Some(&0));
			assert!(told().refunds.is_empty(), "the fault compensates, not the free balance");
		});
		// Rejected: the deposit goes to the treasury and nothing is reported.
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_ok!(report(RENTER, FaultKind::LeaseAbandoned));
			assert_ok!(Attestation::resolve_dispute(
				RuntimeOrigin::signed(GOVERNANCE),
				LEASE,
				false
			));
			assert!(told().faults.is_empty());
			assert_eq!(told().forfeited, REPORT_DEPOSIT);
			assert_eq!(told().held.get(&RENTER), Some(&0));
			assert!(events().contains(&Event::FaultClaimDecided {
				lease: LEASE,
				kind: FaultKind::LeaseAbandoned,
				upheld: false
			}));
		});
	}

	#[test]
	fn fault_reports_are_refused_to_others_twice_without_a_deposit_or_for_challenges() {
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_noop!(report(STRANGER, FaultKind::Offline), AttestationError::NotRenter);
			assert_noop!(
				report(RENTER, FaultKind::FailedChallenge),
				AttestationError::NotReportable
			);
			assert_ok!(report(RENTER, FaultKind::SpecMismatch));
			assert_noop!(report(RENTER, FaultKind::Offline), AttestationError::AlreadyDisputed);
			assert_noop!(
				Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()),
				AttestationError::AlreadyDisputed
			);
		});
		ExtBuilder.build_and_execute(|| {
			open_lease_of(POOR);
			assert_noop!(
				report(POOR, FaultKind::Offline),
				DispatchError::Other("insufficient balance")
			);
		});
	}

	#[test]
	fn the_block_rechecks_unsigned_calls_as_the_pool_does() {
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_ok!(start(1));
			let end_call = |seed| {
				let statement = WorkerStatement::LeaseEnded { lease: LEASE, digest: [4; 32] };
				Call::attest_lease_end {
					lease: LEASE,
					digest: [4; 32],
					signature: sign(seed, &statement),
				}
			};
			#[allow(deprecated)]
			let block = |call: &Call<Test>| <Attestation as ValidateUnsigned>::pre_dispatch(call);
			// A block author cannot include calls that would fail and pay nothing.
			assert_eq!(block(&end_call(1)), rejected(AttestationError::LeaseNotEnded).map(|_| ()));
			run_to_block(100);
			assert_eq!(block(&end_call(2)), rejected(AttestationError::BadSignature).map(|_| ()));
			assert_eq!(block(&end_call(1)), Ok(()));
		});
	}

	#[test]
	fn a_closed_or_unknown_lease_cannot_start() {
		ExtBuilder.build_and_execute(|| {
			assert_noop!(start(1), AttestationError::UnknownLease);
			put_lease(LEASE, FakeLease { open: false, ..FakeLease::open(MACHINE, 0, 100) });
			assert_noop!(start(1), AttestationError::LeaseClosed);
		});
	}

	#[test]
	fn the_renter_disputes_within_the_window() {
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_noop!(
				Attestation::dispute(RuntimeOrigin::signed(STRANGER), LEASE, reason()),
				AttestationError::NotRenter
			);
			assert_noop!(
				Attestation::dispute(RuntimeOrigin::signed(RENTER), 99, reason()),
				AttestationError::UnknownLease
			);
			// Closed at its end (block 100): disputable until 100 + DISPUTE_WINDOW.
			edit_lease_closed();
			run_to_block(100 + DISPUTE_WINDOW + 1);
			assert_noop!(
				Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()),
				AttestationError::DisputeWindowClosed
			);
		});
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_ok!(start(1));
			// Terminated at block 30 and attested then: the window starts early.
			run_to_block(30);
			assert_noop!(end(1), AttestationError::LeaseNotEnded);
			edit_lease_closed();
			assert_ok!(end(1));
			run_to_block(30 + DISPUTE_WINDOW + 1);
			assert_noop!(
				Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()),
				AttestationError::DisputeWindowClosed
			);
		});
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_ok!(Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()));
			assert_noop!(
				Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()),
				AttestationError::AlreadyDisputed
			);
			assert!(events().contains(&Event::LeaseDisputed {
				lease: LEASE,
				renter: RENTER,
				reason: reason(),
				deposit: REPORT_DEPOSIT
			}));
		});
	}

	fn edit_lease_closed() {
		let mut all = leases();
		all.get_mut(&LEASE).unwrap().open = false;
		set_leases(all);
	}

	#[test]
	fn governance_upholds_with_a_refund_or_rejects() {
		ExtBuilder.build_and_execute(|| {
			open_lease();
			let gov = RuntimeOrigin::signed(GOVERNANCE);
			assert_noop!(
				Attestation::resolve_dispute(gov.clone(), LEASE, true),
				AttestationError::NoDispute
			);
			assert_ok!(Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()));
			assert_noop!(
				Attestation::resolve_dispute(RuntimeOrigin::signed(RENTER), LEASE, true),
				DispatchError::BadOrigin
			);
			assert_ok!(Attestation::resolve_dispute(gov.clone(), LEASE, true));
			assert_eq!(told().refunds, vec![LEASE]);
			// The provider pays through its bond: a `Disputed` fault on this lease alone,
			// compensating the renter's loss and naming it the reporter.
			assert_eq!(told().faults, vec![(MACHINE, FaultKind::Disputed)]);
			assert_eq!(told().victims, vec![(RENTER, 70)]);
			assert_eq!(told().reporters, vec![Some(RENTER)]);
			assert!(events().contains(&Event::DisputeResolved {
				lease: LEASE,
				upheld: true,
				refunded: 500
			}));
			assert_noop!(
				Attestation::resolve_dispute(gov, LEASE, false),
				AttestationError::NoDispute
			);
		});
		ExtBuilder.build_and_execute(|| {
			open_lease();
			assert_ok!(Attestation::dispute(RuntimeOrigin::signed(RENTER), LEASE, reason()));
			assert_ok!(Attestation::resolve_dispute(
				RuntimeOrigin::signed(GOVERNANCE),
				LEASE,
				false
			));
			assert!(told().refunds.is_empty());
			let record = LeaseAttestations::<Test>::get(LEASE).unwrap();
			assert_eq!(record.dispute.unwrap().resolution, Some(false));
		});
	}
}

/// Every benchmark's worst case, run as the benchmarking node runs it, touches no more storage
/// than its weight charges for.
#[cfg(feature = "runtime-benchmarks")]
#[test]
fn weights_cover_every_benchmark_s_worst_case() {
	use crate::weights::WeightInfo;
	use frame_support::{traits::WhitelistedStorageKeys, weights::constants::ParityDbWeight};
	let whitelist = AllPalletsWithSystem::whitelisted_storage_keys();
	gpux_weight_check::assert_weights_cover::<Attestation>(
		ExtBuilder.build(),
		gpux_weight_check::with_keystore,
		&whitelist,
		ParityDbWeight::get(),
		|case| {
			let (f, n, v) = (case.component("f"), case.component("n"), case.component("v"));
			Some(match case.name.as_str() {
				"heartbeat" => <() as WeightInfo>::heartbeat(),
				"commit_challenge" => <() as WeightInfo>::commit_challenge(),
				"attest_gpu_evidence" => <() as WeightInfo>::attest_gpu_evidence(),
				"reveal_challenge" => <() as WeightInfo>::reveal_challenge(),
				"submit_verdict" => <() as WeightInfo>::submit_verdict(v),
				"attest_lease_start" => <() as WeightInfo>::attest_lease_start(),
				"attest_lease_end" => <() as WeightInfo>::attest_lease_end(),
				"dispute" => <() as WeightInfo>::dispute(),
				"resolve_dispute" => <() as WeightInfo>::resolve_dispute(),
				"set_challenge_size" => <() as WeightInfo>::set_challenge_size(),
				"set_commit_window" => <() as WeightInfo>::set_commit_window(),
				"report_challenge_faults" => <() as WeightInfo>::report_challenge_faults(n),
				"set_verifiers" => <() as WeightInfo>::set_verifiers(v),
				"sweep" => <() as WeightInfo>::sweep(n, f),
				"issue_challenges" => <() as WeightInfo>::issue_challenges(n),
				"close_epoch" => <() as WeightInfo>::close_epoch(n),
				"check_lease_starts" => <() as WeightInfo>::check_lease_starts(n),
				"report_abandons" => <() as WeightInfo>::report_abandons(n),
				"report_fault" => <() as WeightInfo>::report_fault(),
				"check_int8_row" => <() as WeightInfo>::check_int8_row(),
				"anchor_beacon" => <() as WeightInfo>::anchor_beacon(),
				"reveal_beacon" => <() as WeightInfo>::reveal_beacon(v),
				"close_beacon" => <() as WeightInfo>::close_beacon(v),
				_ => return None,
			})
		},
	);
}
