//! GPU classes and their price ceilings, set by governance.

use frame_support::{ensure, pallet_prelude::DispatchResult, traits::Get};
use gpux_primitives::{Balance, GpuClassId};
use sp_runtime::Permill;

use crate::{Config, Error, Event, GpuClass, GpuClasses, ModelOf, NextGpuClassId, Pallet};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_add_gpu_class(
		model: ModelOf<T>,
		vram_gib: u32,
		price_ceiling: Balance,
	) -> Result<GpuClassId, sp_runtime::DispatchError> {
		ensure!(
			vram_gib > 0 && price_ceiling > 0 && !model.is_empty(),
			Error::<T>::InvalidGpuClass
		);
		let class = NextGpuClassId::<T>::get();
		ensure!(class < T::MaxGpuClasses::get(), Error::<T>::TooManyGpuClasses);
		NextGpuClassId::<T>::put(class.checked_add(1).ok_or(Error::<T>::Overflow)?);
		let mut gpu_class = GpuClass {
			model,
			vram_gib,
			price_ceiling,
			reference_price: price_ceiling,
			spot_price: 0,
		};
		// A new class's spot price starts at its floor: utilization raises it.
		gpu_class.spot_price = gpu_class.spot_floor(T::MfpBand::get(), T::SpotFloorShare::get());
		GpuClasses::<T>::insert(class, gpu_class);
		Self::deposit_event(Event::GpuClassAdded { class, vram_gib, price_ceiling });
		Ok(class)
	}

	pub(crate) fn do_set_gpu_class_ceiling(
		class: GpuClassId,
		price_ceiling: Balance,
	) -> DispatchResult {
		ensure!(price_ceiling > 0, Error::<T>::InvalidGpuClass);
		GpuClasses::<T>::try_mutate(class, |gpu_class| {
			let gpu_class = gpu_class.as_mut().ok_or(Error::<T>::UnknownGpuClass)?;
			gpu_class.price_ceiling = price_ceiling;
			Self::deposit_event(Event::GpuClassCeilingSet { class, price_ceiling });
			Ok(())
		})
	}

	pub(crate) fn do_set_reference_price(
		class: GpuClassId,
		reference_price: Balance,
	) -> DispatchResult {
		ensure!(reference_price > 0, Error::<T>::InvalidGpuClass);
		GpuClasses::<T>::try_mutate(class, |gpu_class| {
			let gpu_class = gpu_class.as_mut().ok_or(Error::<T>::UnknownGpuClass)?;
			gpu_class.reference_price = reference_price;
			let mfp = gpu_class.mfp(T::MfpBand::get());
			Self::deposit_event(Event::ReferencePriceSet { class, reference_price, mfp });
			Ok(())
		})
	}

	/// The class's Maximum Fair Price now; `None` for an unknown class.
	pub fn mfp(class: GpuClassId) -> Option<Balance> {
		GpuClasses::<T>::get(class).map(|c| c.mfp(T::MfpBand::get()))
	}

	/// The class's spot price now (the least a spot lease bids); `None` for an unknown class.
	pub fn spot_price(class: GpuClassId) -> Option<Balance> {
		GpuClasses::<T>::get(class)
			.map(|c| c.spot_price(T::MfpBand::get(), T::SpotFloorShare::get()))
	}

	/// Moves the class's reference price toward `price` (clamped first to between
	/// `reference × (1 − band)` and the MFP, so a self-dealt lease at an absurd price, high or
	/// low, counts as one at the band's edge), by `PriceSmoothing`
	/// scaled by `value ÷ FullWeightLeaseValue` (at most 1), `value` being what the lease
	/// paid: a cheap lease barely moves it.
	pub(crate) fn record_lease_price(class: GpuClassId, price: Balance, value: Balance) {
		GpuClasses::<T>::mutate(class, |gpu_class| {
			let Some(gpu_class) = gpu_class else { return };
			let band = T::MfpBand::get();
			let reference = gpu_class.reference_price;
			let floor = reference.saturating_sub(band * reference);
			let sample = price.min(gpu_class.mfp(band)).max(floor);
			let full = T::FullWeightLeaseValue::get().max(1);
			let weight = T::PriceSmoothing::get() * Permill::from_rational(value.min(full), full);
			gpu_class.reference_price = if sample >= reference {
				reference.saturating_add(weight * sample.saturating_sub(reference))
			} else {
				reference.saturating_sub(weight * reference.saturating_sub(sample))
			}
			// Never zero: a zero reference would refuse every listing.
			.max(1);
		});
	}
}
