//! Runtime-level tests with the real runtime's configuration.

use frame_support::{
	assert_noop, assert_ok,
	traits::{Get, IntegrityTest},
};
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie};
use sp_runtime::{BuildStorage, TokenError};

use crate::{
	genesis_config_presets::{self, ENDOWMENT},
	AllPalletsWithSystem, Balances, Runtime, RuntimeEvent, RuntimeGenesisConfig, RuntimeOrigin,
	System, EXISTENTIAL_DEPOSIT, UNITS,
};

/// Applies `patch` over `base` the way the node's chain-spec builder does.
fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				json_merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// The genesis a preset describes, as the node would build it.
fn genesis_of(preset: &str) -> RuntimeGenesisConfig {
	let patch = genesis_config_presets::get_preset(&preset.into()).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	json_merge(&mut config, serde_json::from_slice(&patch).unwrap());
	serde_json::from_value(config).expect("preset deserializes into the genesis config")
}

fn dev_ext() -> sp_io::TestExternalities {
	let storage = genesis_of(sp_genesis_builder::DEV_RUNTIME_PRESET).build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	// Events are only recorded from block 1 on.
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Advances to block `n`, running every pallet's `on_initialize` on each new block.
fn run_to_block(n: crate::BlockNumber) {
	use frame_support::traits::OnInitialize;
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		<AllPalletsWithSystem as OnInitialize<crate::BlockNumber>>::on_initialize(next);
	}
}

/// `provider` registers a machine of `spec` in France whose worker key comes from `seed`, with
/// the key's proof of possession; returns the machine.
fn register_machine_with_worker(
	provider: &crate::AccountId,
	spec: &gpux_primitives::MachineSpec,
	seed: [u8; 32],
) -> u64 {
	let genesis = gpux_primitives::attestation::hash32(System::block_hash(0));
	let possession = gpux_primitives::attestation::key_possession_message(&genesis, provider);
	let worker = <sp_core::sr25519::Pair as sp_core::Pair>::from_seed(&seed);
	let machine = pallet_marketplace::NextMachineId::<Runtime>::get();
	assert_ok!(crate::Marketplace::register_machine(
		RuntimeOrigin::signed(provider.clone()),
		spec.clone(),
		sp_core::Pair::public(&worker),
		sp_core::Pair::sign(&worker, &possession),
		gpux_primitives::Region { country: *b"FR", location: None },
		None
	));
	machine
}

/// Bob rents one of the demo machine's (0) GPUs for an hour at 0.5 GPUX; returns the lease.
fn bob_rents_a_demo_gpu_for_an_hour() -> u64 {
	let lease = pallet_leases::NextLeaseId::<Runtime>::get();
	assert_ok!(crate::Leases::rent(
		RuntimeOrigin::signed(Bob.to_account_id()),
		0,
		1,
		gpux_primitives::LeaseMode::OnDemand,
		600,
		500 * crate::MILLI_UNITS,
		gpux_primitives::AccessSpec::example(),
	));
	lease
}

#[test]
fn every_preset_builds_a_genesis_state() {
	let names = genesis_config_presets::preset_names();
	assert_eq!(names.len(), 2);
	for name in names {
		let storage = genesis_of(&name).build_storage();
		assert!(storage.is_ok(), "preset {name} fails to build: {storage:?}");
	}
	assert!(genesis_config_presets::get_preset(&"no_such_preset".into()).is_none());
}

#[test]
fn presets_name_the_expected_validators() {
	let dev = genesis_of(sp_genesis_builder::DEV_RUNTIME_PRESET);
	assert_eq!(dev.aura.authorities.len(), 1);
	assert_eq!(dev.grandpa.authorities.len(), 1);
	let local = genesis_of(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET);
	assert_eq!(local.aura.authorities.len(), 4);
	assert_eq!(local.grandpa.authorities.len(), 4);
	// Only the development chain has a sudo key; the local network is governed by referenda.
	assert_eq!(dev.sudo.key, Some(Alice.to_account_id()));
	assert_eq!(local.sudo.key, None);
}

#[test]
fn dev_accounts_are_endowed() {
	dev_ext().execute_with(|| {
		assert_eq!(Balances::free_balance(Alice.to_account_id()), ENDOWMENT);
		assert_eq!(Balances::free_balance(Bob.to_account_id()), ENDOWMENT);
	});
}

#[test]
fn balance_transfer_moves_funds_and_emits_transfer() {
	dev_ext().execute_with(|| {
		let (alice, bob) = (Alice.to_account_id(), Bob.to_account_id());
		let issuance = Balances::total_issuance();
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(alice.clone()),
			bob.clone().into(),
			10 * UNITS,
		));
		assert_eq!(Balances::free_balance(&alice), ENDOWMENT - 10 * UNITS);
		assert_eq!(Balances::free_balance(&bob), ENDOWMENT + 10 * UNITS);
		assert_eq!(Balances::total_issuance(), issuance);
		System::assert_last_event(RuntimeEvent::Balances(pallet_balances::Event::Transfer {
			from: alice,
			to: bob,
			amount: 10 * UNITS,
		}));
	});
}

#[test]
fn existential_deposit_is_enforced() {
	dev_ext().execute_with(|| {
		let alice = Alice.to_account_id();
		// An account no preset endows.
		let fresh = crate::AccountId::new([7u8; 32]);
		assert_eq!(Balances::free_balance(&fresh), 0);

		// Creating an account with less than the existential deposit is refused.
		assert_noop!(
			Balances::transfer_allow_death(
				RuntimeOrigin::signed(alice.clone()),
				fresh.clone().into(),
				EXISTENTIAL_DEPOSIT - 1,
			),
			TokenError::BelowMinimum
		);

		// `transfer_keep_alive` refuses to take the sender below the existential deposit.
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(alice.clone()),
			fresh.clone().into(),
			EXISTENTIAL_DEPOSIT + 1,
		));
		assert_noop!(
			Balances::transfer_keep_alive(
				RuntimeOrigin::signed(fresh.clone()),
				alice.clone().into(),
				2,
			),
			TokenError::NotExpendable
		);

		// Going below it with `transfer_allow_death` reaps the account: the dust is gone.
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(fresh.clone()),
			Charlie.to_account_id().into(),
			2,
		));
		assert_eq!(Balances::free_balance(&fresh), 0);
		assert!(!System::account_exists(&fresh));
	});
}

#[test]
fn integrity_tests_pass() {
	dev_ext().execute_with(AllPalletsWithSystem::integrity_test);
}

#[test]
fn chain_properties_constants_match_the_design() {
	assert_eq!(crate::TOKEN_SYMBOL, "GPUX");
	assert_eq!(crate::TOKEN_DECIMALS, 12);
	assert_eq!(<Runtime as frame_system::Config>::SS58Prefix::get(), crate::SS58_PREFIX);
	assert_eq!(crate::time::BLOCKS_PER_HOUR, 600);
}

mod market {
	use super::*;
	use frame_support::traits::fungible::InspectHold;
	use gpux_primitives::{AccessSpec, LeaseMode};
	use sp_keyring::Sr25519Keyring::Ferdie;

	use crate::{configs::TreasuryAccount, Leases, MILLI_UNITS};

	fn access() -> AccessSpec {
		AccessSpec::example()
	}

	#[test]
	fn dev_chain_lists_the_demo_machine() {
		dev_ext().execute_with(|| {
			let listed =
				<crate::Marketplace as gpux_primitives::MachineRegistry<_, _, _>>::listed_machine(
					0,
				)
				.expect("machine 0 is listed");
			assert_eq!(listed.provider, Ferdie.to_account_id());
			assert_eq!(listed.gpu_count, 2);
			assert_eq!(listed.terms.on_demand_price, 500 * MILLI_UNITS);
		});
	}

	#[test]
	fn rent_settle_terminate_adds_up_to_the_unit() {
		dev_ext().execute_with(|| {
			let (bob, ferdie, charlie) =
				(Bob.to_account_id(), Ferdie.to_account_id(), Charlie.to_account_id());
			let treasury = TreasuryAccount::get();
			let issuance = Balances::total_issuance();
			let start = (
				Balances::free_balance(&bob),
				Balances::free_balance(&ferdie),
				Balances::free_balance(&treasury),
			);

			// One RTX 4090 for an hour (600 blocks) at 0.5 GPUX per GPU-hour.
			assert_ok!(Leases::rent(
				RuntimeOrigin::signed(bob.clone()),
				0,
				1,
				LeaseMode::OnDemand,
				600,
				500 * MILLI_UNITS,
				access()
			));
			let escrow_reason = pallet_leases::HoldReason::LeaseEscrow.into();
			assert_eq!(Balances::balance_on_hold(&escrow_reason, &bob), 500 * MILLI_UNITS);

			// (The demo machine runs no worker here: the chain would report it offline at the
			// check of window 3, block 40, so the lease ends before that.)
			// 12 blocks later anyone settles: 0.01 GPUX accrued, 5 % of it to the treasury.
			run_to_block(13);
			assert_ok!(Leases::settle(RuntimeOrigin::signed(charlie), 0));
			assert_eq!(Balances::free_balance(&ferdie) - start.1, 95 * MILLI_UNITS / 10);
			assert_eq!(Balances::free_balance(&treasury) - start.2, 5 * MILLI_UNITS / 10);

			// At block 31 Bob terminates: 0.025 GPUX paid in all, the rest refunded.
			run_to_block(31);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(bob.clone()), 0));
			assert_eq!(Balances::balance_on_hold(&escrow_reason, &bob), 0);
			assert_eq!(start.0 - Balances::free_balance(&bob), 25 * MILLI_UNITS);
			assert_eq!(Balances::free_balance(&ferdie) - start.1, 2375 * MILLI_UNITS / 100);
			assert_eq!(Balances::free_balance(&treasury) - start.2, 125 * MILLI_UNITS / 100);
			assert_eq!(Balances::total_issuance(), issuance);
		});
	}

	/// Lists 30 machines of 16 GPUs for each of `providers`, bonded for them, on the demo
	/// machine's terms; returns them.
	fn sixteen_gpu_machines(providers: &[sp_keyring::Sr25519Keyring]) -> Vec<u64> {
		use crate::{Marketplace, ProviderStaking, UNITS};
		let template = pallet_marketplace::Machines::<Runtime>::get(0).unwrap();
		let (mut spec, terms) = (template.spec, template.listing.unwrap());
		spec.gpu_count = 16;
		let mut machines = Vec::new();
		for (p, provider) in providers.iter().enumerate() {
			let who = RuntimeOrigin::signed(provider.to_account_id());
			assert_ok!(Marketplace::register_provider(who.clone(), Default::default()));
			assert_ok!(ProviderStaking::bond(who.clone(), 100_000 * UNITS));
			for m in 0..30u8 {
				let mut seed = [0u8; 32];
				(seed[0], seed[1]) = (p as u8 + 1, m);
				let machine = register_machine_with_worker(&provider.to_account_id(), &spec, seed);
				assert_ok!(Marketplace::set_listing(who.clone(), machine, terms.clone()));
				machines.push(machine);
			}
		}
		machines
	}

	/// Issue #13: 1,800 one-GPU leases of the same duration, rented in one block over 120
	/// machines, all open; each closes within `MaxCloseDelay` blocks of its end.
	#[test]
	fn eighteen_hundred_same_duration_rents_in_one_block_all_close_on_time() {
		use sp_keyring::Sr25519Keyring::{Dave, Eve};
		dev_ext().execute_with(|| {
			let machines = sixteen_gpu_machines(&[Alice, Charlie, Dave, Eve]);
			let first = pallet_leases::NextLeaseId::<Runtime>::get();
			for i in 0..1_800usize {
				assert_ok!(Leases::rent(
					RuntimeOrigin::signed(Bob.to_account_id()),
					machines[i / 15],
					1,
					LeaseMode::OnDemand,
					20,
					500 * MILLI_UNITS,
					access()
				));
			}
			let leases = first..first + 1_800;
			let ends_at = System::block_number() + 20;
			assert!(leases
				.clone()
				.all(|l| pallet_leases::Leases::<Runtime>::get(l)
					.is_some_and(|r| r.ends_at == ends_at)));
			let delay: u32 = <Runtime as pallet_leases::Config>::MaxCloseDelay::get();
			run_to_block(ends_at + delay);
			for lease in leases {
				let record = pallet_leases::Leases::<Runtime>::get(lease).unwrap();
				assert_eq!(
					record.status,
					pallet_leases::LeaseStatus::Closed {
						reason: pallet_leases::CloseReason::Expired
					},
					"lease {lease}"
				);
				assert!(record.closes_at <= ends_at + delay);
			}
		});
	}

	/// Issue #13: a rent of free GPUs, with the base extrinsic weight, lets at least 1,800 into
	/// one block's normal share.
	#[test]
	fn a_block_holds_1800_rents_of_free_gpus() {
		use pallet_leases::weights::WeightInfo;
		let normal = crate::configs::RuntimeBlockWeights::get();
		let normal = normal.get(frame_support::dispatch::DispatchClass::Normal);
		let max = normal.max_extrinsic.expect("normal extrinsics are limited");
		let each = <<Runtime as pallet_leases::Config>::WeightInfo as WeightInfo>::rent_free()
			.saturating_add(normal.base_extrinsic);
		let by_weight = max.ref_time() / each.ref_time();
		println!("rents of free GPUs per block by weight: {by_weight}");
		assert!(by_weight >= 1_800, "{by_weight} rents by weight");
	}
}

mod orders {
	use super::*;
	use frame_support::traits::fungible::InspectHold;
	use gpux_primitives::{AccessSpec, LeaseMode, Requirements};

	use crate::{Leases, Marketplace, MILLI_UNITS};

	fn order(
		who: &crate::AccountId,
		gpus: u32,
	) -> frame_support::dispatch::DispatchResultWithPostInfo {
		Marketplace::place_order(
			RuntimeOrigin::signed(who.clone()),
			Requirements { gpu_class: Some(0), ..Default::default() },
			gpus,
			60,
			LeaseMode::OnDemand,
			600 * MILLI_UNITS,
			100,
			AccessSpec::example(),
			false,
		)
	}

	#[test]
	fn an_order_leases_the_demo_machine_and_a_resting_one_fills_when_it_frees() {
		dev_ext().execute_with(|| {
			let (bob, charlie) = (Bob.to_account_id(), Charlie.to_account_id());
			let escrow = pallet_leases::HoldReason::LeaseEscrow.into();
			let deposit = pallet_provider_staking::HoldReason::RenterDeposit.into();
			// Both demo GPUs, at once, at the listing's 0.5 GPUX: 60 blocks of 2 GPUs is 0.1.
			assert_ok!(order(&bob, 2));
			assert_eq!(pallet_leases::Leases::<Runtime>::get(0).unwrap().gpus, 2);
			assert_eq!(Balances::balance_on_hold(&escrow, &bob), 100 * MILLI_UNITS);
			// Nothing free for Charlie: his order rests with its deposit held.
			assert_ok!(order(&charlie, 1));
			assert_eq!(
				Balances::balance_on_hold(&deposit, &charlie),
				<Runtime as pallet_marketplace::Config>::OrderDeposit::get()
			);
			run_to_block(5);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(bob), 0));
			run_to_block(6);
			let lease = pallet_leases::Leases::<Runtime>::get(1).expect("Charlie's order filled");
			assert_eq!((lease.renter, lease.gpus, lease.starts_at), (charlie.clone(), 1, 6));
			assert_eq!(Balances::balance_on_hold(&deposit, &charlie), 0);
			assert!(pallet_marketplace::Orders::<Runtime>::iter().next().is_none());
		});
	}
}

mod jobs {
	use super::*;
	use gpux_primitives::{AccessSpec, Requirements};
	use sp_keyring::Sr25519Keyring::Ferdie;

	use crate::{Marketplace, MILLI_UNITS};

	#[test]
	fn a_job_is_awarded_to_the_bid_its_result_accepted_pays_the_provider() {
		dev_ext().execute_with(|| {
			let (bob, ferdie) = (Bob.to_account_id(), Ferdie.to_account_id());
			let cid = |text: &[u8]| -> gpux_primitives::Cid { text.to_vec().try_into().unwrap() };
			assert_ok!(Marketplace::post_job(
				RuntimeOrigin::signed(bob.clone()),
				Requirements { gpu_class: Some(0), ..Default::default() },
				1,
				20,
				600 * MILLI_UNITS,
				10,
				false,
				cid(b"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"),
				AccessSpec::example(),
			));
			// Ferdie bids the demo machine (listed at 0.5) at 0.3.
			assert_ok!(Marketplace::bid(
				RuntimeOrigin::signed(ferdie.clone()),
				0,
				0,
				300 * MILLI_UNITS
			));
			run_to_block(11);
			let lease = pallet_leases::Leases::<Runtime>::get(0).expect("the bid's lease opened");
			assert_eq!((lease.renter, lease.price_per_gpu_hour), (bob.clone(), 300 * MILLI_UNITS));
			// 20 blocks of one GPU at 0.3 GPUX an hour: 0.01 GPUX, held for Ferdie. (The demo
			// machine runs no worker: the lease ends before the chain would fault it.)
			run_to_block(lease.ends_at + 1);
			let before = Balances::free_balance(&ferdie);
			assert_ok!(Marketplace::submit_result(
				RuntimeOrigin::signed(ferdie.clone()),
				0,
				cid(b"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"),
				[9; 32],
			));
			assert_ok!(Marketplace::accept_result(RuntimeOrigin::signed(bob), 0));
			// 95 % of 0.01 GPUX.
			assert_eq!(Balances::free_balance(&ferdie) - before, 95 * MILLI_UNITS / 10);
		});
	}
}

mod faults {
	use super::*;
	use frame_support::traits::fungible::InspectHold;
	use gpux_primitives::ReputationScores;
	use pallet_marketplace::runtime_api::{ListingFilter, ListingSort, Page};
	use sp_keyring::Sr25519Keyring::Ferdie;
	use sp_runtime::Permill;

	use crate::{
		configs::{dynamic_params::provider_staking, RuntimeParameters, TreasuryAccount},
		genesis_config_presets::DEMO_BOND,
		Leases, Marketplace, Parameters, ProviderStaking, Reputation, MILLI_UNITS,
	};

	/// Governance shortens the defer period to 10 blocks, as the e2e tests do.
	fn defer_slashes_for(blocks: crate::BlockNumber) {
		assert_ok!(Parameters::set_parameter(
			RuntimeOrigin::root(),
			RuntimeParameters::ProviderStaking(provider_staking::Parameters::SlashDeferPeriod(
				provider_staking::SlashDeferPeriod,
				Some(blocks),
			))
		));
	}

	fn bond_of(who: &crate::AccountId) -> crate::Balance {
		Balances::balance_on_hold(&pallet_provider_staking::HoldReason::ProviderBond.into(), who)
	}

	/// Bob rents one of Ferdie's two RTX 4090s for an hour at 0.5 GPUX; at block 121 governance
	/// reports the machine offline.
	fn leased_machine_reported_offline() {
		defer_slashes_for(10);
		bob_rents_a_demo_gpu_for_an_hour();
		// Before the chain's own sweep would report the silent machine (window 3's check).
		run_to_block(31);
		assert_ok!(ProviderStaking::report_offline(RuntimeOrigin::root(), 0));
	}

	#[test]
	fn an_offline_machine_refunds_at_once_and_the_slash_compensates_after_the_defer() {
		dev_ext().execute_with(|| {
			let (bob, ferdie, treasury) =
				(Bob.to_account_id(), Ferdie.to_account_id(), TreasuryAccount::get());
			let issuance = Balances::total_issuance();
			let (bob_start, treasury_start) =
				(Balances::free_balance(&bob), Balances::free_balance(&treasury));
			let terms = pallet_marketplace::Machines::<Runtime>::get(0).unwrap().listing.unwrap();
			leased_machine_reported_offline();

			// The lease closed as ProviderFault: 0.025 GPUX accrued, the rest back to Bob at once.
			let lease = pallet_leases::Leases::<Runtime>::get(0).unwrap();
			assert_eq!(
				lease.status,
				pallet_leases::LeaseStatus::Closed {
					reason: pallet_leases::CloseReason::ProviderFault
				}
			);
			let escrow = pallet_leases::HoldReason::LeaseEscrow.into();
			assert_eq!(Balances::balance_on_hold(&escrow, &bob), 0);
			let paid = 25 * MILLI_UNITS;
			assert_eq!(lease.paid, paid);
			assert_eq!(bob_start - Balances::free_balance(&bob), paid);
			// Off the market until Ferdie lists it again.
			assert!(pallet_marketplace::Machines::<Runtime>::get(0).unwrap().listing.is_none());
			// 10 % of 100 GPUX × 2 GPUs waits out the defer period.
			let slash = pallet_provider_staking::Slashes::<Runtime>::get(0).unwrap();
			assert_eq!((slash.amount, slash.applies_at), (20 * UNITS, 41));
			assert_eq!(bond_of(&ferdie), DEMO_BOND);

			run_to_block(41);
			assert_eq!(bond_of(&ferdie), DEMO_BOND - 20 * UNITS);
			// Bob is made good for what the lease cost him and no more; the rest of the slash
			// (and the lease's fee) goes to the treasury.
			assert_eq!(Balances::free_balance(&bob), bob_start);
			let fee = crate::configs::ProtocolFee::get() * paid;
			assert_eq!(Balances::free_balance(&treasury) - treasury_start, 20 * UNITS - paid + fee);
			// Nothing burned: the slash only moved.
			assert_eq!(Balances::total_issuance(), issuance);
			assert!(System::events().iter().any(|r| matches!(
				r.event,
				RuntimeEvent::ProviderStaking(pallet_provider_staking::Event::Slashed { .. })
			)));
			// The held bond's slash shows in the balances events too, as a free slash would.
			assert!(System::events().iter().any(|r| r.event
				== RuntimeEvent::Balances(pallet_balances::Event::Slashed {
					who: ferdie.clone(),
					amount: 20 * UNITS
				})));

			// The fault cost reputation; relisted, a renter asking for neutral or better no
			// longer sees it.
			assert!(Reputation::machine_score(0) < Permill::from_percent(50));
			assert!(Reputation::provider_score(&ferdie) < Permill::from_percent(50));
			let listings = |min| {
				let filter = ListingFilter { min_reputation: min, ..Default::default() };
				let page = Page { offset: 0, limit: 10 };
				Marketplace::listings(
					filter,
					ListingSort::PriceAscending,
					page,
					Leases::free_gpus,
					Reputation::machine_score,
					|_| Default::default(),
				)
				.len()
			};
			assert_eq!(listings(None), 0);
			assert_ok!(Marketplace::set_listing(RuntimeOrigin::signed(ferdie), 0, terms));
			assert_eq!(listings(None), 1, "the bond still backs the listing");
			assert_eq!(listings(Some(Permill::from_percent(50))), 0);
		});
	}

	#[test]
	fn a_cancelled_slash_moves_nothing() {
		dev_ext().execute_with(|| {
			let (bob, ferdie, treasury) =
				(Bob.to_account_id(), Ferdie.to_account_id(), TreasuryAccount::get());
			leased_machine_reported_offline();
			let before = (
				Balances::free_balance(&bob),
				Balances::free_balance(&treasury),
				Balances::total_issuance(),
			);
			assert_ok!(ProviderStaking::cancel_slash(
				RuntimeOrigin::root(),
				0,
				b"maintenance announced".to_vec().try_into().unwrap()
			));
			run_to_block(200);
			assert_eq!(bond_of(&ferdie), DEMO_BOND);
			assert_eq!(
				(
					Balances::free_balance(&bob),
					Balances::free_balance(&treasury),
					Balances::total_issuance()
				),
				before
			);
		});
	}

	#[test]
	fn listing_needs_a_bond_and_unbonding_keeps_it() {
		dev_ext().execute_with(|| {
			let charlie = RuntimeOrigin::signed(Charlie.to_account_id());
			assert_ok!(Marketplace::register_provider(charlie.clone(), Default::default()));
			let machine = pallet_marketplace::NextMachineId::<Runtime>::get();
			let mut spec = pallet_marketplace::Machines::<Runtime>::get(0).unwrap().spec;
			spec.gpu_count = 4;
			let worker = <sp_core::sr25519::Pair as sp_core::Pair>::from_seed(&[9; 32]);
			let genesis = gpux_primitives::attestation::hash32(System::block_hash(0));
			let possession = gpux_primitives::attestation::key_possession_message(
				&genesis,
				&Charlie.to_account_id(),
			);
			assert_ok!(Marketplace::register_machine(
				charlie.clone(),
				spec,
				sp_core::Pair::public(&worker),
				sp_core::Pair::sign(&worker, &possession),
				gpux_primitives::Region { country: *b"FR", location: None },
				None
			));
			let terms = pallet_marketplace::Machines::<Runtime>::get(0).unwrap().listing.unwrap();
			assert_noop!(
				Marketplace::set_listing(charlie.clone(), machine, terms.clone()),
				pallet_marketplace::Error::<Runtime>::InsufficientBond
			);
			assert_ok!(ProviderStaking::bond(charlie.clone(), 400 * UNITS));
			assert_ok!(Marketplace::set_listing(charlie.clone(), machine, terms));
			assert_noop!(
				ProviderStaking::unbond(charlie.clone(), 1),
				pallet_provider_staking::Error::<Runtime>::BelowRequirement
			);
			assert_noop!(
				ProviderStaking::bond(charlie, ENDOWMENT),
				pallet_provider_staking::Error::<Runtime>::BondExceedsBalance
			);
		});
	}
}

mod attestation {
	use super::*;
	use codec::Encode;
	use frame_support::dispatch::GetDispatchInfo;
	use gpux_primitives::{
		attestation::{
			commit_rows, reveal_rows, verdict_message, ChallengeSize, GpuTelemetry, Telemetry,
			WorkerStatement, MAX_GPUS_PER_MACHINE,
		},
		challenge::rounds::final_rows,
		VerifierId, VerifierSignature,
	};
	use sp_core::Pair;
	use sp_keyring::Sr25519Keyring::Eve;

	use crate::{
		configs::{RuntimeBlockLength, RuntimeBlockWeights},
		Attestation, RuntimeCall,
	};

	/// The demo machine (0) and its worker key (Eve's).
	const DEMO: u64 = 0;

	/// `gpus` distinct RTX 4090s (24 GiB) under load.
	fn telemetry(gpus: u32) -> Telemetry {
		let gpu = |id: u32| GpuTelemetry {
			uuid_hash: [id as u8; 16],
			lost: false,
			utilization_pct: Some(97),
			memory_used_mib: Some(23_000),
			memory_total_mib: Some(24_564),
			temperature_c: Some(71),
			power_w: Some(430),
			ecc_errors: Some(0),
			xid_errors: Some(0),
			retired_pages: None,
			remapped_rows: Some(0),
			row_remap_failed: false,
		};
		Telemetry {
			gpus: (0..gpus).map(gpu).collect::<Vec<_>>().try_into().unwrap(),
			driver_version: b"550.54.15".to_vec().try_into().unwrap(),
			samples_root: [1; 32],
		}
	}

	fn genesis_hash() -> [u8; 32] {
		System::block_hash(0).0
	}

	fn heartbeat_call(gpus: u32) -> pallet_attestation::Call<Runtime> {
		let window = Attestation::window_of(System::block_number());
		let telemetry = telemetry(gpus);
		let statement = WorkerStatement::heartbeat(DEMO, window, &telemetry);
		let signature = Eve.pair().sign(&statement.signing_message(&genesis_hash()));
		pallet_attestation::Call::heartbeat { machine: DEMO, window, telemetry, signature }
	}

	fn beat() {
		let pallet_attestation::Call::heartbeat { machine, window, telemetry, signature } =
			heartbeat_call(2)
		else {
			unreachable!()
		};
		assert_ok!(Attestation::heartbeat(
			RuntimeOrigin::none(),
			machine,
			window,
			telemetry,
			signature
		));
	}

	/// The issue asks for at least 3,000 heartbeats in one block: by weight (the normal
	/// class's share, each heartbeat also paying the base extrinsic weight) and by length.
	#[test]
	fn a_block_holds_more_than_3000_heartbeats() {
		dev_ext().execute_with(|| {
			let weights = RuntimeBlockWeights::get();
			let normal = weights.get(frame_support::dispatch::DispatchClass::Normal);
			let max = normal.max_extrinsic.expect("normal extrinsics are limited");
			let call = RuntimeCall::Attestation(heartbeat_call(MAX_GPUS_PER_MACHINE));
			let each = call.get_dispatch_info().call_weight.saturating_add(normal.base_extrinsic);
			let by_weight = max.ref_time() / each.ref_time();
			// A bare extrinsic: length prefix, version byte, the call.
			let length = call.encoded_size() as u64 + 4;
			let by_length = *RuntimeBlockLength::get().max.get(frame_support::dispatch::DispatchClass::Normal) as u64 / length;
			println!("heartbeats per block: {by_weight} by weight, {by_length} by length (16 GPUs, {length} bytes)");
			assert!(by_weight >= 3_000, "{by_weight} heartbeats by weight");
			assert!(by_length >= 3_000, "{by_length} heartbeats by length");
		});
	}

	#[test]
	fn the_demo_worker_heartbeats_and_a_silent_leased_machine_is_faulted() {
		dev_ext().execute_with(|| {
			beat();
			let lease = bob_rents_a_demo_gpu_for_an_hour();
			let interval = crate::configs::HeartbeatInterval::get();
			// Silent from window 1 on; the grace is 2 windows, so the check of window 3 reports.
			run_to_block(4 * interval);
			assert_eq!(
				pallet_leases::Leases::<Runtime>::get(lease).unwrap().status,
				pallet_leases::LeaseStatus::Closed {
					reason: pallet_leases::CloseReason::ProviderFault
				}
			);
			assert!(System::events().iter().any(|r| matches!(
				r.event,
				RuntimeEvent::Attestation(pallet_attestation::Event::OfflineReported {
					machine: DEMO,
					..
				})
			)));
			assert!(System::events().iter().any(|r| matches!(
				r.event,
				RuntimeEvent::ProviderStaking(pallet_provider_staking::Event::FaultReported {
					machine: DEMO,
					..
				})
			)));
		});
	}

	/// The production sizes and windows against the published figures they were derived from
	/// (docs/attestation.md): dense INT8 tensor TOPS without sparsity, and the 64-core EPYC
	/// 9554's 30.7 TOPS (one 512-bit VPDPBUSD per cycle and core at 3.75 GHz).
	#[test]
	fn production_challenges_meet_the_margins() {
		use crate::{
			configs::{
				attestation::PRODUCTION_CHALLENGES,
				dynamic_params::attestation::{ChallengePeriod, RevealWindow},
			},
			MILLI_SECS_PER_BLOCK,
		};
		const CPU_TOPS: f64 = 30.7;
		let published = |name: &[u8]| match name {
			b"NVIDIA GeForce RTX 4090" => 660.6,
			b"NVIDIA L40S" => 733.0,
			b"NVIDIA A100 80GB" => 624.0,
			b"NVIDIA H100 80GB" => 1_979.0,
			_ => panic!("no published figure for {}", String::from_utf8_lossy(name)),
		};
		let block_s = MILLI_SECS_PER_BLOCK as f64 / 1000.0;
		let genesis = crate::genesis_config_presets::gpu_classes();
		assert_eq!(genesis.len(), PRODUCTION_CHALLENGES.len());
		for ((class, ..), (name, size, window)) in genesis.iter().zip(PRODUCTION_CHALLENGES) {
			assert_eq!(&class[..], name, "the table follows the genesis classes");
			assert!(size.is_valid());
			let ops = 2.0 * f64::from(size.rows) * f64::from(size.rounds) * 1024.0 * 1024.0;
			// The honest worker sees the issue block about a second after it is sealed and needs
			// a block for inclusion; a cheater can derive the seeds from the parent block, one
			// block before the issue, and use every block up to the deadline.
			let gpu_deadline = (f64::from(window) - 1.0) * block_s - 1.0;
			let cpu_deadline = (f64::from(window) + 1.0) * block_s;
			let gpu_s = ops / (published(name) * 1e12);
			let cpu_s = ops / (CPU_TOPS * 1e12);
			let name = String::from_utf8_lossy(name);
			assert!(gpu_s * 3.0 <= gpu_deadline, "{name}: GPU {gpu_s:.2} s of {gpu_deadline} s");
			assert!(cpu_s >= 5.0 * cpu_deadline, "{name}: CPU {cpu_s:.1} s of {cpu_deadline} s");
			// The window leaves the reveal and the verdicts their time in the default epoch.
			let (period, reveal) =
				dev_ext().execute_with(|| (ChallengePeriod::get(), RevealWindow::get()));
			let after = pallet_attestation::ROW_DRAW_BLOCKS + pallet_attestation::VERDICT_BLOCKS;
			assert!(window + reveal + after <= period);
		}
	}

	#[test]
	fn a_challenge_answered_honestly_passes_with_alices_verdict() {
		dev_ext().execute_with(|| {
			let period = crate::configs::ChallengePeriod::get();
			let interval = crate::configs::HeartbeatInterval::get();
			beat();
			for block in (interval..period).step_by(interval as usize) {
				run_to_block(block);
				beat();
			}
			run_to_block(period);
			let challenge = pallet_attestation::OpenChallenges::<Runtime>::get()[0];
			let record = pallet_attestation::Challenges::<Runtime>::get(challenge).unwrap();
			assert_eq!(
				(record.machine, record.size),
				(DEMO, ChallengeSize { rows: 256, rounds: 8 })
			);

			let rows = final_rows(&record.seed, record.size.rows, record.size.rounds);
			let root = commit_rows(&rows);
			let statement = WorkerStatement::ChallengeCommitted { challenge, root };
			let signature = Eve.pair().sign(&statement.signing_message(&genesis_hash()));
			assert_ok!(Attestation::commit_challenge(
				RuntimeOrigin::none(),
				challenge,
				root,
				signature
			));
			// The rows are drawn after the epoch's last commit deadline.
			run_to_block(record.draw_at);
			let record = pallet_attestation::Challenges::<Runtime>::get(challenge).unwrap();
			let drawn = Attestation::rows_to_reveal(&record).unwrap();
			let revealed = reveal_rows(&rows, &drawn).unwrap();
			let statement = WorkerStatement::revealed(challenge, &revealed);
			let signature = Eve.pair().sign(&statement.signing_message(&genesis_hash()));
			assert_ok!(Attestation::reveal_challenge(
				RuntimeOrigin::none(),
				challenge,
				revealed,
				signature
			));
			assert!(Attestation::rows_are_correct(challenge, &record));

			// Alice is the dev chain's only verifier: her verdict is the quorum.
			let message = verdict_message(&genesis_hash(), challenge, true);
			let signature = VerifierSignature::from(Alice.pair().sign(&message));
			assert_ok!(Attestation::submit_verdict(
				RuntimeOrigin::none(),
				challenge,
				VerifierId::from(Alice.public()),
				true,
				signature
			));
			assert!(pallet_attestation::Challenges::<Runtime>::get(challenge).is_none());
			let score = pallet_reputation::MachineScores::<Runtime>::get(DEMO).unwrap();
			assert!(score.challenges > sp_runtime::Permill::from_parts(500_000));
		});
	}

	#[test]
	fn an_upheld_dispute_refunds_the_renter() {
		dev_ext().execute_with(|| {
			let bob = Bob.to_account_id();
			let before = Balances::free_balance(&bob);
			let lease = bob_rents_a_demo_gpu_for_an_hour();
			run_to_block(11);
			assert_ok!(Attestation::dispute(
				RuntimeOrigin::signed(bob.clone()),
				lease,
				b"no ssh".to_vec().try_into().unwrap()
			));
			assert_noop!(
				Attestation::resolve_dispute(RuntimeOrigin::signed(bob.clone()), lease, true),
				sp_runtime::DispatchError::BadOrigin
			);
			assert_ok!(Attestation::resolve_dispute(RuntimeOrigin::root(), lease, true));
			// Nothing was settled, so the whole escrow comes back.
			assert_eq!(Balances::free_balance(&bob), before);
		});
	}
}

mod governance {
	use super::*;
	use codec::Encode;
	use frame_support::traits::{schedule::DispatchTime, Bounded};
	use pallet_conviction_voting::{AccountVote, Conviction, Vote};
	use pallet_governance::{Origin as TrackOrigin, ParameterRanges as _};
	use pallet_referenda::ReferendumInfo;
	use sp_keyring::Sr25519Keyring::{Dave, Eve};
	use sp_runtime::{DispatchError, Perbill};

	use crate::{
		configs::{
			dynamic_params::{attestation, leases, marketplace, provider_staking, reputation},
			parameters::ParameterRanges,
			RuntimeParameters, TreasuryAccount,
		},
		ConvictionVoting, Governance, Marketplace, OriginCaller, Preimage, ProviderStaking,
		Referenda, RuntimeCall, Treasury,
	};

	fn protocol_fee(fee: Perbill) -> RuntimeParameters {
		RuntimeParameters::Leases(leases::Parameters::ProtocolFee(leases::ProtocolFee, Some(fee)))
	}

	fn set_fee_call(fee: Perbill) -> RuntimeCall {
		RuntimeCall::Governance(pallet_governance::Call::set_parameter {
			key_value: protocol_fee(fee),
		})
	}

	/// Alice notes `call`'s preimage and submits it on the track of `origin`, with its decision
	/// deposit when `decide`. Returns the referendum.
	fn propose(call: RuntimeCall, origin: TrackOrigin, decide: bool) -> u32 {
		let alice = RuntimeOrigin::signed(Alice.to_account_id());
		let encoded = call.encode();
		let hash = sp_io::hashing::blake2_256(&encoded).into();
		assert_ok!(Preimage::note_preimage(alice.clone(), encoded.clone()));
		let index = pallet_referenda::ReferendumCount::<Runtime>::get();
		assert_ok!(Referenda::submit(
			alice.clone(),
			Box::new(OriginCaller::Governance(origin)),
			Bounded::Lookup { hash, len: encoded.len() as u32 },
			DispatchTime::After(0),
		));
		if decide {
			assert_ok!(Referenda::place_decision_deposit(alice, index));
		}
		index
	}

	fn vote(who: sp_keyring::Sr25519Keyring, index: u32, aye: bool, balance: crate::Balance) {
		assert_ok!(ConvictionVoting::vote(
			RuntimeOrigin::signed(who.to_account_id()),
			index,
			AccountVote::Standard { vote: Vote { aye, conviction: Conviction::Locked2x }, balance },
		));
	}

	fn info(index: u32) -> pallet_referenda::ReferendumInfoOf<Runtime, ()> {
		pallet_referenda::ReferendumInfoFor::<Runtime>::get(index).expect("referendum exists")
	}

	#[test]
	fn a_market_admin_referendum_changes_the_protocol_fee_and_new_leases_pay_it() {
		dev_ext().execute_with(|| {
			let seven = Perbill::from_percent(7);
			let index = propose(set_fee_call(seven), TrackOrigin::MarketAdmin, true);
			// Alice and Bob: 1.8M of about 8M GPUX, over the track's 20 % support at once.
			vote(Alice, index, true, 900_000 * UNITS);
			vote(Bob, index, true, 900_000 * UNITS);
			run_to_block(30);
			assert!(matches!(info(index), ReferendumInfo::Approved(..)), "{:?}", info(index));
			assert_eq!(leases::ProtocolFee::get(), seven);
			// A lease opened now pays the new fee.
			let lease = bob_rents_a_demo_gpu_for_an_hour();
			let record = pallet_leases::Leases::<Runtime>::get(lease).unwrap();
			assert_eq!(record.protocol_fee, seven);
			// The decision deposit comes back to Alice once it is refunded.
			assert_ok!(Referenda::refund_decision_deposit(
				RuntimeOrigin::signed(Charlie.to_account_id()),
				index
			));
		});
	}

	#[test]
	fn a_referendum_that_fails_changes_nothing() {
		dev_ext().execute_with(|| {
			let index =
				propose(set_fee_call(Perbill::from_percent(7)), TrackOrigin::MarketAdmin, true);
			vote(Alice, index, true, 100_000 * UNITS);
			vote(Bob, index, false, 900_000 * UNITS);
			run_to_block(40);
			assert!(matches!(info(index), ReferendumInfo::Rejected(..)), "{:?}", info(index));
			assert_eq!(leases::ProtocolFee::get(), Perbill::from_percent(5));
		});
	}

	#[test]
	fn a_proposal_without_its_decision_deposit_is_never_decided() {
		dev_ext().execute_with(|| {
			let index =
				propose(set_fee_call(Perbill::from_percent(7)), TrackOrigin::MarketAdmin, false);
			vote(Alice, index, true, 900_000 * UNITS);
			vote(Bob, index, true, 900_000 * UNITS);
			run_to_block(30);
			assert!(
				matches!(info(index), ReferendumInfo::Ongoing(ref status) if status.deciding.is_none())
			);
			// It times out after the undeciding timeout; the fee never changed.
			run_to_block(60);
			assert!(matches!(info(index), ReferendumInfo::TimedOut(..)), "{:?}", info(index));
			assert_eq!(leases::ProtocolFee::get(), Perbill::from_percent(5));
			// Someone without the deposit cannot place it.
			let poor = RuntimeOrigin::signed(sp_keyring::Sr25519Keyring::One.to_account_id());
			let other =
				propose(set_fee_call(Perbill::from_percent(6)), TrackOrigin::MarketAdmin, false);
			assert_ok!(Balances::transfer_all(
				poor.clone(),
				sp_runtime::MultiAddress::Id(Dave.to_account_id()),
				false
			));
			assert_noop!(
				Referenda::place_decision_deposit(poor, other),
				pallet_balances::Error::<Runtime>::InsufficientBalance
			);
		});
	}

	#[test]
	fn votes_beyond_the_balance_are_refused() {
		dev_ext().execute_with(|| {
			let index =
				propose(set_fee_call(Perbill::from_percent(7)), TrackOrigin::MarketAdmin, true);
			assert_noop!(
				ConvictionVoting::vote(
					RuntimeOrigin::signed(Eve.to_account_id()),
					index,
					AccountVote::Standard {
						vote: Vote { aye: true, conviction: Conviction::Locked1x },
						balance: ENDOWMENT + 1,
					},
				),
				pallet_conviction_voting::Error::<Runtime>::InsufficientFunds
			);
		});
	}

	#[test]
	fn signed_accounts_cannot_call_market_admin_calls() {
		dev_ext().execute_with(|| {
			let bob = RuntimeOrigin::signed(Bob.to_account_id());
			assert_noop!(
				Governance::set_parameter(bob.clone(), protocol_fee(Perbill::from_percent(1))),
				DispatchError::BadOrigin
			);
			assert_noop!(
				crate::Parameters::set_parameter(
					bob.clone(),
					protocol_fee(Perbill::from_percent(1))
				),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Marketplace::add_gpu_class(
					bob.clone(),
					b"B200".to_vec().try_into().unwrap(),
					192,
					UNITS
				),
				DispatchError::BadOrigin
			);
			assert_noop!(
				ProviderStaking::cancel_slash(bob.clone(), 0, b"no".to_vec().try_into().unwrap()),
				DispatchError::BadOrigin
			);
			assert_noop!(
				crate::Attestation::set_verifiers(bob, Default::default()),
				DispatchError::BadOrigin
			);
			// The treasurer's origin is not the market admin's.
			let treasurer = RuntimeOrigin::from(TrackOrigin::Treasurer);
			assert_noop!(
				Governance::set_parameter(treasurer, protocol_fee(Perbill::from_percent(1))),
				DispatchError::BadOrigin
			);
			// The market admin's is: it adds a class, as sudo would on a dev chain.
			assert_ok!(Marketplace::add_gpu_class(
				RuntimeOrigin::from(TrackOrigin::MarketAdmin),
				b"NVIDIA B200".to_vec().try_into().unwrap(),
				192,
				8 * UNITS
			));
		});
	}

	#[test]
	fn out_of_range_values_are_refused_with_a_named_error() {
		dev_ext().execute_with(|| {
			let admin = || RuntimeOrigin::from(TrackOrigin::MarketAdmin);
			assert_noop!(
				Governance::set_parameter(admin(), protocol_fee(Perbill::from_percent(21))),
				pallet_governance::Error::<Runtime>::ParameterOutOfRange
			);
			// A slash must land before the bond it takes can leave.
			assert_noop!(
				Governance::set_parameter(
					admin(),
					RuntimeParameters::ProviderStaking(
						provider_staking::Parameters::SlashDeferPeriod(
							provider_staking::SlashDeferPeriod,
							Some(provider_staking::UnbondingPeriod::get()),
						)
					)
				),
				pallet_governance::Error::<Runtime>::ParameterOutOfRange
			);
			// Commit and reveal must fit in the epoch.
			assert_noop!(
				Governance::set_parameter(
					admin(),
					RuntimeParameters::Attestation(attestation::Parameters::CommitWindow(
						attestation::CommitWindow,
						Some(attestation::ChallengePeriod::get()),
					))
				),
				pallet_governance::Error::<Runtime>::ParameterOutOfRange
			);
			assert_eq!(leases::ProtocolFee::get(), Perbill::from_percent(5));
		});
	}

	/// Every parameter at its default is in range, and so is removing it.
	#[test]
	fn every_default_is_in_range() {
		// Checked with a partner: set explicitly, never removed.
		const PAIRED: &[&str] = &[
			"SlashDeferPeriod",
			"UnbondingPeriod",
			"RenterShare",
			"ReporterShare",
			"ResultWindow",
			"JobDisputeWindow",
			"ChallengePeriod",
			"CommitWindow",
			"RevealWindow",
		];
		macro_rules! defaults {
			($($outer:ident :: $module:ident :: $name:ident),* $(,)?) => {{
				let mut checked = 0;
				$(
					let name = stringify!($name);
					let with = |value| RuntimeParameters::$outer($module::Parameters::$name(
						$module::$name,
						value,
					));
					assert!(
						ParameterRanges::in_range(&with(Some($module::$name::get()))),
						"{name} out of range at its default"
					);
					assert_eq!(
						ParameterRanges::in_range(&with(None)),
						!PAIRED.contains(&name),
						"removing {name}"
					);
					checked += 1;
				)*
				checked
			}};
		}
		dev_ext().execute_with(|| {
			let checked = defaults!(
				ProviderStaking::provider_staking::SlashDeferPeriod,
				ProviderStaking::provider_staking::OfflineSlash,
				ProviderStaking::provider_staking::FailedChallengeSlash,
				ProviderStaking::provider_staking::SpecMismatchSlash,
				ProviderStaking::provider_staking::LeaseAbandonedSlash,
				ProviderStaking::provider_staking::DisputedSlash,
				ProviderStaking::provider_staking::RenterShare,
				ProviderStaking::provider_staking::ReporterShare,
				ProviderStaking::provider_staking::UnbondingPeriod,
				ProviderStaking::provider_staking::MinBondPerGpu,
				Marketplace::marketplace::MfpBand,
				Marketplace::marketplace::PriceSmoothing,
				Marketplace::marketplace::FullWeightLeaseValue,
				Marketplace::marketplace::SpotTargetUtilization,
				Marketplace::marketplace::SpotStep,
				Marketplace::marketplace::SpotEpochBlocks,
				Marketplace::marketplace::SpotFloorShare,
				Marketplace::marketplace::ProviderDeposit,
				Marketplace::marketplace::MachineDeposit,
				Marketplace::marketplace::OrderDeposit,
				Marketplace::marketplace::JobDeposit,
				Marketplace::marketplace::BidDeposit,
				Marketplace::marketplace::PriorityFee,
				Marketplace::marketplace::ResultWindow,
				Marketplace::marketplace::JobDisputeWindow,
				Leases::leases::ProtocolFee,
				Leases::leases::SpotNoticeBlocks,
				Attestation::attestation::OfflineGraceWindows,
				Attestation::attestation::SpecMismatchHeartbeats,
				Attestation::attestation::ChallengePeriod,
				Attestation::attestation::CommitWindow,
				Attestation::attestation::RevealWindow,
				Attestation::attestation::DefaultChallengeSize,
				Attestation::attestation::DisputeWindow,
				Attestation::attestation::StartAttestationDeadline,
				Attestation::attestation::DisputeDeposit,
				Attestation::attestation::HeartbeatInterval,
				Reputation::reputation::UptimeWeight,
				Reputation::reputation::LeaseOutcomeWeight,
				Reputation::reputation::ChallengeWeight,
				Reputation::reputation::RatingWeight,
				Reputation::reputation::Smoothing,
				Reputation::reputation::FullWeightValue,
				Reputation::reputation::DecayPeriod,
				Reputation::reputation::DecayRate,
			);
			assert_eq!(checked, 45);
		});
	}

	fn set(value: RuntimeParameters) {
		assert_ok!(Governance::set_parameter(RuntimeOrigin::from(TrackOrigin::MarketAdmin), value));
	}

	#[test]
	fn a_raised_bond_per_gpu_stops_new_rents_until_the_provider_tops_up() {
		dev_ext().execute_with(|| {
			let running = bob_rents_a_demo_gpu_for_an_hour();
			// Ferdie's 1,000 GPUX back 2 GPUs at 100; at 600 they need 1,200.
			set(RuntimeParameters::ProviderStaking(provider_staking::Parameters::MinBondPerGpu(
				provider_staking::MinBondPerGpu,
				Some(600 * UNITS),
			)));
			run_to_block(2);
			let rent = || {
				crate::Leases::rent(
					RuntimeOrigin::signed(Charlie.to_account_id()),
					0,
					1,
					gpux_primitives::LeaseMode::OnDemand,
					600,
					500 * crate::MILLI_UNITS,
					gpux_primitives::AccessSpec::example(),
				)
			};
			assert_noop!(rent(), pallet_leases::Error::<Runtime>::ProviderUnderBonded);
			// Bob's lease runs on, and the machine stays listed.
			assert!(pallet_leases::Leases::<Runtime>::get(running).unwrap().is_open());
			assert!(pallet_marketplace::Machines::<Runtime>::get(0).unwrap().listing.is_some());
			let ferdie = RuntimeOrigin::signed(sp_keyring::Sr25519Keyring::Ferdie.to_account_id());
			assert_ok!(ProviderStaking::bond(ferdie, 200 * UNITS));
			assert_ok!(rent());
		});
	}

	#[test]
	fn a_new_heartbeat_interval_starts_with_the_next_window() {
		dev_ext().execute_with(|| {
			run_to_block(5);
			set(RuntimeParameters::Attestation(attestation::Parameters::HeartbeatInterval(
				attestation::HeartbeatInterval,
				Some(20),
			)));
			run_to_block(9);
			assert_eq!(crate::Attestation::window_of(9), 0);
			run_to_block(10);
			assert_eq!(
				(crate::Attestation::window_of(10), crate::Attestation::window_of(29)),
				(1, 1)
			);
			assert_eq!(crate::Attestation::window_of(30), 2);
			// Shorter than the sweep needs to check every watched machine: refused.
			assert_noop!(
				Governance::set_parameter(
					RuntimeOrigin::from(TrackOrigin::MarketAdmin),
					RuntimeParameters::Attestation(attestation::Parameters::HeartbeatInterval(
						attestation::HeartbeatInterval,
						Some(5),
					))
				),
				pallet_governance::Error::<Runtime>::ParameterOutOfRange
			);
		});
	}

	#[test]
	fn a_treasurer_referendum_pays_a_spend_from_what_the_market_earned() {
		dev_ext().execute_with(|| {
			let treasury = TreasuryAccount::get();
			assert_eq!(treasury, Treasury::account_id());
			// Fees reach the treasury: here a generous transfer stands in for them.
			assert_ok!(Balances::transfer_keep_alive(
				RuntimeOrigin::signed(Dave.to_account_id()),
				sp_runtime::MultiAddress::Id(treasury.clone()),
				5_000 * UNITS
			));
			let charlie = Charlie.to_account_id();
			let before = Balances::free_balance(&charlie);
			let spend = RuntimeCall::Treasury(pallet_treasury::Call::spend {
				asset_kind: Box::new(()),
				amount: 1_000 * UNITS,
				beneficiary: Box::new(charlie.clone()),
				valid_from: None,
			});
			let index = propose(spend, TrackOrigin::Treasurer, true);
			vote(Alice, index, true, 900_000 * UNITS);
			vote(Bob, index, true, 900_000 * UNITS);
			run_to_block(30);
			assert!(matches!(info(index), ReferendumInfo::Approved(..)), "{:?}", info(index));
			// Anyone pays an approved spend out.
			assert_ok!(Treasury::payout(RuntimeOrigin::signed(Eve.to_account_id()), 0));
			assert_eq!(Balances::free_balance(&charlie), before + 1_000 * UNITS);
			assert_noop!(
				Treasury::spend(
					RuntimeOrigin::signed(Eve.to_account_id()),
					Box::new(()),
					UNITS,
					Box::new(charlie),
					None
				),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn the_dev_chain_uses_fast_tracks_and_the_default_live_ones() {
		dev_ext().execute_with(|| {
			assert_eq!(Governance::timing(), pallet_governance::TrackTiming::Fast);
			let decision = |id| {
				<crate::configs::governance::Tracks as pallet_referenda::TracksInfo<_, _>>::info(id)
					.unwrap()
					.decision_period
			};
			assert_eq!(decision(crate::configs::governance::MARKET_ADMIN_TRACK), 20);
			let timeout: crate::BlockNumber =
				<crate::Runtime as pallet_referenda::Config>::UndecidingTimeout::get();
			assert!(timeout < 100);
		});
		sp_io::TestExternalities::new(RuntimeGenesisConfig::default().build_storage().unwrap())
			.execute_with(|| {
				assert_eq!(Governance::timing(), pallet_governance::TrackTiming::Live);
				let info = <crate::configs::governance::Tracks as pallet_referenda::TracksInfo<
					_,
					_,
				>>::info(crate::configs::governance::MARKET_ADMIN_TRACK)
				.unwrap();
				assert_eq!(info.decision_period, 3 * crate::DAYS);
			});
	}
}

mod extrinsic_weight {
	use frame_support::{dispatch::GetDispatchInfo, traits::Get, weights::Weight};
	use sp_runtime::{generic::Era, traits::TransactionExtension};

	use crate::{weights, Runtime, RuntimeCall, TxExtension};

	/// The extensions a signed extrinsic carries, in `era`.
	fn extensions(era: Era) -> TxExtension {
		crate::tx_extension(0, era)
	}

	fn remark() -> RuntimeCall {
		RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() })
	}

	#[test]
	fn a_signed_extrinsic_is_charged_its_measured_overhead_once() {
		// As a wallet sends it: mortal.
		let extensions = extensions(Era::mortal(64, 0)).weight(&remark());
		let measured = weights::extrinsic_weights::ExtrinsicBaseWeight::get();
		let base = weights::ExtrinsicBaseWeight::get();
		let block_weights = <Runtime as frame_system::Config>::BlockWeights::get();
		let class = block_weights.get(frame_support::dispatch::DispatchClass::Normal);
		assert_eq!(class.base_extrinsic, base);
		// The extensions' compute is taken out of the measured overhead, not more: the
		// whole declared overhead of a signed no-op still covers what was measured.
		assert!(base.ref_time() > 0 && base.ref_time() < measured.ref_time());
		let declared = base
			.saturating_add(extensions)
			.saturating_add(remark().get_dispatch_info().call_weight);
		assert!(declared.ref_time() >= measured.ref_time(), "{declared} < {measured}");
		// ...and less than charging the extensions twice did.
		assert!(declared.ref_time() < measured.saturating_add(extensions).ref_time());
	}

	#[test]
	fn the_base_keeps_what_unsigned_extrinsics_run_and_the_extensions_storage() {
		type System = weights::frame_system_extensions::WeightInfo<Runtime>;
		use frame_system::ExtensionsWeightInfo as _;
		// What the overhead signed (immortal) charges through its extensions...
		let charged = extensions(Era::Immortal).weight(&remark());
		// ...less their storage accesses and what an unsigned extrinsic runs too.
		let db = weights::ParityDbWeight::get().reads_writes(3, 3);
		let kept = [db, System::check_weight(), System::weight_reclaim()]
			.into_iter()
			.fold(Weight::zero(), Weight::saturating_add);
		let measured = weights::extrinsic_weights::ExtrinsicBaseWeight::get();
		assert_eq!(
			measured.ref_time() - weights::ExtrinsicBaseWeight::get().ref_time(),
			charged.ref_time() - kept.ref_time()
		);
	}
}

/// Issue #13: how many bytes of state a machine, a listing, an open and a closed lease take, and
/// what a lease leaves once pruned. Keys and values as stored, before the trie's own nodes and
/// the database's overhead; docs/PERFORMANCE.md ("State") projects them to 1,000,000 leases.
/// `cargo test -p gpux-runtime state_bytes -- --nocapture` prints the figures.
mod state_bytes {
	use frame_support::traits::Hooks;
	use gpux_primitives::{AccessSpec, LeaseMode};
	use sp_keyring::Sr25519Keyring::Eve;
	use std::collections::BTreeMap;

	use super::*;
	use crate::{Leases, Marketplace, ProviderStaking, MILLI_UNITS, UNITS};

	const N: u64 = 16;

	/// Bytes of keys and values in the state, by storage item, events aside (they last one
	/// block).
	fn state_bytes() -> BTreeMap<String, u64> {
		use frame_support::traits::StorageInfoTrait;
		System::reset_events();
		let items = AllPalletsWithSystem::storage_info();
		let name = |key: &[u8]| {
			items
				.iter()
				.find(|item| key.starts_with(&item.prefix))
				.map(|item| {
					let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
					format!("{}.{}", text(&item.pallet_name), text(&item.storage_name))
				})
				.unwrap_or_else(|| "(other)".into())
		};
		let mut bytes = BTreeMap::new();
		let mut key = Vec::new();
		while let Some(next) = sp_io::storage::next_key(&key) {
			let value = sp_io::storage::get(&next).map_or(0, |v| v.len());
			*bytes.entry(name(&next)).or_default() += (next.len() + value) as u64;
			key = next;
		}
		bytes
	}

	fn total(bytes: &BTreeMap<String, u64>) -> u64 {
		bytes.values().sum()
	}

	/// What changed between two states, per item, per entity (of `N`).
	fn per_item(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> String {
		after
			.keys()
			.chain(before.keys())
			.collect::<std::collections::BTreeSet<_>>()
			.into_iter()
			.filter_map(|item| {
				let change = after.get(item).copied().unwrap_or(0) as i64
					- before.get(item).copied().unwrap_or(0) as i64;
				(change != 0).then(|| format!("{item} {:+.1}", change as f64 / N as f64))
			})
			.collect::<Vec<_>>()
			.join(", ")
	}

	#[test]
	fn per_machine_listing_and_lease_and_nothing_left_once_pruned() {
		dev_ext().execute_with(|| {
			let provider = Eve.to_account_id();
			let who = RuntimeOrigin::signed(provider.clone());
			assert_ok!(Marketplace::register_provider(who.clone(), Default::default()));
			assert_ok!(ProviderStaking::bond(who.clone(), 100_000 * UNITS));
			let template = pallet_marketplace::Machines::<Runtime>::get(0).unwrap();
			let (spec, terms) = (template.spec, template.listing.unwrap());

			let start = state_bytes();
			let first = pallet_marketplace::NextMachineId::<Runtime>::get();
			for m in 0..N as u8 {
				register_machine_with_worker(&provider, &spec, [m + 1; 32]);
			}
			let registered = state_bytes();
			for machine in first..first + N {
				assert_ok!(Marketplace::set_listing(who.clone(), machine, terms.clone()));
			}
			let listed = state_bytes();

			// One lease per machine, each of another renter, as a busy market has them.
			let renters: Vec<_> = (0..N)
				.map(|i| {
					let renter = sp_core::crypto::AccountId32::new([0x40 + i as u8; 32]);
					assert_ok!(Balances::force_set_balance(
						RuntimeOrigin::root(),
						renter.clone().into(),
						1_000 * UNITS
					));
					renter
				})
				.collect();
			// Each renter rents one GPU of its machine, then ends the lease; past the retention
			// the leases pallet prunes them (only its hook runs: the machines send no heartbeats
			// here, and the monitor would fault them). Returns the states before, with the
			// leases open, closed and pruned.
			let round = || {
				let before = state_bytes();
				let first_lease = pallet_leases::NextLeaseId::<Runtime>::get();
				for (i, renter) in renters.iter().enumerate() {
					let access = AccessSpec {
						// An 80-byte key: the example's type and key data, no comment.
						ssh_public_key: gpux_primitives::access::EXAMPLE_SSH_KEY[..80]
							.to_vec()
							.try_into()
							.unwrap(),
						seal_key: Some([7; 32]),
					};
					assert_ok!(Leases::rent(
						RuntimeOrigin::signed(renter.clone()),
						first + i as u64,
						1,
						LeaseMode::OnDemand,
						600,
						500 * MILLI_UNITS,
						access
					));
				}
				let open = state_bytes();
				for (i, renter) in renters.iter().enumerate() {
					assert_ok!(Leases::terminate(
						RuntimeOrigin::signed(renter.clone()),
						first_lease + i as u64
					));
				}
				let closed = state_bytes();
				let retention: crate::BlockNumber =
					<Runtime as pallet_leases::Config>::ClosedLeaseRetention::get();
				let prune_at = System::block_number() + retention + 1;
				System::set_block_number(prune_at);
				pallet_leases::Pallet::<Runtime>::on_initialize(prune_at);
				assert!(pallet_leases::Leases::<Runtime>::get(first_lease).is_none(), "pruned");
				(before, open, closed, state_bytes())
			};
			// The first lease of a machine also starts its records (reputation, dispute hold);
			// the second round shows what a lease alone takes.
			let (funded, _, _, first_pruned) = round();
			let (before, open, closed, pruned) = round();

			let per = |after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>| {
				(total(after) as i64 - total(before) as i64) as f64 / N as f64
			};
			for (what, after, before) in [
				("machine", &registered, &start),
				("listing", &listed, &registered),
				("a machine's first lease, pruned", &first_pruned, &funded),
				("open lease", &open, &before),
				("closed lease", &closed, &before),
				("pruned lease", &pruned, &before),
			] {
				println!("{what}: {:.1} bytes ({})", per(after, before), per_item(after, before));
			}
			let (machine, listing) = (per(&registered, &start), per(&listed, &registered));
			let (open_lease, closed_lease) = (per(&open, &before), per(&closed, &before));
			let left = per(&pruned, &before);
			assert!(machine > 0.0 && listing > 0.0 && open_lease > 0.0 && closed_lease > 0.0);
			// A pruned lease leaves nothing: state grows with machines, not with leases.
			assert!(left <= 0.0, "{left} bytes per pruned lease remain");
		});
	}
}

mod migrations {
	use super::*;
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	use pallet_attestation::migrations::{
		v2::{OldEndpoint, OldLeaseAttestation},
		v3::{OldGpuTelemetry, OldHeartbeatRecord, OldTelemetry},
	};

	/// The runtime's `Migrations` list carries every layout change: a chain still in the old
	/// layouts comes out in the new ones, its records readable and unchanged in meaning.
	#[test]
	fn an_upgrade_moves_a_chain_in_the_old_layouts_to_the_new_ones() {
		dev_ext().execute_with(|| {
			StorageVersion::new(1).put::<crate::Attestation>();
			let old =
				OldLeaseAttestation::<crate::BlockNumber, frame_support::traits::ConstU32<256>> {
					machine: 0,
					started: Some((
						OldEndpoint {
							host: b"gpu.example.net".to_vec().try_into().unwrap(),
							port: 22,
							method: gpux_primitives::attestation::AccessMethod::Ssh,
						},
						5,
					)),
					ended: None,
					dispute: None,
				};
			let key = pallet_attestation::LeaseAttestations::<Runtime>::hashed_key_for(4);
			frame_support::storage::unhashed::put_raw(&key, &old.encode());
			let beat = OldHeartbeatRecord::<crate::BlockNumber> {
				slot: 0,
				since_window: 1,
				last_window: 2,
				recent: 1,
				received_at: Some(20),
				telemetry: OldTelemetry {
					gpus: vec![OldGpuTelemetry {
						uuid_hash: [1; 16],
						memory_total_mib: 24_564,
						..Default::default()
					}]
					.try_into()
					.unwrap(),
					driver_version: b"550".to_vec().try_into().unwrap(),
					samples_root: [0; 32],
				},
				missed_in_a_row: 0,
				leased_at_last_check: false,
				gpu_set: None,
				mismatched_in_a_row: 0,
				windows_checked: 2,
				windows_met: 1,
			};
			let key = pallet_attestation::Heartbeats::<Runtime>::hashed_key_for(0);
			frame_support::storage::unhashed::put_raw(&key, &beat.encode());
			// An open challenge of the retired u32 product, and a class's size as a matrix side.
			let key = pallet_attestation::Challenges::<Runtime>::hashed_key_for(0);
			frame_support::storage::unhashed::put_raw(&key, &[7u8; 40]);
			pallet_attestation::OpenChallenges::<Runtime>::put(
				frame_support::BoundedVec::truncate_from(vec![0]),
			);
			pallet_attestation::ChallengeOf::<Runtime>::insert(0, 0);
			let key = pallet_attestation::ChallengeSizes::<Runtime>::hashed_key_for(0);
			frame_support::storage::unhashed::put_raw(&key, &1024u32.encode());
			// The default size as governance set it in the old layout: a matrix side.
			use crate::configs::{dynamic_params::attestation, RuntimeParametersKey};
			let default_key = pallet_parameters::Parameters::<Runtime>::hashed_key_for(
				RuntimeParametersKey::Attestation(
					attestation::ParametersKey::DefaultChallengeSize(
						attestation::DefaultChallengeSize,
					),
				),
			);
			frame_support::storage::unhashed::put_raw(&default_key, &(4u8, 5u8, 2048u32).encode());

			<crate::migrations::Migrations as OnRuntimeUpgrade>::on_runtime_upgrade();

			assert_eq!(crate::Attestation::on_chain_storage_version(), 5);
			assert!(pallet_attestation::OpenChallenges::<Runtime>::get().is_empty());
			assert!(pallet_attestation::Challenges::<Runtime>::iter_keys().next().is_none());
			assert!(pallet_attestation::ChallengeOf::<Runtime>::get(0).is_none());
			assert_eq!(
				crate::Attestation::challenge_size(0),
				attestation::DefaultChallengeSize::get()
			);
			assert!(!frame_support::storage::unhashed::exists(&default_key));
			let beat =
				pallet_attestation::Heartbeats::<Runtime>::get(0).expect("decodes in layout 3");
			assert_eq!((beat.received_at, beat.windows_met), (Some(20), 1));
			assert!(beat.since_window >= pallet_attestation::migrations::v3::UPGRADE_GRACE_WINDOWS);
			assert_eq!(beat.telemetry.gpus[0].memory_total_mib, Some(24_564));
			let (endpoint, at) = pallet_attestation::LeaseAttestations::<Runtime>::get(4)
				.and_then(|a| a.started)
				.expect("the record decodes in the new layout");
			assert_eq!((endpoint.port, at, endpoint.host_key_fingerprint), (22, 5, None));
			// Every pallet's on-chain version is the one its code declares.
			assert_eq!(
				crate::Attestation::on_chain_storage_version(),
				crate::Attestation::in_code_storage_version()
			);
		});
	}
}
