//! Benchmark of `setParameter` (frame-benchmarking v2). It also runs as a test:
//! `cargo test -p pallet-governance --features runtime-benchmarks`.

use frame_benchmarking::v2::*;
use frame_support::traits::{dynamic_params::AggregatedKeyValue, EnsureOriginWithArg};

use crate::*;

#[benchmarks(where <T as pallet_parameters::Config>::RuntimeParameters: Default)]
mod benchmarks {
	use super::*;

	/// The runtime's default benchmark value: a parameter whose range reads others.
	#[benchmark]
	fn set_parameter() -> Result<(), BenchmarkError> {
		let key_value = <T as pallet_parameters::Config>::RuntimeParameters::default();
		let key = key_value.clone().into_parts().0;
		let origin = T::ParameterOrigin::try_successful_origin(&key)
			.map_err(|_| BenchmarkError::Weightless)?;
		assert!(T::ParameterRanges::in_range(&key_value), "the benchmark value is in range");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, key_value);

		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
