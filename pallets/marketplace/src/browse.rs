//! The listing search behind `MarketplaceApi` (read-only, off-chain).

use alloc::vec::Vec;
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{Balance, GpuClassId, LeaseMode, MachineId};
use sp_runtime::Permill;

use crate::{
	runtime_api::{
		ListingFilter, ListingSort, ListingView, Page, MAX_PAGE_LEN, MAX_SCANNED_MACHINES,
	},
	Config, GpuClasses, Machines, Pallet,
};

impl<T: Config> Pallet<T> {
	/// Listed machines matching `filter`, sorted and paged. `free_gpus(machine, gpu_count)` says
	/// how many GPUs no lease holds (the leases pallet knows), `reputation(machine)` the
	/// machine's score (the reputation pallet knows). Looks at no more than
	/// `MAX_SCANNED_MACHINES` machines.
	pub fn listings(
		filter: ListingFilter,
		sort: ListingSort,
		page: Page,
		free_gpus: impl Fn(MachineId, u32) -> u32,
		reputation: impl Fn(MachineId) -> Permill,
	) -> Vec<ListingView<T::AccountId, BlockNumberFor<T>>> {
		let spot = filter.mode == Some(LeaseMode::Spot);
		let price = |view: &ListingView<T::AccountId, BlockNumberFor<T>>| -> Balance {
			if spot {
				view.terms.spot_floor_price
			} else {
				view.terms.on_demand_price
			}
		};
		let mut matches: Vec<_> = Machines::<T>::iter()
			.take(MAX_SCANNED_MACHINES as usize)
			.filter_map(|(machine, record)| {
				let terms = record.listing?;
				let class = GpuClasses::<T>::get(record.spec.gpu_class)?;
				let view = ListingView {
					machine,
					free_gpus: free_gpus(machine, record.spec.gpu_count),
					reputation: reputation(machine),
					provider: record.provider,
					model: class.model.into_inner(),
					spec: record.spec,
					region: record.region,
					terms,
				};
				Self::matches(&filter, &view, price(&view)).then_some(view)
			})
			.collect();
		matches.sort_by(|a, b| match sort {
			ListingSort::PriceAscending => (price(a), a.machine).cmp(&(price(b), b.machine)),
			ListingSort::PriceDescending => (price(b), a.machine).cmp(&(price(a), b.machine)),
			ListingSort::ReputationDescending => {
				(b.reputation, price(a), a.machine).cmp(&(a.reputation, price(b), b.machine))
			},
		});
		matches
			.into_iter()
			.skip(page.offset as usize)
			.take(page.limit.min(MAX_PAGE_LEN) as usize)
			.collect()
	}

	fn matches(
		filter: &ListingFilter,
		view: &ListingView<T::AccountId, BlockNumberFor<T>>,
		price: Balance,
	) -> bool {
		filter.gpu_class.is_none_or(|c| c == view.spec.gpu_class)
			&& filter.model.as_ref().is_none_or(|m| contains(&view.model, m))
			&& filter.min_vram_gib.is_none_or(|v| view.spec.vram_gib_per_gpu >= v)
			&& filter.min_free_gpus.is_none_or(|g| view.free_gpus >= g)
			&& filter.max_price.is_none_or(|p| price <= p)
			&& filter.country.is_none_or(|c| c == view.region.country)
			&& filter.min_reputation.is_none_or(|r| view.reputation >= r)
	}

	/// Every GPU class: id, model, VRAM per GPU, price ceiling.
	pub fn gpu_class_list() -> Vec<(GpuClassId, Vec<u8>, u32, Balance)> {
		GpuClasses::<T>::iter()
			.map(|(id, c)| (id, c.model.into_inner(), c.vram_gib, c.price_ceiling))
			.collect()
	}
}

/// Whether `needle` occurs in `haystack` (an empty needle always does).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
	needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}
