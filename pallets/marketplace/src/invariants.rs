//! What must always hold of the marketplace's storage; checked after every test and by
//! try-runtime.

use alloc::collections::{BTreeMap, BTreeSet};
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use gpux_primitives::{GpuClassId, LeaseMode, LeaseRegistry, MachineMonitor, ProviderBonds};
use sp_runtime::TryRuntimeError;

use crate::{
	ClassUsage, ClassUsages, ClassesToMatch, Config, Fleets, GpuClasses, HoldReason, JobBids,
	JobSchedule, JobStatus, Jobs, ListingIndex, MachineOfWorkerKey, Machines, MachinesOf,
	NextGpuClassId, NextJobId, NextMachineId, NextOrderId, OrderBooks, OrderExpiries, Orders,
	OrdersPerRenter, Pallet, PriceKey, Providers,
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
			// A slash may take the bond below what is leased; then nothing stays listed. A raised
			// bond per GPU binds only what is committed after it.
			ensure!(
				T::Bonds::backs_as_committed(&provider, committed) || listed == 0,
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
		Self::check_index_and_usage()?;
		Self::check_orders()?;
		Self::check_jobs()
	}

	/// Every job's next step is scheduled; bids belong to jobs open for bids; bid deposits
	/// held are the bids' deposits.
	fn check_jobs() -> Result<(), TryRuntimeError> {
		let next = NextJobId::<T>::get();
		for (id, job) in Jobs::<T>::iter() {
			ensure!(id < next, "job id at or above NextJobId");
			let due = match job.status {
				JobStatus::Bidding => Some(job.closes_at),
				JobStatus::Running { result_by, .. } => Some(result_by),
				JobStatus::ResultAttested { accept_by, .. } => Some(accept_by),
				JobStatus::Disputed { .. } => None,
			};
			if let Some(at) = due {
				ensure!(
					JobSchedule::<T>::get(at).contains(&id),
					"a job's next step is not scheduled"
				);
			}
		}
		let mut bid_deposits: BTreeMap<T::AccountId, u128> = BTreeMap::new();
		for (id, bids) in JobBids::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or("bids on no job")?;
			ensure!(job.status == JobStatus::Bidding, "bids on a job past its window");
			ensure!(
				bids.iter().map(|b| b.machine).collect::<BTreeSet<_>>().len() == bids.len(),
				"a machine bid twice"
			);
			for bid in bids {
				*bid_deposits.entry(bid.bidder).or_default() += bid.deposit;
			}
		}
		for account in frame_system::Account::<T>::iter_keys() {
			let held = T::Currency::balance_on_hold(&HoldReason::BidDeposit.into(), &account);
			let owed = bid_deposits.get(&account).copied().unwrap_or_default();
			ensure!(held == owed, "bid deposits held differ from the bids'");
		}
		Ok(())
	}

	/// The price index holds exactly the listed machines with a GPU free, at their prices; each
	/// class's usage is the sum of its listed machines'.
	fn check_index_and_usage() -> Result<(), TryRuntimeError> {
		let mut usage: BTreeMap<GpuClassId, ClassUsage> = BTreeMap::new();
		let mut indexed = 0usize;
		for (id, machine) in Machines::<T>::iter() {
			// A rent that preempts counts its GPUs while the spot leases it preempts still hold
			// theirs: leased GPUs may exceed the machine's for a notice period.
			let class = machine.spec.gpu_class;
			let Some(terms) = &machine.listing else { continue };
			let entry = usage.entry(class).or_default();
			entry.listed_gpus += machine.spec.gpu_count;
			entry.leased_gpus += machine.leased_gpus.min(machine.spec.gpu_count);
			let on_demand = ListingIndex::<T>::contains_key(
				(class, LeaseMode::OnDemand),
				PriceKey::new(terms.on_demand_price, id),
			);
			let spot = ListingIndex::<T>::contains_key(
				(class, LeaseMode::Spot),
				PriceKey::new(terms.spot_floor_price, id),
			);
			let free = machine.free_gpus() > 0;
			ensure!(on_demand == free && spot == free, "index disagrees with a listing");
			if free {
				indexed += 2;
			}
		}
		ensure!(ListingIndex::<T>::iter().count() == indexed, "index holds a stale entry");
		for (class, stored) in ClassUsages::<T>::iter() {
			let counted = usage.remove(&class).unwrap_or_default();
			ensure!(stored == counted, "class usage disagrees with its machines");
		}
		ensure!(usage.values().all(|u| *u == ClassUsage::default()), "class usage not stored");
		Ok(())
	}

	/// Every resting order sits once in its book, in price order, and once in its expiry slot.
	fn check_orders() -> Result<(), TryRuntimeError> {
		let next = NextOrderId::<T>::get();
		let mut booked = 0usize;
		for (book, orders) in OrderBooks::<T>::iter() {
			ensure!(!orders.is_empty(), "an empty book is stored");
			ensure!(
				orders.windows(2).all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)),
				"book out of price order"
			);
			for (price, id) in orders.iter() {
				let order = Orders::<T>::get(id).ok_or("book names no order")?;
				ensure!(order.terms.requirements.gpu_class == book, "order in another's book");
				ensure!(order.terms.max_price_per_gpu_hour == *price, "book price differs");
				booked += 1;
			}
		}
		let mut scheduled = 0usize;
		for (at, due) in OrderExpiries::<T>::iter() {
			for id in due.iter() {
				let order = Orders::<T>::get(id).ok_or("expiry names no order")?;
				ensure!(order.expires_at == at, "order scheduled at another block");
				scheduled += 1;
			}
		}
		let mut per_renter: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for order in Orders::<T>::iter_values() {
			*per_renter.entry(order.renter).or_default() += 1;
		}
		for (renter, count) in OrdersPerRenter::<T>::iter() {
			ensure!(per_renter.remove(&renter) == Some(count), "renter's order count disagrees");
			ensure!(count <= T::MaxOrdersPerRenter::get(), "renter has too many orders");
		}
		ensure!(per_renter.is_empty(), "a renter's orders are not counted");
		let orders = Orders::<T>::iter().count();
		ensure!(
			booked == orders && scheduled == orders,
			"an order is not booked or scheduled once"
		);
		ensure!(Orders::<T>::iter_keys().all(|id| id < next), "order id at or above NextOrderId");
		let queued = ClassesToMatch::<T>::get();
		ensure!(
			queued.iter().all(GpuClasses::<T>::contains_key)
				&& queued.iter().collect::<BTreeSet<_>>().len() == queued.len(),
			"match queue names an unknown class or one twice"
		);
		Ok(())
	}
}
