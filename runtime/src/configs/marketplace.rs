use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;

use crate::{AccountId, Attestation, Leases, ProviderStaking, Runtime, RuntimeEvent};

parameter_types! {
	pub const MaxMachinesPerProvider: u32 = 256;
}

impl pallet_marketplace::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Sudo until governance's market_admin track exists.
	type AdminOrigin = EnsureRoot<AccountId>;
	type Leases = Leases;
	type Bonds = ProviderStaking;
	type Monitor = Attestation;
	type MaxMetadataLen = ConstU32<256>;
	type MaxModelLen = ConstU32<64>;
	type MaxFleetLabelLen = ConstU32<32>;
	type MaxMachinesPerProvider = MaxMachinesPerProvider;
	type MaxFleetSize = ConstU32<64>;
	// A heartbeat reports at most this many GPUs: a bigger machine could never match its spec.
	type MaxGpusPerMachine = ConstU32<{ gpux_primitives::attestation::MAX_GPUS_PER_MACHINE }>;
	type MaxGpuClasses = ConstU32<64>;
	type WeightInfo = pallet_marketplace::weights::SubstrateWeight<Runtime>;
}
