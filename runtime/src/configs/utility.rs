use crate::{OriginCaller, Runtime, RuntimeCall, RuntimeEvent};

// Batches: several parameter changes in one proposal, or a provider's settlements in one
// transaction.
impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = crate::weights::pallet_utility::WeightInfo<Runtime>;
}
