//! GPU classes and their price ceilings, set by governance.

use frame_support::{ensure, pallet_prelude::DispatchResult, traits::Get};
use gpux_primitives::{Balance, GpuClassId};

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
		GpuClasses::<T>::insert(class, GpuClass { model, vram_gib, price_ceiling });
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
}
