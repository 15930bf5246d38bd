//! Every call and refusal, expiry, settlement to the unit, and spot preemption.

use frame_support::{assert_noop, assert_ok};
use gpux_primitives::{AccessSpec, LeaseId, LeaseMode};
use sp_runtime::DispatchError;

use crate::{
	mock::*, CloseReason, Closes, Error, Event, LeaseStatus, Leases as LeaseRecords, MachineLeases,
};

fn rent(who: u64, gpus: u32, mode: LeaseMode, duration: u64, max: u128) -> LeaseId {
	let lease = crate::NextLeaseId::<Test>::get();
	assert_ok!(Leases::rent(
		RuntimeOrigin::signed(who),
		MACHINE,
		gpus,
		mode,
		duration,
		max,
		access()
	));
	lease
}

fn try_rent(
	who: u64,
	machine: u64,
	gpus: u32,
	mode: LeaseMode,
	duration: u64,
	max: u128,
) -> sp_runtime::DispatchResult {
	Leases::rent(RuntimeOrigin::signed(who), machine, gpus, mode, duration, max, access())
		.map(|_| ())
		.map_err(|e| e.error)
}

fn status(lease: LeaseId) -> LeaseStatus<u64> {
	LeaseRecords::<Test>::get(lease).unwrap().status
}

mod renting {
	use super::*;

	#[test]
	fn on_demand_rent_holds_the_budget_and_schedules_the_end() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			// 2 GPUs × 100 blocks × 1 unit per GPU-block.
			assert_eq!(held(RENTER), 200);
			assert_eq!(balance(RENTER), 1_000_000 - 200);
			let record = LeaseRecords::<Test>::get(lease).unwrap();
			assert_eq!((record.starts_at, record.ends_at, record.escrow), (1, 101, 200));
			assert_eq!(record.status, LeaseStatus::Active);
			assert!(MachineLeases::<Test>::get(MACHINE).contains(&lease));
			assert!(Closes::<Test>::get(101).contains(&lease));
			assert_eq!(
				events(),
				vec![Event::Rented {
					lease,
					renter: RENTER,
					machine: MACHINE,
					gpus: 2,
					mode: LeaseMode::OnDemand,
					price_per_gpu_hour: PRICE,
					starts_at: 1,
					ends_at: 101,
					escrow: 200
				}]
			);
		});
	}

	#[test]
	fn a_key_no_container_could_use_is_refused_at_rent() {
		ExtBuilder::default().build_and_execute(|| {
			let rent = |ssh: &[u8], seal: Option<[u8; 32]>| {
				let access =
					AccessSpec { ssh_public_key: ssh.to_vec().try_into().unwrap(), seal_key: seal };
				Leases::rent(
					RuntimeOrigin::signed(RENTER),
					MACHINE,
					1,
					LeaseMode::OnDemand,
					100,
					PRICE,
					access,
				)
				.map_err(|e| e.error)
			};
			let key = gpux_primitives::access::EXAMPLE_SSH_KEY;
			assert_noop!(rent(b"ssh-ed25519 AAAA renter", None), Error::<Test>::MalformedSshKey);
			assert_noop!(
				rent(&[key, b"\nssh-ed25519 AAAA"].concat(), None),
				Error::<Test>::MalformedSshKey
			);
			assert_noop!(rent(key, Some([0; 32])), Error::<Test>::MalformedSealKey);
			assert_ok!(rent(key, Some([9; 32])));
		});
	}

	#[test]
	fn bad_rents_are_refused_and_change_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			use LeaseMode::*;
			assert_noop!(
				try_rent(RENTER, MACHINE, 0, OnDemand, 100, PRICE),
				Error::<Test>::ZeroGpus
			);
			assert_noop!(
				try_rent(RENTER, 7, 1, OnDemand, 100, PRICE),
				Error::<Test>::UnknownMachine
			);
			assert_noop!(
				try_rent(RENTER, UNLISTED, 1, OnDemand, 100, PRICE),
				Error::<Test>::NotListed
			);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, OnDemand, 100, PRICE - 1),
				Error::<Test>::PriceAboveMax
			);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, Spot, 100, SPOT_FLOOR - 1),
				Error::<Test>::BidBelowFloor
			);
			// The class's spot price is above the floor: a bid at the floor is too low.
			MockMachines::set_spot_price(SPOT_FLOOR + 10);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, Spot, 100, SPOT_FLOOR + 9),
				Error::<Test>::BidBelowSpotPrice
			);
			MockMachines::set_spot_price(0);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, OnDemand, 9, PRICE),
				Error::<Test>::DurationOutOfBounds
			);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, OnDemand, 1_001, PRICE),
				Error::<Test>::DurationOutOfBounds
			);
			assert_noop!(
				try_rent(RENTER, MACHINE, 5, OnDemand, 100, PRICE),
				Error::<Test>::NoFreeGpus
			);
			// 1 GPU for 200 blocks is 200 units; POOR has 100.
			assert_noop!(
				try_rent(POOR, MACHINE, 1, OnDemand, 200, PRICE),
				Error::<Test>::EscrowExceedsBalance
			);
		});
	}

	#[test]
	fn availability_window_is_respected() {
		ExtBuilder::default().build_and_execute(|| {
			let mut later = terms();
			later.available_from = 50;
			later.available_until = Some(200);
			MockMachines::set(MACHINE, 4, Some(later));
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::OnDemand, 100, PRICE),
				Error::<Test>::NotAvailableYet
			);
			run_to_block(50);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::OnDemand, 151, PRICE),
				Error::<Test>::DurationOutOfBounds
			);
			assert_ok!(try_rent(RENTER, MACHINE, 1, LeaseMode::OnDemand, 150, PRICE));
		});
	}

	#[test]
	fn leased_gpus_never_exceed_the_machine() {
		ExtBuilder::default().build_and_execute(|| {
			rent(RENTER, 3, LeaseMode::OnDemand, 100, PRICE);
			assert_noop!(
				try_rent(SPOT_RENTER, MACHINE, 2, LeaseMode::OnDemand, 100, PRICE),
				Error::<Test>::NoFreeGpus
			);
			rent(SPOT_RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			// On-demand leases are never preempted, not even by a rich spot bid.
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::Spot, 100, PRICE * 10),
				Error::<Test>::NoFreeGpus
			);
		});
	}

	#[test]
	fn open_leases_per_machine_and_closes_per_block_are_bounded() {
		ExtBuilder::default().build_and_execute(|| {
			MockMachines::set(MACHINE, 8, Some(terms()));
			// Closes at 101 and 102 fill up (2 a block, 2 blocks of delay)...
			for _ in 0..4 {
				rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			}
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::OnDemand, 100, PRICE),
				Error::<Test>::TooManyLeases
			);
			MockMachines::set(2, 8, Some(terms()));
			for _ in 0..2 {
				assert_ok!(try_rent(RENTER, 2, 1, LeaseMode::OnDemand, 100, PRICE));
			}
			// ...and 103 too: no block within MaxCloseDelay of 101 has room.
			assert_noop!(
				try_rent(RENTER, 2, 1, LeaseMode::OnDemand, 100, PRICE),
				Error::<Test>::ScheduleFull
			);
		});
	}
}

mod settling {
	use super::*;

	#[test]
	fn settle_pays_the_provider_what_accrued_minus_the_fee() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(31);
			events();
			// Anyone may settle: 2 GPUs × 30 blocks = 60; 5% fee = 3.
			assert_ok!(Leases::settle(RuntimeOrigin::signed(SPOT_RENTER), lease));
			assert_eq!(events(), vec![Event::Settled { lease, to_provider: 57, fee: 3 }]);
			assert_eq!(balance(PROVIDER), 1_000 + 57);
			assert_eq!(balance(TREASURY), 1 + 3);
			assert_eq!(held(RENTER), 140);
			// A second settle pays only what accrued since.
			run_to_block(41);
			assert_ok!(Leases::settle(RuntimeOrigin::signed(PROVIDER), lease));
			assert_eq!(held(RENTER), 120);
			assert_eq!(balance(PROVIDER) + balance(TREASURY), 1_000 + 1 + 80);
		});
	}

	#[test]
	fn a_lease_pays_the_fee_in_force_when_it_opened() {
		ExtBuilder::default().build_and_execute(|| {
			let before = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			// Governance doubles the fee: the running lease keeps 5 %, a new one pays 10 %.
			ProtocolFee::set(sp_runtime::Perbill::from_percent(10));
			let after = rent(SPOT_RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(31);
			events();
			assert_ok!(Leases::settle(RuntimeOrigin::signed(PROVIDER), before));
			assert_ok!(Leases::settle(RuntimeOrigin::signed(PROVIDER), after));
			assert_eq!(
				events(),
				vec![
					Event::Settled { lease: before, to_provider: 57, fee: 3 },
					Event::Settled { lease: after, to_provider: 54, fee: 6 },
				]
			);
		});
	}

	#[test]
	fn expiry_pays_the_whole_budget_and_closes() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(100);
			assert_eq!(status(lease), LeaseStatus::Active);
			events();
			run_to_block(101);
			assert_eq!(status(lease), LeaseStatus::Closed { reason: CloseReason::Expired });
			assert_eq!(
				events(),
				vec![
					Event::Settled { lease, to_provider: 190, fee: 10 },
					Event::Closed { lease, reason: CloseReason::Expired, refunded: 0 }
				]
			);
			assert_eq!(held(RENTER), 0);
			assert_eq!(balance(RENTER), 1_000_000 - 200);
			assert!(MachineLeases::<Test>::get(MACHINE).is_empty());
			assert_noop!(
				Leases::settle(RuntimeOrigin::signed(RENTER), lease),
				Error::<Test>::LeaseClosed
			);
		});
	}

	#[test]
	fn a_payout_a_missing_provider_cannot_receive_goes_back_to_the_renter() {
		// The provider has no account and the 10 units owed are below the existential deposit
		// of 20: the transfer fails, the amount stays in escrow, the close refunds it.
		ExtBuilder::default()
			.existential_deposit(20)
			.with_balance(PROVIDER, 0)
			.with_balance(TREASURY, 20)
			.build_and_execute(|| {
				let lease = rent(RENTER, 1, LeaseMode::OnDemand, 10, PRICE);
				events();
				run_to_block(11);
				assert_eq!(
					events(),
					vec![Event::Closed { lease, reason: CloseReason::Expired, refunded: 10 }]
				);
				assert_eq!(balance(PROVIDER), 0);
				assert_eq!(held(RENTER), 0);
				assert_eq!(balance(RENTER), 1_000_000);
			});
	}

	#[test]
	fn settle_refuses_unknown_leases() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				Leases::settle(RuntimeOrigin::signed(RENTER), 9),
				Error::<Test>::UnknownLease
			);
		});
	}
}

mod terminating {
	use super::*;

	#[test]
	fn terminate_pays_what_accrued_and_refunds_the_rest() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(41);
			events();
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), lease));
			// 40 blocks × 2 GPUs = 80 accrued: 76 to the provider, 4 fee; 120 back.
			assert_eq!(
				events(),
				vec![
					Event::Settled { lease, to_provider: 76, fee: 4 },
					Event::Closed { lease, reason: CloseReason::RenterTerminated, refunded: 120 }
				]
			);
			assert_eq!(balance(RENTER), 1_000_000 - 80);
			assert_eq!(held(RENTER), 0);
			assert!(!Closes::<Test>::get(101).contains(&lease));
			assert_eq!(
				MockReputation::take(),
				vec![Outcome::Closed {
					machine: MACHINE,
					provider: PROVIDER,
					value: 80,
					fault: false
				}]
			);
			// The GPUs are free again.
			rent(SPOT_RENTER, 4, LeaseMode::OnDemand, 100, PRICE);
		});
	}

	#[test]
	fn only_the_renter_terminates_an_open_lease() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			assert_noop!(
				Leases::terminate(RuntimeOrigin::signed(PROVIDER), lease),
				Error::<Test>::NotRenter
			);
			assert_noop!(
				Leases::terminate(RuntimeOrigin::signed(RENTER), 9),
				Error::<Test>::UnknownLease
			);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), lease));
			assert_noop!(
				Leases::terminate(RuntimeOrigin::signed(RENTER), lease),
				Error::<Test>::LeaseClosed
			);
		});
	}
}

mod extending {
	use super::*;

	#[test]
	fn extend_tops_up_escrow_and_moves_the_end() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			events();
			assert_ok!(Leases::extend(RuntimeOrigin::signed(RENTER), lease, 50));
			assert_eq!(events(), vec![Event::Extended { lease, ends_at: 151, added_escrow: 100 }]);
			assert_eq!(held(RENTER), 300);
			assert!(!Closes::<Test>::get(101).contains(&lease));
			assert!(Closes::<Test>::get(151).contains(&lease));
			run_to_block(151);
			assert_eq!(status(lease), LeaseStatus::Closed { reason: CloseReason::Expired });
			assert_eq!(balance(RENTER), 1_000_000 - 300);
		});
	}

	#[test]
	fn bad_extensions_are_refused() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			let extend = |who, extra| Leases::extend(RuntimeOrigin::signed(who), lease, extra);
			assert_noop!(extend(PROVIDER, 10), Error::<Test>::NotRenter);
			assert_noop!(extend(RENTER, 0), Error::<Test>::DurationOutOfBounds);
			assert_noop!(extend(RENTER, 901), Error::<Test>::DurationOutOfBounds);
			MockMachines::set(MACHINE, 4, None);
			assert_noop!(extend(RENTER, 10), Error::<Test>::NotListed);
			MockMachines::set(MACHINE, 4, Some(terms()));
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), lease));
			assert_noop!(extend(RENTER, 10), Error::<Test>::LeaseClosed);
		});
	}
}

mod rating {
	use super::*;

	#[test]
	fn the_renter_rates_a_closed_lease_once() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			let rate = |who, stars| Leases::rate(RuntimeOrigin::signed(who), lease, stars);
			assert_noop!(rate(RENTER, 5), Error::<Test>::LeaseNotClosed);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), lease));
			assert_noop!(rate(RENTER, 0), Error::<Test>::InvalidRating);
			assert_noop!(rate(RENTER, 6), Error::<Test>::InvalidRating);
			assert_noop!(rate(PROVIDER, 5), Error::<Test>::NotRenter);
			events();
			assert_ok!(rate(RENTER, 4));
			assert_eq!(events(), vec![Event::Rated { lease, stars: 4 }]);
			assert_eq!(LeaseRecords::<Test>::get(lease).unwrap().rating, Some(4));
			assert_noop!(rate(RENTER, 5), Error::<Test>::AlreadyRated);
			assert_noop!(
				Leases::rate(RuntimeOrigin::signed(RENTER), 9, 3),
				Error::<Test>::UnknownLease
			);
		});
	}
}

mod reputation_and_faults {
	use super::*;
	use gpux_primitives::LeaseRegistry;

	#[test]
	fn ratings_reach_reputation_weighted_by_what_the_lease_paid() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(31);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), lease));
			MockReputation::take();
			assert_ok!(Leases::rate(RuntimeOrigin::signed(RENTER), lease, 2));
			assert_eq!(
				MockReputation::take(),
				vec![Outcome::Rated { machine: MACHINE, provider: PROVIDER, value: 30, stars: 2 }]
			);
		});
	}

	#[test]
	fn a_fault_closes_every_open_lease_with_a_refund_at_once() {
		ExtBuilder::default().build_and_execute(|| {
			let on_demand = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			let spot = rent(SPOT_RENTER, 1, LeaseMode::Spot, 100, SPOT_FLOOR);
			run_to_block(21);
			let provider_before = balance(PROVIDER);
			// 20 blocks: 40 of 200 accrued on-demand, 4 of 20 spot: what each renter lost.
			assert_eq!(
				<Leases as LeaseRegistry<u64, u128>>::close_for_fault(MACHINE),
				vec![(RENTER, 40), (SPOT_RENTER, 4)]
			);
			for lease in [on_demand, spot] {
				assert_eq!(
					status(lease),
					LeaseStatus::Closed { reason: CloseReason::ProviderFault }
				);
			}
			assert_eq!((held(RENTER), held(SPOT_RENTER)), (0, 0));
			assert_eq!(balance(RENTER), 1_000_000 - 40);
			// 44 accrued, 5 % of each payout to the treasury.
			assert_eq!(balance(PROVIDER), provider_before + 38 + 4);
			assert_eq!(<Leases as LeaseRegistry<u64, u128>>::open_leases_on(MACHINE), 0);
			assert!(Closes::<Test>::get(101).is_empty());
			assert_eq!(
				MockReputation::take(),
				vec![
					Outcome::Closed {
						machine: MACHINE,
						provider: PROVIDER,
						value: 40,
						fault: true
					},
					Outcome::Closed { machine: MACHINE, provider: PROVIDER, value: 4, fault: true }
				]
			);
			assert!(<Leases as LeaseRegistry<u64, u128>>::close_for_fault(MACHINE).is_empty());
		});
	}
}

mod spot {
	use super::*;

	#[test]
	fn on_demand_rent_preempts_the_cheapest_spot_lease_after_notice() {
		ExtBuilder::default().build_and_execute(|| {
			let cheap = rent(SPOT_RENTER, 3, LeaseMode::Spot, 500, 300);
			let dear = rent(SPOT_RENTER, 1, LeaseMode::Spot, 500, 400);
			events();
			// Two GPUs on demand: only the cheaper spot lease must go.
			let waiting = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			let deadline = 1 + NOTICE;
			assert_eq!(status(cheap), LeaseStatus::Preempting { until: deadline });
			assert_eq!(status(dear), LeaseStatus::Active);
			let record = LeaseRecords::<Test>::get(waiting).unwrap();
			assert_eq!((record.starts_at, record.ends_at), (deadline, deadline + 100));
			let notices: Vec<_> = events()
				.into_iter()
				.filter(|e| matches!(e, Event::SpotPreemptionNoticed { .. }))
				.collect();
			assert_eq!(
				notices,
				vec![Event::SpotPreemptionNoticed { lease: cheap, ends_at: deadline, by: waiting }]
			);
			// A preempting lease cannot be extended.
			assert_noop!(
				Leases::extend(RuntimeOrigin::signed(SPOT_RENTER), cheap, 10),
				Error::<Test>::LeasePreempting
			);

			// The notice is respected: still running one block before the deadline.
			run_to_block(deadline - 1);
			assert!(matches!(status(cheap), LeaseStatus::Preempting { .. }));
			let before = balance(SPOT_RENTER);
			run_to_block(deadline);
			assert_eq!(status(cheap), LeaseStatus::Closed { reason: CloseReason::Preempted });
			// 3 GPUs × 10 blocks at 300 per GPU-hour = 15; the rest of 3 × 500 × 0.5 comes back.
			assert_eq!(balance(SPOT_RENTER) - before, 750 - 15);
			// The waiting lease accrues from the deadline on.
			assert_ok!(Leases::settle(RuntimeOrigin::signed(PROVIDER), waiting));
			assert_eq!(LeaseRecords::<Test>::get(waiting).unwrap().paid, 0);
			run_to_block(deadline + 5);
			assert_ok!(Leases::settle(RuntimeOrigin::signed(PROVIDER), waiting));
			assert_eq!(LeaseRecords::<Test>::get(waiting).unwrap().paid, 10);
		});
	}

	#[test]
	fn a_higher_spot_bid_preempts_a_lower_one_but_not_an_equal_one() {
		ExtBuilder::default().build_and_execute(|| {
			let low = rent(SPOT_RENTER, 4, LeaseMode::Spot, 500, 200);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::Spot, 100, 200),
				Error::<Test>::NoFreeGpus
			);
			rent(RENTER, 1, LeaseMode::Spot, 100, 201);
			assert_eq!(status(low), LeaseStatus::Preempting { until: 1 + NOTICE });
		});
	}

	#[test]
	fn a_preempting_rent_pays_for_the_notice_it_caused_however_early_it_ends() {
		ExtBuilder::default().build_and_execute(|| {
			rent(SPOT_RENTER, 4, LeaseMode::Spot, 500, 200);
			let waiting = rent(RENTER, 4, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(5);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), waiting));
			// 4 GPUs × the 10 notice blocks at 600 per GPU-hour; the rest comes back.
			assert_eq!(balance(RENTER), 1_000_000 - 40);
			assert_eq!(held(RENTER), 0);
		});
	}

	#[test]
	fn waiting_for_the_notice_to_end_buys_no_free_eviction_either() {
		ExtBuilder::default().build_and_execute(|| {
			let spot = rent(SPOT_RENTER, 4, LeaseMode::Spot, 500, 200);
			let waiting = rent(RENTER, 4, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(1 + NOTICE);
			assert_eq!(status(spot), LeaseStatus::Closed { reason: CloseReason::Preempted });
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), waiting));
			assert_eq!(balance(RENTER), 1_000_000 - 40);
		});
	}

	#[test]
	fn a_notice_is_cancelled_once_no_open_rent_needs_its_gpus() {
		ExtBuilder::default().build_and_execute(|| {
			let spot = rent(SPOT_RENTER, 4, LeaseMode::Spot, 500, 200);
			let first = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			let second = rent(RENTER, 3, LeaseMode::OnDemand, 100, PRICE);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), first));
			assert!(matches!(status(spot), LeaseStatus::Preempting { .. }));
			// The rent that noticed it is gone and the one waiting for its GPUs too.
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), second));
			assert_eq!(status(spot), LeaseStatus::Active);
			run_to_block(1 + NOTICE);
			assert_eq!(status(spot), LeaseStatus::Active);
		});
	}

	#[test]
	fn a_rent_closed_before_its_start_cancels_the_notices_it_caused() {
		ExtBuilder::default().build_and_execute(|| {
			let spot = rent(SPOT_RENTER, 4, LeaseMode::Spot, 500, 200);
			let waiting = rent(RENTER, 4, LeaseMode::OnDemand, 100, PRICE);
			assert_eq!(LeaseRecords::<Test>::get(spot).unwrap().preempted_by, Some(waiting));
			run_to_block(5);
			events();
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), waiting));
			// The spot lease runs on to its own end, as if never noticed.
			let record = LeaseRecords::<Test>::get(spot).unwrap();
			assert_eq!((record.status, record.preempted_by), (LeaseStatus::Active, None));
			assert_eq!(record.closes_at, 501);
			assert!(Closes::<Test>::get(501).contains(&spot));
			assert!(!Closes::<Test>::get(1 + NOTICE).contains(&spot));
			assert!(events().contains(&Event::SpotPreemptionCancelled { lease: spot }));
			run_to_block(1 + NOTICE);
			assert_eq!(status(spot), LeaseStatus::Active);
		});
	}

	#[test]
	fn a_notice_stands_while_a_later_rent_needs_its_gpus() {
		ExtBuilder::default().build_and_execute(|| {
			let spot = rent(SPOT_RENTER, 4, LeaseMode::Spot, 500, 200);
			let first = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			// Three more GPUs on demand: the spot lease's are promised already, so it waits.
			let second = rent(RENTER, 3, LeaseMode::OnDemand, 100, PRICE);
			assert_eq!(LeaseRecords::<Test>::get(second).unwrap().starts_at, 1 + NOTICE);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), first));
			// 4 spot GPUs next to 3 on demand would not fit: the notice stands.
			assert_eq!(status(spot), LeaseStatus::Preempting { until: 1 + NOTICE });
			run_to_block(1 + NOTICE);
			assert_eq!(status(spot), LeaseStatus::Closed { reason: CloseReason::Preempted });
		});
	}

	#[test]
	fn a_preempted_lease_closed_late_pays_for_no_block_past_its_notice() {
		ExtBuilder::default().build_and_execute(|| {
			let spot = rent(SPOT_RENTER, 2, LeaseMode::Spot, 500, 600);
			// Two leases fill the schedule of block 11 (two closes a block in the mock).
			rent(RENTER, 1, LeaseMode::OnDemand, 10, PRICE);
			rent(RENTER, 1, LeaseMode::OnDemand, 10, PRICE);
			rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			let deadline = 1 + NOTICE;
			assert_eq!(status(spot), LeaseStatus::Preempting { until: deadline });
			let record = LeaseRecords::<Test>::get(spot).unwrap();
			assert_eq!(record.closes_at, deadline + 1, "block 11's schedule was full");
			run_to_block(deadline);
			// A settle between the deadline and the close pays up to the deadline only.
			assert_ok!(Leases::settle(RuntimeOrigin::signed(PROVIDER), spot));
			run_to_block(deadline + 1);
			let closed = LeaseRecords::<Test>::get(spot).unwrap();
			assert_eq!(closed.status, LeaseStatus::Closed { reason: CloseReason::Preempted });
			// 2 GPUs × 10 blocks at 600 per GPU-hour.
			assert_eq!(closed.paid, 20);
		});
	}
}

mod collateral {
	use super::*;

	#[test]
	fn a_rent_the_bond_cannot_back_is_refused_by_name() {
		ExtBuilder::default().build_and_execute(|| {
			MockMachines::set_under_bonded(true);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::OnDemand, 100, PRICE),
				Error::<Test>::ProviderUnderBonded
			);
			MockMachines::set_under_bonded(false);
			rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
		});
	}

	#[test]
	fn a_lease_below_the_minimum_escrow_is_refused() {
		ExtBuilder::default().build_and_execute(|| {
			// A spot GPU for 10 blocks at the floor holds 2, below the minimum of 10.
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::Spot, 10, SPOT_FLOOR),
				Error::<Test>::EscrowBelowMinimum
			);
			// On demand for 10 blocks holds exactly the minimum.
			let lease = rent(RENTER, 1, LeaseMode::OnDemand, 10, PRICE);
			assert_eq!(LeaseRecords::<Test>::get(lease).unwrap().escrow, MIN_ESCROW);
		});
	}

	#[test]
	fn no_lease_starts_above_the_class_s_maximum_fair_price() {
		ExtBuilder::default().build_and_execute(|| {
			let running = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			// The MFP fell below the listing's price after it was listed: no new lease at that
			// price, and no more blocks for a running one.
			MockMachines::set_mfp(PRICE - 1);
			assert_noop!(
				Leases::extend(RuntimeOrigin::signed(RENTER), running, 10),
				Error::<Test>::PriceAboveMfp
			);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::OnDemand, 100, PRICE),
				Error::<Test>::PriceAboveMfp
			);
			// A spot bid above the MFP too.
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::Spot, 100, PRICE),
				Error::<Test>::PriceAboveMfp
			);
			assert_ok!(try_rent(RENTER, MACHINE, 1, LeaseMode::Spot, 100, PRICE - 1));
			// A closed lease is a sample for the class's reference price, weighted by what it
			// paid: one terminated at once paid nothing and weighs nothing.
			let lease = crate::NextLeaseId::<Test>::get() - 1;
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), lease));
			assert!(MockMachines::priced().is_empty());
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), running));
			MockMachines::take_priced();
			let lease = rent(RENTER, 1, LeaseMode::Spot, 100, PRICE - 1);
			run_to_block(11);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), lease));
			assert_eq!(MockMachines::priced(), vec![(MACHINE, PRICE - 1, 9)]);
		});
	}

	#[test]
	fn every_rent_has_its_start_checked_or_is_refused() {
		ExtBuilder::default().build_and_execute(|| {
			MockWatch::set_full(true);
			assert_noop!(
				try_rent(RENTER, MACHINE, 1, LeaseMode::OnDemand, 100, PRICE),
				DispatchError::Other("start checks full")
			);
			MockWatch::set_full(false);
			let lease = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			assert_eq!(MockWatch::expected(), vec![(lease, 1)]);
		});
	}

	#[test]
	fn the_marketplace_hears_when_a_machine_has_no_lease_left() {
		ExtBuilder::default().build_and_execute(|| {
			let one = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			let two = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), one));
			assert!(MockMachines::last_leases_closed().is_empty());
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), two));
			assert_eq!(MockMachines::last_leases_closed(), vec![MACHINE]);
		});
	}
}

mod disputes {
	use super::*;
	use gpux_primitives::LeaseDisputes;

	#[test]
	fn an_upheld_dispute_on_an_open_lease_returns_the_escrow_and_names_what_was_paid() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 2, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(41);
			assert_ok!(Leases::settle(RuntimeOrigin::signed(PROVIDER), lease));
			let provider_before = balance(PROVIDER);
			run_to_block(61);
			MockReputation::take();
			events();
			// 80 settled (76 to the provider, 4 fee); 120 left in escrow, 40 of it accrued. The
			// 80 paid is the loss the dispute's slash compensates; the provider's free balance
			// is not touched.
			assert_eq!(Leases::refund_disputed(lease), Ok((120, 80)));
			assert_eq!(balance(RENTER), 1_000_000 - 80);
			assert_eq!(held(RENTER), 0);
			assert_eq!(balance(PROVIDER), provider_before);
			assert_eq!(status(lease), LeaseStatus::Closed { reason: CloseReason::Governance });
			assert!(!MachineLeases::<Test>::get(MACHINE).contains(&lease));
			assert!(!Closes::<Test>::get(101).contains(&lease));
			assert_eq!(
				events(),
				vec![Event::Closed { lease, reason: CloseReason::Governance, refunded: 120 }]
			);
			assert_eq!(
				MockReputation::take(),
				vec![Outcome::Closed {
					machine: MACHINE,
					provider: PROVIDER,
					value: 80,
					fault: true
				}]
			);
		});
	}

	#[test]
	fn a_lease_a_fault_closed_has_no_loss_left_to_dispute() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(21);
			<Leases as gpux_primitives::LeaseRegistry<u64, u128>>::close_for_fault(MACHINE);
			assert!(LeaseRecords::<Test>::get(lease).unwrap().paid > 0);
			assert_eq!(Leases::refund_disputed(lease), Ok((0, 0)));
		});
	}

	#[test]
	fn an_abandoned_lease_returns_its_escrow_and_names_its_loss() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(21);
			assert_eq!(Leases::abandon(lease), Some((100, 0)));
			assert_eq!(status(lease), LeaseStatus::Closed { reason: CloseReason::ProviderFault });
			assert_eq!(held(RENTER), 0);
			assert_eq!(Leases::abandon(lease), None, "once: a fault closed it");
		});
	}

	#[test]
	fn a_lease_its_renter_ended_is_still_abandoned_for_what_it_paid() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(21);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), lease));
			let paid = LeaseRecords::<Test>::get(lease).unwrap().paid;
			assert!(paid > 0);
			assert_eq!(Leases::abandon(lease), Some((0, paid)), "nothing left to refund");
			assert_eq!(
				status(lease),
				LeaseStatus::Closed { reason: CloseReason::RenterTerminated }
			);
		});
	}

	#[test]
	fn facts_describe_the_lease() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			let facts = Leases::lease_facts(lease).unwrap();
			assert_eq!((facts.renter, facts.provider, facts.machine), (RENTER, PROVIDER, MACHINE));
			assert!(facts.open);
			assert_eq!(facts.ends_at, 101);
			// Closed early, its time (and its dispute window's start) ends at the close.
			run_to_block(21);
			assert_ok!(Leases::terminate(RuntimeOrigin::signed(RENTER), lease));
			assert_eq!(Leases::lease_facts(lease).unwrap().ends_at, 21);
			assert_eq!(MockWatch::closed(), vec![(lease, MACHINE, 21)]);
			assert!(Leases::lease_facts(9).is_none());
			assert!(Leases::refund_disputed(9).is_err());
		});
	}
}

mod pruning {
	use super::*;
	use crate::LeasesOf;

	fn terminated(who: u64) -> LeaseId {
		let lease = rent(who, 1, LeaseMode::OnDemand, 100, PRICE);
		assert_ok!(Leases::terminate(RuntimeOrigin::signed(who), lease));
		lease
	}

	fn pruned() -> Vec<LeaseId> {
		events()
			.into_iter()
			.filter_map(|e| match e {
				Event::Pruned { lease } => Some(lease),
				_ => None,
			})
			.collect()
	}

	#[test]
	fn a_closed_lease_is_kept_for_its_retention_then_pruned_with_its_attestations() {
		ExtBuilder::default().build_and_execute(|| {
			let closed = terminated(RENTER);
			let open = rent(RENTER, 1, LeaseMode::OnDemand, 1_000, PRICE);
			assert_eq!(MockWatch::closed(), vec![(closed, MACHINE, 1)]);
			run_to_block(RETENTION);
			assert!(pruned().is_empty());
			assert_ok!(Leases::rate(RuntimeOrigin::signed(RENTER), closed, 4));
			run_to_block(RETENTION + 1);
			assert_eq!(pruned(), vec![closed]);
			assert!(!LeaseRecords::<Test>::contains_key(closed));
			assert!(!LeasesOf::<Test>::contains_key(RENTER, closed));
			assert_eq!(MockWatch::forgotten(), vec![closed]);
			let kept: Vec<_> =
				Leases::leases_of(&RENTER, None, 10).into_iter().map(|l| l.0).collect();
			assert_eq!(kept, vec![open], "leasesOf answers for the leases kept");
			assert_noop!(
				Leases::rate(RuntimeOrigin::signed(RENTER), closed, 5),
				Error::<Test>::UnknownLease
			);
		});
	}

	#[test]
	fn a_lease_with_a_dispute_undecided_is_kept_another_retention() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = terminated(RENTER);
			MockWatch::set_undecided(lease, true);
			run_to_block(RETENTION + 1);
			assert!(pruned().is_empty());
			assert!(LeaseRecords::<Test>::contains_key(lease));
			MockWatch::set_undecided(lease, false);
			run_to_block(2 * RETENTION + 1);
			assert_eq!(pruned(), vec![lease]);
		});
	}

	#[test]
	fn each_block_prunes_at_most_max_prunes_per_block_oldest_first() {
		ExtBuilder::default().build_and_execute(|| {
			let leases = [terminated(RENTER), terminated(SPOT_RENTER), terminated(RENTER)];
			run_to_block(RETENTION + 1);
			assert_eq!(pruned(), leases[..2].to_vec());
			run_to_block(RETENTION + 2);
			assert_eq!(pruned(), leases[2..].to_vec());
			assert_eq!(crate::ClosedLeaseQueue::<Test>::get(), (3, 3));
		});
	}

	#[test]
	fn the_attestation_pallet_hears_of_every_close() {
		ExtBuilder::default().build_and_execute(|| {
			let ended = rent(RENTER, 1, LeaseMode::OnDemand, 10, PRICE);
			let faulted = rent(RENTER, 1, LeaseMode::OnDemand, 100, PRICE);
			run_to_block(11);
			<Leases as gpux_primitives::LeaseRegistry<u64, u128>>::close_for_fault(MACHINE);
			assert_eq!(MockWatch::closed(), vec![(ended, MACHINE, 11), (faulted, MACHINE, 11)]);
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
	gpux_weight_check::assert_weights_cover::<Leases>(
		ExtBuilder::default().build(),
		Default::default,
		&whitelist,
		ParityDbWeight::get(),
		|case| {
			let (m, n) = (case.component("m"), case.component("n"));
			Some(match case.name.as_str() {
				"rent" => <() as WeightInfo>::rent(m),
				"rent_free" => <() as WeightInfo>::rent_free(),
				"extend" => <() as WeightInfo>::extend(),
				"terminate" => <() as WeightInfo>::terminate(m),
				"settle" => <() as WeightInfo>::settle(),
				"rate" => <() as WeightInfo>::rate(),
				"on_initialize" => <() as WeightInfo>::on_initialize(n),
				"prune" => <() as WeightInfo>::prune(n),
				_ => return None,
			})
		},
	);
}

mod job_payouts {
	use super::*;
	use frame_support::traits::fungible::InspectHold;
	use gpux_primitives::JobLeases;

	fn job_payment(who: u64) -> u128 {
		Balances::balance_on_hold(&crate::HoldReason::JobPayment.into(), &who)
	}

	/// A job lease of one GPU for 100 blocks at 300, below the listing's 600: the bid's price.
	fn job_lease() -> LeaseId {
		let lease = crate::NextLeaseId::<Test>::get();
		assert_ok!(<Leases as JobLeases<u64, u128, u64>>::open_job_lease(
			&RENTER,
			MACHINE,
			1,
			100,
			300,
			access()
		));
		assert_eq!(LeaseRecords::<Test>::get(lease).unwrap().price_per_gpu_hour, 300);
		lease
	}

	#[test]
	fn a_job_lease_holds_what_it_pays_until_the_result_is_decided() {
		ExtBuilder::default().build_and_execute(|| {
			let lease = job_lease();
			run_to_block(21);
			assert_ok!(Leases::settle(RuntimeOrigin::signed(PROVIDER), lease));
			// 20 blocks at 300 per GPU-hour (600 blocks): 10, held in the renter's account.
			assert_eq!(job_payment(RENTER), 10);
			assert_eq!(balance(PROVIDER), 1_000, "the provider has nothing yet");
			run_to_block(101);
			assert_eq!(status(lease), LeaseStatus::Closed { reason: CloseReason::Expired });
			assert_eq!(job_payment(RENTER), 50);
			assert_eq!(<Leases as JobLeases<u64, u128, u64>>::is_closed(lease), Some(true));
			// Kept past the retention while its payout is held.
			run_to_block(101 + RETENTION + 2);
			assert!(LeaseRecords::<Test>::get(lease).is_some());
			assert_eq!(<Leases as JobLeases<u64, u128, u64>>::release_payout(lease), 48);
			assert_eq!(balance(PROVIDER), 1_000 + 48);
			assert_eq!(balance(TREASURY), 1 + 2, "the 5 % fee (2.5, rounded)");
			assert_eq!(job_payment(RENTER), 0);
			assert_eq!(<Leases as JobLeases<u64, u128, u64>>::release_payout(lease), 0, "once");
			run_to_block(101 + 2 * RETENTION + 4);
			assert!(LeaseRecords::<Test>::get(lease).is_none(), "pruned once decided");
		});
	}

	#[test]
	fn a_job_lease_cannot_be_extended_and_a_fault_returns_what_was_held() {
		ExtBuilder::default().build_and_execute(|| {
			let start = balance(RENTER);
			let lease = job_lease();
			assert_noop!(
				Leases::extend(RuntimeOrigin::signed(RENTER), lease, 10),
				Error::<Test>::JobLeaseFixed
			);
			run_to_block(21);
			assert_ok!(Leases::settle(RuntimeOrigin::signed(PROVIDER), lease));
			assert_eq!(job_payment(RENTER), 10);
			let renters =
				<Leases as gpux_primitives::LeaseRegistry<u64, u128>>::close_for_fault(MACHINE);
			// The provider failed: nothing it was held goes to it, and no loss remains for the
			// slash to make good.
			assert_eq!(renters, vec![(RENTER, 0)]);
			assert_eq!(job_payment(RENTER), 0);
			assert_eq!(balance(RENTER), start);
			assert_eq!(LeaseRecords::<Test>::get(lease).unwrap().paid, 0);
			assert_eq!(<Leases as JobLeases<u64, u128, u64>>::release_payout(lease), 0);
		});
	}

	#[test]
	fn a_refused_result_gives_the_renter_back_what_was_held() {
		ExtBuilder::default().build_and_execute(|| {
			let start = balance(RENTER);
			let lease = job_lease();
			run_to_block(101);
			assert_eq!(<Leases as JobLeases<u64, u128, u64>>::refund_payout(lease), 50);
			assert_eq!(balance(RENTER), start, "the whole budget is back");
			assert_eq!(balance(PROVIDER), 1_000);
		});
	}
}
