//! The pallets `gpux-node benchmark pallet` measures (build with `--features runtime-benchmarks`;
//! `scripts/benchmark.sh` weighs each of them and fails if this list and its own differ).

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_sudo, Sudo]
	[pallet_parameters, Parameters]
	[pallet_provider_staking, ProviderStaking]
	[pallet_marketplace, Marketplace]
	[pallet_leases, Leases]
	[pallet_attestation, Attestation]
	[pallet_governance, Governance]
	[pallet_scheduler, Scheduler]
	[pallet_preimage, Preimage]
	[pallet_referenda, Referenda]
	[pallet_conviction_voting, ConvictionVoting]
	[pallet_treasury, Treasury]
	[pallet_utility, Utility]
);

impl frame_system_benchmarking::Config for crate::Runtime {}
impl frame_benchmarking::baseline::Config for crate::Runtime {}
impl pallet_transaction_payment::BenchmarkConfig for crate::Runtime {}
