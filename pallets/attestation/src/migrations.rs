//! Storage migrations of this pallet, run from the runtime's `migrations` list.

use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::Saturating;

use crate::{Config, Dispute, LeaseAttestation, LeaseAttestations, Pallet};

/// Layout 2: a lease's start endpoint carries the SSH host key fingerprint and the Jupyter
/// endpoint. Attestations made before have neither.
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	v2::AddAccessDetails<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

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
	use super::{v2::*, *};
	use crate::mock::*;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	use gpux_primitives::attestation::AccessMethod;

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
}
