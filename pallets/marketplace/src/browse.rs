//! The listing search behind `MarketplaceApi` (read-only, off-chain).

use alloc::vec::Vec;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	reputation_adjusted_price, version_at_least, Balance, GpuClassId, LeaseMode, MachineId,
	NoMatch, Requirements,
};
use sp_runtime::Permill;

use crate::{
	runtime_api::{
		ListingFilter, ListingSort, ListingView, MachineHealth, Page, MAX_PAGE_LEN,
		MAX_SCANNED_MACHINES,
	},
	Config, GpuClasses, Machines, Pallet,
};

impl<T: Config> Pallet<T> {
	/// Listed machines matching `filter`, sorted and paged. `free_gpus(machine, gpu_count)` says
	/// how many GPUs no lease holds (the leases pallet knows), `reputation(machine)` the
	/// machine's score (the reputation pallet knows), `health(machine)` its last driver and
	/// uptime (the attestation pallet knows). Looks at no more than `MAX_SCANNED_MACHINES`
	/// machines.
	pub fn listings(
		filter: ListingFilter,
		sort: ListingSort,
		page: Page,
		free_gpus: impl Fn(MachineId, u32) -> u32,
		reputation: impl Fn(MachineId) -> Permill,
		health: impl Fn(MachineId) -> MachineHealth,
	) -> Vec<ListingView<T::AccountId, BlockNumberFor<T>>> {
		let spot = filter.mode == Some(LeaseMode::Spot);
		let band = T::MfpBand::get();
		let price = |view: &ListingView<T::AccountId, BlockNumberFor<T>>| -> Balance {
			view.price_per_gpu_hour
		};
		let mut matches: Vec<_> = Machines::<T>::iter()
			.take(MAX_SCANNED_MACHINES as usize)
			.filter_map(|(machine, mut record)| {
				let terms = record.listing.take()?;
				let class = GpuClasses::<T>::get(record.spec.gpu_class)?;
				let score = reputation(machine);
				let price_per_gpu_hour =
					if spot { terms.spot_floor_price } else { terms.on_demand_price };
				// A listing the MFP has fallen below cannot be rented until it is repriced.
				if price_per_gpu_hour > class.mfp(band) {
					return None;
				}
				let free = free_gpus(machine, record.spec.gpu_count);
				let facts = (price_per_gpu_hour, free, score, health(machine));
				let view = Self::view(machine, record, terms, class.model.into_inner(), facts);
				Self::matches(&filter, &view).then_some(view)
			})
			.collect();
		matches.sort_by(|a, b| match sort {
			ListingSort::PriceAscending => (price(a), a.machine).cmp(&(price(b), b.machine)),
			ListingSort::PriceDescending => (price(b), a.machine).cmp(&(price(a), b.machine)),
			ListingSort::ReputationDescending => {
				(b.reputation, price(a), a.machine).cmp(&(a.reputation, price(b), b.machine))
			},
			ListingSort::AdjustedPriceAscending => {
				(a.adjusted_price, a.machine).cmp(&(b.adjusted_price, b.machine))
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
	) -> bool {
		let spec = &view.spec;
		let lease_bounds = |blocks: u32| {
			let blocks: BlockNumberFor<T> = blocks.into();
			view.terms.min_lease_blocks <= blocks && blocks <= view.terms.max_lease_blocks
		};
		filter.gpu_class.is_none_or(|c| c == spec.gpu_class)
			&& filter.model.as_ref().is_none_or(|m| contains(&view.model, m))
			&& filter.min_vram_gib.is_none_or(|v| spec.vram_gib_per_gpu >= v)
			&& filter.min_free_gpus.is_none_or(|g| view.free_gpus >= g)
			&& filter.max_price.is_none_or(|p| view.price_per_gpu_hour <= p)
			&& filter.country.is_none_or(|c| c == view.region.country)
			&& filter.min_reputation.is_none_or(|r| view.reputation >= r)
			&& filter.min_cpu_cores.is_none_or(|c| spec.cpu_cores >= c)
			&& filter.min_ram_gib.is_none_or(|r| spec.ram_gib >= r)
			&& filter.min_disk_gib.is_none_or(|d| spec.disk_gib >= d)
			&& filter.min_bandwidth_up_mbps.is_none_or(|b| spec.bandwidth_up_mbps >= b)
			&& filter.min_bandwidth_down_mbps.is_none_or(|b| spec.bandwidth_down_mbps >= b)
			&& filter.min_compute_capability.is_none_or(|c| spec.compute_capability >= c)
			&& filter.access.is_none_or(|method| view.terms.access.offers(method))
			&& filter.lease_blocks.is_none_or(lease_bounds)
			&& filter.min_driver_version.as_ref().is_none_or(|want| {
				view.driver_version.as_ref().is_some_and(|have| version_at_least(have, want))
			}) && filter.min_uptime.is_none_or(|u| view.uptime.is_some_and(|have| have >= u))
	}

	/// The listing an order for `gpus` GPUs over `duration` blocks in `mode` meeting
	/// `requirements` would fill from now (on one machine, at any price up to the MFP), with the
	/// price it would pay; otherwise why none fits. The same search as `place_order`.
	pub fn best_listing(
		requirements: &Requirements,
		gpus: u32,
		duration: BlockNumberFor<T>,
		mode: LeaseMode,
	) -> Result<ListingView<T::AccountId, BlockNumberFor<T>>, NoMatch> {
		let terms = crate::OrderTerms {
			requirements: requirements.clone(),
			gpus,
			duration,
			mode,
			max_price_per_gpu_hour: Balance::MAX,
			split_across_fleet: false,
		};
		let fills = Self::find_match(&terms, None)?;
		let fill = fills.first().ok_or(NoMatch::NoCapacity)?;
		let mut record = Machines::<T>::get(fill.machine).ok_or(NoMatch::NoCapacity)?;
		let listing = record.listing.take().ok_or(NoMatch::NoCapacity)?;
		let class = GpuClasses::<T>::get(record.spec.gpu_class).ok_or(NoMatch::UnknownGpuClass)?;
		let score =
			<T::Reputation as gpux_primitives::ReputationScores<T::AccountId>>::machine_score(
				fill.machine,
			);
		let facts = (fill.price, record.free_gpus(), score, MachineHealth::default());
		Ok(Self::view(fill.machine, record, listing, class.model.into_inner(), facts))
	}

	/// How a renter sees `machine`'s listing: `facts` are the price its mode pays, its free
	/// GPUs, its reputation score and its health.
	fn view(
		machine: MachineId,
		record: crate::MachineRecordOf<T>,
		terms: crate::ListingTermsOf<T>,
		model: Vec<u8>,
		(price_per_gpu_hour, free_gpus, reputation, health): (Balance, u32, Permill, MachineHealth),
	) -> ListingView<T::AccountId, BlockNumberFor<T>> {
		ListingView {
			machine,
			free_gpus,
			reputation,
			provider: record.provider,
			model,
			spec: record.spec,
			region: record.region,
			terms,
			price_per_gpu_hour,
			adjusted_price: reputation_adjusted_price(price_per_gpu_hour, reputation),
			driver_version: health.driver_version,
			uptime: health.uptime,
		}
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
