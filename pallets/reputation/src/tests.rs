//! Each input moves its component as documented; ratings and clean leases count by value;
//! idle scores decay toward neutral; weights decide the mix.

use gpux_primitives::{ReputationFeed, ReputationScores};
use sp_runtime::Permill;

use crate::{mock::*, MachineScores, NEUTRAL};

type Feed = Reputation;

fn machine(id: u64) -> crate::ScoreRecord<u64> {
	Reputation::machine_reputation(id).record
}

fn parts(p: Permill) -> u32 {
	p.deconstruct()
}

#[test]
fn newcomers_are_neutral() {
	build_and_execute(|| {
		let view = Reputation::machine_reputation(7);
		assert_eq!(view.score, NEUTRAL);
		assert_eq!(view.record, crate::ScoreRecord::default());
		assert_eq!(Reputation::provider_score(&PROVIDER), Permill::from_parts(500_000));
		assert!(!MachineScores::<Test>::contains_key(7), "reading stores nothing");
	});
}

#[test]
fn uptime_windows_move_uptime_as_a_moving_average() {
	build_and_execute(|| {
		Feed::uptime_window(0, &PROVIDER, true);
		assert_eq!(parts(machine(0).uptime), 550_000);
		Feed::uptime_window(0, &PROVIDER, false);
		assert_eq!(parts(machine(0).uptime), 495_000);
		assert_eq!((machine(0).windows_met, machine(0).windows_missed), (1, 1));
		// Four equal weights: (495_000 + 3 × 500_000) / 4.
		assert_eq!(parts(Reputation::machine_score(0)), 498_750);
	});
}

#[test]
fn a_fault_costs_a_full_step_while_a_cheap_clean_lease_earns_almost_nothing() {
	build_and_execute(|| {
		Feed::lease_closed(0, &PROVIDER, 1, true);
		assert_eq!(parts(machine(0).lease_outcomes), 450_000);
		Feed::lease_closed(1, &PROVIDER, 1, false);
		// 1 / 1_000 of a 10 % step of the 500_000 distance.
		assert_eq!(parts(machine(1).lease_outcomes), 500_050);
		Feed::lease_closed(2, &PROVIDER, FULL_VALUE * 5, false);
		assert_eq!(parts(machine(2).lease_outcomes), 550_000);
		assert_eq!((machine(0).leases_faulty, machine(1).leases_clean), (1, 1));
	});
}

#[test]
fn ratings_count_by_lease_value_so_cheap_self_rentals_cannot_pump_them() {
	build_and_execute(|| {
		for _ in 0..100 {
			Feed::lease_rated(0, &PROVIDER, 1, 5);
		}
		assert!(parts(machine(0).ratings) < 505_000, "100 cheap 5-star ratings barely move it");
		Feed::lease_rated(1, &OTHER_PROVIDER, FULL_VALUE, 5);
		assert_eq!(parts(machine(1).ratings), 550_000);
		Feed::lease_rated(1, &OTHER_PROVIDER, FULL_VALUE, 1);
		assert_eq!(parts(machine(1).ratings), 495_000);
		// Three stars is the middle: no pull either way from neutral.
		Feed::lease_rated(2, &OTHER_PROVIDER, FULL_VALUE, 3);
		assert_eq!(machine(2).ratings, NEUTRAL);
		assert_eq!(machine(1).ratings_received, 2);
	});
}

#[test]
fn challenges_move_the_pass_rate() {
	build_and_execute(|| {
		Feed::challenge_decided(0, &PROVIDER, false);
		Feed::challenge_decided(0, &PROVIDER, false);
		assert_eq!(parts(machine(0).challenges), 405_000);
		Feed::challenge_decided(0, &PROVIDER, true);
		assert_eq!(parts(machine(0).challenges), 464_500);
		assert_eq!((machine(0).challenges_passed, machine(0).challenges_failed), (1, 2));
	});
}

#[test]
fn idle_scores_decay_toward_neutral() {
	build_and_execute(|| {
		Feed::uptime_window(0, &PROVIDER, true);
		System::set_block_number(100);
		assert_eq!(parts(machine(0).uptime), 550_000, "not a whole period yet");
		System::set_block_number(101);
		assert_eq!(parts(machine(0).uptime), 525_000);
		System::set_block_number(301);
		assert_eq!(parts(machine(0).uptime), 506_250);
		// A new input starts from the decayed value.
		Feed::uptime_window(0, &PROVIDER, false);
		assert_eq!(parts(machine(0).uptime), 455_625);
		assert_eq!(MachineScores::<Test>::get(0).unwrap().updated_at, 301);
	});
}

#[test]
fn a_provider_score_gathers_all_its_machines() {
	build_and_execute(|| {
		Feed::lease_closed(0, &PROVIDER, 1, true);
		Feed::lease_closed(1, &PROVIDER, 1, true);
		assert_eq!(
			parts(Reputation::provider_reputation(&PROVIDER).record.lease_outcomes),
			405_000
		);
		assert_eq!(parts(machine(1).lease_outcomes), 450_000);
		assert_eq!(Reputation::provider_score(&OTHER_PROVIDER), NEUTRAL);
	});
}

#[test]
fn component_weights_decide_the_mix() {
	build_and_execute(|| {
		Feed::lease_rated(0, &PROVIDER, FULL_VALUE, 1);
		Feed::uptime_window(0, &PROVIDER, true);
		// Ratings 450_000, uptime 550_000, the others neutral.
		assert_eq!(parts(Reputation::machine_score(0)), 500_000);
		RatingWeight::set(0);
		assert_eq!(parts(Reputation::machine_score(0)), 516_666);
		UptimeWeight::set(0);
		LeaseOutcomeWeight::set(0);
		ChallengeWeight::set(0);
		assert_eq!(Reputation::machine_score(0), NEUTRAL, "nothing counts: neutral");
		UptimeWeight::set(1);
		LeaseOutcomeWeight::set(1);
		ChallengeWeight::set(1);
		RatingWeight::set(1);
	});
}
