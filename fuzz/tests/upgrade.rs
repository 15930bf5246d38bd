//! The runtime upgrade rehearsed on a populated dev chain: `snapshots/dev.scale` is the state
//! of a development chain after 4,000 fuzzed calls on spec 131 (`gpux-fuzz --seed 2 --calls
//! 4000 --snapshot ...`: closed leases, bonds and unbonding, pending slashes, orders, machines
//! and listings; docs/RELIABILITY.md). This build's migrations run on it with every
//! `pre_upgrade`/`post_upgrade` and every pallet's `try_state`, nothing held is lost, and the
//! chain goes on: more fuzzed blocks on the upgraded state break no invariant.

use codec::Decode;
use frame_support::traits::{GetStorageVersion, UpgradeCheckSelect};
use gpux_fuzz::{chain::Chain, invariants, run_on, Config};
use gpux_runtime::{Executive, Runtime, System};

fn snapshot() -> Chain {
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/dev.scale");
	let bytes = std::fs::read(path).expect("the snapshot is in the repository");
	let pairs = Vec::<(Vec<u8>, Vec<u8>)>::decode(&mut &bytes[..]).expect("the snapshot decodes");
	Chain::from_snapshot(pairs)
}

/// Every account's (free, reserved), and how many of each market record there are.
fn holdings() -> (Vec<(gpux_runtime::AccountId, u128, u128)>, [usize; 6]) {
	let accounts = frame_system::Account::<Runtime>::iter()
		.map(|(who, a)| (who, a.data.free, a.data.reserved))
		.collect();
	let counts = [
		pallet_leases::Leases::<Runtime>::iter_keys().count(),
		pallet_provider_staking::Bonds::<Runtime>::iter_keys().count(),
		pallet_provider_staking::Slashes::<Runtime>::iter_keys().count(),
		pallet_attestation::Challenges::<Runtime>::iter_keys().count(),
		pallet_marketplace::Orders::<Runtime>::iter_keys().count(),
		pallet_marketplace::Machines::<Runtime>::iter_keys().count(),
	];
	(accounts, counts)
}

#[test]
fn the_snapshot_holds_what_an_upgrade_must_keep() {
	let mut chain = snapshot();
	chain.read(|| {
		gpux_fuzz::populated().expect("the snapshot holds every kind of record");
		// ...and it is sound as it is.
		invariants::check(true, None).expect("the snapshot's invariants hold");
	});
}

#[test]
fn the_upgrade_keeps_every_balance_and_record_and_the_chain_goes_on() {
	let mut chain = snapshot();
	chain.read(|| {
		let before = holdings();
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.expect("every migration's checks and every try_state pass");
		assert_eq!(holdings(), before, "the upgrade moved no money and dropped no record");
		invariants::check(true, None).expect("every invariant holds after the upgrade");
		// Every pallet's storage is at the version its code declares.
		macro_rules! at_code_version {
			($($pallet:ty),*) => {$(
				assert_eq!(
					<$pallet>::on_chain_storage_version(),
					<$pallet>::in_code_storage_version(),
					stringify!($pallet)
				);
			)*};
		}
		at_code_version!(
			pallet_attestation::Pallet<Runtime>,
			pallet_leases::Pallet<Runtime>,
			pallet_marketplace::Pallet<Runtime>,
			pallet_provider_staking::Pallet<Runtime>,
			pallet_reputation::Pallet<Runtime>,
			pallet_governance::Pallet<Runtime>
		);
		assert!(System::block_number() > 0);
	});
	let config = Config { seed: 7, calls: 3_000, ..Config::default() };
	run_on(&mut chain, &config, |_| {}).unwrap_or_else(|finding| panic!("{finding}"));
}
