//! Jobs: posting, bidding, the award at the window's close, and the result.

use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, Hooks},
};
use gpux_primitives::{AccessSpec, Balance, Cid, LeaseMode, Requirements};
use sp_runtime::DispatchError;

use crate::{mock::*, Error, Event, HoldReason, JobBids, JobStatus, Jobs};

const INPUT: &[u8] = b"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG";
const OUTPUT: &[u8] = b"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
const WINDOW: u64 = 5;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn cid(text: &[u8]) -> Cid {
	text.to_vec().try_into().unwrap()
}

/// Alice registers (once) and lists a 2×RTX 4090 machine; returns its id.
fn machine() -> u64 {
	if crate::Providers::<Test>::get(ALICE).is_none() {
		assert_ok!(Marketplace::register_provider(signed(ALICE), Default::default()));
	}
	let machine = crate::NextMachineId::<Test>::get();
	let n = machine as u8 + 1;
	assert_ok!(Marketplace::register_machine(
		signed(ALICE),
		spec(RTX_4090, 2),
		key(n),
		proof(ALICE, n),
		region(),
		None
	));
	assert_ok!(Marketplace::set_listing(signed(ALICE), machine, terms()));
	machine
}

fn needs() -> Requirements {
	Requirements { gpu_class: Some(RTX_4090), ..Default::default() }
}

fn post(who: u64, max_price: Balance, priority: bool) -> frame_support::dispatch::DispatchResult {
	Marketplace::post_job(
		signed(who),
		needs(),
		1,
		100,
		max_price,
		WINDOW,
		priority,
		cid(INPUT),
		access(),
	)
}

fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Marketplace::on_initialize(next);
	}
}

fn bid_deposits(who: u64) -> Balance {
	Balances::balance_on_hold(&HoldReason::BidDeposit.into(), &who)
}

fn job_events() -> Vec<Event<Test>> {
	events()
		.into_iter()
		.filter(|e| {
			matches!(
				e,
				Event::JobPosted { .. }
					| Event::BidPlaced { .. }
					| Event::BidCancelled { .. }
					| Event::JobAwarded { .. }
					| Event::BidRefused { .. }
					| Event::JobExpired { .. }
					| Event::ResultSubmitted { .. }
					| Event::ResultAccepted { .. }
					| Event::JobFailed { .. }
					| Event::ResultDisputed { .. }
					| Event::JobResolved { .. }
			)
		})
		.collect()
}

/// Bob's job 0 with two bids of Alice's: machine `a` at 700 (neutral score) and machine `b` at
/// 650 with a poor score (it compares as 812). Returns (a, b).
fn job_with_two_bids() -> (u64, u64) {
	let (a, b) = (machine(), machine());
	MockScores::set(b, 300_000);
	assert_ok!(post(BOB, 900, false));
	assert_ok!(Marketplace::bid(signed(ALICE), 0, a, 700));
	assert_ok!(Marketplace::bid(signed(ALICE), 0, b, 650));
	(a, b)
}

#[test]
fn the_better_adjusted_bid_wins_at_the_window_s_close() {
	ExtBuilder::default().build_and_execute(|| {
		let (a, _) = job_with_two_bids();
		assert_eq!(bid_deposits(ALICE), 2 * BID_DEPOSIT);
		assert_eq!(MockDeposits::held(BOB), JOB_DEPOSIT);
		events();
		run_to(1 + WINDOW);
		assert_eq!(
			job_events(),
			vec![Event::JobAwarded { job: 0, lease: 0, machine: a, price_per_gpu_hour: 700 }]
		);
		assert_eq!(MockLeases::opened(), vec![(BOB, a, 1, LeaseMode::OnDemand, 100, 700)]);
		assert_eq!(bid_deposits(ALICE), 0, "every bid's deposit comes back at the close");
		assert!(JobBids::<Test>::get(0).is_empty());
	});
}

#[test]
fn an_attested_result_accepted_pays_the_provider_and_returns_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		job_with_two_bids();
		run_to(1 + WINDOW);
		assert_noop!(
			Marketplace::submit_result(signed(ALICE), 0, cid(OUTPUT), [7; 32]),
			Error::<Test>::LeaseNotEnded
		);
		MockLeases::end_job_lease(0, 500);
		assert_noop!(
			Marketplace::submit_result(signed(BOB), 0, cid(OUTPUT), [7; 32]),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Marketplace::submit_result(signed(ALICE), 0, cid(b"Qm-not-a-cid"), [7; 32]),
			Error::<Test>::InvalidCid
		);
		assert_noop!(Marketplace::accept_result(signed(BOB), 0), Error::<Test>::NoResult);
		assert_ok!(Marketplace::submit_result(signed(ALICE), 0, cid(OUTPUT), [7; 32]));
		let accept_by = System::block_number() + JOB_DISPUTE_WINDOW;
		assert!(job_events().contains(&Event::ResultSubmitted {
			job: 0,
			output_cid: cid(OUTPUT),
			output_hash: [7; 32],
			accept_by,
		}));
		assert_noop!(Marketplace::accept_result(signed(ALICE), 0), Error::<Test>::NotJobSubmitter);
		assert_ok!(Marketplace::accept_result(signed(BOB), 0));
		assert_eq!(MockLeases::payouts(), vec![(0, true, 500)]);
		assert_eq!(job_events(), vec![Event::ResultAccepted { job: 0, to_provider: 500 }]);
		assert_eq!(MockDeposits::held(BOB), 0);
		assert!(Jobs::<Test>::get(0).is_none());
		run_to(accept_by);
		assert_eq!(MockLeases::payouts().len(), 1, "paid once");
	});
}

#[test]
fn silence_past_the_dispute_window_accepts_the_result() {
	ExtBuilder::default().build_and_execute(|| {
		job_with_two_bids();
		run_to(1 + WINDOW);
		MockLeases::end_job_lease(0, 500);
		assert_ok!(Marketplace::submit_result(signed(ALICE), 0, cid(OUTPUT), [7; 32]));
		run_to(System::block_number() + JOB_DISPUTE_WINDOW - 1);
		assert!(MockLeases::payouts().is_empty());
		run_to(System::block_number() + 1);
		assert_eq!(MockLeases::payouts(), vec![(0, true, 500)]);
		assert_noop!(Marketplace::dispute_result(signed(BOB), 0), Error::<Test>::UnknownJob);
	});
}

#[test]
fn a_disputed_result_waits_for_governance() {
	ExtBuilder::default().build_and_execute(|| {
		for upheld in [true, false] {
			let job = crate::NextJobId::<Test>::get();
			let (a, b) = (machine(), machine());
			assert_ok!(post(BOB, 900, false));
			assert_ok!(Marketplace::bid(signed(ALICE), job, a, 700));
			assert_ok!(Marketplace::bid(signed(ALICE), job, b, 750));
			run_to(System::block_number() + WINDOW);
			let Some(JobStatus::Running { lease, .. }) = Jobs::<Test>::get(job).map(|j| j.status)
			else {
				panic!("job {job} runs")
			};
			MockLeases::end_job_lease(lease, 400);
			assert_ok!(Marketplace::submit_result(signed(ALICE), job, cid(OUTPUT), [1; 32]));
			assert_noop!(
				Marketplace::resolve_job(RuntimeOrigin::root(), job, upheld),
				Error::<Test>::NotDisputed
			);
			assert_ok!(Marketplace::dispute_result(signed(BOB), job));
			run_to(System::block_number() + JOB_DISPUTE_WINDOW + 1);
			assert!(Jobs::<Test>::get(job).is_some(), "silence does not end a disputed job");
			assert_noop!(
				Marketplace::resolve_job(signed(BOB), job, upheld),
				DispatchError::BadOrigin
			);
			assert_ok!(Marketplace::resolve_job(RuntimeOrigin::root(), job, upheld));
			assert_eq!(MockLeases::payouts().last(), Some(&(lease, !upheld, 400)));
			assert!(job_events().contains(&Event::JobResolved { job, upheld, amount: 400 }));
		}
		// The upheld dispute returned the deposit; the rejected one forfeited it.
		assert_eq!(MockDeposits::held(BOB), 0);
	});
}

#[test]
fn no_result_in_time_refunds_the_submitter() {
	ExtBuilder::default().build_and_execute(|| {
		job_with_two_bids();
		run_to(1 + WINDOW);
		let result_by = 1 + WINDOW + 100 + RESULT_WINDOW;
		// Still running at the deadline: looked at again a result window later.
		run_to(result_by);
		assert!(MockLeases::payouts().is_empty());
		MockLeases::end_job_lease(0, 300);
		run_to(result_by + RESULT_WINDOW);
		assert_eq!(MockLeases::payouts(), vec![(0, false, 300)]);
		assert!(job_events().contains(&Event::JobFailed { job: 0, refunded: 300 }));
		assert_eq!(MockDeposits::held(BOB), 0);
		assert_noop!(
			Marketplace::submit_result(signed(ALICE), 0, cid(OUTPUT), [7; 32]),
			Error::<Test>::UnknownJob
		);
	});
}

#[test]
fn a_job_without_a_bid_that_opens_expires_with_its_deposit_back() {
	ExtBuilder::default().build_and_execute(|| {
		let a = machine();
		assert_ok!(post(BOB, 900, false));
		assert_ok!(Marketplace::bid(signed(ALICE), 0, a, 700));
		MockLeases::refuse(true);
		events();
		run_to(1 + WINDOW);
		// Events keep no error message.
		assert_eq!(
			job_events(),
			vec![
				Event::BidRefused {
					job: 0,
					machine: a,
					error: DispatchError::Other(""),
					forfeited: BID_DEPOSIT,
				},
				Event::JobExpired { job: 0, deposit: JOB_DEPOSIT },
			]
		);
		assert_eq!((MockDeposits::held(BOB), bid_deposits(ALICE)), (0, 0));
		assert_eq!(Balances::free_balance(TREASURY), BID_DEPOSIT, "a bid that fails pays for it");
	});
}

#[test]
fn a_bid_the_submitter_cannot_pay_for_is_passed_over_without_penalty() {
	ExtBuilder::default().build_and_execute(|| {
		let (a, b) = (machine(), machine());
		// Dave can spend 110 (the mock's deposits stay in the free balance): enough for 100
		// blocks at 600 (100) but not at 700 (116).
		assert_ok!(<Balances as frame_support::traits::fungible::Mutate<u64>>::mint_into(
			&DAVE, 111
		));
		assert_ok!(post(DAVE, 900, false));
		assert_ok!(Marketplace::bid(signed(ALICE), 0, a, 700));
		assert_ok!(Marketplace::bid(signed(ALICE), 0, b, 600));
		MockScores::set(b, 100_000);
		run_to(1 + WINDOW);
		// Machine a's bid ranks first (b's poor score) but costs Dave 116: passed over.
		assert_eq!(MockLeases::opened(), vec![(DAVE, b, 1, LeaseMode::OnDemand, 100, 600)]);
		assert_eq!(bid_deposits(ALICE), 0, "both deposits came back");
		assert_eq!(Balances::free_balance(TREASURY), 0);
	});
}

#[test]
fn a_priority_job_pays_its_fee_and_is_decided_first() {
	ExtBuilder::default().build_and_execute(|| {
		// One machine with two GPUs; each job wants both.
		let a = machine();
		let post_two = |who, priority| {
			Marketplace::post_job(
				signed(who),
				needs(),
				2,
				100,
				900,
				WINDOW,
				priority,
				cid(INPUT),
				access(),
			)
		};
		assert_ok!(post_two(BOB, false));
		assert_ok!(post_two(CHARLIE, true));
		assert_eq!(Balances::free_balance(TREASURY), PRIORITY_FEE);
		assert_ok!(Marketplace::bid(signed(ALICE), 0, a, 700));
		assert_ok!(Marketplace::bid(signed(ALICE), 1, a, 800));
		run_to(1 + WINDOW);
		assert_eq!(MockLeases::opened(), vec![(CHARLIE, a, 2, LeaseMode::OnDemand, 100, 800)]);
		assert!(job_events().contains(&Event::JobExpired { job: 0, deposit: JOB_DEPOSIT }));
	});
}

#[test]
fn a_bid_is_cancelled_with_its_deposit_back_until_the_window_closes() {
	ExtBuilder::default().build_and_execute(|| {
		let (a, b) = job_with_two_bids();
		assert_noop!(Marketplace::cancel_bid(signed(BOB), 0, a), Error::<Test>::NotBidder);
		assert_noop!(Marketplace::cancel_bid(signed(ALICE), 0, 42), Error::<Test>::UnknownBid);
		assert_ok!(Marketplace::cancel_bid(signed(ALICE), 0, b));
		assert_eq!(bid_deposits(ALICE), BID_DEPOSIT);
		run_to(1 + WINDOW);
		assert_noop!(Marketplace::cancel_bid(signed(ALICE), 0, a), Error::<Test>::BiddingClosed);
	});
}

#[test]
fn bad_jobs_and_bids_are_refused_with_nothing_changed() {
	ExtBuilder::default().build_and_execute(|| {
		let a = machine();
		let job = |f: fn(&mut (Requirements, u32, u64, Balance, u64, Cid))| {
			let mut args = (needs(), 1, 100, 900, WINDOW, cid(INPUT));
			f(&mut args);
			let (requirements, gpus, duration, max, window, input) = args;
			Marketplace::post_job(
				signed(BOB),
				requirements,
				gpus,
				duration,
				max,
				window,
				false,
				input,
				access(),
			)
		};
		assert_noop!(job(|j| j.5 = cid(b"QmNotReallyACid")), Error::<Test>::InvalidCid);
		let bad_key = AccessSpec {
			ssh_public_key: b"ssh-ed25519 AAAA renter".to_vec().try_into().unwrap(),
			seal_key: None,
		};
		assert_noop!(
			Marketplace::post_job(
				signed(BOB),
				needs(),
				1,
				100,
				900,
				WINDOW,
				false,
				cid(INPUT),
				bad_key
			),
			Error::<Test>::MalformedSshKey
		);
		assert_noop!(job(|j| j.4 = 4), Error::<Test>::BidWindowOutOfBounds);
		assert_noop!(job(|j| j.4 = 51), Error::<Test>::BidWindowOutOfBounds);
		assert_noop!(job(|j| j.1 = 0), Error::<Test>::ZeroGpus);
		assert_noop!(job(|j| j.2 = 0), Error::<Test>::InvalidOrder);
		assert_noop!(job(|j| j.2 = 1_001), Error::<Test>::JobTooLong);
		assert_noop!(job(|j| j.0.gpu_class = Some(9)), Error::<Test>::UnknownGpuClass);
		assert_noop!(job(|j| j.3 = RTX_4090_CEILING + 1), Error::<Test>::PriceAboveMfp);
		assert_noop!(
			Marketplace::post_job(
				signed(POOR),
				needs(),
				1,
				100,
				900,
				WINDOW,
				false,
				cid(INPUT),
				access()
			),
			Error::<Test>::DepositExceedsBalance
		);
		assert_noop!(post(POOR, 900, true), Error::<Test>::DepositExceedsBalance);

		assert_ok!(post(BOB, 900, false));
		assert_noop!(Marketplace::bid(signed(ALICE), 7, a, 700), Error::<Test>::UnknownJob);
		assert_noop!(Marketplace::bid(signed(ALICE), 0, 42, 700), Error::<Test>::UnknownMachine);
		assert_noop!(Marketplace::bid(signed(BOB), 0, a, 700), Error::<Test>::NotOwner);
		assert_noop!(Marketplace::bid(signed(ALICE), 0, a, 901), Error::<Test>::BidAboveMax);
		assert_noop!(Marketplace::bid(signed(ALICE), 0, a, 0), Error::<Test>::InvalidOrder);
		// 100 blocks at 5 per GPU-hour is less than the least a lease holds: it could never open.
		assert_noop!(
			Marketplace::bid(signed(ALICE), 0, a, 5),
			DispatchError::Other("escrow below minimum")
		);
		assert_ok!(Marketplace::bid(signed(ALICE), 0, a, 700));
		assert_noop!(Marketplace::bid(signed(ALICE), 0, a, 690), Error::<Test>::AlreadyBid);
		let (b, c, d) = (machine(), machine(), machine());
		assert_ok!(Marketplace::bid(signed(ALICE), 0, b, 700));
		assert_ok!(Marketplace::bid(signed(ALICE), 0, c, 700));
		assert_noop!(Marketplace::bid(signed(ALICE), 0, d, 700), Error::<Test>::TooManyBids);
		assert_ok!(Marketplace::delist(signed(ALICE), d));
		let mut big = needs();
		big.min_cpu_cores = 64;
		assert_ok!(Marketplace::post_job(
			signed(BOB),
			big,
			1,
			100,
			900,
			WINDOW,
			false,
			cid(INPUT),
			access()
		));
		assert_noop!(Marketplace::bid(signed(ALICE), 1, d, 700), Error::<Test>::NotListed);
		assert_noop!(Marketplace::bid(signed(ALICE), 1, a, 700), Error::<Test>::MachineUnfit);
		run_to(1 + WINDOW);
		assert_noop!(Marketplace::bid(signed(ALICE), 1, a, 700), Error::<Test>::UnknownJob);
		assert_noop!(
			Marketplace::submit_result(signed(ALICE), 9, cid(OUTPUT), [0; 32]),
			Error::<Test>::UnknownJob
		);
	});
}
