//! Orders, the price index they match from, and spot prices.

use frame_support::{
	assert_noop, assert_ok,
	dispatch::WithPostDispatchInfo,
	traits::{Get, Hooks},
	weights::{RuntimeDbWeight, Weight},
	BoundedVec,
};
use gpux_primitives::{Balance, LeaseMode, LeaseOpener, NoMatch, Region, Requirements};
use sp_runtime::{DispatchError, Permill};

use crate::{
	mock::*, weights::WeightInfo, ClassUsage, ClassUsages, ClassesToMatch, Error, Event,
	GpuClasses, ListingIndex, MachineRecordOf, Machines, MatchCursor, OrderBooks, OrderTerms,
	Orders, PriceKey,
};

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// Alice registers (once) and lists a machine of `gpus` RTX 4090s at `price` on demand (spot
/// floor 300), optionally in `fleet`; returns its id.
fn listed(gpus: u32, price: Balance, fleet: Option<&str>) -> u64 {
	listed_by(ALICE, gpus, price, fleet)
}

/// `listed`, by provider `who`.
fn listed_by(who: u64, gpus: u32, price: Balance, fleet: Option<&str>) -> u64 {
	if crate::Providers::<Test>::get(who).is_none() {
		assert_ok!(Marketplace::register_provider(signed(who), Default::default()));
	}
	let machine = crate::NextMachineId::<Test>::get();
	let n = machine as u8 + 1;
	assert_ok!(Marketplace::register_machine(
		signed(who),
		spec(RTX_4090, gpus),
		key(n),
		proof(who, n),
		region(),
		fleet.map(|f| f.as_bytes().to_vec().try_into().unwrap())
	));
	let mut listing = terms();
	listing.on_demand_price = price;
	assert_ok!(Marketplace::set_listing(signed(who), machine, listing));
	machine
}

fn rtx(gpus: u32, max_price: Balance) -> OrderTerms<u64> {
	OrderTerms {
		requirements: Requirements { gpu_class: Some(RTX_4090), ..Default::default() },
		gpus,
		duration: 100,
		mode: LeaseMode::OnDemand,
		max_price_per_gpu_hour: max_price,
		split_across_fleet: false,
	}
}

fn place(
	who: u64,
	terms: OrderTerms<u64>,
	expires_at: u64,
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	Marketplace::place_order(
		signed(who),
		terms.requirements,
		terms.gpus,
		terms.duration,
		terms.mode,
		terms.max_price_per_gpu_hour,
		expires_at,
		access(),
		terms.split_across_fleet,
	)
}

/// What an order of one class that got as far as its match is charged, having read `bonds`
/// providers' bonds, with `leases` openings at what the mock says each cost and `refused`
/// refused (charged at the most).
fn charged_for_match(bonds: u32, leases: u64, refused: u64) -> Weight {
	<() as WeightInfo>::match_order(1)
		.saturating_add(<() as WeightInfo>::provider_backing(bonds))
		.saturating_add(MockLeases::open_lease_weight().div(2).saturating_mul(leases))
		.saturating_add(MockLeases::open_lease_weight().saturating_mul(refused))
}

/// What an order of one class that rests, or fails on its way to rest, is charged, having read
/// `bonds` providers' bonds.
fn charged_for_rest(bonds: u32) -> Weight {
	<() as WeightInfo>::place_order(1).saturating_add(<() as WeightInfo>::provider_backing(bonds))
}

/// Runs the marketplace's `on_initialize` for each block up to `n`.
fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Marketplace::on_initialize(next);
	}
}

fn order_events() -> Vec<Event<Test>> {
	events()
		.into_iter()
		.filter(|e| {
			!matches!(
				e,
				Event::ProviderRegistered { .. }
					| Event::MachineRegistered { .. }
					| Event::Listed { .. }
					| Event::SpotPriceMoved { .. }
			)
		})
		.collect()
}

#[test]
fn an_order_fills_at_once_on_the_best_adjusted_price() {
	ExtBuilder::default().build_and_execute(|| {
		let cheap = listed(2, 800, None);
		let good = listed(2, 900, None);
		// 900 at 90 % compares as 642, 800 at 40 % as 888.
		MockScores::set(cheap, 400_000);
		MockScores::set(good, 900_000);
		events();
		assert_ok!(place(BOB, rtx(2, 1_000), 50));
		assert_eq!(MockLeases::opened(), vec![(BOB, good, 2, LeaseMode::OnDemand, 100, 900)]);
		assert_eq!(
			order_events(),
			vec![Event::OrderFilled { order: 0, renter: BOB, leases: vec![0] }]
		);
		assert_eq!(MockDeposits::held(BOB), 0, "a filled order holds no deposit");
		assert!(Orders::<Test>::iter().next().is_none());
		// The machine's GPUs are all leased: it left the index.
		assert!(ListingIndex::<Test>::iter_prefix((RTX_4090, LeaseMode::OnDemand))
			.all(|(key, _)| key.machine() == cheap));
	});
}

#[test]
fn ties_go_to_the_earliest_listing_and_the_renters_maximum_is_kept() {
	ExtBuilder::default().build_and_execute(|| {
		let first = listed(1, 800, None);
		let _second = listed(1, 800, None);
		let dear = listed(1, 950, None);
		MockScores::set(dear, 1_000_000);
		assert_ok!(place(BOB, rtx(1, 900), 50));
		assert_eq!(MockLeases::opened()[0].1, first);
	});
}

#[test]
fn an_unmatched_order_rests_says_why_and_fills_when_a_provider_lists() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(place(BOB, rtx(2, 900), 50));
		assert_eq!(
			order_events(),
			vec![
				Event::OrderUnmatched { order: 0, reason: NoMatch::NoCapacity },
				Event::OrderPlaced {
					order: 0,
					renter: BOB,
					gpu_class: Some(RTX_4090),
					max_price_per_gpu_hour: 900,
					expires_at: 50,
					deposit: ORDER_DEPOSIT,
				},
			]
		);
		assert_eq!(MockDeposits::held(BOB), ORDER_DEPOSIT);
		let machine = listed(2, 850, None);
		assert_eq!(ClassesToMatch::<Test>::get().into_inner(), vec![RTX_4090]);
		run_to(2);
		assert_eq!(MockLeases::opened(), vec![(BOB, machine, 2, LeaseMode::OnDemand, 100, 850)]);
		assert!(order_events().contains(&Event::OrderFilled {
			order: 0,
			renter: BOB,
			leases: vec![0]
		}));
		assert_eq!(MockDeposits::held(BOB), 0, "the deposit comes back on fill");
		assert!(ClassesToMatch::<Test>::get().is_empty());
	});
}

#[test]
fn a_resting_order_fills_when_a_lease_ends_or_a_price_drops() {
	ExtBuilder::default().build_and_execute(|| {
		let machine = listed(2, 800, None);
		assert_ok!(place(CHARLIE, rtx(2, 1_000), 50));
		// Bob wants one GPU at 700 at most: too dear now, and then none is free.
		assert_ok!(place(BOB, rtx(1, 700), 50));
		assert!(order_events()
			.contains(&Event::OrderUnmatched { order: 1, reason: NoMatch::NoCapacity }));
		MockLeases::close(machine, 1);
		run_to(2);
		assert!(order_events()
			.contains(&Event::OrderUnmatched { order: 1, reason: NoMatch::PriceAboveMax }));
		assert_eq!(MockLeases::opened().len(), 1);
		let mut cheaper = terms();
		cheaper.on_demand_price = 700;
		assert_ok!(Marketplace::set_listing(signed(ALICE), machine, cheaper));
		run_to(3);
		assert_eq!(MockLeases::opened()[1], (BOB, machine, 1, LeaseMode::OnDemand, 100, 700));
	});
}

#[test]
fn failed_attempts_name_their_reason() {
	ExtBuilder::default().build_and_execute(|| {
		let machine = listed(2, 800, None);
		MockScores::set(machine, 300_000);
		let reason = |f: fn(&mut OrderTerms<u64>)| {
			let mut order = rtx(1, 1_000);
			f(&mut order);
			assert_ok!(place(BOB, order, 50));
			let found = order_events().into_iter().find_map(|e| match e {
				Event::OrderUnmatched { order, reason } => Some((order, reason)),
				_ => None,
			});
			let (order, reason) = found.expect("unmatched");
			assert_ok!(Marketplace::cancel_order(signed(BOB), order));
			reason
		};
		assert_eq!(reason(|o| o.requirements.min_cpu_cores = 64), NoMatch::InsufficientSpec);
		assert_eq!(reason(|o| o.requirements.country = Some(*b"FR")), NoMatch::RegionUnavailable);
		assert_eq!(
			reason(|o| o.requirements.min_reputation = Some(Permill::from_percent(50))),
			NoMatch::BelowMinReputation
		);
		assert_eq!(
			reason(
				|o| o.requirements.access = Some(gpux_primitives::attestation::AccessMethod::Api)
			),
			NoMatch::AccessUnavailable
		);
		assert_eq!(reason(|o| o.duration = 7_000), NoMatch::DurationOutOfBounds);
		assert_eq!(reason(|o| o.max_price_per_gpu_hour = 799), NoMatch::PriceAboveMax);
		assert_eq!(reason(|o| o.gpus = 3), NoMatch::NoCapacity);
		MockBonds::set(ALICE, 0);
		assert_eq!(reason(|_| {}), NoMatch::ProviderUnderBonded);
		MockBonds::set(ALICE, 2);
	});
}

#[test]
fn an_any_class_order_takes_the_best_class_with_the_memory() {
	ExtBuilder::default().build_and_execute(|| {
		listed(1, 800, None);
		let mut order = rtx(1, 1_000);
		order.requirements = Requirements { min_vram_gib: 40, ..Default::default() };
		assert_ok!(place(BOB, order.clone(), 50));
		assert!(order_events()
			.contains(&Event::OrderUnmatched { order: 0, reason: NoMatch::InsufficientSpec }));
		assert_eq!(OrderBooks::<Test>::get(None::<u32>).len(), 1, "it rests in the any-class book");
		order.requirements.min_vram_gib = 16;
		assert_ok!(place(BOB, order, 50));
		assert_eq!(MockLeases::opened().len(), 1, "a 24 GiB RTX 4090 has the memory");
	});
}

#[test]
fn a_fleet_fills_a_large_order_all_or_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let a = listed(2, 800, Some("rack"));
		let b = listed(2, 810, Some("rack"));
		let c = listed(2, 820, Some("rack"));
		let mut order = rtx(5, 1_000);
		assert_ok!(place(BOB, order.clone(), 50));
		assert!(MockLeases::opened().is_empty(), "no machine has five GPUs");
		assert_ok!(Marketplace::cancel_order(signed(BOB), 0));
		order.split_across_fleet = true;
		MockLeases::refuse(true);
		assert_noop!(
			place(BOB, order.clone(), 50),
			DispatchError::Other("escrow exceeds balance").with_weight(charged_for_match(1, 0, 1))
		);
		MockLeases::refuse(false);
		assert_ok!(place(BOB, order, 50));
		let opened: Vec<_> = MockLeases::opened().iter().map(|l| (l.1, l.2, l.5)).collect();
		assert_eq!(opened, vec![(a, 2, 800), (b, 2, 810), (c, 1, 820)]);
	});
}

#[test]
fn an_order_is_charged_for_what_it_did_not_the_most_it_could() {
	ExtBuilder::default().build_and_execute(|| {
		let charged = |result: frame_support::dispatch::DispatchResultWithPostInfo| {
			result.expect("placed").actual_weight.expect("a weight after dispatch")
		};
		listed(2, 800, Some("rack"));
		listed(2, 810, Some("rack"));
		// Filled on one machine: the match and one lease at what it cost.
		assert_eq!(charged(place(BOB, rtx(1, 1_000), 50)), charged_for_match(1, 1, 0));
		// Split over the fleet: two leases (the first machine's last GPU, the second's two);
		// the same order again finds no GPU free and rests.
		let mut split = rtx(3, 1_000);
		split.split_across_fleet = true;
		assert_eq!(charged(place(BOB, split.clone(), 50)), charged_for_match(1, 2, 0));
		assert_eq!(charged(place(BOB, split, 50)), charged_for_rest(0));
		assert!(charged_for_match(1, 1, 0).all_lt(Marketplace::place_order_weight(1, 1)));
	});
}

#[test]
fn an_order_whose_second_lease_is_refused_pays_for_the_first_and_the_refusal() {
	ExtBuilder::default().build_and_execute(|| {
		listed(2, 800, Some("rack"));
		listed(2, 810, Some("rack"));
		let mut split = rtx(3, 1_000);
		split.split_across_fleet = true;
		MockLeases::refuse_after(1);
		// The first lease opened and is undone with the order; both openings are charged.
		assert_noop!(
			place(BOB, split, 50),
			DispatchError::Other("escrow exceeds balance").with_weight(charged_for_match(1, 1, 1))
		);
	});
}

#[test]
fn a_match_reads_a_bond_only_where_it_can_change_the_choice() {
	ExtBuilder::default().build_and_execute(|| {
		let charged = |result: frame_support::dispatch::DispatchResultWithPostInfo| {
			result.expect("placed").actual_weight.expect("a weight after dispatch")
		};
		listed_by(ALICE, 2, 800, None);
		let charlies = listed_by(CHARLIE, 2, 800, None);
		// Alice's machine wins the tie: Charlie's, no better, is not read.
		assert_eq!(charged(place(BOB, rtx(1, 1_000), 50)), charged_for_match(1, 1, 0));
		// Alice's bond no longer backs her GPUs: Charlie's is read and takes the order.
		MockBonds::set(ALICE, 0);
		assert_eq!(charged(place(BOB, rtx(1, 1_000), 50)), charged_for_match(2, 1, 0));
		assert_eq!(MockLeases::opened().last().map(|l| l.1), Some(charlies));
		MockBonds::set(ALICE, 2);
		// Bounded by the candidates the match may read, whatever it reads.
		assert!(charged_for_match(MAX_MATCH_CANDIDATES, 1, 0)
			.all_lte(Marketplace::place_order_weight(1, 1)));
	});
}

#[test]
fn a_lease_that_cannot_open_fails_the_order_and_changes_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		listed(2, 800, None);
		MockLeases::refuse(true);
		assert_noop!(
			place(BOB, rtx(1, 1_000), 50),
			DispatchError::Other("escrow exceeds balance").with_weight(charged_for_match(1, 0, 1))
		);
	});
}

#[test]
fn a_resting_order_whose_lease_cannot_open_is_dropped_with_its_deposit_back() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(place(BOB, rtx(1, 1_000), 50));
		MockLeases::refuse(true);
		listed(2, 800, None);
		run_to(2);
		// Events keep no error message.
		assert!(order_events().contains(&Event::OrderDropped {
			order: 0,
			error: DispatchError::Other(""),
			deposit: ORDER_DEPOSIT,
		}));
		assert_eq!(MockDeposits::held(BOB), 0);
		assert!(Orders::<Test>::get(0).is_none());
	});
}

#[test]
fn the_block_s_matching_pays_for_its_leases_opened_or_refused() {
	let hook_weight = |refuse: bool| {
		let mut weight = Weight::zero();
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(place(BOB, rtx(1, 1_000), 50));
			listed(2, 800, None);
			MockLeases::refuse(refuse);
			System::set_block_number(2);
			weight = Marketplace::on_initialize(2);
			assert!(Orders::<Test>::get(0).is_none(), "tried and out of the book");
		});
		weight
	};
	// The lease opened costs what the mock says (half the most); a refused one the most.
	assert_eq!(hook_weight(true), hook_weight(false) + MockLeases::open_lease_weight().div(2));
}

#[test]
fn the_block_s_matching_pays_for_the_orders_it_removes_and_each_class_it_scans() {
	let class_scan = <() as WeightInfo>::match_order(2) - <() as WeightInfo>::match_order(1);
	let db: RuntimeDbWeight = <Test as frame_system::Config>::DbWeight::get();
	ExtBuilder::default().build_and_execute(|| {
		// An order that fills: tried in its class, after an empty class passed over.
		assert_ok!(place(BOB, rtx(1, 1_000), 50));
		listed(2, 800, None);
		ClassesToMatch::<Test>::put(BoundedVec::truncate_from(vec![H100, RTX_4090]));
		MatchCursor::<Test>::kill();
		let work = Marketplace::match_resting();
		assert_eq!((work.tried, work.removed, work.classes, work.skipped), (1, 1, 1, 1));
		assert_eq!(
			Marketplace::resting_match_weight(work),
			<() as WeightInfo>::match_resting(1)
				+ <() as WeightInfo>::provider_backing(work.bonds_read)
				+ work.leases
				+ <() as WeightInfo>::cancel_order()
				+ db.reads(1)
		);

		// An any-class order below every listing's price, tried in two classes: it stays, and
		// the second class's scan is charged on top of the benchmarked one.
		let mut any = rtx(1, 700);
		any.requirements.gpu_class = None;
		assert_ok!(place(BOB, any, 50));
		ClassesToMatch::<Test>::put(BoundedVec::truncate_from(vec![H100, RTX_4090]));
		MatchCursor::<Test>::kill();
		let work = Marketplace::match_resting();
		assert_eq!((work.tried, work.removed, work.classes), (2, 0, 2));
		assert_eq!(
			Marketplace::resting_match_weight(work),
			<() as WeightInfo>::match_resting(2)
				+ <() as WeightInfo>::provider_backing(work.bonds_read)
				+ work.leases
				+ class_scan + db.reads(work.skipped.into())
		);
	});
}

#[test]
fn cancel_and_expiry_return_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(place(BOB, rtx(1, 900), 5));
		assert_ok!(place(BOB, rtx(1, 900), 6));
		assert_noop!(Marketplace::cancel_order(signed(CHARLIE), 0), Error::<Test>::NotOrderOwner);
		assert_noop!(Marketplace::cancel_order(signed(BOB), 9), Error::<Test>::UnknownOrder);
		assert_ok!(Marketplace::cancel_order(signed(BOB), 0));
		assert!(
			order_events().contains(&Event::OrderCancelled { order: 0, deposit: ORDER_DEPOSIT })
		);
		assert_eq!(MockDeposits::held(BOB), ORDER_DEPOSIT);
		run_to(6);
		assert!(order_events().contains(&Event::OrderExpired { order: 1, deposit: ORDER_DEPOSIT }));
		assert_eq!(MockDeposits::held(BOB), 0);
		assert!(OrderBooks::<Test>::iter().next().is_none());
	});
}

#[test]
fn bad_orders_are_refused_with_nothing_changed() {
	ExtBuilder::default().build_and_execute(|| {
		// Refused by its checks: charged those (with the match), no bond, rest or lease.
		let checked = <() as WeightInfo>::match_order(1);
		let with = |f: fn(&mut OrderTerms<u64>)| {
			let mut order = rtx(1, 900);
			f(&mut order);
			order
		};
		assert_noop!(
			place(BOB, with(|o| o.gpus = 0), 50),
			Error::<Test>::ZeroGpus.with_weight(checked)
		);
		assert_noop!(
			place(BOB, with(|o| o.duration = 0), 50),
			Error::<Test>::InvalidOrder.with_weight(checked)
		);
		assert_noop!(
			place(BOB, with(|o| o.max_price_per_gpu_hour = 0), 50),
			Error::<Test>::InvalidOrder.with_weight(checked)
		);
		assert_noop!(
			place(BOB, rtx(1, 900), 1),
			Error::<Test>::ExpiryOutOfBounds.with_weight(checked)
		);
		assert_noop!(
			place(BOB, rtx(1, 900), 2 + ORDER_LIFETIME),
			Error::<Test>::ExpiryOutOfBounds.with_weight(checked)
		);
		assert_noop!(
			place(BOB, with(|o| o.requirements.gpu_class = Some(7)), 50),
			Error::<Test>::UnknownGpuClass.with_weight(checked)
		);
		assert_noop!(
			place(BOB, with(|o| o.max_price_per_gpu_hour = RTX_4090_CEILING + 1), 50),
			Error::<Test>::PriceAboveMfp.with_weight(checked)
		);
		assert_noop!(
			place(
				BOB,
				with(|o| o.requirements = Requirements { min_vram_gib: 100, ..Default::default() }),
				50
			),
			// Any class: every class is looked at.
			Error::<Test>::UnknownGpuClass
				.with_weight(<() as WeightInfo>::match_order(crate::NextGpuClassId::<Test>::get()))
		);
		assert_noop!(
			place(POOR, rtx(1, 900), 50),
			Error::<Test>::DepositExceedsBalance.with_weight(charged_for_rest(0))
		);
	});
}

#[test]
fn an_order_with_a_key_no_container_could_use_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let terms = rtx(1, 700);
		let bad_seal = gpux_primitives::AccessSpec { seal_key: Some([0; 32]), ..access() };
		assert_noop!(
			Marketplace::place_order(
				signed(BOB),
				terms.requirements,
				terms.gpus,
				terms.duration,
				terms.mode,
				terms.max_price_per_gpu_hour,
				60,
				bad_seal,
				terms.split_across_fleet,
			)
			.map_err(|e| e.error),
			Error::<Test>::MalformedSealKey
		);
	});
}

#[test]
fn a_full_book_gives_way_only_to_a_higher_price() {
	ExtBuilder::default().build_and_execute(|| {
		for price in [700, 800, 600] {
			assert_ok!(place(BOB, rtx(1, price), 50 + price as u64 / 100));
		}
		let book = || OrderBooks::<Test>::get(Some(RTX_4090)).into_inner();
		assert_eq!(book(), vec![(800, 1), (700, 0), (600, 2)]);
		assert_noop!(
			place(CHARLIE, rtx(1, 600), 60),
			Error::<Test>::BookFull.with_weight(charged_for_rest(0))
		);
		assert_ok!(place(CHARLIE, rtx(1, 650), 60));
		assert_eq!(book(), vec![(800, 1), (700, 0), (650, 3)]);
		assert!(order_events().contains(&Event::OrderEvicted {
			order: 2,
			by: 3,
			deposit: ORDER_DEPOSIT
		}));
		assert_eq!(MockDeposits::held(BOB), 2 * ORDER_DEPOSIT);
	});
}

#[test]
fn a_renter_rests_a_bounded_number_of_orders() {
	ExtBuilder::default().build_and_execute(|| {
		for at in 50..53 {
			assert_ok!(place(BOB, rtx(1, 900), at));
		}
		assert_noop!(
			place(BOB, rtx(1, 900), 60),
			Error::<Test>::TooManyOrders.with_weight(charged_for_rest(0))
		);
		assert_ok!(Marketplace::cancel_order(signed(BOB), 0));
		assert_ok!(place(BOB, rtx(1, 900), 60));
	});
}

#[test]
fn an_expiry_block_holds_a_bounded_number_of_orders() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(place(BOB, rtx(1, 900), 50));
		assert_ok!(place(BOB, rtx(1, 900), 50));
		assert_noop!(
			place(CHARLIE, rtx(1, 950), 50),
			Error::<Test>::ExpiryScheduleFull.with_weight(charged_for_rest(0))
		);
		assert_ok!(place(CHARLIE, rtx(1, 950), 51));
	});
}

#[test]
fn resting_orders_are_tried_a_bounded_number_per_block_best_price_first() {
	ExtBuilder::default().build_and_execute(|| {
		for (who, price) in [(BOB, 700), (CHARLIE, 900), (BOB, 800)] {
			assert_ok!(place(who, rtx(1, price), price as u64 / 10));
		}
		let machine = listed(1, 600, None);
		events();
		// Two tries a block: Charlie's 900 fills the only GPU, Bob's 800 finds none free.
		run_to(2);
		assert_eq!(
			MockLeases::opened(),
			vec![(CHARLIE, machine, 1, LeaseMode::OnDemand, 100, 600)]
		);
		assert!(order_events()
			.contains(&Event::OrderUnmatched { order: 2, reason: NoMatch::NoCapacity }));
		assert_eq!(ClassesToMatch::<Test>::get().len(), 1, "Bob's 700 is still to be tried");
		run_to(3);
		assert!(order_events()
			.contains(&Event::OrderUnmatched { order: 0, reason: NoMatch::NoCapacity }));
		assert!(ClassesToMatch::<Test>::get().is_empty(), "every order was tried");
		run_to(4);
		assert!(order_events().is_empty(), "no capacity appeared: nothing is tried again");
	});
}

#[test]
fn the_index_follows_listings_and_leases() {
	ExtBuilder::default().build_and_execute(|| {
		let machine = listed(2, 800, None);
		let entry = || {
			ListingIndex::<Test>::contains_key(
				(RTX_4090, LeaseMode::OnDemand),
				PriceKey::new(800, machine),
			)
		};
		assert!(entry());
		assert_eq!(
			ClassUsages::<Test>::get(RTX_4090),
			ClassUsage { listed_gpus: 2, leased_gpus: 0 }
		);
		assert_ok!(place(BOB, rtx(2, 900), 50));
		assert!(!entry(), "no GPU free");
		assert_eq!(
			ClassUsages::<Test>::get(RTX_4090),
			ClassUsage { listed_gpus: 2, leased_gpus: 2 }
		);
		MockLeases::close(machine, 2);
		assert!(entry());
		assert_ok!(Marketplace::delist(signed(ALICE), machine));
		assert!(!entry());
		assert_eq!(ClassUsages::<Test>::get(RTX_4090), ClassUsage::default());
	});
}

#[test]
fn a_spot_order_pays_the_higher_of_the_floor_and_the_spot_price() {
	ExtBuilder::default().build_and_execute(|| {
		let machine = listed(2, 800, None);
		let mut order = rtx(1, 1_000);
		order.mode = LeaseMode::Spot;
		assert_eq!(Marketplace::spot_price(RTX_4090), Some(250), "a quarter of the reference");
		assert_ok!(place(BOB, order.clone(), 50));
		assert_eq!(MockLeases::opened()[0], (BOB, machine, 1, LeaseMode::Spot, 100, 300));
		GpuClasses::<Test>::mutate(RTX_4090, |c| c.as_mut().unwrap().spot_price = 450);
		assert_ok!(place(BOB, order, 50));
		assert_eq!(MockLeases::opened()[1].5, 450);
	});
}

#[test]
fn spot_prices_follow_utilization_by_at_most_a_step_within_floor_and_mfp() {
	ExtBuilder::default().build_and_execute(|| {
		let spot = || Marketplace::spot_price(RTX_4090).unwrap();
		GpuClasses::<Test>::mutate(RTX_4090, |c| c.as_mut().unwrap().spot_price = 400);
		let machine = listed(4, 800, None);
		// All four leased: utilization 100 %, the full step up.
		assert_ok!(place(BOB, rtx(4, 900), 50));
		run_to(SPOT_EPOCH);
		assert_eq!(spot(), 450);
		assert!(events().contains(&Event::SpotPriceMoved {
			class: RTX_4090,
			spot_price: 450,
			utilization: Permill::one(),
		}));
		// Three of four: half-way between target (50 %) and full, half a step up.
		MockLeases::close(machine, 4);
		assert_ok!(place(BOB, rtx(3, 900), 50));
		run_to(2 * SPOT_EPOCH);
		assert_eq!(spot(), 478);
		// Nothing leased: the full step down, then down to the floor and no further.
		MockLeases::close(machine, 3);
		run_to(3 * SPOT_EPOCH);
		// 478 − 12.5 % of it (59.75, rounded to the nearest).
		assert_eq!(spot(), 418);
		run_to(30 * SPOT_EPOCH);
		assert_eq!(spot(), 250, "the floor: a quarter of the reference price");
		// Never above the MFP, however full the class is.
		GpuClasses::<Test>::mutate(RTX_4090, |c| c.as_mut().unwrap().spot_price = 990);
		assert_ok!(place(BOB, rtx(4, 900), 31 * SPOT_EPOCH));
		run_to(31 * SPOT_EPOCH);
		assert_eq!(spot(), RTX_4090_CEILING);
	});
}

/// An RTX 4090 machine of `gpus` GPUs listed at `price`, written straight to storage (as
/// `set_listing` would leave it) so that a test can have thousands.
fn stored_listing(machine: u64, price: Balance, gpus: u32) {
	let mut listing = terms();
	listing.on_demand_price = price;
	let record: MachineRecordOf<Test> = crate::MachineRecord {
		provider: ALICE,
		spec: spec(RTX_4090, gpus),
		worker_key: key(1),
		region: Region { country: *b"US", location: None },
		fleet: None,
		listing: Some(listing),
		registered_at: 1,
		deposit: 0,
		leased_gpus: 0,
	};
	Marketplace::sync_market(machine, None, Some(&record));
	Machines::<Test>::insert(machine, record);
}

#[test]
fn matching_reads_the_same_bounded_number_of_entries_among_10_or_100_000_listings() {
	let reads_among = |listings: u64| {
		let mut ext = ExtBuilder::default().build();
		ext.execute_with(|| {
			// All but the dearest have one GPU: the order for two scans past them.
			for machine in 0..listings {
				stored_listing(
					machine,
					100 + machine as Balance,
					if machine + 1 == listings { 2 } else { 1 },
				);
			}
		});
		let (reads, found) = gpux_weight_check::storage_reads(ext, || {
			Marketplace::find_match(&rtx(2, 1_000_000), None)
		});
		assert_eq!(found, Err(NoMatch::NoCapacity), "the cheapest candidates have one GPU");
		reads
	};
	let (few, many) = (reads_among(10), reads_among(100_000));
	// The class, the spot parameters, and per candidate its index entry, machine, score and
	// bond: nothing that grows with the listings.
	let bound = 4 + 6 * MAX_MATCH_CANDIDATES;
	assert!(few <= bound && many <= bound, "{few} and {many} reads, bound {bound}");
	assert_eq!(few, many);
}

mod properties {
	use super::*;
	use proptest::prelude::*;

	/// A listing: price, GPUs, GPUs leased, score (parts per million), in Germany, CPU cores.
	type Listing = (Balance, u32, u32, u32, bool, u32);

	fn listing() -> impl Strategy<Value = Listing> {
		(500..1_200u128, 1..5u32, 0..5u32, 0..=1_000_000u32, any::<bool>(), 8..64u32)
	}

	/// An order: GPUs, max price, min reputation (percent), Germany only, min CPU cores.
	type Order = (u32, Balance, Option<u32>, bool, u32);

	fn order() -> impl Strategy<Value = Order> {
		(1..4u32, 400..1_300u128, proptest::option::of(0..100u32), any::<bool>(), 0..48u32)
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(128))]

		#[test]
		fn a_match_keeps_the_prices_meets_the_requirements_and_skips_no_better_listing(
			listings in proptest::collection::vec(listing(), 0..10),
			(gpus, max_price, min_reputation, germany, min_cpu) in order(),
		) {
			ExtBuilder::default().build().execute_with(|| {
				for (i, (price, count, leased, score, de, cpu)) in listings.iter().enumerate() {
					let machine = i as u64;
					let mut listing = terms();
					listing.on_demand_price = *price;
					let mut machine_spec = spec(RTX_4090, *count);
					machine_spec.cpu_cores = *cpu;
					let country = if *de { *b"DE" } else { *b"US" };
					let record: MachineRecordOf<Test> = crate::MachineRecord {
						provider: ALICE,
						spec: machine_spec,
						worker_key: key(1),
						region: Region { country, location: None },
						fleet: None,
						listing: Some(listing),
						registered_at: 1,
						deposit: 0,
						leased_gpus: (*leased).min(*count),
					};
					Marketplace::sync_market(machine, None, Some(&record));
					Machines::<Test>::insert(machine, record);
					MockScores::set(machine, *score);
				}
				let mut order = rtx(gpus, max_price);
				order.requirements.min_reputation = min_reputation.map(Permill::from_percent);
				order.requirements.country = germany.then_some(*b"DE");
				order.requirements.min_cpu_cores = min_cpu;
				let mfp = Marketplace::mfp(RTX_4090).unwrap();
				let eligible = |m: &u64| {
					let (price, count, leased, score, de, cpu) = listings[*m as usize];
					price <= max_price.min(mfp) &&
						count - leased.min(count) >= gpus &&
						min_reputation.is_none_or(|r| Permill::from_parts(score) >= Permill::from_percent(r)) &&
						(!germany || de) &&
						cpu >= min_cpu
				};
				// The candidates a match looks at: the cheapest with a GPU free.
				let mut indexed: Vec<u64> = (0..listings.len() as u64)
					.filter(|m| { let (_, c, l, ..) = listings[*m as usize]; l < c })
					.collect();
				indexed.sort_by_key(|m| (listings[*m as usize].0, *m));
				indexed.truncate(MAX_MATCH_CANDIDATES as usize);
				match Marketplace::find_match(&order, None) {
					Ok(fills) => {
						prop_assert_eq!(fills.len(), 1);
						let fill = fills[0];
						let chosen = listings[fill.machine as usize];
						prop_assert!(fill.price <= max_price && fill.price <= mfp);
						prop_assert_eq!(fill.price, chosen.0);
						prop_assert!(eligible(&fill.machine), "the match meets the order");
						for other in (0..listings.len() as u64).filter(eligible) {
							let l = listings[other as usize];
							prop_assert!(
								!(l.0 < chosen.0 && l.3 >= chosen.3),
								"machine {} is cheaper and no worse than {}", other, fill.machine
							);
						}
					},
					Err(_) => prop_assert!(
						!indexed.iter().any(eligible),
						"a listing among the cheapest fits, yet nothing matched"
					),
				}
				Ok(())
			})?;
		}
	}
}
