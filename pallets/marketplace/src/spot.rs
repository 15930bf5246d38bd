//! Spot prices: once per spot epoch each class's spot price moves with its utilization.

use frame_support::traits::Get;
use sp_runtime::{Permill, Saturating};

use crate::{ClassUsages, Config, Event, GpuClasses, NextGpuClassId, Pallet};

impl<T: Config> Pallet<T> {
	/// Moves every class's spot price one step toward its utilization target: up by
	/// `SpotStep × (u − target) ÷ (1 − target)` above the target, down by
	/// `SpotStep × (target − u) ÷ target` below it, so one epoch moves it at most `SpotStep`;
	/// then keeps it within the class's spot floor and MFP. Returns how many classes it moved.
	pub(crate) fn update_spot_prices() -> u32 {
		let band = T::MfpBand::get();
		let floor_share = T::SpotFloorShare::get();
		let target = T::SpotTargetUtilization::get();
		let step = T::SpotStep::get();
		let mut classes = 0u32;
		for class in 0..NextGpuClassId::<T>::get() {
			GpuClasses::<T>::mutate(class, |gpu_class| {
				let Some(gpu_class) = gpu_class else { return };
				classes.saturating_inc();
				let utilization = ClassUsages::<T>::get(class).utilization();
				let price = gpu_class.spot_price(band, floor_share);
				let moved = if utilization > target {
					let over = Permill::from_rational(
						utilization.deconstruct().saturating_sub(target.deconstruct()),
						Permill::one().deconstruct().saturating_sub(target.deconstruct()),
					);
					price.saturating_add(step * (over * price))
				} else {
					let under = Permill::from_rational(
						target.deconstruct().saturating_sub(utilization.deconstruct()),
						target.deconstruct().max(1),
					);
					price.saturating_sub(step * (under * price))
				};
				gpu_class.spot_price =
					moved.min(gpu_class.mfp(band)).max(gpu_class.spot_floor(band, floor_share));
				Self::deposit_event(Event::SpotPriceMoved {
					class,
					spot_price: gpu_class.spot_price,
					utilization,
				});
			});
		}
		classes
	}
}
