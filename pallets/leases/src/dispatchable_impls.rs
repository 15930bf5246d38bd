//! What each call does, after its origin is checked.

use alloc::vec::Vec;
use frame_support::{
	ensure, pallet_prelude::DispatchResult, storage::with_storage_layer, traits::Get,
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	access::AccessError, AccessSpec, Balance, LeaseId, LeaseMode, LeaseWatch, MachineId,
	MachineRegistry, ReputationFeed,
};
use sp_runtime::{
	traits::{CheckedAdd, Saturating, Zero},
	DispatchError,
};

use crate::{
	weights::WeightInfo, CloseReason, Config, Error, Event, LeaseRecord, LeaseRecordOf,
	LeaseStatus, Leases, LeasesOf, MachineLeases, NextLeaseId, Pallet,
};

impl<T: Config> Pallet<T> {
	/// What a rent is charged before it runs: the most it can cost.
	pub(crate) fn rent_charge() -> Weight {
		T::WeightInfo::rent(T::MaxLeasesPerMachine::get()).max(T::WeightInfo::rent_free())
	}

	/// What a rent that read `examined` of the machine's open leases is charged: a rent of free
	/// GPUs (none read) `rent_free`, any other the most a rent can cost (the spot leases it
	/// preempts move their closes, which `rent(m)` measures in one schedule block only).
	pub(crate) fn rent_weight(examined: u32) -> Weight {
		if examined == 0 {
			T::WeightInfo::rent_free()
		} else {
			Self::rent_charge()
		}
	}

	/// Rents, or changes nothing: a failure after preemption notices or the escrow hold rolls
	/// them back, also for callers outside a dispatch (genesis, benchmarks, other pallets).
	pub(crate) fn do_rent(
		renter: T::AccountId,
		machine: MachineId,
		gpus: u32,
		mode: LeaseMode,
		duration: BlockNumberFor<T>,
		max_price: Balance,
		access: AccessSpec,
	) -> Result<(LeaseId, u32), DispatchError> {
		with_storage_layer(|| {
			Self::rent_in_layer(renter, machine, gpus, mode, duration, max_price, access, false)
		})
	}

	/// Rents on demand at exactly `price` (a job's winning bid), holding what the lease pays
	/// for its provider until the job's result is decided.
	pub(crate) fn do_rent_for_job(
		renter: T::AccountId,
		machine: MachineId,
		gpus: u32,
		duration: BlockNumberFor<T>,
		price: Balance,
		access: AccessSpec,
	) -> Result<LeaseId, DispatchError> {
		with_storage_layer(|| {
			let mode = LeaseMode::OnDemand;
			Self::rent_in_layer(renter, machine, gpus, mode, duration, price, access, true)
		})
		.map(|(lease, _)| lease)
	}

	#[allow(clippy::too_many_arguments)]
	fn rent_in_layer(
		renter: T::AccountId,
		machine: MachineId,
		gpus: u32,
		mode: LeaseMode,
		duration: BlockNumberFor<T>,
		max_price: Balance,
		access: AccessSpec,
		job: bool,
	) -> Result<(LeaseId, u32), DispatchError> {
		ensure!(gpus > 0, Error::<T>::ZeroGpus);
		access.check().map_err(|e| match e {
			AccessError::MalformedSshKey(_) => Error::<T>::MalformedSshKey,
			AccessError::MalformedSealKey => Error::<T>::MalformedSealKey,
		})?;
		let listed = T::Machines::listed_machine(machine).ok_or_else(|| {
			if T::Machines::machine_exists(machine) {
				Error::<T>::NotListed
			} else {
				Error::<T>::UnknownMachine
			}
		})?;
		let terms = &listed.terms;
		let price = match mode {
			// The provider bid this price for the job, whatever its listing asks.
			LeaseMode::OnDemand if job => max_price,
			LeaseMode::OnDemand => {
				ensure!(terms.on_demand_price <= max_price, Error::<T>::PriceAboveMax);
				terms.on_demand_price
			},
			LeaseMode::Spot => {
				ensure!(max_price >= terms.spot_floor_price, Error::<T>::BidBelowFloor);
				ensure!(max_price >= listed.spot_price, Error::<T>::BidBelowSpotPrice);
				max_price
			},
		};
		// A listing made when the MFP was higher no longer charges above it.
		ensure!(price <= listed.mfp, Error::<T>::PriceAboveMfp);
		ensure!(
			duration >= terms.min_lease_blocks && duration <= terms.max_lease_blocks,
			Error::<T>::DurationOutOfBounds
		);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= terms.available_from, Error::<T>::NotAvailableYet);
		ensure!(gpus <= listed.gpu_count, Error::<T>::NoFreeGpus);
		ensure!(listed.backed, Error::<T>::ProviderUnderBonded);

		let lease = NextLeaseId::<T>::get();
		let (starts_at, preempted_others, examined) = Self::make_room(
			lease,
			machine,
			(listed.gpu_count, listed.leased_gpus),
			gpus,
			mode,
			price,
			now,
		)?;
		let ends_at = starts_at.checked_add(&duration).ok_or(Error::<T>::Overflow)?;
		if let Some(until) = terms.available_until {
			ensure!(ends_at <= until, Error::<T>::DurationOutOfBounds);
		}
		let escrow = Self::cost(price, gpus, duration)?;
		ensure!(escrow >= T::MinEscrow::get(), Error::<T>::EscrowBelowMinimum);
		Self::hold_escrow(&renter, escrow)?;

		NextLeaseId::<T>::put(lease.checked_add(1).ok_or(Error::<T>::Overflow)?);
		MachineLeases::<T>::try_mutate(machine, |open| {
			open.try_push(lease).map_err(|_| Error::<T>::TooManyLeases)
		})?;
		T::Machines::gpus_leased(machine, gpus);
		let closes_at = Self::schedule_close(lease, ends_at)?;
		T::Watch::expect_start(lease, starts_at)?;
		LeasesOf::<T>::insert(&renter, lease, ());
		Leases::<T>::insert(
			lease,
			LeaseRecord {
				renter: renter.clone(),
				provider: listed.provider,
				machine,
				gpus,
				mode,
				price_per_gpu_hour: price,
				starts_at,
				ends_at,
				closes_at,
				escrow,
				paid: 0,
				access,
				status: LeaseStatus::Active,
				preempted_by: None,
				preempted_others,
				rating: None,
				held_payout: job.then_some(0),
				protocol_fee: T::ProtocolFee::get(),
			},
		);
		Self::deposit_event(Event::Rented {
			lease,
			renter,
			machine,
			gpus,
			mode,
			price_per_gpu_hour: price,
			starts_at,
			ends_at,
			escrow,
		});
		Ok((lease, examined))
	}

	/// The open leases on `machine`, with their ids.
	pub(crate) fn open_leases(machine: MachineId) -> Vec<(LeaseId, LeaseRecordOf<T>)> {
		MachineLeases::<T>::get(machine)
			.into_iter()
			.filter_map(|id| Leases::<T>::get(id).map(|lease| (id, lease)))
			.collect()
	}

	/// GPUs the given leases hold between them.
	pub(crate) fn gpus_held<'a>(leases: impl Iterator<Item = &'a LeaseRecordOf<T>>) -> u32
	where
		T: 'a,
	{
		leases.map(|lease| lease.gpus).fold(0, u32::saturating_add)
	}

	/// Finds `gpus` GPUs on `machine` (of `gpu_count`, `leased` of them held by its open leases)
	/// and returns when the lease can start: now if they are free, or when the spot leases it
	/// preempts (the cheapest first, only cheaper than `price` for a spot rent) have given
	/// theirs up; whether it put any under notice; and how many open leases it read (none when
	/// the GPUs are free). Changes nothing if the GPUs cannot be found.
	fn make_room(
		lease: LeaseId,
		machine: MachineId,
		(gpu_count, leased): (u32, u32),
		gpus: u32,
		mode: LeaseMode,
		price: Balance,
		now: BlockNumberFor<T>,
	) -> Result<(BlockNumberFor<T>, bool, u32), DispatchError> {
		// The marketplace's count of leased GPUs is what the open leases hold (an invariant
		// `do_try_state` checks): free GPUs need no lease read.
		if gpus <= gpu_count.saturating_sub(leased) {
			return Ok((now, false, 0));
		}
		let open = Self::open_leases(machine);
		let examined = u32::try_from(open.len()).unwrap_or(u32::MAX);
		// GPUs of leases under notice are promised already; the rest must come from spot leases.
		let committed = Self::gpus_held(open.iter().map(|(_, l)| l).filter(|l| l.occupies_gpus()));
		let mut missing = gpus.saturating_sub(gpu_count.saturating_sub(committed));
		let mut candidates: Vec<_> = open
			.iter()
			.filter(|(_, l)| {
				l.mode == LeaseMode::Spot
					&& l.occupies_gpus()
					&& (mode == LeaseMode::OnDemand || l.price_per_gpu_hour < price)
			})
			.collect();
		candidates.sort_by_key(|(id, l)| (l.price_per_gpu_hour, core::cmp::Reverse(*id)));
		let mut preempt = Vec::new();
		for (id, lease) in candidates {
			if missing == 0 {
				break;
			}
			missing = missing.saturating_sub(lease.gpus);
			preempt.push(*id);
		}
		ensure!(missing == 0, Error::<T>::NoFreeGpus);

		// Start when the last lease under notice, earlier or now, has given its GPUs up.
		let mut starts_at = open
			.iter()
			.filter_map(|(_, l)| match l.status {
				LeaseStatus::Preempting { until } => Some(until),
				_ => None,
			})
			.fold(now, |latest, until| latest.max(until));
		let deadline = now.saturating_add(T::SpotNoticeBlocks::get());
		let preempted_others = !preempt.is_empty();
		for id in preempt {
			starts_at = starts_at.max(Self::notice_preemption(id, deadline, lease)?);
		}
		Ok((starts_at, preempted_others, examined))
	}

	/// Puts a spot lease under notice for the rent of `by`: it closes at `deadline` (or its
	/// own end, if sooner). Returns the block it gives its GPUs up.
	fn notice_preemption(
		id: LeaseId,
		deadline: BlockNumberFor<T>,
		by: LeaseId,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		let until = deadline.min(lease.ends_at);
		lease.closes_at = Self::reschedule_close(id, lease.closes_at, until)?;
		lease.status = LeaseStatus::Preempting { until };
		lease.preempted_by = Some(by);
		Leases::<T>::insert(id, lease);
		Self::deposit_event(Event::SpotPreemptionNoticed { lease: id, ends_at: until, by });
		Ok(until)
	}

	/// A rent closed before it started: the spot leases under a notice whose rent is no longer
	/// open (`by`, or one closed earlier) run on to their own end, as far as their GPUs are
	/// not promised to a rent still waiting. Otherwise a few fees would buy the preemption of
	/// every spot lease on a machine. Returns how many were restored.
	pub(crate) fn cancel_notices(machine: MachineId, by: LeaseId, gpu_count: u32) -> u32 {
		let open = Self::open_leases(machine);
		let mut occupied =
			Self::gpus_held(open.iter().map(|(_, l)| l).filter(|l| l.occupies_gpus()));
		let mut restored = 0;
		for (id, mut lease) in open {
			let Some(preemptor) = lease.preempted_by else { continue };
			let preemptor_gone =
				preemptor == by || Leases::<T>::get(preemptor).is_none_or(|rent| !rent.is_open());
			if !preemptor_gone || occupied.saturating_add(lease.gpus) > gpu_count {
				continue;
			}
			// A full schedule leaves the notice standing: the lease still closes at its deadline.
			let Ok(closes_at) = Self::reschedule_close(id, lease.closes_at, lease.ends_at) else {
				continue;
			};
			lease.closes_at = closes_at;
			occupied = occupied.saturating_add(lease.gpus);
			lease.status = LeaseStatus::Active;
			lease.preempted_by = None;
			Leases::<T>::insert(id, lease);
			restored += 1;
			Self::deposit_event(Event::SpotPreemptionCancelled { lease: id });
		}
		restored
	}

	/// Extends, or changes nothing (see `do_rent`).
	pub(crate) fn do_extend(
		renter: T::AccountId,
		id: LeaseId,
		extra: BlockNumberFor<T>,
	) -> DispatchResult {
		with_storage_layer(|| Self::extend_in_layer(renter, id, extra))
	}

	fn extend_in_layer(
		renter: T::AccountId,
		id: LeaseId,
		extra: BlockNumberFor<T>,
	) -> DispatchResult {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		ensure!(lease.renter == renter, Error::<T>::NotRenter);
		ensure!(lease.held_payout.is_none(), Error::<T>::JobLeaseFixed);
		match lease.status {
			LeaseStatus::Active => {},
			LeaseStatus::Preempting { .. } => return Err(Error::<T>::LeasePreempting.into()),
			LeaseStatus::Closed { .. } => return Err(Error::<T>::LeaseClosed.into()),
		}
		ensure!(!extra.is_zero(), Error::<T>::DurationOutOfBounds);
		let listed = T::Machines::listed_machine(lease.machine).ok_or(Error::<T>::NotListed)?;
		// More blocks are sold at the lease's price: not above the MFP of now.
		ensure!(lease.price_per_gpu_hour <= listed.mfp, Error::<T>::PriceAboveMfp);
		let ends_at = lease.ends_at.checked_add(&extra).ok_or(Error::<T>::Overflow)?;
		let total = ends_at.saturating_sub(lease.starts_at);
		ensure!(total <= listed.terms.max_lease_blocks, Error::<T>::DurationOutOfBounds);
		if let Some(until) = listed.terms.available_until {
			ensure!(ends_at <= until, Error::<T>::DurationOutOfBounds);
		}
		// Budgets are computed over the whole length so rounding never drifts.
		let old_budget = Self::cost(
			lease.price_per_gpu_hour,
			lease.gpus,
			lease.ends_at.saturating_sub(lease.starts_at),
		)?;
		let new_budget = Self::cost(lease.price_per_gpu_hour, lease.gpus, total)?;
		let added = new_budget.saturating_sub(old_budget);
		Self::hold_escrow(&renter, added)?;
		lease.closes_at = Self::reschedule_close(id, lease.closes_at, ends_at)?;
		lease.ends_at = ends_at;
		lease.escrow = lease.escrow.saturating_add(added);
		Leases::<T>::insert(id, lease);
		Self::deposit_event(Event::Extended { lease: id, ends_at, added_escrow: added });
		Ok(())
	}

	pub(crate) fn do_terminate(renter: T::AccountId, id: LeaseId) -> DispatchResult {
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		ensure!(lease.renter == renter, Error::<T>::NotRenter);
		ensure!(lease.is_open(), Error::<T>::LeaseClosed);
		let now = frame_system::Pallet::<T>::block_number();
		// A rent that preempted spot leases pays for at least the notice it caused.
		let upto = if lease.preempted_others {
			now.max(lease.starts_at.saturating_add(T::SpotNoticeBlocks::get()))
		} else {
			now
		};
		Self::close(id, lease, CloseReason::RenterTerminated, upto);
		Ok(())
	}

	pub(crate) fn do_settle(id: LeaseId) -> Result<(Balance, Balance), DispatchError> {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		ensure!(lease.is_open(), Error::<T>::LeaseClosed);
		let now = frame_system::Pallet::<T>::block_number();
		let paid = Self::pay_accrued(id, &mut lease, now);
		Leases::<T>::insert(id, lease);
		Ok(paid)
	}

	pub(crate) fn do_rate(renter: T::AccountId, id: LeaseId, stars: u8) -> DispatchResult {
		ensure!((1..=5).contains(&stars), Error::<T>::InvalidRating);
		Leases::<T>::try_mutate(id, |lease| {
			let lease = lease.as_mut().ok_or(Error::<T>::UnknownLease)?;
			ensure!(lease.renter == renter, Error::<T>::NotRenter);
			ensure!(!lease.is_open(), Error::<T>::LeaseNotClosed);
			ensure!(lease.rating.is_none(), Error::<T>::AlreadyRated);
			lease.rating = Some(stars);
			T::Reputation::lease_rated(lease.machine, &lease.provider, lease.paid, stars);
			Self::deposit_event(Event::Rated { lease: id, stars });
			Ok(())
		})
	}
}
