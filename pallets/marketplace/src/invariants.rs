//! What must always hold of the marketplace's storage; checked after every test and by
//! try-runtime.

use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use gpux_primitives::{LeaseRegistry, MachineMonitor, ProviderBonds};
use sp_runtime::TryRuntimeError;

use crate::{
	Config, Fleets, GpuClasses, HoldReason, MachineOfWorkerKey, Machines, MachinesOf,
	NextGpuClassId, NextMachineId, Pallet, Providers,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_try_state() -> Result<(), TryRuntimeError> {
		let next_machine = NextMachineId::<T>::get();
		for (id, machine) in Machines::<T>::iter() {
			ensure!(id < next_machine, "machine id at or above NextMachineId");
			ensure!(Providers::<T>::contains_key(&machine.provider), "machine of no provider");
			ensure!(GpuClasses::<T>::contains_key(machine.spec.gpu_class), "machine of no class");
			ensure!(
				machine.spec.gpu_count > 0 && machine.spec.gpu_count <= T::MaxGpusPerMachine::get(),
				"machine GPU count out of bounds"
			);
			ensure!(
				MachineOfWorkerKey::<T>::get(machine.worker_key) == Some(id),
				"worker key index does not point back at its machine"
			);
			ensure!(MachinesOf::<T>::contains_key(&machine.provider, id), "machine not indexed");
			if let Some(label) = &machine.fleet {
				ensure!(
					Fleets::<T>::get(&machine.provider, label).contains(&id),
					"machine missing from its fleet"
				);
			}
		}
		for (provider, record) in Providers::<T>::iter() {
			let indexed = MachinesOf::<T>::iter_prefix(&provider).count() as u32;
			ensure!(indexed == record.machines, "provider machine count disagrees with index");
			ensure!(record.machines <= T::MaxMachinesPerProvider::get(), "too many machines");
			let (mut listed, mut committed) = (0u32, 0u32);
			let mut machine_deposits = 0u128;
			for id in MachinesOf::<T>::iter_key_prefix(&provider) {
				let machine = Machines::<T>::get(id).ok_or("indexed machine does not exist")?;
				machine_deposits = machine_deposits.saturating_add(machine.deposit);
				let leased = T::Leases::open_leases_on(id) > 0;
				if machine.listing.is_some() {
					listed += machine.spec.gpu_count;
				}
				if machine.listing.is_some() || leased {
					committed += machine.spec.gpu_count;
					ensure!(
						T::Monitor::is_watched(id),
						"a listed or leased machine is not watched"
					);
				}
			}
			let held = |reason: HoldReason| T::Currency::balance_on_hold(&reason.into(), &provider);
			ensure!(
				held(HoldReason::ProviderDeposit) == record.deposit,
				"provider deposit held differs from its record"
			);
			ensure!(
				held(HoldReason::MachineDeposit) == machine_deposits,
				"machine deposits held differ from the machines' records"
			);
			ensure!(listed == record.listed_gpus, "provider listed GPU count disagrees");
			ensure!(committed == record.committed_gpus, "provider committed GPU count disagrees");
			// A slash may take the bond below what is leased; then nothing stays listed.
			ensure!(
				T::Bonds::backs(&provider, committed) || listed == 0,
				"listed and leased GPUs not backed by their provider's bond"
			);
		}
		ensure!(
			MachineOfWorkerKey::<T>::iter().count() == Machines::<T>::iter().count(),
			"a worker key points at no machine"
		);
		for (provider, _, members) in Fleets::<T>::iter() {
			ensure!(!members.is_empty(), "an empty fleet is stored");
			for id in members {
				ensure!(
					Machines::<T>::get(id).is_some_and(|m| m.provider == provider),
					"fleet member is not the provider's machine"
				);
			}
		}
		let next_class = NextGpuClassId::<T>::get();
		ensure!(next_class <= T::MaxGpuClasses::get(), "more classes than MaxGpuClasses");
		for (class, gpu_class) in GpuClasses::<T>::iter() {
			ensure!(class < next_class, "class id at or above NextGpuClassId");
			ensure!(gpu_class.price_ceiling > 0, "class without a ceiling");
			ensure!(gpu_class.reference_price > 0, "class with a zero reference price");
		}
		Ok(())
	}
}
