//! Heartbeats, the tracked-machine set, and the per-window sweep that turns missed windows into
//! uptime scores and, for leased machines past the grace, offline faults.

use frame_support::{pallet_prelude::*, traits::Defensive};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	attestation::{Telemetry, WorkerStatement},
	AttestedMachine, FaultKind, FaultReporter, LeaseRegistry, MachineId, MachineKeys,
	MachineMonitor, ReputationFeed,
};
use sp_core::sr25519;
use sp_runtime::traits::{One, Verify, Zero};

use crate::{
	unsigned::Checks, weights::WeightInfo, Config, Error, Event, HeartbeatRecord,
	HeartbeatRecordOf, HeartbeatWindows, Heartbeats, Pallet, Sweep, SweepCursor,
	TrackedMachineCount, TrackedMachines, WindowAnchor, LOG_TARGET,
};

/// What a sweep did with one machine.
#[derive(PartialEq, Eq)]
enum Checked {
	/// Still tracked; the slot moves on.
	Kept,
	/// Still tracked, and reported offline.
	Reported,
	/// Untracked: the last machine moved into this slot, which must be checked again.
	Removed,
}

impl<T: Config> Pallet<T> {
	/// How windows are numbered now: stored from genesis on, or from block 0 at the configured
	/// interval until the first block stores it.
	pub fn windows() -> WindowAnchor<BlockNumberFor<T>> {
		HeartbeatWindows::<T>::get().unwrap_or_else(|| WindowAnchor {
			block: Zero::zero(),
			window: 0,
			interval: T::HeartbeatInterval::get().max(One::one()),
		})
	}

	/// The heartbeat window `at` falls in.
	pub fn window_of(at: BlockNumberFor<T>) -> u32 {
		Self::windows().window_of(at)
	}

	/// The first block after `window`.
	pub(crate) fn window_end(window: u32) -> BlockNumberFor<T> {
		Self::windows().start_of(window.saturating_add(1))
	}

	/// Follows governance's `HeartbeatInterval`: a new length takes effect at the next window's
	/// start, counting on from the window number reached, so heartbeats, the sweep and the
	/// workers never see a window twice or skip one.
	pub(crate) fn follow_interval(now: BlockNumberFor<T>) -> Weight {
		let interval = T::HeartbeatInterval::get().max(One::one());
		let anchor = Self::windows();
		let db = T::DbWeight::get();
		if !HeartbeatWindows::<T>::exists() {
			// The numbering so far, kept: block 0 on.
			HeartbeatWindows::<T>::put(anchor);
			return db.reads_writes(2, 1);
		}
		if anchor.interval == interval || !anchor.is_start(now) {
			return db.reads(2);
		}
		let window = anchor.window_of(now);
		HeartbeatWindows::<T>::put(WindowAnchor { block: now, window, interval });
		Self::deposit_event(Event::HeartbeatIntervalChanged { window, interval });
		db.reads_writes(2, 1)
	}

	/// Whether `signature` is `machine`'s worker key over `statement` (when `checks` include
	/// signatures).
	pub(crate) fn worker_signed(
		machine: &AttestedMachine<T::AccountId>,
		statement: &WorkerStatement,
		signature: &sr25519::Signature,
		checks: Checks,
	) -> Result<(), Error<T>> {
		if !checks.signatures() {
			return Ok(());
		}
		let message = statement.signing_message(&Self::genesis_hash());
		ensure!(signature.verify(&message[..], &machine.worker_key), Error::<T>::BadSignature);
		Ok(())
	}

	/// Every check a heartbeat must pass, in the pool and in the block. Returns the machine
	/// and its record, if it is tracked already.
	pub(crate) fn check_heartbeat(
		machine: MachineId,
		window: u32,
		telemetry: &Telemetry,
		signature: &sr25519::Signature,
		checks: Checks,
	) -> Result<(AttestedMachine<T::AccountId>, Option<HeartbeatRecordOf<T>>), Error<T>> {
		let info = T::Machines::attested_machine(machine).ok_or(Error::<T>::UnknownMachine)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(window == Self::window_of(now), Error::<T>::WrongWindow);
		let record = Heartbeats::<T>::get(machine);
		if let Some(record) = &record {
			ensure!(record.accepts(window), Error::<T>::HeartbeatTooEarly);
		} else {
			ensure!(
				TrackedMachineCount::<T>::get() < T::MaxTrackedMachines::get(),
				Error::<T>::TooManyMachines
			);
		}
		ensure!(Self::serves(machine, &info), Error::<T>::NotServing);
		Self::worker_signed(
			&info,
			&WorkerStatement::heartbeat(machine, window, telemetry),
			signature,
			checks,
		)?;
		Ok((info, record))
	}

	pub(crate) fn do_heartbeat(
		machine: MachineId,
		window: u32,
		telemetry: Telemetry,
		signature: &sr25519::Signature,
	) -> DispatchResult {
		let (info, record) =
			Self::check_heartbeat(machine, window, &telemetry, signature, Checks::State)?;
		let now = frame_system::Pallet::<T>::block_number();
		// A machine listed before the monitor watched from listing has no record yet.
		let mut record = match record {
			Some(record) => record,
			None => HeartbeatRecord::unheard(Self::track(machine)?, window),
		};
		record.beat(window);
		record.received_at = Some(now);
		// The sweep reports a mismatch that persists; a heartbeat only counts it.
		let set = telemetry.gpu_set();
		let same_gpus = *record.gpu_set.get_or_insert(set) == set;
		record.mismatched_in_a_row =
			if same_gpus && telemetry.matches_spec(info.gpu_count, info.vram_gib_per_gpu) {
				0
			} else {
				record.mismatched_in_a_row.saturating_add(1)
			};
		record.telemetry = telemetry;
		Heartbeats::<T>::insert(machine, record);
		Self::deposit_event(Event::HeartbeatReceived { machine, window });
		Ok(())
	}

	/// Watches `machine` from the next full window on, if it is not watched yet: windows
	/// without a heartbeat count as missed from then, whether or not its worker ever runs.
	pub(crate) fn do_watch(machine: MachineId) -> DispatchResult {
		if Heartbeats::<T>::contains_key(machine) {
			return Ok(());
		}
		let now = frame_system::Pallet::<T>::block_number();
		let since = Self::window_of(now).saturating_add(1);
		Heartbeats::<T>::insert(machine, HeartbeatRecord::unheard(Self::track(machine)?, since));
		Ok(())
	}

	/// Whether `machine` is on the market: listed, or holding an open lease.
	pub(crate) fn serves(machine: MachineId, info: &AttestedMachine<T::AccountId>) -> bool {
		info.listed || T::Leases::open_leases_on(machine) > 0
	}

	/// Gives `machine` the next slot.
	fn track(machine: MachineId) -> Result<u32, DispatchError> {
		let slot = TrackedMachineCount::<T>::get();
		ensure!(slot < T::MaxTrackedMachines::get(), Error::<T>::TooManyMachines);
		TrackedMachines::<T>::insert(slot, machine);
		TrackedMachineCount::<T>::put(slot.checked_add(1).ok_or(Error::<T>::Overflow)?);
		Ok(slot)
	}

	/// Stops watching the machine in `slot`: the last slot's machine moves into it.
	pub(crate) fn untrack(slot: u32, machine: MachineId) {
		Heartbeats::<T>::remove(machine);
		let last = TrackedMachineCount::<T>::get().saturating_sub(1);
		if slot != last {
			if let Some(moved) = TrackedMachines::<T>::get(last) {
				TrackedMachines::<T>::insert(slot, moved);
				Heartbeats::<T>::mutate(moved, |r| {
					if let Some(r) = r {
						r.slot = slot;
					}
				});
			}
		}
		TrackedMachines::<T>::remove(last);
		TrackedMachineCount::<T>::put(last);
		Self::deposit_event(Event::MachineUntracked { machine });
	}

	/// Checks up to `MaxChecksPerBlock` machines against the last finished window.
	pub(crate) fn sweep_windows(now: BlockNumberFor<T>) -> Weight {
		let Some(target) = Self::window_of(now).checked_sub(1) else {
			return T::WeightInfo::sweep(0, 0);
		};
		let mut cursor = Sweep::<T>::get();
		if cursor.finished {
			if cursor.window >= target {
				return T::WeightInfo::sweep(0, 0);
			}
			// A sweep that fell behind (which the integrity test rules out) skips to the
			// latest window rather than never catching up.
			cursor = SweepCursor { window: target, next: 0, finished: false };
		}
		let (mut checks, mut reports) = (0, 0);
		// Fault reports are costly: once this block's are spent, the rest waits a block.
		while checks < T::MaxChecksPerBlock::get() && reports < T::MaxOfflineReportsPerBlock::get()
		{
			if cursor.next >= TrackedMachineCount::<T>::get() {
				cursor.finished = true;
				break;
			}
			checks += 1;
			match Self::check_slot(cursor.next, cursor.window) {
				Checked::Kept => cursor.next = cursor.next.saturating_add(1),
				Checked::Reported => {
					reports += 1;
					cursor.next = cursor.next.saturating_add(1);
				},
				Checked::Removed => {},
			}
		}
		if !cursor.finished && cursor.next >= TrackedMachineCount::<T>::get() {
			cursor.finished = true;
		}
		Sweep::<T>::put(cursor);
		// The sweep's own part of a report, and what the staking pallet says the report costs
		// at most (every lease of the machine closed).
		T::WeightInfo::sweep(checks, reports)
			.saturating_add(T::Faults::fault_weight().saturating_mul(reports.into()))
	}

	/// Whether the machine in `slot` met `window`: feeds uptime, and reports a leased machine
	/// offline once it missed more windows in a row than the grace allows.
	fn check_slot(slot: u32, window: u32) -> Checked {
		let Some(machine) = TrackedMachines::<T>::get(slot).defensive() else {
			TrackedMachineCount::<T>::put(slot);
			return Checked::Removed;
		};
		let Some(mut record) = Heartbeats::<T>::get(machine).defensive() else {
			Self::untrack(slot, machine);
			return Checked::Removed;
		};
		let Some(info) = T::Machines::attested_machine(machine) else {
			Self::untrack(slot, machine);
			return Checked::Removed;
		};
		let leases = T::Leases::open_leases_on(machine);
		if !info.listed && leases.is_zero() {
			Self::untrack(slot, machine);
			return Checked::Removed;
		}
		let leased_before = core::mem::replace(&mut record.leased_at_last_check, leases > 0);
		if window < record.since_window {
			Heartbeats::<T>::insert(machine, record);
			return Checked::Kept;
		}
		let met = record.met(window);
		record.windows_checked = record.windows_checked.saturating_add(1);
		if met {
			record.windows_met = record.windows_met.saturating_add(1);
		}
		// Only windows that began under a lease lead to an offline fault: a renter who rents a
		// machine that is already down gets no fault (and no share of its slash) before the
		// grace has passed under its own lease.
		let under_lease = leases > 0 && leased_before;
		record.missed_in_a_row =
			if met || !under_lease { 0 } else { record.missed_in_a_row.saturating_add(1) };
		T::Reputation::uptime_window(machine, &info.provider, met);
		let mut checked = Checked::Kept;
		if leases > 0 && record.missed_in_a_row > T::OfflineGraceWindows::get() {
			let missed = record.missed_in_a_row;
			checked = Checked::Reported;
			match T::Faults::report_fault(machine, FaultKind::Offline, None) {
				Ok(()) => {
					record.missed_in_a_row = 0;
					Self::deposit_event(Event::OfflineReported { machine, missed_windows: missed });
				},
				// Retried at the next window's check.
				Err(e) => log::warn!(
					target: LOG_TARGET,
					"machine {machine}: offline fault not reported: {e:?}"
				),
			}
		}
		let mismatched = record.mismatched_in_a_row;
		if checked == Checked::Kept && mismatched >= T::SpecMismatchHeartbeats::get() {
			checked = Checked::Reported;
			match T::Faults::report_fault(machine, FaultKind::SpecMismatch, None) {
				Ok(()) => {
					record.mismatched_in_a_row = 0;
					Self::deposit_event(Event::SpecMismatchReported {
						machine,
						heartbeats: mismatched,
					});
				},
				Err(e) => log::warn!(
					target: LOG_TARGET,
					"machine {machine}: spec mismatch not reported: {e:?}"
				),
			}
		}
		Heartbeats::<T>::insert(machine, record);
		checked
	}
}

/// The marketplace has every machine it lists watched here.
impl<T: Config> MachineMonitor for Pallet<T> {
	fn watch(machine: MachineId) -> DispatchResult {
		Self::do_watch(machine)
	}

	fn is_watched(machine: MachineId) -> bool {
		Heartbeats::<T>::contains_key(machine)
	}

	fn is_challenged(machine: MachineId) -> bool {
		Self::has_open_challenge(machine)
	}

	fn is_disputable(machine: MachineId) -> bool {
		Self::is_disputable(machine)
	}

	fn machine_left(machine: MachineId) {
		crate::DisputeHolds::<T>::remove(machine);
	}
}
