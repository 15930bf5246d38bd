//! Storage migrations of this pallet, run from the runtime's `migrations` list.

use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::Saturating;

use crate::{
	Config, Dispute, HeartbeatRecord, Heartbeats, LeaseAttestation, LeaseAttestations, Pallet,
};

/// Layout 2: a lease's start endpoint carries the SSH host key fingerprint and the Jupyter
/// endpoint. Attestations made before have neither.
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	v2::AddAccessDetails<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// Layout 3: each GPU's readings in a heartbeat may be missing (`None`), a GPU may be reported
/// lost, and Xid errors, retired pages and remapped rows are reported. The last heartbeat of
/// each machine is kept, its readings all present. The `heartbeat` call changes with it, so a
/// worker built for the old runtime cannot send one until its operator installs the new one:
/// every machine gets `v3::UPGRADE_GRACE_WINDOWS` windows in which none is held against it.
pub type MigrateV2ToV3<T> = VersionedMigration<
	2,
	3,
	v3::DegradableTelemetry<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// Layout 4: each challenged machine's open challenge is indexed (`ChallengeOf`), so asking
/// whether a machine is challenged is one read however many challenges an epoch holds. The
/// open challenges (at most 16 before this layout) are indexed.
pub type MigrateV3ToV4<T> = VersionedMigration<
	3,
	4,
	v4::IndexChallengedMachines<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// Layout 5: the int8 challenge. A challenge's size is rows and rounds (`ChallengeSize`) and
/// its revealed rows are int8. Challenges open at the upgrade were issued for the retired
/// `u32` product, which the new worker no longer computes: they are voided — removed without an
/// outcome, so nobody is blamed or credited, as an `Undecided` challenge — and classes' sizes,
/// which were matrix sides, are cleared (governance sets rows and rounds; until then the
/// runtime's `DefaultChallengeSize` applies).
pub type MigrateV4ToV5<T> = VersionedMigration<
	4,
	5,
	v5::VoidU32Challenges<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

pub mod v5 {
	use super::*;
	use crate::{
		ChallengeOf, ChallengeSizes, Challenges, GpuEvidenceHashes, OpenChallenges, RevealedRowsOf,
		Verdicts,
	};

	pub struct VoidU32Challenges<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for VoidU32Challenges<T> {
		fn on_runtime_upgrade() -> Weight {
			// Everything here is bounded by the open challenges (at most
			// `MaxChallengesPerEpoch`), their verdicts (one per verifier) and the GPU classes.
			// Every record goes, listed or not: none decodes in the new layout.
			let open = OpenChallenges::<T>::take();
			let mut removed = 1u64;
			removed += u64::from(Challenges::<T>::clear(u32::MAX, None).unique);
			removed += u64::from(RevealedRowsOf::<T>::clear(u32::MAX, None).unique);
			removed += u64::from(GpuEvidenceHashes::<T>::clear(u32::MAX, None).unique);
			removed += u64::from(Verdicts::<T>::clear(u32::MAX, None).unique);
			removed += u64::from(ChallengeOf::<T>::clear(u32::MAX, None).unique);
			removed += u64::from(ChallengeSizes::<T>::clear(u32::MAX, None).unique);
			log::info!(
				target: crate::LOG_TARGET,
				"int8 challenges: {} open u32 challenges voided",
				open.len()
			);
			T::DbWeight::get().reads_writes(removed, removed)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			ensure!(Challenges::<T>::iter_keys().next().is_none(), "no u32 challenge is left");
			ensure!(ChallengeOf::<T>::iter_keys().next().is_none(), "no machine is challenged");
			Ok(())
		}
	}
}

pub mod v4 {
	use super::*;
	use crate::{ChallengeOf, Challenges, OpenChallenges};

	pub struct IndexChallengedMachines<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for IndexChallengedMachines<T> {
		fn on_runtime_upgrade() -> Weight {
			let open = OpenChallenges::<T>::get();
			let mut indexed = 0u64;
			for id in open.iter() {
				if let Some(record) = Challenges::<T>::get(id) {
					ChallengeOf::<T>::insert(record.machine, id);
					indexed += 1;
				}
			}
			T::DbWeight::get().reads_writes(1 + open.len() as u64, indexed)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			ensure!(
				ChallengeOf::<T>::iter().count() == Challenges::<T>::iter().count(),
				"every open challenge is indexed"
			);
			Ok(())
		}
	}
}

pub mod v3 {
	use super::*;
	use gpux_primitives::{
		attestation::{GpuTelemetry, Telemetry, MAX_DRIVER_VERSION_LEN, MAX_GPUS_PER_MACHINE},
		challenge::Hash32,
	};

	/// Windows after the upgrade in which a missed heartbeat is not held against a machine:
	/// time for operators to install the worker that sends the new heartbeat (an hour at the
	/// launch interval of a minute).
	pub const UPGRADE_GRACE_WINDOWS: u32 = 60;

	/// `GpuTelemetry` in layouts 1 and 2.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, Default)]
	pub struct OldGpuTelemetry {
		pub uuid_hash: [u8; 16],
		pub utilization_pct: u8,
		pub memory_used_mib: u32,
		pub memory_total_mib: u32,
		pub temperature_c: u8,
		pub power_w: u16,
		pub ecc_errors: u32,
	}

	/// `Telemetry` in layouts 1 and 2.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, Default)]
	pub struct OldTelemetry {
		pub gpus: BoundedVec<OldGpuTelemetry, ConstU32<MAX_GPUS_PER_MACHINE>>,
		pub driver_version: BoundedVec<u8, ConstU32<MAX_DRIVER_VERSION_LEN>>,
		pub samples_root: Hash32,
	}

	/// `HeartbeatRecord` in layouts 1 and 2.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct OldHeartbeatRecord<BlockNumber> {
		pub slot: u32,
		pub since_window: u32,
		pub last_window: u32,
		pub recent: u64,
		pub received_at: Option<BlockNumber>,
		pub telemetry: OldTelemetry,
		pub missed_in_a_row: u32,
		pub leased_at_last_check: bool,
		pub gpu_set: Option<Hash32>,
		pub mismatched_in_a_row: u32,
		pub windows_checked: u32,
		pub windows_met: u32,
	}

	fn gpu(old: OldGpuTelemetry) -> GpuTelemetry {
		GpuTelemetry {
			uuid_hash: old.uuid_hash,
			lost: false,
			utilization_pct: Some(old.utilization_pct),
			memory_used_mib: Some(old.memory_used_mib),
			memory_total_mib: Some(old.memory_total_mib),
			temperature_c: Some(old.temperature_c),
			power_w: Some(old.power_w),
			// Layout 2 sent 0 where ECC was off: it cannot be told from no errors.
			ecc_errors: Some(old.ecc_errors),
			xid_errors: None,
			retired_pages: None,
			remapped_rows: None,
			row_remap_failed: false,
		}
	}

	/// Rewrites every machine's heartbeat record in the new layout. One pass over
	/// `Heartbeats`, which holds at most `MaxTrackedMachines` records.
	pub struct DegradableTelemetry<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for DegradableTelemetry<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut count: u64 = 0;
			let now = Pallet::<T>::window_of(frame_system::Pallet::<T>::block_number());
			let grace_until = now.saturating_add(UPGRADE_GRACE_WINDOWS);
			Heartbeats::<T>::translate_values(|old: OldHeartbeatRecord<BlockNumberFor<T>>| {
				count.saturating_inc();
				let gpus: alloc::vec::Vec<GpuTelemetry> =
					old.telemetry.gpus.into_iter().map(gpu).collect();
				Some(HeartbeatRecord {
					slot: old.slot,
					since_window: old.since_window.max(grace_until),
					last_window: old.last_window,
					recent: old.recent,
					received_at: old.received_at,
					telemetry: Telemetry {
						// As many GPUs as before, under the same bound.
						gpus: BoundedVec::truncate_from(gpus),
						driver_version: old.telemetry.driver_version,
						samples_root: old.telemetry.samples_root,
					},
					// The grace starts afresh: misses before it do not add to misses after.
					missed_in_a_row: 0,
					leased_at_last_check: old.leased_at_last_check,
					gpu_set: old.gpu_set,
					mismatched_in_a_row: old.mismatched_in_a_row,
					windows_checked: old.windows_checked,
					windows_met: old.windows_met,
				})
			});
			log::info!(target: crate::LOG_TARGET, "migrated {count} heartbeat records to layout 3");
			T::DbWeight::get().reads_writes(count.saturating_add(1), count)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok((Heartbeats::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre_upgrade state")?;
			let after = Heartbeats::<T>::iter_values().count() as u64;
			ensure!(before == after, "a heartbeat record was lost or did not decode");
			Ok(())
		}
	}
}

pub mod v2 {
	use super::*;
	use gpux_primitives::{
		attestation::{AccessMethod, Endpoint, MAX_ENDPOINT_HOST_LEN},
		challenge::Hash32,
		MachineId,
	};

	/// `Endpoint` in layout 1.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct OldEndpoint {
		pub host: BoundedVec<u8, ConstU32<MAX_ENDPOINT_HOST_LEN>>,
		pub port: u16,
		pub method: AccessMethod,
	}

	/// `LeaseAttestation` in layout 1.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct OldLeaseAttestation<BlockNumber, MaxReason: Get<u32>> {
		pub machine: MachineId,
		pub started: Option<(OldEndpoint, BlockNumber)>,
		pub ended: Option<(Hash32, BlockNumber)>,
		pub dispute: Option<Dispute<BlockNumber, MaxReason>>,
	}

	/// Rewrites every lease attestation in the new layout. One pass over `LeaseAttestations`,
	/// which holds only leases not yet pruned (open ones and those in their dispute window).
	pub struct AddAccessDetails<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for AddAccessDetails<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut count: u64 = 0;
			LeaseAttestations::<T>::translate_values(
				|old: OldLeaseAttestation<BlockNumberFor<T>, T::MaxDisputeReasonLen>| {
					count.saturating_inc();
					Some(LeaseAttestation {
						machine: old.machine,
						started: old.started.map(|(e, at)| {
							let endpoint = Endpoint {
								host: e.host,
								port: e.port,
								method: e.method,
								host_key_fingerprint: None,
								jupyter: None,
							};
							(endpoint, at)
						}),
						ended: old.ended,
						dispute: old.dispute,
					})
				},
			);
			log::info!(target: crate::LOG_TARGET, "migrated {count} lease attestations to layout 2");
			T::DbWeight::get().reads_writes(count, count)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok((LeaseAttestations::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre_upgrade state")?;
			let after = LeaseAttestations::<T>::iter_values().count() as u64;
			ensure!(before == after, "a lease attestation was lost or did not decode");
			Ok(())
		}
	}
}

#[cfg(test)]
mod tests {
	use super::{v2::*, v3::*, *};
	use crate::mock::*;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	use gpux_primitives::attestation::AccessMethod;

	#[test]
	fn open_u32_challenges_are_voided_and_sizes_cleared() {
		ExtBuilder.build().execute_with(|| {
			watched_machine(MACHINE);
			run_to_block(PERIOD);
			let id = crate::OpenChallenges::<Test>::get()[0];
			// A record in layout 4 (size a matrix side) and a class's old size.
			crate::Challenges::<Test>::remove(id);
			frame_support::storage::unhashed::put_raw(
				&crate::Challenges::<Test>::hashed_key_for(id),
				&[0u8; 7],
			);
			frame_support::storage::unhashed::put_raw(
				&crate::ChallengeSizes::<Test>::hashed_key_for(0),
				&1024u32.encode(),
			);
			crate::Verdicts::<Test>::insert(id, verifier(1), true);
			let before = told();
			StorageVersion::new(4).put::<Pallet<Test>>();

			MigrateV4ToV5::<Test>::on_runtime_upgrade();

			assert!(crate::OpenChallenges::<Test>::get().is_empty());
			assert!(crate::Challenges::<Test>::iter_keys().next().is_none());
			assert!(crate::Verdicts::<Test>::iter_keys().next().is_none());
			assert!(!Pallet::<Test>::has_open_challenge(MACHINE));
			assert_eq!(crate::ChallengeSizes::<Test>::iter_keys().count(), 0);
			// Nobody blamed or credited.
			let after = told();
			assert!(after.challenges == before.challenges && after.faults == before.faults);
			assert_eq!(Pallet::<Test>::on_chain_storage_version(), 5);
			Pallet::<Test>::do_try_state().expect("invariants hold");
			// The next epoch challenges the machine afresh, at the new sizes.
			run_to_block(2 * PERIOD);
			assert!(Pallet::<Test>::has_open_challenge(MACHINE));
		});
	}

	#[test]
	fn open_challenges_are_indexed_by_machine() {
		ExtBuilder.build().execute_with(|| {
			watched_machine(MACHINE);
			run_to_block(PERIOD);
			let id = crate::OpenChallenges::<Test>::get()[0];
			// As layout 3 left it: no index.
			let _ = crate::ChallengeOf::<Test>::clear(u32::MAX, None);
			StorageVersion::new(3).put::<Pallet<Test>>();
			assert!(!Pallet::<Test>::has_open_challenge(MACHINE));

			MigrateV3ToV4::<Test>::on_runtime_upgrade();

			assert_eq!(crate::ChallengeOf::<Test>::get(MACHINE), Some(id));
			assert!(Pallet::<Test>::has_open_challenge(MACHINE));
			assert_eq!(Pallet::<Test>::on_chain_storage_version(), 4);
			Pallet::<Test>::do_try_state().expect("invariants hold");
		});
	}

	#[test]
	fn attestations_made_before_keep_their_endpoint_and_dispute() {
		ExtBuilder.build().execute_with(|| {
			StorageVersion::new(1).put::<Pallet<Test>>();
			let old = OldLeaseAttestation::<u64, <Test as Config>::MaxDisputeReasonLen> {
				machine: 3,
				started: Some((
					OldEndpoint {
						host: b"gpu.example.net".to_vec().try_into().unwrap(),
						port: 2222,
						method: AccessMethod::Ssh,
					},
					17,
				)),
				ended: Some(([5; 32], 40)),
				dispute: None,
			};
			let key = LeaseAttestations::<Test>::hashed_key_for(9);
			frame_support::storage::unhashed::put_raw(&key, &old.encode());

			MigrateV1ToV2::<Test>::on_runtime_upgrade();

			let new = LeaseAttestations::<Test>::get(9).expect("decodes in the new layout");
			let (endpoint, at) = new.started.unwrap();
			assert_eq!(
				(endpoint.host.to_vec(), endpoint.port, at),
				(b"gpu.example.net".to_vec(), 2222, 17)
			);
			assert_eq!((endpoint.host_key_fingerprint, endpoint.jupyter), (None, None));
			assert_eq!((new.machine, new.ended), (3, Some(([5; 32], 40))));
			assert_eq!(Pallet::<Test>::on_chain_storage_version(), 2);
		});
	}

	#[test]
	fn heartbeat_records_keep_their_counters_and_readings() {
		ExtBuilder.build().execute_with(|| {
			StorageVersion::new(2).put::<Pallet<Test>>();
			let reading = OldGpuTelemetry {
				uuid_hash: [7; 16],
				utilization_pct: 90,
				memory_used_mib: 20_000,
				memory_total_mib: 24_564,
				temperature_c: 70,
				power_w: 400,
				ecc_errors: 2,
			};
			let old = OldHeartbeatRecord::<u64> {
				slot: 1,
				since_window: 3,
				last_window: 9,
				recent: 0b101,
				received_at: Some(95),
				telemetry: OldTelemetry {
					gpus: vec![reading.clone(), OldGpuTelemetry { uuid_hash: [8; 16], ..reading }]
						.try_into()
						.unwrap(),
					driver_version: b"550.54".to_vec().try_into().unwrap(),
					samples_root: [4; 32],
				},
				missed_in_a_row: 1,
				leased_at_last_check: true,
				gpu_set: Some([6; 32]),
				mismatched_in_a_row: 0,
				windows_checked: 7,
				windows_met: 6,
			};
			let key = Heartbeats::<Test>::hashed_key_for(5);
			frame_support::storage::unhashed::put_raw(&key, &old.encode());

			MigrateV2ToV3::<Test>::on_runtime_upgrade();

			let new = Heartbeats::<Test>::get(5).expect("decodes in the new layout");
			assert_eq!(
				(new.slot, new.last_window, new.recent, new.received_at, new.gpu_set),
				(1, 9, 0b101, Some(95), Some([6; 32]))
			);
			assert_eq!((new.windows_checked, new.windows_met, new.missed_in_a_row), (7, 6, 0));
			// No window before the grace ends is held against it.
			let now = Pallet::<Test>::window_of(System::block_number());
			assert_eq!(new.since_window, now + UPGRADE_GRACE_WINDOWS);
			let gpus = &new.telemetry.gpus;
			assert_eq!(gpus.len(), 2);
			assert_eq!(gpus[1].uuid_hash, [8; 16]);
			assert_eq!(
				(gpus[0].memory_total_mib, gpus[0].temperature_c, gpus[0].ecc_errors),
				(Some(24_564), Some(70), Some(2))
			);
			assert!(!gpus[0].lost && gpus[0].xid_errors.is_none());
			assert_eq!(new.telemetry.driver_version.to_vec(), b"550.54".to_vec());
			// Its GPU set is unchanged: the same GPUs still match.
			assert_eq!(new.telemetry.gpu_set(), {
				let mut ids = vec![[7u8; 16], [8; 16]];
				ids.sort();
				sp_io::hashing::blake2_256(&ids.encode())
			});
			assert_eq!(Pallet::<Test>::on_chain_storage_version(), 3);
		});
	}
}
