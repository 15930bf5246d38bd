//! Machine registration, fleets, and the `MachineRegistry` other pallets read.

use frame_support::{ensure, pallet_prelude::DispatchResult, traits::Get};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	attestation::{hash32, key_possession_message},
	storage::remove_from_list,
	AttestedMachine, Balance, LeaseRegistry, ListedMachine, MachineId, MachineKeys, MachineMonitor,
	MachineRegistry, MachineSpec, ProviderBonds, ProviderMarket, Region, WorkerKey,
};
use sp_core::sr25519;
use sp_runtime::traits::Verify;

use crate::{
	Config, Error, Event, FleetLabelOf, Fleets, GpuClasses, MachineOfWorkerKey, MachineRecord,
	Machines, MachinesOf, NextMachineId, Pallet, Providers,
};

impl<T: Config> Pallet<T> {
	/// This chain's genesis hash, which key proofs sign so they do not replay across chains.
	pub(crate) fn genesis_hash() -> [u8; 32] {
		hash32(frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::default()))
	}

	/// Whether `proof` is `key`'s signature over `who` and this chain's genesis hash.
	pub(crate) fn ensure_key_proof(
		who: &T::AccountId,
		key: &WorkerKey,
		proof: &sr25519::Signature,
	) -> DispatchResult {
		let message = key_possession_message(&Self::genesis_hash(), who);
		ensure!(proof.verify(&message[..], key), Error::<T>::BadKeyProof);
		Ok(())
	}

	pub(crate) fn do_set_worker_key(
		who: T::AccountId,
		machine: MachineId,
		worker_key: WorkerKey,
	) -> DispatchResult {
		let mut record = Machines::<T>::get(machine).ok_or(Error::<T>::UnknownMachine)?;
		ensure!(record.provider == who, Error::<T>::NotOwner);
		ensure!(!MachineOfWorkerKey::<T>::contains_key(worker_key), Error::<T>::WorkerKeyInUse);
		MachineOfWorkerKey::<T>::remove(record.worker_key);
		MachineOfWorkerKey::<T>::insert(worker_key, machine);
		record.worker_key = worker_key;
		Machines::<T>::insert(machine, record);
		Self::deposit_event(Event::WorkerKeyChanged { machine, worker_key });
		Ok(())
	}

	pub(crate) fn do_register_machine(
		who: T::AccountId,
		spec: MachineSpec,
		worker_key: WorkerKey,
		region: Region,
		fleet: Option<FleetLabelOf<T>>,
	) -> DispatchResult {
		let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
		let class = GpuClasses::<T>::get(spec.gpu_class).ok_or(Error::<T>::UnknownGpuClass)?;
		ensure!(
			spec.gpu_count > 0
				&& spec.gpu_count <= T::MaxGpusPerMachine::get()
				&& spec.cpu_cores > 0
				&& spec.ram_gib > 0
				&& spec.disk_gib > 0,
			Error::<T>::InvalidSpec
		);
		ensure!(spec.vram_gib_per_gpu == class.vram_gib, Error::<T>::SpecMismatchesClass);
		ensure!(region.is_well_formed(), Error::<T>::InvalidRegion);
		ensure!(!MachineOfWorkerKey::<T>::contains_key(worker_key), Error::<T>::WorkerKeyInUse);
		ensure!(provider.machines < T::MaxMachinesPerProvider::get(), Error::<T>::TooManyMachines);

		let machine = NextMachineId::<T>::get();
		let next = machine.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let deposit = T::MachineDeposit::get();
		Self::hold_deposit(&who, crate::HoldReason::MachineDeposit, deposit)?;
		// The last fallible step (a call's writes are undone if it fails).
		if let Some(label) = &fleet {
			Fleets::<T>::try_mutate(&who, label, |members| {
				members.try_push(machine).map_err(|_| Error::<T>::FleetFull)
			})?;
		}
		NextMachineId::<T>::put(next);
		provider.machines = provider.machines.saturating_add(1);
		Providers::<T>::insert(&who, provider);
		MachineOfWorkerKey::<T>::insert(worker_key, machine);
		MachinesOf::<T>::insert(&who, machine, ());
		let (gpu_class, gpus) = (spec.gpu_class, spec.gpu_count);
		Machines::<T>::insert(
			machine,
			MachineRecord {
				provider: who.clone(),
				spec,
				worker_key,
				region,
				fleet,
				listing: None,
				registered_at: frame_system::Pallet::<T>::block_number(),
				deposit,
				leased_gpus: 0,
			},
		);
		Self::deposit_event(Event::MachineRegistered { machine, provider: who, gpu_class, gpus });
		Ok(())
	}

	pub(crate) fn do_deregister_machine(who: T::AccountId, machine: MachineId) -> DispatchResult {
		let mut record = Machines::<T>::get(machine).ok_or(Error::<T>::UnknownMachine)?;
		ensure!(record.provider == who, Error::<T>::NotOwner);
		ensure!(T::Leases::open_leases_on(machine) == 0, Error::<T>::MachineLeased);
		// A challenge's or a dispute's fault must still find the machine and its provider.
		ensure!(!T::Monitor::is_challenged(machine), Error::<T>::MachineChallenged);
		ensure!(!T::Monitor::is_disputable(machine), Error::<T>::MachineDisputable);
		Self::withdraw_listing(machine, &mut record);

		if let Some(label) = &record.fleet {
			Fleets::<T>::mutate_exists(&who, label, |members| remove_from_list(members, &machine));
		}
		Providers::<T>::mutate(&who, |provider| {
			if let Some(provider) = provider {
				provider.machines = provider.machines.saturating_sub(1);
			}
		});
		MachineOfWorkerKey::<T>::remove(record.worker_key);
		MachinesOf::<T>::remove(&who, machine);
		Machines::<T>::remove(machine);
		T::Monitor::machine_left(machine);
		Self::release_deposit(&who, crate::HoldReason::MachineDeposit, record.deposit);
		Self::deposit_event(Event::MachineDeregistered {
			machine,
			provider: who,
			deposit: record.deposit,
		});
		Ok(())
	}
}

impl<T: Config> MachineRegistry<T::AccountId, Balance, BlockNumberFor<T>> for Pallet<T> {
	fn listed_machine(
		machine: MachineId,
	) -> Option<ListedMachine<T::AccountId, Balance, BlockNumberFor<T>>> {
		let record = Machines::<T>::get(machine)?;
		let terms = record.listing?;
		let committed = <Self as ProviderMarket<T::AccountId>>::committed_gpus(&record.provider);
		Some(ListedMachine {
			backed: T::Bonds::backs_after_slashes(&record.provider, committed),
			mfp: Self::mfp(record.spec.gpu_class)?,
			spot_price: Self::spot_price(record.spec.gpu_class)?,
			provider: record.provider,
			gpu_class: record.spec.gpu_class,
			gpu_count: record.spec.gpu_count,
			leased_gpus: record.leased_gpus,
			terms,
		})
	}

	fn lease_priced(machine: MachineId, price: Balance, value: Balance) {
		if let Some(record) = Machines::<T>::get(machine) {
			Self::record_lease_price(record.spec.gpu_class, price, value);
		}
	}

	fn machine_gpus(machine: MachineId) -> Option<u32> {
		Machines::<T>::get(machine).map(|record| record.spec.gpu_count)
	}

	fn gpus_leased(machine: MachineId, gpus: u32) {
		Self::change_leased_gpus(machine, |leased| leased.saturating_add(gpus));
	}

	fn gpus_released(machine: MachineId, gpus: u32) {
		Self::change_leased_gpus(machine, |leased| leased.saturating_sub(gpus));
	}

	fn leased_gpus(machine: MachineId) -> u32 {
		Machines::<T>::get(machine).map_or(0, |record| record.leased_gpus)
	}

	fn last_lease_closed(machine: MachineId) {
		let Some(record) = Machines::<T>::get(machine) else { return };
		if record.listing.is_none() {
			Providers::<T>::mutate(&record.provider, |provider| {
				if let Some(provider) = provider {
					provider.committed_gpus =
						provider.committed_gpus.saturating_sub(record.spec.gpu_count);
				}
			});
		}
	}
}

/// The staking pallet asks here what a provider's bond must back.
impl<T: Config> ProviderMarket<T::AccountId> for Pallet<T> {
	fn machine_owner(machine: MachineId) -> Option<(T::AccountId, u32)> {
		Machines::<T>::get(machine).map(|record| (record.provider, record.spec.gpu_count))
	}

	fn listed_gpus(provider: &T::AccountId) -> u32 {
		Providers::<T>::get(provider).map(|record| record.listed_gpus).unwrap_or_default()
	}

	fn committed_gpus(provider: &T::AccountId) -> u32 {
		Providers::<T>::get(provider).map(|record| record.committed_gpus).unwrap_or_default()
	}

	fn delist(machine: MachineId) -> bool {
		Machines::<T>::mutate(machine, |record| {
			record.as_mut().is_some_and(|record| Self::withdraw_listing(machine, record))
		})
	}

	fn delist_all(provider: &T::AccountId) -> (u32, u32) {
		let (mut delisted, mut examined) = (0u32, 0u32);
		for machine in MachinesOf::<T>::iter_key_prefix(provider) {
			examined = examined.saturating_add(1);
			Machines::<T>::mutate(machine, |record| {
				if record.as_mut().is_some_and(|record| Self::withdraw_listing(machine, record)) {
					delisted = delisted.saturating_add(1);
				}
			});
		}
		(delisted, examined)
	}
}

/// The attestation pallet checks workers' signatures against the keys registered here.
impl<T: Config> MachineKeys<T::AccountId> for Pallet<T> {
	fn attested_machine(machine: MachineId) -> Option<AttestedMachine<T::AccountId>> {
		Machines::<T>::get(machine).map(|record| AttestedMachine {
			listed: record.listing.is_some(),
			provider: record.provider,
			worker_key: record.worker_key,
			gpu_class: record.spec.gpu_class,
			gpu_count: record.spec.gpu_count,
			vram_gib_per_gpu: record.spec.vram_gib_per_gpu,
		})
	}

	fn machines_of(provider: &T::AccountId) -> alloc::vec::Vec<MachineId> {
		MachinesOf::<T>::iter_key_prefix(provider).collect()
	}
}

/// The price ceiling of the class benchmark machines are listed in: above any benchmark's
/// price, yet small enough that its spot floor (a share of it) times a lease stays far from
/// overflowing.
#[cfg(feature = "runtime-benchmarks")]
pub const BENCHMARK_CLASS_CEILING: Balance = u64::MAX as Balance;

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> Pallet<T> {
	/// A large valid spec: `gpus` GPUs of `class` (80 GiB each), for benchmarks.
	pub fn benchmark_spec(class: gpux_primitives::GpuClassId, gpus: u32) -> MachineSpec {
		MachineSpec {
			gpu_class: class,
			gpu_count: gpus,
			vram_gib_per_gpu: 80,
			compute_capability: gpux_primitives::ComputeCapability { major: 9, minor: 0 },
			cpu_cores: 64,
			ram_gib: 512,
			disk_gib: 8_000,
			bandwidth_up_mbps: 10_000,
			bandwidth_down_mbps: 10_000,
		}
	}

	/// A listed one-GPU machine of `class` at 1_000 per GPU-hour in `fleet`, written straight
	/// to storage and the price index (no provider record, worker key or monitor): a match
	/// candidate for benchmarks.
	pub fn benchmark_indexed_machine(
		machine: MachineId,
		class: gpux_primitives::GpuClassId,
		provider: &T::AccountId,
		fleet: crate::FleetLabelOf<T>,
	) {
		let terms = gpux_primitives::ListingTerms {
			on_demand_price: 1_000,
			spot_floor_price: 500,
			min_lease_blocks: sp_runtime::traits::One::one(),
			max_lease_blocks: sp_runtime::traits::Bounded::max_value(),
			available_from: Default::default(),
			available_until: None,
			access: gpux_primitives::AccessMethods { ssh: true, jupyter: true, api: true },
		};
		let record = crate::MachineRecord {
			provider: provider.clone(),
			spec: Self::benchmark_spec(class, 1),
			worker_key: WorkerKey::from_raw([0xcd; 32]),
			region: Region { country: *b"DE", location: None },
			fleet: Some(fleet),
			listing: Some(terms),
			registered_at: Default::default(),
			deposit: 0,
			leased_gpus: 0,
		};
		Self::sync_market(machine, None, Some(&record));
		Machines::<T>::insert(machine, record);
	}

	/// Mints what a provider and one machine deposit, for benchmarks.
	pub fn fund_deposits(who: &T::AccountId) {
		use frame_support::traits::{fungible::Mutate, Get};
		let deposits = T::ProviderDeposit::get().saturating_add(T::MachineDeposit::get());
		let _ = T::Currency::mint_into(who, deposits);
	}

	/// A new machine of `gpus` GPUs listed on `terms`, for other pallets' benchmarks. Creates
	/// its provider and a GPU class of `BENCHMARK_CLASS_CEILING` as needed.
	pub fn benchmark_listed_machine(
		provider: T::AccountId,
		gpus: u32,
		terms: crate::ListingTermsOf<T>,
	) -> MachineId {
		let mut key = [0u8; 32];
		key[..8].copy_from_slice(&NextMachineId::<T>::get().to_le_bytes());
		key[31] = 0xbe;
		Self::benchmark_machine_with_key(provider, gpus, terms, WorkerKey::from_raw(key))
	}

	/// As `benchmark_listed_machine`, with the worker key given (to sign attestations).
	pub fn benchmark_machine_with_key(
		provider: T::AccountId,
		gpus: u32,
		terms: crate::ListingTermsOf<T>,
		worker_key: WorkerKey,
	) -> MachineId {
		let class = crate::GpuClasses::<T>::iter()
			.find(|(_, c)| c.price_ceiling == BENCHMARK_CLASS_CEILING)
			.map(|(id, _)| id)
			.unwrap_or_else(|| {
				let model = alloc::vec![b'B'; 8].try_into().expect("fits any model bound");
				Self::do_add_gpu_class(model, 80, BENCHMARK_CLASS_CEILING).expect("class is added")
			});
		Self::fund_deposits(&provider);
		if !Providers::<T>::contains_key(&provider) {
			Self::do_register_provider(provider.clone(), Default::default()).expect("registers");
		}
		let machine = NextMachineId::<T>::get();
		let spec = Self::benchmark_spec(class, gpus);
		let region = Region { country: *b"DE", location: None };
		Self::do_register_machine(provider.clone(), spec, worker_key, region, None)
			.expect("machine registers");
		Self::do_set_listing(provider, machine, terms).expect("machine lists");
		machine
	}
}
