//! The per-class price index orders match from, and each class's usage: both follow every
//! change to a machine's listing or leased GPUs.

use gpux_primitives::{GpuClassId, LeaseMode, MachineId};

use crate::{
	ClassUsages, ClassesToMatch, Config, ListingIndex, MachineRecordOf, Machines, OrderBooks,
	Pallet, PriceKey,
};

/// A machine's two index entries: on-demand at its price, spot at its floor.
type Entries = [((GpuClassId, LeaseMode), PriceKey); 2];

impl<T: Config> Pallet<T> {
	/// Where `record` sits in the index: nowhere unless it is listed with a GPU free.
	fn index_entries(machine: MachineId, record: &MachineRecordOf<T>) -> Option<Entries> {
		let terms = record.listing.as_ref()?;
		let class = record.spec.gpu_class;
		(record.free_gpus() > 0).then(|| {
			[
				((class, LeaseMode::OnDemand), PriceKey::new(terms.on_demand_price, machine)),
				((class, LeaseMode::Spot), PriceKey::new(terms.spot_floor_price, machine)),
			]
		})
	}

	/// What `record` adds to its class's usage: its GPUs and its leased ones, if listed.
	fn usage_of(record: &MachineRecordOf<T>) -> (u32, u32) {
		if record.listing.is_some() {
			(record.spec.gpu_count, record.leased_gpus.min(record.spec.gpu_count))
		} else {
			(0, 0)
		}
	}

	/// Keeps the index and the class's usage in step with `machine`'s record going from
	/// `before` to `after` (`None`: not registered), and wakes the class's resting orders when
	/// capacity appeared (a listing, a lower price, a GPU freed).
	pub(crate) fn sync_market(
		machine: MachineId,
		before: Option<&MachineRecordOf<T>>,
		after: Option<&MachineRecordOf<T>>,
	) {
		let Some(class) = after.or(before).map(|r| r.spec.gpu_class) else { return };
		let old = before.and_then(|r| Self::index_entries(machine, r));
		let new = after.and_then(|r| Self::index_entries(machine, r));
		if old != new {
			for (bucket, key) in old.into_iter().flatten() {
				ListingIndex::<T>::remove(bucket, key);
			}
			for (bucket, key) in new.into_iter().flatten() {
				ListingIndex::<T>::insert(bucket, key, ());
			}
		}
		let (listed_before, leased_before) = before.map(Self::usage_of).unwrap_or_default();
		let (listed_after, leased_after) = after.map(Self::usage_of).unwrap_or_default();
		if (listed_before, leased_before) != (listed_after, leased_after) {
			ClassUsages::<T>::mutate(class, |usage| {
				usage.listed_gpus =
					usage.listed_gpus.saturating_sub(listed_before).saturating_add(listed_after);
				usage.leased_gpus =
					usage.leased_gpus.saturating_sub(leased_before).saturating_add(leased_after);
			});
		}
		let more_capacity = match (&old, &new) {
			(_, None) => false,
			(None, Some(_)) => true,
			(Some(old), Some(new)) => {
				new[0].1.price() < old[0].1.price()
					|| new[1].1.price() < old[1].1.price()
					|| after.map(|r| r.free_gpus()) > before.map(|r| r.free_gpus())
			},
		};
		if more_capacity {
			Self::capacity_appeared(class);
		}
	}

	/// Sets `machine`'s leased GPUs to `change(leased)`, keeping the index in step.
	pub(crate) fn change_leased_gpus(machine: MachineId, change: impl FnOnce(u32) -> u32) {
		Machines::<T>::mutate(machine, |record| {
			let Some(record) = record else { return };
			let before = record.clone();
			record.leased_gpus = change(record.leased_gpus);
			Self::sync_market(machine, Some(&before), Some(record));
		});
	}

	/// Queues `class` for resting-order matching, if any order rests that it could fill.
	fn capacity_appeared(class: GpuClassId) {
		let waiting = OrderBooks::<T>::decode_len(Some(class)).unwrap_or_default() > 0
			|| OrderBooks::<T>::decode_len(None::<GpuClassId>).unwrap_or_default() > 0;
		if waiting {
			ClassesToMatch::<T>::mutate(|classes| {
				// New capacity in the class being matched: its orders are all worth trying again.
				if classes.first() == Some(&class) {
					crate::MatchCursor::<T>::kill();
				}
				if !classes.contains(&class) {
					// Bounded by `MaxGpuClasses`: every class fits.
					let _ = classes.try_push(class);
				}
			});
		}
	}
}
