//! Every call and refusal, deferred slashes to the unit, and the bond requirement.

use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use gpux_primitives::{FaultKind, FaultReporter, ProviderBonds, RenterDeposits};
use sp_runtime::DispatchError;

use crate::{mock::*, Bonds, Error, Event, HoldReason, SlashSchedule, Slashes, UnlockChunk};

fn governance() -> RuntimeOrigin {
	RuntimeOrigin::signed(GOVERNANCE)
}

fn reason() -> crate::CancelReasonOf<Test> {
	b"worker log shows uptime".to_vec().try_into().unwrap()
}

mod bonding {
	use super::*;

	#[test]
	fn bond_holds_funds_in_the_providers_account() {
		ExtBuilder::default().bonded(PROVIDER, 0).build_and_execute(|| {
			assert_ok!(ProviderStaking::bond(RuntimeOrigin::signed(PROVIDER), 5_000));
			assert_eq!((free(PROVIDER), bonded(PROVIDER)), (95_000, 5_000));
			assert_eq!(Bonds::<Test>::get(PROVIDER).unwrap().active, 5_000);
			assert_ok!(ProviderStaking::bond(RuntimeOrigin::signed(PROVIDER), 1_000));
			assert_eq!(bonded(PROVIDER), 6_000);
			assert_eq!(
				events(),
				vec![
					Event::Bonded { provider: PROVIDER, amount: 5_000 },
					Event::Bonded { provider: PROVIDER, amount: 1_000 }
				]
			);
		});
	}

	#[test]
	fn bad_bonds_are_refused_and_change_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				ProviderStaking::bond(RuntimeOrigin::signed(RENTER), 0),
				Error::<Test>::ZeroAmount
			);
			assert_noop!(
				ProviderStaking::bond(RuntimeOrigin::signed(RENTER), 10_001),
				Error::<Test>::BondExceedsBalance
			);
			assert_noop!(ProviderStaking::bond(RuntimeOrigin::none(), 1), DispatchError::BadOrigin);
		});
	}

	#[test]
	fn the_active_bond_decides_what_a_provider_may_list() {
		ExtBuilder::default().build_and_execute(|| {
			// 10_000 bonded at 1_000 per GPU.
			assert!(<ProviderStaking as ProviderBonds<u64>>::backs(&PROVIDER, 10));
			assert!(!<ProviderStaking as ProviderBonds<u64>>::backs(&PROVIDER, 11));
			assert!(!<ProviderStaking as ProviderBonds<u64>>::backs(&RENTER, 1));
			assert!(<ProviderStaking as ProviderBonds<u64>>::backs(&RENTER, 0));
		});
	}
}

mod unbonding {
	use super::*;

	#[test]
	fn a_raised_bond_per_gpu_binds_new_commitments_and_leaves_running_ones_backed() {
		ExtBuilder::default().build_and_execute(|| {
			let backs = |gpus| <ProviderStaking as ProviderBonds<u64>>::backs(&PROVIDER, gpus);
			let backed_as_committed =
				|gpus| <ProviderStaking as ProviderBonds<u64>>::backs_as_committed(&PROVIDER, gpus);
			let rate = || Bonds::<Test>::get(PROVIDER).unwrap().rate;
			let unbond = |amount| ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), amount);
			run_to_block(2);
			// Machine 0's 4 listed GPUs, 10_000 bonded. Governance triples the rate: they need
			// 12_000 now.
			BondPerGpu::set(3 * PER_GPU);
			run_to_block(3);
			// Nothing new is rented or listed, nothing leaves...
			assert!(!backs(4));
			assert_noop!(unbond(1), Error::<Test>::BelowRequirement);
			// ...but what was committed stays backed (the invariants hold, and nothing is
			// delisted or slashed).
			assert!(backed_as_committed(4));
			assert_eq!(rate(), PER_GPU);
			assert!(MockMarket::get(MACHINE).listed);
			ProviderStaking::do_try_state().expect("invariants hold after the raise");
			// A bond short of the new rate leaves the provider at the old one...
			assert_ok!(ProviderStaking::bond(RuntimeOrigin::signed(PROVIDER), 1_000));
			assert_eq!(rate(), PER_GPU);
			// ...topping up to it makes it rentable again, held to the new rate.
			assert_ok!(ProviderStaking::bond(RuntimeOrigin::signed(PROVIDER), 1_000));
			assert!(backs(4));
			assert_eq!(rate(), 3 * PER_GPU);
			// A lower rate binds at once, in the block it is set: the provider may unbond down
			// to 4 × 500, and is held to 500 from then on.
			BondPerGpu::set(PER_GPU / 2);
			assert_noop!(unbond(10_001), Error::<Test>::BelowRequirement);
			assert_ok!(unbond(10_000));
			assert_eq!(rate(), PER_GPU / 2);
			ProviderStaking::do_try_state().expect("invariants hold after the cut");
			// Raised again: what it committed at 500 stays backed at 500.
			BondPerGpu::set(PER_GPU);
			assert!(!backs(4) && backed_as_committed(4));
			ProviderStaking::do_try_state().expect("invariants hold after the second raise");
		});
	}

	#[test]
	fn unbond_moves_funds_to_a_chunk_that_stays_held() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 3_000));
			let ledger = Bonds::<Test>::get(PROVIDER).unwrap();
			assert_eq!(ledger.active, 7_000);
			assert_eq!(
				ledger.unlocking.into_inner(),
				vec![UnlockChunk { amount: 3_000, unlocks_at: 1 + UNBONDING }]
			);
			assert_eq!(bonded(PROVIDER), 10_000);
			// A second unbond in the same block joins the chunk.
			assert_ok!(ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 1_000));
			assert_eq!(Bonds::<Test>::get(PROVIDER).unwrap().unlocking.len(), 1);
			assert_eq!(
				events(),
				vec![
					Event::Unbonded { provider: PROVIDER, amount: 3_000, unlocks_at: 21 },
					Event::Unbonded { provider: PROVIDER, amount: 1_000, unlocks_at: 21 }
				]
			);
		});
	}

	#[test]
	fn bad_unbonds_are_refused_and_change_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			let unbond = |who, amount| ProviderStaking::unbond(RuntimeOrigin::signed(who), amount);
			assert_noop!(unbond(RENTER, 1), Error::<Test>::NotBonded);
			assert_noop!(unbond(PROVIDER, 0), Error::<Test>::ZeroAmount);
			assert_noop!(unbond(PROVIDER, 10_001), Error::<Test>::UnbondExceedsBond);
			// Machine 0's 4 listed GPUs need 4_000.
			assert_noop!(unbond(PROVIDER, 6_001), Error::<Test>::BelowRequirement);
			assert_ok!(unbond(PROVIDER, 6_000));
		});
	}

	#[test]
	fn leased_machines_need_their_bond_even_when_delisted() {
		ExtBuilder::default().build_and_execute(|| {
			MockMarket::set(MACHINE, PROVIDER, 4, false);
			MockMarket::lease(SPARE, RENTER, 100);
			// Nothing listed, but the spare machine's 2 GPUs are leased.
			assert_noop!(
				ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 8_001),
				Error::<Test>::BelowRequirement
			);
			assert_ok!(ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 8_000));
		});
	}

	#[test]
	fn unbonding_chunks_are_bounded() {
		ExtBuilder::default().build_and_execute(|| {
			for block in 1..=3 {
				run_to_block(block);
				assert_ok!(ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 100));
			}
			run_to_block(4);
			assert_noop!(
				ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 100),
				Error::<Test>::TooManyUnlockingChunks
			);
		});
	}

	#[test]
	fn withdraw_releases_matured_chunks_only() {
		ExtBuilder::default().build_and_execute(|| {
			let withdraw = || ProviderStaking::withdraw_unbonded(RuntimeOrigin::signed(PROVIDER));
			assert_noop!(withdraw(), Error::<Test>::NothingUnbonding);
			assert_ok!(ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 2_000));
			run_to_block(5);
			assert_ok!(ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 1_000));
			run_to_block(20);
			assert_noop!(withdraw(), Error::<Test>::StillUnbonding);
			run_to_block(21);
			events();
			assert_ok!(withdraw());
			assert_eq!((free(PROVIDER), bonded(PROVIDER)), (92_000, 8_000));
			assert_eq!(events(), vec![Event::Withdrawn { provider: PROVIDER, amount: 2_000 }]);
			run_to_block(25);
			assert_ok!(withdraw());
			assert_eq!((free(PROVIDER), bonded(PROVIDER)), (93_000, 7_000));
			assert_noop!(
				ProviderStaking::withdraw_unbonded(RuntimeOrigin::signed(RENTER)),
				Error::<Test>::NotBonded
			);
		});
	}

	#[test]
	fn nothing_is_withdrawn_while_a_dispute_is_undecided() {
		ExtBuilder::default().build_and_execute(|| {
			MockMarket::set(MACHINE, PROVIDER, 4, false);
			assert_ok!(ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 10_000));
			run_to_block(1 + UNBONDING);
			MockMarket::set_undecided(PROVIDER, 1);
			assert_noop!(
				ProviderStaking::withdraw_unbonded(RuntimeOrigin::signed(PROVIDER)),
				Error::<Test>::DisputeUndecided
			);
			MockMarket::set_undecided(PROVIDER, 0);
			assert_ok!(ProviderStaking::withdraw_unbonded(RuntimeOrigin::signed(PROVIDER)));
		});
	}

	#[test]
	fn a_fully_withdrawn_ledger_is_removed() {
		ExtBuilder::default().build_and_execute(|| {
			MockMarket::set(MACHINE, PROVIDER, 4, false);
			assert_ok!(ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 10_000));
			run_to_block(1 + UNBONDING);
			assert_ok!(ProviderStaking::withdraw_unbonded(RuntimeOrigin::signed(PROVIDER)));
			assert!(!Bonds::<Test>::contains_key(PROVIDER));
			assert_eq!((free(PROVIDER), bonded(PROVIDER)), (100_000, 0));
		});
	}
}

mod faults {
	use super::*;

	/// Machine 0 leased by two renters whose leases had paid 300 and 100.
	fn leased_machine() {
		MockMarket::lease(MACHINE, RENTER, 300);
		MockMarket::lease(MACHINE, OTHER_RENTER, 100);
	}

	#[test]
	fn report_offline_closes_leases_and_defers_the_slash() {
		ExtBuilder::default().build_and_execute(|| {
			leased_machine();
			assert_ok!(ProviderStaking::report_offline(governance(), MACHINE));
			assert!(MockMarket::get(MACHINE).leases.is_empty());
			let slash = Slashes::<Test>::get(0).unwrap();
			// 10 % of the machine's 4 × 1_000.
			assert_eq!((slash.amount, slash.applies_at, slash.kind), (400, 11, FaultKind::Offline));
			assert_eq!(slash.renters.into_inner(), vec![(RENTER, 300), (OTHER_RENTER, 100)]);
			assert_eq!(SlashSchedule::<Test>::get(11).into_inner(), vec![0]);
			assert_eq!(Bonds::<Test>::get(PROVIDER).unwrap().pending_slashes, 1);
			// Nothing has moved yet.
			assert_eq!(bonded(PROVIDER), 10_000);
			assert_eq!(
				events(),
				vec![Event::FaultReported {
					machine: MACHINE,
					provider: PROVIDER,
					kind: FaultKind::Offline,
					reporter: None,
					slash: Some(0),
					amount: 400,
					applies_at: 11,
					leases_closed: 2,
				}]
			);
		});
	}

	#[test]
	fn a_disputed_lease_is_slashed_for_alone_and_its_renter_compensated() {
		ExtBuilder::default().build_and_execute(|| {
			leased_machine();
			assert_ok!(<ProviderStaking as FaultReporter<u64>>::report_lease_fault(
				MACHINE,
				FaultKind::Disputed,
				Some(RENTER),
				RENTER,
				300
			));
			// The machine's other renter keeps its lease.
			assert_eq!(MockMarket::get(MACHINE).leases.len(), 2);
			let slash = Slashes::<Test>::get(0).unwrap();
			// 10 % of the machine's 4 × 1_000.
			assert_eq!((slash.kind, slash.amount), (FaultKind::Disputed, 400));
			assert_eq!(slash.renters.into_inner(), vec![(RENTER, 300)]);
			assert_eq!(slash.reporter, Some(RENTER));
		});
	}

	#[test]
	fn governance_reports_any_fault_kind_with_that_kind_s_effect() {
		ExtBuilder::default().build_and_execute(|| {
			leased_machine();
			assert_noop!(
				ProviderStaking::report_fault(
					RuntimeOrigin::signed(RENTER),
					MACHINE,
					FaultKind::SpecMismatch
				),
				DispatchError::BadOrigin
			);
			// A failed challenge leaves the leases running; a spec mismatch closes them.
			assert_ok!(ProviderStaking::report_fault(
				governance(),
				MACHINE,
				FaultKind::FailedChallenge
			));
			assert_eq!(MockMarket::get(MACHINE).leases.len(), 2);
			assert_ok!(ProviderStaking::report_fault(
				governance(),
				MACHINE,
				FaultKind::SpecMismatch
			));
			assert!(MockMarket::get(MACHINE).leases.is_empty());
			let kinds: Vec<_> =
				Slashes::<Test>::iter_values().map(|s| (s.kind, s.amount)).collect();
			// 5 % and 50 % of the machine's 4 × 1_000.
			assert!(kinds.contains(&(FaultKind::FailedChallenge, 200)), "{kinds:?}");
			assert!(kinds.contains(&(FaultKind::SpecMismatch, 2_000)), "{kinds:?}");
			assert_noop!(
				ProviderStaking::report_fault(governance(), 99, FaultKind::Offline),
				Error::<Test>::UnknownMachine
			);
		});
	}

	#[test]
	fn the_slash_lands_after_the_defer_period_and_pays_renters_and_treasury() {
		ExtBuilder::default().build_and_execute(|| {
			leased_machine();
			let before = issuance();
			assert_ok!(ProviderStaking::report_offline(governance(), MACHINE));
			events();
			run_to_block(10);
			assert_eq!(bonded(PROVIDER), 10_000);
			run_to_block(11);
			assert_eq!(bonded(PROVIDER), 9_600);
			assert_eq!(Bonds::<Test>::get(PROVIDER).unwrap().active, 9_600);
			// Half of 400 to the renters, by their losses 300 : 100; the rest to the treasury.
			assert_eq!(free(RENTER), 10_150);
			assert_eq!(free(OTHER_RENTER), 10_050);
			assert_eq!(free(TREASURY), 201);
			assert_eq!(issuance(), before);
			assert!(!Slashes::<Test>::contains_key(0));
			assert_eq!(
				events(),
				vec![Event::Slashed {
					slash: 0,
					provider: PROVIDER,
					amount: 400,
					to_renters: 200,
					to_reporter: 0,
					to_treasury: 200
				}]
			);
			assert!(!MockMarket::get(MACHINE).listed, "off the market until relisted");
		});
	}

	#[test]
	fn a_renter_is_made_good_up_to_its_loss_and_no_more() {
		ExtBuilder::default().build_and_execute(|| {
			// The renter rented a machine that was down and lost only what 5 blocks cost.
			MockMarket::lease(MACHINE, RENTER, 5);
			assert_ok!(ProviderStaking::report_offline(governance(), MACHINE));
			run_to_block(11);
			// Half of the 400 slash was the renters' share; 5 made it whole, 395 more to the
			// treasury.
			assert_eq!(free(RENTER), 10_000 + 5);
			assert_eq!(free(TREASURY), 1 + 395);
			assert_eq!(
				events().last(),
				Some(&Event::Slashed {
					slash: 0,
					provider: PROVIDER,
					amount: 400,
					to_renters: 5,
					to_reporter: 0,
					to_treasury: 395
				})
			);
		});
	}

	#[test]
	fn pending_slashes_never_add_up_to_more_than_the_bond() {
		ExtBuilder::default().bonded(PROVIDER, 4_500).build_and_execute(|| {
			let spec_mismatch = || {
				<ProviderStaking as FaultReporter<u64>>::report_fault(
					MACHINE,
					FaultKind::SpecMismatch,
					None,
				)
			};
			// 50 % of 4 × 1_000 each: 2_000, 2_000, then only the 500 left, then nothing.
			for _ in 0..4 {
				assert_ok!(spec_mismatch());
			}
			let amounts: Vec<_> =
				(0..3).map(|id| Slashes::<Test>::get(id).unwrap().amount).collect();
			assert_eq!(amounts, vec![2_000, 2_000, 500]);
			assert!(!Slashes::<Test>::contains_key(3), "nothing left to slash");
			assert_eq!(Bonds::<Test>::get(PROVIDER).unwrap().pending_amount, 4_500);
			// Two slashes a block: the third lands a block later.
			run_to_block(12);
			assert_eq!(bonded(PROVIDER), 0);
			assert!(Bonds::<Test>::get(PROVIDER).is_none());
		});
	}

	#[test]
	fn a_pending_slash_that_leaves_the_listings_unbacked_stops_new_rents() {
		ExtBuilder::default().bonded(PROVIDER, 4_500).build_and_execute(|| {
			assert!(ProviderStaking::backs_after_slashes(&PROVIDER, 4));
			// 2_000 pending: 2_500 would be left for 4 GPUs that need 4_000.
			assert_ok!(<ProviderStaking as FaultReporter<u64>>::report_fault(
				MACHINE,
				FaultKind::SpecMismatch,
				None
			));
			assert!(ProviderStaking::backs(&PROVIDER, 4), "nothing has moved yet");
			assert!(!ProviderStaking::backs_after_slashes(&PROVIDER, 4));
			assert!(ProviderStaking::backs_after_slashes(&PROVIDER, 2));
		});
	}

	#[test]
	fn an_offline_fault_withdraws_the_listing() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(ProviderStaking::report_offline(governance(), MACHINE));
			assert!(!MockMarket::get(MACHINE).listed);
			// A failed challenge alone leaves it listed.
			MockMarket::set(SPARE, PROVIDER, 2, true);
			assert_ok!(<ProviderStaking as FaultReporter<u64>>::report_fault(
				SPARE,
				FaultKind::FailedChallenge,
				None
			));
			assert!(MockMarket::get(SPARE).listed);
		});
	}

	#[test]
	fn a_reporter_gets_its_share() {
		ExtBuilder::default().build_and_execute(|| {
			assert_ok!(<ProviderStaking as FaultReporter<u64>>::report_fault(
				MACHINE,
				FaultKind::LeaseAbandoned,
				Some(REPORTER)
			));
			run_to_block(11);
			// 20 % of 4_000 = 800: no renters, 10 % (80) to the reporter, 720 to the treasury.
			assert_eq!(free(REPORTER), 10 + 80);
			assert_eq!(free(TREASURY), 1 + 720);
			assert_eq!(bonded(PROVIDER), 9_200);
		});
	}

	#[test]
	fn a_failed_challenge_leaves_leases_running() {
		ExtBuilder::default().build_and_execute(|| {
			leased_machine();
			assert_ok!(<ProviderStaking as FaultReporter<u64>>::report_fault(
				MACHINE,
				FaultKind::FailedChallenge,
				None
			));
			assert_eq!(MockMarket::get(MACHINE).leases.len(), 2);
			assert_eq!(Slashes::<Test>::get(0).unwrap().amount, 200);
		});
	}

	#[test]
	fn a_slash_below_the_requirement_delists_every_machine() {
		ExtBuilder::default().bonded(PROVIDER, 4_000).build_and_execute(|| {
			MockMarket::lease(MACHINE, RENTER, 100);
			// A failed challenge leaves the lease and the listing; its slash takes the bond
			// below the listing, which is then withdrawn.
			assert_ok!(<ProviderStaking as FaultReporter<u64>>::report_fault(
				MACHINE,
				FaultKind::FailedChallenge,
				None
			));
			run_to_block(11);
			assert_eq!(bonded(PROVIDER), 3_800);
			assert!(!MockMarket::get(MACHINE).listed);
			assert_eq!(
				events().last(),
				Some(&Event::ProviderDelisted { provider: PROVIDER, machines: 1 })
			);
		});
	}

	#[test]
	fn unbonding_funds_stay_slashable_and_cannot_be_withdrawn_while_a_slash_is_pending() {
		ExtBuilder::default().build_and_execute(|| {
			MockMarket::set(MACHINE, PROVIDER, 4, false);
			assert_ok!(ProviderStaking::unbond(RuntimeOrigin::signed(PROVIDER), 10_000));
			assert_ok!(ProviderStaking::report_offline(governance(), MACHINE));
			run_to_block(10);
			assert_ok!(ProviderStaking::cancel_slash(governance(), 0, reason()));
			run_to_block(15);
			assert_ok!(<ProviderStaking as FaultReporter<u64>>::report_fault(
				MACHINE,
				FaultKind::Offline,
				None
			));
			run_to_block(1 + UNBONDING);
			assert_noop!(
				ProviderStaking::withdraw_unbonded(RuntimeOrigin::signed(PROVIDER)),
				Error::<Test>::SlashPending
			);
			run_to_block(15 + DEFER);
			let ledger = Bonds::<Test>::get(PROVIDER).unwrap();
			assert_eq!((ledger.active, ledger.total()), (0, 9_600));
			assert_ok!(ProviderStaking::withdraw_unbonded(RuntimeOrigin::signed(PROVIDER)));
			assert_eq!(free(PROVIDER), 90_000 + 9_600);
		});
	}

	#[test]
	fn a_provider_without_bond_is_reported_but_not_slashed() {
		ExtBuilder::default().bonded(PROVIDER, 0).build_and_execute(|| {
			MockMarket::lease(MACHINE, RENTER, 100);
			assert_ok!(ProviderStaking::report_offline(governance(), MACHINE));
			assert!(MockMarket::get(MACHINE).leases.is_empty());
			assert_eq!(Slashes::<Test>::iter().count(), 0);
			assert!(matches!(
				events()[..],
				[Event::FaultReported { slash: None, amount: 0, leases_closed: 1, .. }]
			));
		});
	}

	#[test]
	fn a_full_block_moves_the_slash_to_the_next() {
		ExtBuilder::default().build_and_execute(|| {
			for _ in 0..3 {
				assert_ok!(ProviderStaking::report_offline(governance(), SPARE));
			}
			assert_eq!(SlashSchedule::<Test>::get(11).len(), 2);
			assert_eq!(Slashes::<Test>::get(2).unwrap().applies_at, 12);
			run_to_block(12);
			// Three times 10 % of 2 × 1_000.
			assert_eq!(bonded(PROVIDER), 10_000 - 600);
		});
	}

	#[test]
	fn a_fault_with_no_room_to_defer_its_slash_is_refused_whole() {
		ExtBuilder::default().build_and_execute(|| {
			// Two slashes fit per block, and a slash may move up to 10 blocks: 22 fit.
			for _ in 0..22 {
				assert_ok!(ProviderStaking::report_offline(governance(), SPARE));
			}
			MockMarket::lease(MACHINE, RENTER, 100);
			assert_noop!(
				ProviderStaking::report_offline(governance(), MACHINE),
				Error::<Test>::SlashScheduleFull
			);
			assert_eq!(MockMarket::get(MACHINE).leases.len(), 1, "the lease stays open");
		});
	}

	#[test]
	fn a_provider_reporting_its_own_machine_down_is_slashed_the_same() {
		ExtBuilder::default().build_and_execute(|| {
			MockMarket::lease(MACHINE, RENTER, 300);
			assert_ok!(ProviderStaking::report_offline(RuntimeOrigin::signed(PROVIDER), MACHINE));
			assert!(MockMarket::get(MACHINE).leases.is_empty());
			run_to_block(11);
			assert_eq!(bonded(PROVIDER), 9_600);
			assert_eq!(free(RENTER), 10_200);
		});
	}

	#[test]
	fn bad_reports_are_refused_and_change_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				ProviderStaking::report_offline(RuntimeOrigin::signed(RENTER), MACHINE),
				Error::<Test>::NotMachineProvider
			);
			assert_noop!(
				ProviderStaking::report_offline(RuntimeOrigin::signed(RENTER), 7),
				Error::<Test>::UnknownMachine
			);
			assert_noop!(
				ProviderStaking::report_offline(RuntimeOrigin::none(), MACHINE),
				DispatchError::BadOrigin
			);
			assert_noop!(
				ProviderStaking::report_offline(governance(), 7),
				Error::<Test>::UnknownMachine
			);
		});
	}
}

mod cancelling {
	use super::*;

	#[test]
	fn a_cancelled_slash_moves_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			MockMarket::lease(MACHINE, RENTER, 300);
			assert_ok!(ProviderStaking::report_offline(governance(), MACHINE));
			let (renter, treasury) = (free(RENTER), free(TREASURY));
			events();
			assert_ok!(ProviderStaking::cancel_slash(governance(), 0, reason()));
			assert_eq!(
				events(),
				vec![Event::SlashCancelled { slash: 0, provider: PROVIDER, reason: reason() }]
			);
			assert!(SlashSchedule::<Test>::get(11).is_empty());
			run_to_block(20);
			assert_eq!(bonded(PROVIDER), 10_000);
			assert_eq!((free(RENTER), free(TREASURY)), (renter, treasury));
			assert_eq!(Bonds::<Test>::get(PROVIDER).unwrap().pending_slashes, 0);
		});
	}

	#[test]
	fn bad_cancels_are_refused_and_change_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			assert_noop!(
				ProviderStaking::cancel_slash(governance(), 0, reason()),
				Error::<Test>::UnknownSlash
			);
			assert_ok!(ProviderStaking::report_offline(governance(), MACHINE));
			assert_ok!(ProviderStaking::report_offline(governance(), MACHINE));
			assert_noop!(
				ProviderStaking::cancel_slash(RuntimeOrigin::signed(PROVIDER), 0, reason()),
				DispatchError::BadOrigin
			);
			assert_ok!(ProviderStaking::cancel_slash(governance(), 0, reason()));
			assert_noop!(
				ProviderStaking::cancel_slash(governance(), 0, reason()),
				Error::<Test>::SlashNotPending
			);
			run_to_block(11);
			assert_noop!(
				ProviderStaking::cancel_slash(governance(), 1, reason()),
				Error::<Test>::SlashNotPending
			);
		});
	}
}

mod renter_deposits {
	use super::*;

	#[test]
	fn deposits_are_held_and_released() {
		ExtBuilder::default().build_and_execute(|| {
			let held = || Balances::balance_on_hold(&HoldReason::RenterDeposit.into(), &RENTER);
			assert_ok!(<ProviderStaking as RenterDeposits<u64, u128>>::hold_deposit(&RENTER, 500));
			assert_eq!((free(RENTER), held()), (9_500, 500));
			assert_eq!(
				<ProviderStaking as RenterDeposits<u64, u128>>::hold_deposit(&RENTER, 20_000),
				Err(Error::<Test>::DepositExceedsBalance.into())
			);
			assert_eq!(
				<ProviderStaking as RenterDeposits<u64, u128>>::release_deposit(&RENTER, 800),
				500
			);
			assert_eq!((free(RENTER), held()), (10_000, 0));
		});
	}

	#[test]
	fn a_forfeited_deposit_goes_to_the_treasury() {
		ExtBuilder::default().build_and_execute(|| {
			let held = || Balances::balance_on_hold(&HoldReason::RenterDeposit.into(), &RENTER);
			let treasury = free(TREASURY);
			let before = issuance();
			assert_ok!(<ProviderStaking as RenterDeposits<u64, u128>>::hold_deposit(&RENTER, 500));
			assert_eq!(
				<ProviderStaking as RenterDeposits<u64, u128>>::forfeit_deposit(&RENTER, 800),
				500
			);
			assert_eq!((free(RENTER), held()), (9_500, 0));
			assert_eq!(free(TREASURY), treasury + 500);
			assert_eq!(issuance(), before);
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
	gpux_weight_check::assert_weights_cover::<ProviderStaking>(
		ExtBuilder::default().build(),
		Default::default,
		&whitelist,
		ParityDbWeight::get(),
		|case| {
			let (c, m, r) = (case.component("c"), case.component("m"), case.component("r"));
			Some(match case.name.as_str() {
				"bond" => <() as WeightInfo>::bond(),
				"unbond" => <() as WeightInfo>::unbond(m),
				"withdraw_unbonded" => <() as WeightInfo>::withdraw_unbonded(c),
				"report_offline" => <() as WeightInfo>::report_offline(r),
				"report_fault" => <() as WeightInfo>::report_fault(r),
				"cancel_slash" => <() as WeightInfo>::cancel_slash(),
				"on_initialize_base" => <() as WeightInfo>::on_initialize_base(),
				"apply_slash" => <() as WeightInfo>::apply_slash(r, m),
				_ => return None,
			})
		},
	);
}
