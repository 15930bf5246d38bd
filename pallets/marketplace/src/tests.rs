//! Every call, its events and storage, and every refusal.

use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::Get, BoundedVec};
use gpux_primitives::{MachineRegistry, ProviderMarket, Region};
use sp_runtime::DispatchError;

use crate::{
	mock::*, Error, Event, Fleets, GpuClasses, MachineOfWorkerKey, Machines, MachinesOf, Providers,
};

fn label(name: &str) -> crate::FleetLabelOf<Test> {
	name.as_bytes().to_vec().try_into().unwrap()
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// Alice as a provider with one RTX 4090 machine (id 0), optionally in `fleet`.
fn alice_with_machine(fleet: Option<&str>) -> u64 {
	assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
	let machine = crate::NextMachineId::<Test>::get();
	assert_ok!(Marketplace::register_machine(
		signed(ALICE),
		spec(RTX_4090, 2),
		key(machine as u8 + 1),
		proof(ALICE, machine as u8 + 1),
		region(),
		fleet.map(label)
	));
	events();
	machine
}

mod providers {
	use super::*;

	#[test]
	fn register_provider_stores_metadata_and_emits_event() {
		ExtBuilder::default().build_and_execute(|| {
			let metadata: BoundedVec<u8, _> = b"gpu farm".to_vec().try_into().unwrap();
			assert_ok!(Marketplace::register_provider(signed(ALICE), metadata.clone()));
			let record = Providers::<Test>::get(ALICE).unwrap();
			assert_eq!(record.metadata, metadata);
			assert_eq!(record.machines, 0);
			assert_eq!(
				events(),
				vec![Event::ProviderRegistered { provider: ALICE, deposit: PROVIDER_DEPOSIT }]
			);
			assert_eq!(deposits(ALICE), PROVIDER_DEPOSIT);
		});
	}

	#[test]
	fn a_provider_that_cannot_pay_the_deposit_is_refused() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Marketplace::register_provider(signed(POOR), Default::default()),
				Error::<Test>::DepositExceedsBalance
			);
		});
	}

	#[test]
	fn a_provider_leaves_once_its_machines_have_and_gets_its_deposits_back() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			assert_eq!(deposits(ALICE), PROVIDER_DEPOSIT + MACHINE_DEPOSIT);
			assert_noop!(
				Marketplace::deregister_provider(signed(ALICE)),
				Error::<Test>::ProviderHasMachines
			);
			assert_noop!(Marketplace::deregister_provider(signed(BOB)), Error::<Test>::NotProvider);
			assert_ok!(Marketplace::deregister_machine(signed(ALICE), machine));
			assert_eq!(deposits(ALICE), PROVIDER_DEPOSIT);
			assert_ok!(Marketplace::deregister_provider(signed(ALICE)));
			assert_eq!(deposits(ALICE), 0);
			assert_eq!(Balances::free_balance(ALICE), ENDOWMENT, "nothing lost");
			assert!(!Providers::<Test>::contains_key(ALICE));
			assert_eq!(
				events().last(),
				Some(&Event::ProviderDeregistered { provider: ALICE, deposit: PROVIDER_DEPOSIT })
			);
		});
	}

	#[test]
	fn registering_twice_is_refused() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
			assert_noop!(
				Marketplace::register_provider(signed(ALICE), Default::default()),
				Error::<Test>::AlreadyRegistered
			);
		});
	}

	#[test]
	fn metadata_longer_than_the_bound_does_not_decode() {
		ExtBuilder::default().build_and_execute(|| {
			let max: u32 = <Test as crate::Config>::MaxMetadataLen::get();
			// What a wallet would send: the call index, then an over-long byte vector.
			let mut encoded = RuntimeCall::Marketplace(crate::Call::register_provider {
				metadata: Default::default(),
			})
			.encode();
			encoded.truncate(2);
			encoded.extend(vec![0u8; max as usize + 1].encode());
			assert!(<RuntimeCall as codec::Decode>::decode(&mut &encoded[..]).is_err());
		});
	}
}

mod machines {
	use super::*;

	#[test]
	fn register_machine_indexes_it_everywhere() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
			assert_ok!(Marketplace::register_machine(
				signed(ALICE),
				spec(H100, 8),
				key(1),
				proof(ALICE, 1),
				region(),
				Some(label("rack-a"))
			));
			let machine = Machines::<Test>::get(0).unwrap();
			assert_eq!(machine.provider, ALICE);
			assert_eq!(machine.spec.gpu_count, 8);
			assert_eq!(machine.listing, None);
			assert_eq!(MachineOfWorkerKey::<Test>::get(key(1)), Some(0));
			assert!(MachinesOf::<Test>::contains_key(ALICE, 0));
			assert_eq!(Fleets::<Test>::get(ALICE, label("rack-a")).into_inner(), vec![0]);
			assert_eq!(Providers::<Test>::get(ALICE).unwrap().machines, 1);
			assert_eq!(
				events().last(),
				Some(&Event::MachineRegistered {
					machine: 0,
					provider: ALICE,
					gpu_class: H100,
					gpus: 8
				})
			);
		});
	}

	#[test]
	fn only_providers_register_machines() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Marketplace::register_machine(
					signed(BOB),
					spec(RTX_4090, 1),
					key(1),
					proof(BOB, 1),
					region(),
					None
				),
				Error::<Test>::NotProvider
			);
		});
	}

	#[test]
	fn bad_specs_are_refused() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
			let register = |spec, region| {
				Marketplace::register_machine(
					signed(ALICE),
					spec,
					key(9),
					proof(ALICE, 9),
					region,
					None,
				)
			};
			assert_noop!(register(spec(7, 1), region()), Error::<Test>::UnknownGpuClass);
			assert_noop!(register(spec(RTX_4090, 0), region()), Error::<Test>::InvalidSpec);
			assert_noop!(register(spec(RTX_4090, 9), region()), Error::<Test>::InvalidSpec);
			let mut no_ram = spec(RTX_4090, 1);
			no_ram.ram_gib = 0;
			assert_noop!(register(no_ram, region()), Error::<Test>::InvalidSpec);
			let mut wrong_vram = spec(RTX_4090, 1);
			wrong_vram.vram_gib_per_gpu = 48;
			assert_noop!(register(wrong_vram, region()), Error::<Test>::SpecMismatchesClass);
			let lower_case = Region { country: *b"de", location: None };
			assert_noop!(register(spec(RTX_4090, 1), lower_case), Error::<Test>::InvalidRegion);
		});
	}

	#[test]
	fn a_worker_key_serves_one_machine() {
		ExtBuilder::default().build_and_execute(|| {
			alice_with_machine(None);
			assert_ok!(Marketplace::register_provider(signed(BOB), Default::default()));
			assert_noop!(
				Marketplace::register_machine(
					signed(BOB),
					spec(RTX_4090, 1),
					key(1),
					proof(BOB, 1),
					region(),
					None
				),
				Error::<Test>::WorkerKeyInUse
			);
		});
	}

	#[test]
	fn a_worker_key_needs_its_proof_of_possession() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
			assert_ok!(Marketplace::register_provider(signed(BOB), Default::default()));
			let register = |who, key_n, proof| {
				Marketplace::register_machine(
					signed(who),
					spec(RTX_4090, 1),
					key(key_n),
					proof,
					region(),
					None,
				)
			};
			// Alice's proof does not let Bob squat her key, nor does another key's signature.
			assert_noop!(register(BOB, 1, proof(ALICE, 1)), Error::<Test>::BadKeyProof);
			assert_noop!(register(ALICE, 1, proof(ALICE, 2)), Error::<Test>::BadKeyProof);
			// A proof made for another chain (another genesis hash) does not count here.
			let foreign = gpux_primitives::attestation::key_possession_message(&[1; 32], &ALICE);
			let foreign = sp_core::Pair::sign(&key_pair(1), &foreign);
			assert_noop!(register(ALICE, 1, foreign), Error::<Test>::BadKeyProof);
			assert_ok!(register(ALICE, 1, proof(ALICE, 1)));
		});
	}

	#[test]
	fn a_provider_rotates_a_worker_key_with_a_proof() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			assert_ok!(Marketplace::set_worker_key(
				signed(ALICE),
				machine,
				key(7),
				proof(ALICE, 7)
			));
			assert_eq!(Machines::<Test>::get(machine).unwrap().worker_key, key(7));
			assert_eq!(MachineOfWorkerKey::<Test>::get(key(7)), Some(machine));
			// The old key is free again, for this machine or another.
			assert!(MachineOfWorkerKey::<Test>::get(key(1)).is_none());
			assert_eq!(events(), vec![Event::WorkerKeyChanged { machine, worker_key: key(7) }]);
			assert_ok!(Marketplace::set_worker_key(
				signed(ALICE),
				machine,
				key(1),
				proof(ALICE, 1)
			));
			assert_eq!(Machines::<Test>::get(machine).unwrap().worker_key, key(1));
		});
	}

	#[test]
	fn rotating_a_worker_key_is_refused_without_proof_ownership_or_a_free_key() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			let other = crate::NextMachineId::<Test>::get();
			assert_ok!(Marketplace::register_machine(
				signed(ALICE),
				spec(RTX_4090, 1),
				key(other as u8 + 1),
				proof(ALICE, other as u8 + 1),
				region(),
				None
			));
			assert_ok!(Marketplace::register_provider(signed(BOB), Default::default()));
			assert_noop!(
				Marketplace::set_worker_key(signed(ALICE), machine, key(7), proof(ALICE, 8)),
				Error::<Test>::BadKeyProof
			);
			assert_noop!(
				Marketplace::set_worker_key(signed(BOB), machine, key(7), proof(BOB, 7)),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				Marketplace::set_worker_key(signed(ALICE), 99, key(7), proof(ALICE, 7)),
				Error::<Test>::UnknownMachine
			);
			let others_key = Machines::<Test>::get(other).unwrap().worker_key;
			assert_eq!(others_key, key(other as u8 + 1));
			assert_noop!(
				Marketplace::set_worker_key(
					signed(ALICE),
					machine,
					others_key,
					proof(ALICE, other as u8 + 1)
				),
				Error::<Test>::WorkerKeyInUse
			);
		});
	}

	#[test]
	fn machines_per_provider_and_fleet_size_are_bounded() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
			for n in 0..3u8 {
				assert_ok!(Marketplace::register_machine(
					signed(ALICE),
					spec(RTX_4090, 1),
					key(n + 1),
					proof(ALICE, n + 1),
					region(),
					Some(label("rack"))
				));
			}
			assert_noop!(
				Marketplace::register_machine(
					signed(ALICE),
					spec(RTX_4090, 1),
					key(10),
					proof(ALICE, 10),
					region(),
					Some(label("rack"))
				),
				Error::<Test>::FleetFull
			);
			assert_ok!(Marketplace::register_machine(
				signed(ALICE),
				spec(RTX_4090, 1),
				key(11),
				proof(ALICE, 11),
				region(),
				None
			));
			assert_noop!(
				Marketplace::register_machine(
					signed(ALICE),
					spec(RTX_4090, 1),
					key(12),
					proof(ALICE, 12),
					region(),
					None
				),
				Error::<Test>::TooManyMachines
			);
		});
	}

	#[test]
	fn deregistering_removes_every_trace_and_frees_the_key() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(Some("rack"));
			assert_ok!(Marketplace::deregister_machine(signed(ALICE), machine));
			assert!(Machines::<Test>::get(machine).is_none());
			assert!(MachineOfWorkerKey::<Test>::get(key(1)).is_none());
			assert!(!MachinesOf::<Test>::contains_key(ALICE, machine));
			assert!(!Fleets::<Test>::contains_key(ALICE, label("rack")));
			assert_eq!(Providers::<Test>::get(ALICE).unwrap().machines, 0);
			assert_eq!(
				events(),
				vec![Event::MachineDeregistered {
					machine,
					provider: ALICE,
					deposit: MACHINE_DEPOSIT
				}]
			);
			assert_eq!(MockMonitor::left(), vec![machine]);
			assert_ok!(Marketplace::register_machine(
				signed(ALICE),
				spec(RTX_4090, 1),
				key(1),
				proof(ALICE, 1),
				region(),
				None
			));
		});
	}

	#[test]
	fn deregistering_is_refused_to_others_unknown_and_leased_machines() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			assert_noop!(
				Marketplace::deregister_machine(signed(BOB), machine),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				Marketplace::deregister_machine(signed(ALICE), 99),
				Error::<Test>::UnknownMachine
			);
			MockLeases::set_open(machine, 1);
			assert_noop!(
				Marketplace::deregister_machine(signed(ALICE), machine),
				Error::<Test>::MachineLeased
			);
			MockLeases::set_open(machine, 0);
		});
	}
}

mod listings {
	use super::*;

	#[test]
	fn set_listing_publishes_terms_to_other_pallets() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			assert!(Marketplace::listed_machine(machine).is_none());
			assert_ok!(Marketplace::set_listing(signed(ALICE), machine, terms()));
			assert_eq!(
				events(),
				vec![Event::Listed { machine, on_demand_price: 800, spot_floor_price: 300 }]
			);
			let listed = Marketplace::listed_machine(machine).unwrap();
			assert_eq!((listed.provider, listed.gpu_count, listed.terms), (ALICE, 2, terms()));
			assert!(Marketplace::machine_exists(machine));
		});
	}

	#[test]
	fn prices_above_the_class_ceiling_are_refused() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			let mut too_dear = terms();
			too_dear.on_demand_price = RTX_4090_CEILING + 1;
			assert_noop!(
				Marketplace::set_listing(signed(ALICE), machine, too_dear),
				Error::<Test>::PriceAboveMfp
			);
			let mut spot_too_dear = terms();
			spot_too_dear.spot_floor_price = RTX_4090_CEILING + 1;
			assert_noop!(
				Marketplace::set_listing(signed(ALICE), machine, spot_too_dear),
				Error::<Test>::PriceAboveMfp
			);
			let mut at_ceiling = terms();
			at_ceiling.on_demand_price = RTX_4090_CEILING;
			assert_ok!(Marketplace::set_listing(signed(ALICE), machine, at_ceiling));
		});
	}

	#[test]
	fn unusable_terms_are_refused() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			let variants: Vec<fn(&mut gpux_primitives::ListingTerms<u128, u64>)> = vec![
				|t| t.on_demand_price = 0,
				|t| t.spot_floor_price = 0,
				|t| t.min_lease_blocks = 0,
				|t| t.max_lease_blocks = t.min_lease_blocks - 1,
				|t| {
					t.available_from = 100;
					t.available_until = Some(100)
				},
				|t| t.access = Default::default(),
			];
			for (i, spoil) in variants.into_iter().enumerate() {
				let mut bad = terms();
				spoil(&mut bad);
				assert_eq!(
					Marketplace::set_listing(signed(ALICE), machine, bad),
					Err(Error::<Test>::InvalidTerms.into()),
					"variant {i}"
				);
			}
			assert!(Machines::<Test>::get(machine).unwrap().listing.is_none());
		});
	}

	#[test]
	fn only_the_owner_lists_a_known_machine() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			assert_noop!(
				Marketplace::set_listing(signed(BOB), machine, terms()),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				Marketplace::set_listing(signed(ALICE), 42, terms()),
				Error::<Test>::UnknownMachine
			);
		});
	}

	#[test]
	fn delist_withdraws_the_offer_once() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			assert_ok!(Marketplace::set_listing(signed(ALICE), machine, terms()));
			assert_noop!(Marketplace::delist(signed(BOB), machine), Error::<Test>::NotOwner);
			events();
			assert_ok!(Marketplace::delist(signed(ALICE), machine));
			assert_eq!(events(), vec![Event::Delisted { machine }]);
			assert!(Marketplace::listed_machine(machine).is_none());
			assert_noop!(Marketplace::delist(signed(ALICE), machine), Error::<Test>::NotListed);
			assert_noop!(Marketplace::delist(signed(ALICE), 42), Error::<Test>::UnknownMachine);
		});
	}
}

mod bonds {
	use super::*;

	fn listed_gpus() -> u32 {
		Providers::<Test>::get(ALICE).unwrap().listed_gpus
	}

	/// Alice with two machines of 2 GPUs each, her bond backing 3 listed GPUs.
	fn alice_backed_for_three() -> (u64, u64) {
		let a = alice_with_machine(Some("rack"));
		let b = crate::NextMachineId::<Test>::get();
		assert_ok!(Marketplace::register_machine(
			signed(ALICE),
			spec(RTX_4090, 2),
			key(60),
			proof(ALICE, 60),
			region(),
			Some(label("rack"))
		));
		MockBonds::set(ALICE, 3);
		events();
		(a, b)
	}

	#[test]
	fn listing_needs_a_bond_backing_every_listed_gpu() {
		ExtBuilder::default().build_and_execute(|| {
			let (a, b) = alice_backed_for_three();
			assert_ok!(Marketplace::set_listing(signed(ALICE), a, terms()));
			assert_eq!(listed_gpus(), 2);
			assert_noop!(
				Marketplace::set_listing(signed(ALICE), b, terms()),
				Error::<Test>::InsufficientBond
			);
			// New terms for a listed machine list no more GPUs.
			assert_ok!(Marketplace::set_listing(signed(ALICE), a, terms()));
			assert_eq!(listed_gpus(), 2);
			assert_ok!(Marketplace::delist(signed(ALICE), a));
			assert_eq!(listed_gpus(), 0);
			assert_ok!(Marketplace::set_listing(signed(ALICE), b, terms()));
			assert_eq!(listed_gpus(), 2);
		});
	}

	#[test]
	fn a_fleet_lists_only_if_the_bond_backs_all_of_it() {
		ExtBuilder::default().build_and_execute(|| {
			let (a, _) = alice_backed_for_three();
			assert_noop!(
				Marketplace::list_fleet(signed(ALICE), label("rack"), terms()),
				Error::<Test>::InsufficientBond
			);
			MockBonds::set(ALICE, 4);
			assert_ok!(Marketplace::list_fleet(signed(ALICE), label("rack"), terms()));
			assert_eq!(listed_gpus(), 4);
			assert_ok!(Marketplace::delist_fleet(signed(ALICE), label("rack")));
			assert_eq!(listed_gpus(), 0);
			// Deregistering a listed machine stops counting its GPUs.
			assert_ok!(Marketplace::set_listing(signed(ALICE), a, terms()));
			assert_ok!(Marketplace::deregister_machine(signed(ALICE), a));
			assert_eq!(listed_gpus(), 0);
		});
	}

	#[test]
	fn staking_sees_listed_and_leased_gpus_and_can_delist_everything() {
		ExtBuilder::default().build_and_execute(|| {
			let (a, b) = alice_backed_for_three();
			MockBonds::set(ALICE, 4);
			assert_ok!(Marketplace::set_listing(signed(ALICE), a, terms()));
			assert_ok!(Marketplace::set_listing(signed(ALICE), b, terms()));
			assert_eq!(Marketplace::machine_owner(b), Some((ALICE, 2)));
			assert_eq!(Marketplace::machine_owner(9), None);
			assert_eq!(<Marketplace as ProviderMarket<u64>>::listed_gpus(&ALICE), 4);
			assert_eq!(Marketplace::committed_gpus(&ALICE), 4);
			// A delisted machine with a lease still needs its bond, until its last lease ends.
			MockLeases::set_open(b, 1);
			assert_ok!(Marketplace::delist(signed(ALICE), b));
			assert_eq!(Marketplace::committed_gpus(&ALICE), 4);
			events();
			assert_eq!(Marketplace::delist_all(&ALICE), (1, 2));
			assert_eq!(events(), vec![Event::Delisted { machine: a }]);
			assert_eq!(listed_gpus(), 0);
			assert_eq!(Marketplace::committed_gpus(&ALICE), 2);
			assert!(Marketplace::listed_machine(a).is_none());
			MockLeases::set_open(b, 0);
			Marketplace::last_lease_closed(b);
			assert_eq!(Marketplace::committed_gpus(&ALICE), 0);
			assert_eq!(Marketplace::delist_all(&BOB), (0, 0));
		});
	}

	#[test]
	fn a_leased_machine_delisted_frees_no_bond_for_another_listing() {
		ExtBuilder::default().build_and_execute(|| {
			// Bonded for one GPU: a 1-GPU machine listed, rented, then delisted.
			let a = alice_with_machine(None);
			let b = crate::NextMachineId::<Test>::get();
			assert_ok!(Marketplace::register_machine(
				signed(ALICE),
				spec(RTX_4090, 1),
				key(61),
				proof(ALICE, 61),
				region(),
				None
			));
			MockBonds::set(ALICE, 1);
			assert_ok!(Marketplace::set_listing(signed(ALICE), b, terms()));
			MockLeases::set_open(b, 1);
			assert_ok!(Marketplace::delist(signed(ALICE), b));
			// Its lease still needs the bond: a second listing is refused by name.
			let before = crate::Providers::<Test>::get(ALICE);
			assert_noop!(
				Marketplace::set_listing(signed(ALICE), a, terms()),
				Error::<Test>::InsufficientBond
			);
			assert_eq!(crate::Providers::<Test>::get(ALICE), before);
			// Relisting the leased machine itself needs no more than it had.
			assert_ok!(Marketplace::set_listing(signed(ALICE), b, terms()));
			assert_eq!(Marketplace::committed_gpus(&ALICE), 1);
		});
	}

	#[test]
	fn a_rent_sees_whether_the_bond_still_backs_the_provider() {
		ExtBuilder::default().build_and_execute(|| {
			let (a, _) = alice_backed_for_three();
			assert_ok!(Marketplace::set_listing(signed(ALICE), a, terms()));
			assert!(Marketplace::listed_machine(a).unwrap().backed);
			// A slash took the bond below the listing (staking then delists everything).
			MockBonds::set(ALICE, 1);
			assert!(!Marketplace::listed_machine(a).unwrap().backed);
			Marketplace::delist_all(&ALICE);
		});
	}
}

mod monitoring {
	use super::*;

	#[test]
	fn a_listed_machine_is_watched_from_its_listing() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(None);
			assert!(MockMonitor::watched().is_empty(), "registering alone is not serving");
			assert_ok!(Marketplace::set_listing(signed(ALICE), machine, terms()));
			assert_eq!(MockMonitor::watched(), vec![machine]);
		});
	}

	#[test]
	fn no_listing_when_the_watched_set_is_full() {
		ExtBuilder::default().build_and_execute(|| {
			let machine = alice_with_machine(Some("rack"));
			MockMonitor::set_capacity(0);
			assert_noop!(
				Marketplace::set_listing(signed(ALICE), machine, terms()),
				Error::<Test>::MonitoringFull
			);
			assert_noop!(
				Marketplace::list_fleet(signed(ALICE), label("rack"), terms()),
				Error::<Test>::MonitoringFull
			);
			assert!(Marketplace::listed_machine(machine).is_none());
		});
	}

	/// A machine whose fault could still be reported cannot leave: a challenge is open, or a
	/// lease of it may still be disputed.
	#[test]
	fn a_challenged_or_disputable_machine_cannot_leave() {
		let holds: [(fn(u64, bool), Error<Test>); 2] = [
			(MockMonitor::set_challenged, Error::<Test>::MachineChallenged),
			(MockMonitor::set_disputable, Error::<Test>::MachineDisputable),
		];
		for (hold, error) in holds {
			ExtBuilder::default().build_and_execute(|| {
				let machine = alice_with_machine(None);
				hold(machine, true);
				assert_noop!(Marketplace::deregister_machine(signed(ALICE), machine), error);
				hold(machine, false);
				assert_ok!(Marketplace::deregister_machine(signed(ALICE), machine));
			});
		}
	}

	#[test]
	fn a_machine_the_provider_cannot_pay_for_is_refused() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
			use frame_support::traits::fungible::Mutate;
			assert_ok!(Balances::burn_from(
				&ALICE,
				ENDOWMENT - PROVIDER_DEPOSIT - MACHINE_DEPOSIT / 2,
				frame_support::traits::tokens::Preservation::Expendable,
				frame_support::traits::tokens::Precision::Exact,
				frame_support::traits::tokens::Fortitude::Polite,
			));
			assert_noop!(
				Marketplace::register_machine(
					signed(ALICE),
					spec(RTX_4090, 1),
					key(1),
					proof(ALICE, 1),
					region(),
					None
				),
				Error::<Test>::DepositExceedsBalance
			);
		});
	}
}

mod fleets {
	use super::*;

	fn alice_with_fleet() -> (u64, u64) {
		let a = alice_with_machine(Some("rack"));
		assert_ok!(Marketplace::register_machine(
			signed(ALICE),
			spec(H100, 8),
			key(50),
			proof(ALICE, 50),
			region(),
			Some(label("rack"))
		));
		events();
		(a, a + 1)
	}

	#[test]
	fn list_fleet_lists_every_machine() {
		ExtBuilder::default().build_and_execute(|| {
			let (a, b) = alice_with_fleet();
			assert_ok!(Marketplace::list_fleet(signed(ALICE), label("rack"), terms()));
			assert!(Marketplace::listed_machine(a).is_some());
			assert!(Marketplace::listed_machine(b).is_some());
			assert_eq!(
				events().last(),
				Some(&Event::FleetListed { provider: ALICE, fleet: label("rack"), machines: 2 })
			);
		});
	}

	#[test]
	fn list_fleet_lists_nothing_if_one_machine_refuses_the_terms() {
		ExtBuilder::default().build_and_execute(|| {
			let (a, b) = alice_with_fleet();
			// Above the RTX 4090 ceiling, below the H100's.
			let mut dear = terms();
			dear.on_demand_price = 2_000;
			assert_noop!(
				Marketplace::list_fleet(signed(ALICE), label("rack"), dear),
				Error::<Test>::PriceAboveMfp
			);
			assert!(Marketplace::listed_machine(a).is_none());
			assert!(Marketplace::listed_machine(b).is_none());
		});
	}

	#[test]
	fn delist_fleet_delists_the_listed_ones() {
		ExtBuilder::default().build_and_execute(|| {
			let (a, b) = alice_with_fleet();
			assert_ok!(Marketplace::set_listing(signed(ALICE), a, terms()));
			events();
			assert_ok!(Marketplace::delist_fleet(signed(ALICE), label("rack")));
			assert!(Marketplace::listed_machine(a).is_none());
			assert!(Marketplace::listed_machine(b).is_none());
			assert_eq!(
				events(),
				vec![
					Event::Delisted { machine: a },
					Event::FleetDelisted { provider: ALICE, fleet: label("rack"), machines: 1 }
				]
			);
		});
	}

	#[test]
	fn unknown_fleets_are_refused() {
		ExtBuilder::default().build_and_execute(|| {
			alice_with_fleet();
			assert_noop!(
				Marketplace::list_fleet(signed(BOB), label("rack"), terms()),
				Error::<Test>::UnknownFleet
			);
			assert_noop!(
				Marketplace::delist_fleet(signed(ALICE), label("other")),
				Error::<Test>::UnknownFleet
			);
		});
	}
}

mod gpu_classes {
	use super::*;

	#[test]
	fn genesis_seeds_the_classes() {
		ExtBuilder::default().build_and_execute(|| {
			let class = GpuClasses::<Test>::get(RTX_4090).unwrap();
			assert_eq!((class.vram_gib, class.price_ceiling), (24, RTX_4090_CEILING));
			assert_eq!(crate::NextGpuClassId::<Test>::get(), 2);
		});
	}

	#[test]
	fn governance_adds_classes_and_sets_ceilings() {
		ExtBuilder::default().build_and_execute(|| {
			let model: crate::ModelOf<Test> = b"L40S".to_vec().try_into().unwrap();
			assert_ok!(Marketplace::add_gpu_class(RuntimeOrigin::root(), model, 48, 2_000));
			assert_eq!(
				events(),
				vec![Event::GpuClassAdded { class: 2, vram_gib: 48, price_ceiling: 2_000 }]
			);
			assert_ok!(Marketplace::set_gpu_class_ceiling(RuntimeOrigin::root(), 2, 2_500));
			assert_eq!(GpuClasses::<Test>::get(2).unwrap().price_ceiling, 2_500);
			assert_eq!(
				events(),
				vec![Event::GpuClassCeilingSet { class: 2, price_ceiling: 2_500 }]
			);
		});
	}

	#[test]
	fn class_changes_need_governance_and_sense() {
		ExtBuilder::default().build_and_execute(|| {
			let model = || -> crate::ModelOf<Test> { b"L40S".to_vec().try_into().unwrap() };
			assert_noop!(
				Marketplace::add_gpu_class(signed(ALICE), model(), 48, 2_000),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Marketplace::set_gpu_class_ceiling(signed(ALICE), RTX_4090, 1),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Marketplace::add_gpu_class(RuntimeOrigin::root(), model(), 0, 2_000),
				Error::<Test>::InvalidGpuClass
			);
			assert_noop!(
				Marketplace::add_gpu_class(RuntimeOrigin::root(), model(), 48, 0),
				Error::<Test>::InvalidGpuClass
			);
			assert_noop!(
				Marketplace::set_gpu_class_ceiling(RuntimeOrigin::root(), 9, 10),
				Error::<Test>::UnknownGpuClass
			);
			assert_noop!(
				Marketplace::set_gpu_class_ceiling(RuntimeOrigin::root(), RTX_4090, 0),
				Error::<Test>::InvalidGpuClass
			);
			assert_ok!(Marketplace::add_gpu_class(RuntimeOrigin::root(), model(), 48, 1));
			assert_ok!(Marketplace::add_gpu_class(RuntimeOrigin::root(), model(), 48, 1));
			assert_noop!(
				Marketplace::add_gpu_class(RuntimeOrigin::root(), model(), 48, 1),
				Error::<Test>::TooManyGpuClasses
			);
		});
	}
}

mod browsing {
	use super::*;
	use crate::runtime_api::{ListingFilter, ListingSort, MachineHealth, Page};
	use gpux_primitives::{attestation::AccessMethod, ComputeCapability, LeaseMode};
	use sp_runtime::Permill;

	/// Machine 0 runs driver 550.54.15 and met 9 windows in 10; machine 1 was never heard from.
	fn health(machine: u64) -> MachineHealth {
		if machine == 0 {
			MachineHealth {
				driver_version: Some(b"550.54.15".to_vec()),
				uptime: Some(Permill::from_percent(90)),
			}
		} else {
			MachineHealth::default()
		}
	}

	/// Alice lists machine 0 (2×4090 at 800, DE) and 1 (8×H100 at 3_000, US); machine 2
	/// (1×4090, 500) is registered but not listed.
	fn market() {
		assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
		let us = Region { country: *b"US", location: None };
		for (n, (spec, region)) in
			[(spec(RTX_4090, 2), region()), (spec(H100, 8), us), (spec(RTX_4090, 1), region())]
				.into_iter()
				.enumerate()
		{
			assert_ok!(Marketplace::register_machine(
				signed(ALICE),
				spec,
				key(n as u8 + 1),
				proof(ALICE, n as u8 + 1),
				region,
				None
			));
		}
		assert_ok!(Marketplace::set_listing(signed(ALICE), 0, terms()));
		let mut h100 = terms();
		h100.on_demand_price = 3_000;
		h100.spot_floor_price = 100;
		assert_ok!(Marketplace::set_listing(signed(ALICE), 1, h100));
	}

	fn machines(filter: ListingFilter, sort: ListingSort, page: Page) -> Vec<u64> {
		// Machine 0 has one GPU leased; machine 1 has the better reputation.
		Marketplace::listings(
			filter,
			sort,
			page,
			|m, gpus| if m == 0 { gpus - 1 } else { gpus },
			|m| Permill::from_parts(if m == 1 { 700_000 } else { 400_000 }),
			health,
		)
		.into_iter()
		.map(|view| view.machine)
		.collect()
	}

	const ALL: Page = Page { offset: 0, limit: 10 };

	#[test]
	fn only_listed_machines_show_cheapest_first() {
		ExtBuilder::default().build_and_execute(|| {
			market();
			assert_eq!(machines(Default::default(), ListingSort::PriceAscending, ALL), vec![0, 1]);
			assert_eq!(machines(Default::default(), ListingSort::PriceDescending, ALL), vec![1, 0]);
			// Sorting by spot floor reverses the order.
			let spot = ListingFilter { mode: Some(LeaseMode::Spot), ..Default::default() };
			assert_eq!(machines(spot, ListingSort::PriceAscending, ALL), vec![1, 0]);
		});
	}

	#[test]
	fn filters_narrow_the_result() {
		ExtBuilder::default().build_and_execute(|| {
			market();
			let by = |f: ListingFilter| machines(f, ListingSort::PriceAscending, ALL);
			assert_eq!(by(ListingFilter { gpu_class: Some(H100), ..Default::default() }), vec![1]);
			assert_eq!(
				by(ListingFilter { model: Some(b"4090".to_vec()), ..Default::default() }),
				vec![0]
			);
			assert_eq!(by(ListingFilter { min_vram_gib: Some(48), ..Default::default() }), vec![1]);
			assert_eq!(by(ListingFilter { max_price: Some(1_000), ..Default::default() }), vec![0]);
			assert_eq!(by(ListingFilter { country: Some(*b"US"), ..Default::default() }), vec![1]);
			assert_eq!(by(ListingFilter { min_free_gpus: Some(2), ..Default::default() }), vec![1]);
			let view = &Marketplace::listings(
				Default::default(),
				ListingSort::PriceAscending,
				ALL,
				|_, g| g,
				|_| Permill::from_percent(50),
				health,
			)[0];
			assert_eq!(
				(view.free_gpus, view.model.as_slice(), view.provider),
				(2, &b"RTX 4090"[..], ALICE)
			);
		});
	}

	#[test]
	fn renters_filter_on_hardware_access_lease_length_driver_and_uptime() {
		ExtBuilder::default().build_and_execute(|| {
			market();
			// Machine 1 (the H100) gets more of everything, SSH and Jupyter, leases to 100.
			let mut h100 = terms();
			h100.on_demand_price = 3_000;
			h100.spot_floor_price = 100;
			h100.max_lease_blocks = 100;
			h100.access.jupyter = true;
			assert_ok!(Marketplace::set_listing(signed(ALICE), 1, h100));
			Machines::<Test>::mutate(1, |m| {
				let spec = &mut m.as_mut().unwrap().spec;
				spec.cpu_cores = 96;
				spec.ram_gib = 1_024;
				spec.disk_gib = 16_000;
				spec.bandwidth_up_mbps = 10_000;
				spec.bandwidth_down_mbps = 25_000;
				spec.compute_capability = ComputeCapability { major: 9, minor: 0 };
			});
			let by = |f: ListingFilter| machines(f, ListingSort::PriceAscending, ALL);
			let none = ListingFilter::default;
			assert_eq!(by(ListingFilter { min_cpu_cores: Some(64), ..none() }), vec![1]);
			assert_eq!(by(ListingFilter { min_ram_gib: Some(129), ..none() }), vec![1]);
			assert_eq!(by(ListingFilter { min_disk_gib: Some(2_001), ..none() }), vec![1]);
			assert_eq!(by(ListingFilter { min_bandwidth_up_mbps: Some(1_001), ..none() }), vec![1]);
			assert_eq!(
				by(ListingFilter { min_bandwidth_down_mbps: Some(20_000), ..none() }),
				vec![1]
			);
			let cc = |major, minor| Some(ComputeCapability { major, minor });
			assert_eq!(
				by(ListingFilter { min_compute_capability: cc(8, 9), ..none() }),
				vec![0, 1]
			);
			assert_eq!(by(ListingFilter { min_compute_capability: cc(8, 10), ..none() }), vec![1]);
			assert_eq!(
				by(ListingFilter { access: Some(AccessMethod::Jupyter), ..none() }),
				vec![1]
			);
			assert_eq!(
				by(ListingFilter { access: Some(AccessMethod::Api), ..none() }),
				Vec::<u64>::new()
			);
			assert_eq!(by(ListingFilter { lease_blocks: Some(1_000), ..none() }), vec![0]);
			assert_eq!(by(ListingFilter { lease_blocks: Some(9), ..none() }), Vec::<u64>::new());
			let driver =
				|v: &[u8]| ListingFilter { min_driver_version: Some(v.to_vec()), ..none() };
			assert_eq!(by(driver(b"550.54")), vec![0], "a machine never heard from never matches");
			assert_eq!(by(driver(b"550.100")), Vec::<u64>::new());
			let uptime = |p| ListingFilter { min_uptime: Some(Permill::from_percent(p)), ..none() };
			assert_eq!(by(uptime(90)), vec![0]);
			assert_eq!(by(uptime(91)), Vec::<u64>::new());
		});
	}

	#[test]
	fn each_listing_shows_its_price_and_its_reputation_adjusted_price() {
		ExtBuilder::default().build_and_execute(|| {
			market();
			let views = Marketplace::listings(
				Default::default(),
				ListingSort::AdjustedPriceAscending,
				ALL,
				|_, g| g,
				|m| Permill::from_parts(if m == 1 { 1_000_000 } else { 0 }),
				health,
			);
			// 800 at the worst score counts 1,600; 3,000 at the best counts 2,000.
			let shown: Vec<_> =
				views.iter().map(|v| (v.machine, v.price_per_gpu_hour, v.adjusted_price)).collect();
			assert_eq!(shown, vec![(0, 800, 1_600), (1, 3_000, 2_000)]);
			assert_eq!(views[0].driver_version.as_deref(), Some(&b"550.54.15"[..]));
			assert_eq!(views[1].uptime, None);
		});
	}

	#[test]
	fn renters_filter_and_sort_by_reputation() {
		ExtBuilder::default().build_and_execute(|| {
			market();
			let at_least = |parts| ListingFilter {
				min_reputation: Some(Permill::from_parts(parts)),
				..Default::default()
			};
			assert_eq!(machines(at_least(500_000), ListingSort::PriceAscending, ALL), vec![1]);
			assert_eq!(machines(at_least(400_000), ListingSort::PriceAscending, ALL), vec![0, 1]);
			assert!(machines(at_least(700_001), ListingSort::PriceAscending, ALL).is_empty());
			assert_eq!(
				machines(Default::default(), ListingSort::ReputationDescending, ALL),
				vec![1, 0]
			);
		});
	}

	#[test]
	fn pages_slice_the_sorted_result() {
		ExtBuilder::default().build_and_execute(|| {
			market();
			let page = |offset, limit| {
				machines(Default::default(), ListingSort::PriceAscending, Page { offset, limit })
			};
			assert_eq!(page(0, 1), vec![0]);
			assert_eq!(page(1, 1), vec![1]);
			assert!(page(2, 1).is_empty());
			assert_eq!(Marketplace::gpu_class_list().len(), 2);
		});
	}
}

/// Every benchmark's worst case, run as the benchmarking node runs it, touches no more storage
/// than its weight charges for.
#[cfg(feature = "runtime-benchmarks")]
#[test]
fn weights_cover_every_benchmark_s_worst_case() {
	use crate::weights::WeightInfo;
	use frame_support::{traits::WhitelistedStorageKeys, weights::constants::ParityDbWeight};
	let whitelist = AllPalletsWithSystem::whitelisted_storage_keys();
	gpux_weight_check::assert_weights_cover::<Marketplace>(
		ExtBuilder::default().build(),
		gpux_weight_check::with_keystore,
		&whitelist,
		ParityDbWeight::get(),
		|case| {
			let (f, n, c) = (case.component("f"), case.component("n"), case.component("c"));
			// What the mock's lease opening touches: the machine, its index entries and its
			// class's usage (the runtime charges the leases pallet's `rent` weight instead).
			let mock_lease_open = ParityDbWeight::get().reads_writes(6, 7);
			Some(match case.name.as_str() {
				"register_provider" => <() as WeightInfo>::register_provider(),
				"register_machine" => <() as WeightInfo>::register_machine(f),
				"set_listing" => <() as WeightInfo>::set_listing(),
				"delist" => <() as WeightInfo>::delist(),
				"deregister_machine" => <() as WeightInfo>::deregister_machine(f),
				"list_fleet" => <() as WeightInfo>::list_fleet(n),
				"delist_fleet" => <() as WeightInfo>::delist_fleet(n),
				"add_gpu_class" => <() as WeightInfo>::add_gpu_class(),
				"set_gpu_class_ceiling" => <() as WeightInfo>::set_gpu_class_ceiling(),
				"set_worker_key" => <() as WeightInfo>::set_worker_key(),
				"deregister_provider" => <() as WeightInfo>::deregister_provider(),
				"set_reference_price" => <() as WeightInfo>::set_reference_price(),
				"place_order" => <() as WeightInfo>::place_order(c),
				"match_order" => <() as WeightInfo>::match_order(c),
				"cancel_order" => <() as WeightInfo>::cancel_order(),
				"expire_orders" => <() as WeightInfo>::expire_orders(n),
				"update_spot_prices" => <() as WeightInfo>::update_spot_prices(c),
				"match_resting" => <() as WeightInfo>::match_resting(n),
				"provider_backing" => <() as WeightInfo>::provider_backing(case.component("p")),
				// Charges no call: covered so that its figures stay honest.
				"match_among_listings" => {
					<() as WeightInfo>::match_among_listings(case.component("l"))
				},
				"post_job" => <() as WeightInfo>::post_job(),
				"bid" => <() as WeightInfo>::bid(case.component("b")),
				"cancel_bid" => <() as WeightInfo>::cancel_bid(case.component("b")),
				"submit_result" => <() as WeightInfo>::submit_result(),
				"accept_result" => <() as WeightInfo>::accept_result(),
				"dispute_result" => <() as WeightInfo>::dispute_result(),
				"resolve_job" => <() as WeightInfo>::resolve_job(),
				// Each job's winning lease opens (charged by the leases pallet's weight).
				"process_jobs" => <() as WeightInfo>::process_jobs(n, case.component("b"))
					.saturating_add(mock_lease_open.saturating_mul(n.into())),
				_ => return None,
			})
		},
	);
}

mod pricing {
	use super::*;
	use gpux_primitives::{Balance, MachineRegistry};

	fn mfp() -> Balance {
		Marketplace::mfp(RTX_4090).unwrap()
	}

	fn reference() -> Balance {
		GpuClasses::<Test>::get(RTX_4090).unwrap().reference_price
	}

	/// `n` closed leases on Alice's RTX 4090 machine 0 at `price`, each having paid `value`.
	fn leases_at(n: u32, price: Balance, value: Balance) {
		for _ in 0..n {
			Marketplace::lease_priced(0, price, value);
		}
	}

	#[test]
	fn the_mfp_starts_at_the_ceiling_and_follows_lease_prices() {
		ExtBuilder::default().build_and_execute(|| {
			assert_eq!(mfp(), RTX_4090_CEILING);
			assert_eq!(Marketplace::mfp(99), None);
			let machine = alice_with_machine(None);
			// Full-weight leases at 500 pull the reference 10 % of the gap each, toward no
			// less than 80 % of it: 2 % a lease down to 625, then toward 500. About 568 after 30.
			leases_at(30, 500, FULL_WEIGHT_VALUE);
			assert!((560..=580).contains(&reference()), "{}", reference());
			assert_eq!(mfp(), reference() + reference() / 5, "reference + 20 %");
			// A listing above it is refused; the machine's listing shows the MFP to leases.
			assert_noop!(
				Marketplace::set_listing(signed(ALICE), machine, terms()),
				Error::<Test>::PriceAboveMfp
			);
			let mut cheaper = terms();
			cheaper.on_demand_price = mfp();
			assert_ok!(Marketplace::set_listing(signed(ALICE), machine, cheaper));
			assert_eq!(Marketplace::listed_machine(machine).unwrap().mfp, mfp());
			let shown = || {
				Marketplace::listings(
					Default::default(),
					crate::runtime_api::ListingSort::PriceAscending,
					crate::runtime_api::Page { offset: 0, limit: 10 },
					|_, g| g,
					|_| sp_runtime::Permill::from_percent(50),
					|_| Default::default(),
				)
				.len()
			};
			assert_eq!(shown(), 1);
			// The ceiling still caps it however high leases go; a listing now above it is not
			// shown, since it cannot be rented until repriced.
			assert_ok!(Marketplace::set_gpu_class_ceiling(RuntimeOrigin::root(), RTX_4090, 600));
			assert_eq!(mfp(), 600);
			assert_eq!(shown(), 0);
		});
	}

	#[test]
	fn dumped_prices_move_the_reference_at_most_the_band_a_lease_and_governance_resets_it() {
		ExtBuilder::default().build_and_execute(|| {
			alice_with_machine(None);
			// A lease at 1 counts as one at reference × (1 − 20 %): 1,000 → 980, not 900.
			leases_at(1, 1, FULL_WEIGHT_VALUE);
			assert_eq!(reference(), 980);
			assert_noop!(
				Marketplace::set_reference_price(signed(ALICE), RTX_4090, 900),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Marketplace::set_reference_price(RuntimeOrigin::root(), RTX_4090, 0),
				Error::<Test>::InvalidGpuClass
			);
			assert_noop!(
				Marketplace::set_reference_price(RuntimeOrigin::root(), 99, 900),
				Error::<Test>::UnknownGpuClass
			);
			events();
			assert_ok!(Marketplace::set_reference_price(RuntimeOrigin::root(), RTX_4090, 700));
			assert_eq!(
				events(),
				vec![Event::ReferencePriceSet { class: RTX_4090, reference_price: 700, mfp: 840 }]
			);
			assert_eq!(mfp(), 840);
		});
	}

	#[test]
	fn self_dealt_leases_at_inflated_prices_move_the_mfp_little() {
		ExtBuilder::default().build_and_execute(|| {
			alice_with_machine(None);
			leases_at(20, 500, FULL_WEIGHT_VALUE);
			let before = mfp();
			// Each counts as a lease at the MFP of its moment: at most 2 % a lease (10 % of
			// the 20 % band), however inflated its price.
			leases_at(10, Balance::MAX / 2, FULL_WEIGHT_VALUE);
			assert!(mfp() > before);
			assert!(mfp() <= before * 122 / 100, "{before} → {}", mfp());
			// Cheap leases barely move it: a lease worth 1 weighs a thousandth of a full one.
			let before = mfp();
			leases_at(100, Balance::MAX / 2, 1);
			assert!(mfp() <= before * 1_005 / 1_000, "{before} → {}", mfp());
		});
	}
}

mod quotes {
	use super::*;
	use crate::OrderTerms;
	use gpux_primitives::{
		attestation::AccessMethod, Balance, LeaseMode, LeaseOpener, NoMatch, Region, Requirements,
	};
	use sp_runtime::Permill;

	/// Alice lists machines 0 (2×4090 at 800, DE, score 40 %) and 1 (2×4090 at 900, US,
	/// score 90 %): machine 1's adjusted price is the better one.
	fn market() {
		assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
		let us = Region { country: *b"US", location: None };
		for (n, region) in [region(), us].into_iter().enumerate() {
			assert_ok!(Marketplace::register_machine(
				signed(ALICE),
				spec(RTX_4090, 2),
				key(n as u8 + 1),
				proof(ALICE, n as u8 + 1),
				region,
				None
			));
		}
		assert_ok!(Marketplace::set_listing(signed(ALICE), 0, terms()));
		let mut dearer = terms();
		dearer.on_demand_price = 900;
		assert_ok!(Marketplace::set_listing(signed(ALICE), 1, dearer));
		MockScores::set(0, 400_000);
		MockScores::set(1, 900_000);
		// Machine 1 has one GPU leased.
		assert_ok!(MockLeases::open_lease(&BOB, 1, 1, LeaseMode::OnDemand, 100, 900, access()));
	}

	fn quote(req: Requirements, gpus: u32, max: Option<Balance>) -> Result<u64, NoMatch> {
		let terms = OrderTerms {
			requirements: req,
			gpus,
			duration: 100,
			mode: LeaseMode::OnDemand,
			max_price_per_gpu_hour: max.unwrap_or(Balance::MAX),
			split_across_fleet: false,
		};
		Marketplace::find_match(&terms, None).map(|fills| fills[0].machine)
	}

	#[test]
	fn the_best_reputation_adjusted_price_with_the_gpus_free_wins() {
		ExtBuilder::default().build_and_execute(|| {
			market();
			// 900 at 90 % compares as 642; 800 at 40 % as 888.
			assert_eq!(quote(Requirements::default(), 1, None), Ok(1));
			// Two GPUs are free only on machine 0.
			assert_eq!(quote(Requirements::default(), 2, None), Ok(0));
			assert_eq!(quote(Requirements::default(), 1, Some(850)), Ok(0));
		});
	}

	#[test]
	fn no_fit_says_how_far_the_best_candidate_got() {
		ExtBuilder::default().build_and_execute(|| {
			assert_eq!(quote(Requirements::default(), 1, None), Err(NoMatch::NoCapacity));
			market();
			let req = |f: fn(&mut Requirements)| {
				let mut r = Requirements::default();
				f(&mut r);
				r
			};
			assert_eq!(quote(Requirements::default(), 0, None), Err(NoMatch::ZeroGpus));
			assert_eq!(
				quote(req(|r| r.gpu_class = Some(H100)), 1, None),
				Err(NoMatch::NoCapacity),
				"nothing of the class is listed"
			);
			assert_eq!(
				quote(req(|r| r.gpu_class = Some(7)), 1, None),
				Err(NoMatch::UnknownGpuClass)
			);
			assert_eq!(
				quote(req(|r| r.min_vram_gib = 25), 1, None),
				Err(NoMatch::InsufficientSpec)
			);
			assert_eq!(
				quote(req(|r| r.access = Some(AccessMethod::Api)), 1, None),
				Err(NoMatch::AccessUnavailable)
			);
			assert_eq!(
				quote(req(|r| r.country = Some(*b"FR")), 1, None),
				Err(NoMatch::RegionUnavailable)
			);
			assert_eq!(
				quote(req(|r| r.min_reputation = Some(Permill::from_percent(95))), 1, None),
				Err(NoMatch::BelowMinReputation)
			);
			assert_eq!(quote(Requirements::default(), 1, Some(700)), Err(NoMatch::PriceAboveMax));
			assert_eq!(quote(Requirements::default(), 3, None), Err(NoMatch::NoCapacity));
		});
	}
}
