//! Listings: one machine's or a whole fleet's.

use frame_support::{ensure, pallet_prelude::DispatchResult, traits::Get};
use gpux_primitives::{LeaseRegistry, MachineId, MachineMonitor, ProviderBonds};
use sp_runtime::traits::Zero;

use crate::{
	Config, Error, Event, FleetLabelOf, Fleets, GpuClassOf, GpuClasses, ListingTermsOf,
	MachineRecordOf, Machines, Pallet, Providers,
};

impl<T: Config> Pallet<T> {
	/// Refuses terms a renter could not use, and prices above the class's Maximum Fair Price.
	fn ensure_valid_terms(class: &GpuClassOf<T>, terms: &ListingTermsOf<T>) -> DispatchResult {
		ensure!(
			terms.on_demand_price > 0
				&& terms.spot_floor_price > 0
				&& !terms.min_lease_blocks.is_zero()
				&& terms.min_lease_blocks <= terms.max_lease_blocks
				&& terms.available_until.is_none_or(|until| until > terms.available_from)
				&& terms.access.any(),
			Error::<T>::InvalidTerms
		);
		let mfp = class.mfp(T::MfpBand::get());
		ensure!(
			terms.on_demand_price <= mfp && terms.spot_floor_price <= mfp,
			Error::<T>::PriceAboveMfp
		);
		Ok(())
	}

	/// The machine, if `who` owns it and `terms` are valid for its class. Reads only.
	fn listable(
		who: &T::AccountId,
		machine: MachineId,
		terms: &ListingTermsOf<T>,
	) -> Result<MachineRecordOf<T>, sp_runtime::DispatchError> {
		let record = Machines::<T>::get(machine).ok_or(Error::<T>::UnknownMachine)?;
		ensure!(&record.provider == who, Error::<T>::NotOwner);
		let class =
			GpuClasses::<T>::get(record.spec.gpu_class).ok_or(Error::<T>::UnknownGpuClass)?;
		Self::ensure_valid_terms(&class, terms)?;
		Ok(record)
	}

	/// Counts `extra` more listed GPUs for `who` and `extra_committed` more GPUs its bond
	/// must back, if the bond backs them all: GPUs leased out on machines no longer listed
	/// count too, so delisting a leased machine frees no bond for another listing.
	fn add_listed_gpus(who: &T::AccountId, (extra, extra_committed): (u32, u32)) -> DispatchResult {
		Providers::<T>::try_mutate(who, |provider| {
			let provider = provider.as_mut().ok_or(Error::<T>::NotProvider)?;
			let listed = provider.listed_gpus.checked_add(extra).ok_or(Error::<T>::Overflow)?;
			let committed =
				provider.committed_gpus.checked_add(extra_committed).ok_or(Error::<T>::Overflow)?;
			ensure!(T::Bonds::backs(who, committed), Error::<T>::InsufficientBond);
			T::Bonds::committed(who, committed);
			provider.listed_gpus = listed;
			provider.committed_gpus = committed;
			Ok(())
		})
	}

	/// GPUs `machine` adds to its provider's listed and committed counts if it is listed
	/// now: none if it is listed already; not to the committed count if leases commit it.
	fn newly_listed_gpus(machine: MachineId, record: &MachineRecordOf<T>) -> (u32, u32) {
		if record.listing.is_some() {
			(0, 0)
		} else if T::Leases::open_leases_on(machine) > 0 {
			(record.spec.gpu_count, 0)
		} else {
			(record.spec.gpu_count, record.spec.gpu_count)
		}
	}

	/// Lists the machine: from now on the monitor watches it.
	fn store_listing(
		machine: MachineId,
		mut record: MachineRecordOf<T>,
		terms: &ListingTermsOf<T>,
	) -> DispatchResult {
		T::Monitor::watch(machine).map_err(|_| Error::<T>::MonitoringFull)?;
		let before = record.clone();
		record.listing = Some(terms.clone());
		Self::sync_market(machine, Some(&before), Some(&record));
		Machines::<T>::insert(machine, record);
		Self::deposit_event(Event::Listed {
			machine,
			on_demand_price: terms.on_demand_price,
			spot_floor_price: terms.spot_floor_price,
		});
		Ok(())
	}

	pub(crate) fn do_set_listing(
		who: T::AccountId,
		machine: MachineId,
		terms: ListingTermsOf<T>,
	) -> DispatchResult {
		let record = Self::listable(&who, machine, &terms)?;
		Self::add_listed_gpus(&who, Self::newly_listed_gpus(machine, &record))?;
		Self::store_listing(machine, record, &terms)
	}

	/// Withdraws the machine's listing, if it has one; says whether it had.
	pub(crate) fn withdraw_listing(machine: MachineId, record: &mut MachineRecordOf<T>) -> bool {
		let before = record.clone();
		let was_listed = record.listing.take().is_some();
		if was_listed {
			Self::sync_market(machine, Some(&before), Some(record));
			// A leased machine stays committed until its last lease closes.
			let leased = T::Leases::open_leases_on(machine) > 0;
			Providers::<T>::mutate(&record.provider, |provider| {
				if let Some(provider) = provider {
					let gpus = record.spec.gpu_count;
					provider.listed_gpus = provider.listed_gpus.saturating_sub(gpus);
					if !leased {
						provider.committed_gpus = provider.committed_gpus.saturating_sub(gpus);
					}
				}
			});
			Self::deposit_event(Event::Delisted { machine });
		}
		was_listed
	}

	pub(crate) fn do_delist(who: T::AccountId, machine: MachineId) -> DispatchResult {
		Machines::<T>::try_mutate(machine, |record| {
			let record = record.as_mut().ok_or(Error::<T>::UnknownMachine)?;
			ensure!(record.provider == who, Error::<T>::NotOwner);
			ensure!(Self::withdraw_listing(machine, record), Error::<T>::NotListed);
			Ok(())
		})
	}

	/// Lists the whole fleet or, if any machine's terms are refused, none of it: every machine
	/// is checked before any is written.
	pub(crate) fn do_list_fleet(
		who: T::AccountId,
		fleet: FleetLabelOf<T>,
		terms: ListingTermsOf<T>,
	) -> Result<u32, sp_runtime::DispatchError> {
		let members = Fleets::<T>::get(&who, &fleet);
		ensure!(!members.is_empty(), Error::<T>::UnknownFleet);
		let records = members
			.iter()
			.map(|machine| Self::listable(&who, *machine, &terms).map(|record| (*machine, record)))
			.collect::<Result<alloc::vec::Vec<_>, _>>()?;
		let extra = records
			.iter()
			.map(|(machine, record)| Self::newly_listed_gpus(*machine, record))
			.fold((0u32, 0u32), |(l, c), (x, y)| (l.saturating_add(x), c.saturating_add(y)));
		Self::add_listed_gpus(&who, extra)?;
		// A machine the monitor cannot take fails the call, which rolls every write back.
		for (machine, record) in records {
			Self::store_listing(machine, record, &terms)?;
		}
		let count = members.len() as u32;
		Self::deposit_event(Event::FleetListed { provider: who, fleet, machines: count });
		Ok(count)
	}

	pub(crate) fn do_delist_fleet(
		who: T::AccountId,
		fleet: FleetLabelOf<T>,
	) -> Result<u32, sp_runtime::DispatchError> {
		let members = Fleets::<T>::get(&who, &fleet);
		ensure!(!members.is_empty(), Error::<T>::UnknownFleet);
		let mut delisted = 0u32;
		for machine in members.iter() {
			Machines::<T>::mutate(machine, |record| {
				if record.as_mut().is_some_and(|record| Self::withdraw_listing(*machine, record)) {
					delisted = delisted.saturating_add(1);
				}
			});
		}
		Self::deposit_event(Event::FleetDelisted { provider: who, fleet, machines: delisted });
		Ok(members.len() as u32)
	}
}
