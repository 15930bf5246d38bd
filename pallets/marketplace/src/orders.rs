//! Orders: a renter states what it needs; the chain picks the best listing and opens the
//! lease, or rests the order in its class's book until capacity appears or it expires.

use alloc::{collections::BTreeMap, vec::Vec};
use frame_support::{
	dispatch::{DispatchErrorWithPostInfo, WithPostDispatchInfo},
	ensure,
	pallet_prelude::DispatchResult,
	storage::with_storage_layer,
	traits::Get,
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	access::AccessError, reputation_adjusted_price, storage::remove_from_list, AccessSpec, Balance,
	GpuClassId, LeaseId, LeaseMode, LeaseOpener, MachineId, NoMatch, ProviderBonds, RenterDeposits,
	ReputationScores, Requirements,
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, Permill,
};

use crate::{
	weights::WeightInfo, ClassesToMatch, Config, Error, Event, FleetLabelOf, GpuClasses,
	ListingIndex, ListingTermsOf, MachineRecordOf, MatchCursor, NextGpuClassId, NextOrderId,
	OrderBooks, OrderExpiries, OrderId, OrderRecord, OrderRecordOf, OrderTermsOf, Orders,
	OrdersPerRenter, Pallet, Providers,
};

/// GPUs of one machine a match takes, at a price per GPU-hour.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fill {
	pub machine: MachineId,
	pub gpus: u32,
	pub price: Balance,
	/// Its reputation-adjusted price, by which it was chosen.
	pub adjusted_price: Balance,
}

/// What one block's matching of resting orders did.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RestingWork {
	/// Orders tried.
	pub tried: u32,
	/// What the leases their matches opened, or tried to open, cost.
	pub leases: Weight,
	/// Providers' bonds their matches read (a provider once per order).
	pub bonds_read: u32,
	/// Orders that left the book: filled, or dropped when a lease could not open.
	pub removed: u32,
	/// Classes whose candidates the matches scanned (`match_resting`'s benchmark scans one).
	pub classes: u32,
	/// Classes passed over with nothing left in them to try (a book read each).
	pub skipped: u32,
}

/// What happened to a resting order the block's matching tried.
enum Attempt {
	/// It filled and left the book.
	Filled,
	/// It stays in the book.
	Unmatched,
	/// Its lease could not open (the renter's balance, say): it left the book.
	Dropped,
}

/// The providers whose bonds one match has read, and what each said: a provider is read once.
pub(crate) struct BondsRead<T: Config> {
	read: BTreeMap<T::AccountId, bool>,
}

impl<T: Config> Default for BondsRead<T> {
	fn default() -> Self {
		Self { read: BTreeMap::new() }
	}
}

impl<T: Config> BondsRead<T> {
	/// What `provider`'s bond said, if it was read.
	fn known(&self, provider: &T::AccountId) -> Option<bool> {
		self.read.get(provider).copied()
	}

	/// Whether `provider`'s bond backs it, read at most once.
	pub(crate) fn backs(&mut self, provider: &T::AccountId) -> bool {
		*self.read.entry(provider.clone()).or_insert_with(|| Pallet::<T>::provider_backed(provider))
	}

	/// How many providers' bonds were read.
	pub(crate) fn count(&self) -> u32 {
		self.read.len() as u32
	}
}

impl<T: Config> Pallet<T> {
	/// The best way to fill `terms` now, looking only at `only_class` if given: the lowest
	/// reputation-adjusted price among the cheapest `MaxMatchCandidates` indexed listings of
	/// each class the requirements allow (ties: the lower machine id); failing a single
	/// machine, and if the order allows it, the GPUs of one fleet. Otherwise why none fits:
	/// the test at which the candidate that got furthest failed. Reads at most
	/// `MaxMatchCandidates` index entries per class, however many listings there are.
	pub fn find_match(
		terms: &OrderTermsOf<T>,
		only_class: Option<GpuClassId>,
	) -> Result<Vec<Fill>, NoMatch> {
		Self::find_match_counted(terms, only_class).0
	}

	/// `find_match`, and how many providers' bonds it read (`provider_backing`'s component).
	/// A bond is read only where its answer may change the outcome: for a candidate that would
	/// be the best so far, for one short of GPUs while no candidate got as far, and for a fleet
	/// whose GPUs add up; and once per provider.
	pub(crate) fn find_match_counted(
		terms: &OrderTermsOf<T>,
		only_class: Option<GpuClassId>,
	) -> (Result<Vec<Fill>, NoMatch>, u32) {
		let mut bonds = BondsRead::<T>::default();
		let found = Self::scan(terms, only_class, &mut bonds);
		(found, bonds.count())
	}

	fn scan(
		terms: &OrderTermsOf<T>,
		only_class: Option<GpuClassId>,
		bonds: &mut BondsRead<T>,
	) -> Result<Vec<Fill>, NoMatch> {
		if terms.gpus == 0 {
			return Err(NoMatch::ZeroGpus);
		}
		let requirements = &terms.requirements;
		let classes: Vec<GpuClassId> = match (only_class, requirements.gpu_class) {
			(Some(only), Some(wanted)) if only != wanted => return Err(NoMatch::UnknownGpuClass),
			(Some(class), _) | (None, Some(class)) => alloc::vec![class],
			(None, None) => (0..NextGpuClassId::<T>::get()).collect(),
		};
		let band = T::MfpBand::get();
		let floor_share = T::SpotFloorShare::get();
		let now = frame_system::Pallet::<T>::block_number();
		let ends_at = now.saturating_add(terms.duration);
		let mut furthest = NoMatch::UnknownGpuClass;
		// A class with the memory exists: if nothing else is learnt, none of it is free.
		let mut class_exists = false;
		let mut best: Option<Fill> = None;
		// Machines that pass every test but capacity (and perhaps the bond), by fleet, cheapest
		// first.
		let mut fleets: Vec<((T::AccountId, FleetLabelOf<T>), Vec<Fill>)> = Vec::new();
		for class in classes {
			let Some(gpu_class) = GpuClasses::<T>::get(class) else { continue };
			if gpu_class.vram_gib < requirements.min_vram_gib {
				furthest = furthest.max(NoMatch::InsufficientSpec);
				continue;
			}
			class_exists = true;
			let spot_price = gpu_class.spot_price(band, floor_share);
			let cap = gpu_class.mfp(band).min(terms.max_price_per_gpu_hour);
			let entries = ListingIndex::<T>::iter_key_prefix((class, terms.mode))
				.take(T::MaxMatchCandidates::get() as usize);
			for key in entries {
				let price = match terms.mode {
					LeaseMode::OnDemand => key.price(),
					LeaseMode::Spot => key.price().max(spot_price),
				};
				// The index is in price order: nothing further on is cheap enough.
				if price > cap {
					furthest = furthest.max(NoMatch::PriceAboveMax);
					break;
				}
				// The best score counts a price at two thirds: nothing further on can win.
				if best.is_some_and(|b| price.saturating_mul(2) / 3 > b.adjusted_price) {
					break;
				}
				let machine = key.machine();
				let Some(record) = crate::Machines::<T>::get(machine) else { continue };
				let Some(listing) = record.listing.as_ref() else { continue };
				let score = T::Reputation::machine_score(machine);
				let free = record.free_gpus();
				let failed = Self::unmet_requirement(requirements, &record, listing, score)
					.or_else(|| {
						(terms.duration < listing.min_lease_blocks
							|| terms.duration > listing.max_lease_blocks
							|| now < listing.available_from
							|| listing.available_until.is_some_and(|until| ends_at > until))
						.then_some(NoMatch::DurationOutOfBounds)
					});
				if let Some(reason) = failed {
					furthest = furthest.max(reason);
					continue;
				}
				let fill = Fill {
					machine,
					gpus: terms.gpus.min(free),
					price,
					adjusted_price: reputation_adjusted_price(price, score),
				};
				if free < terms.gpus {
					// Its bond is tested first (`NoMatch`'s order), where the answer counts: once
					// a candidate is short of GPUs, another's reason cannot go further.
					let unbacked = if furthest < NoMatch::NoCapacity {
						!bonds.backs(&record.provider)
					} else {
						bonds.known(&record.provider) == Some(false)
					};
					if unbacked {
						furthest = furthest.max(NoMatch::ProviderUnderBonded);
						continue;
					}
					furthest = furthest.max(NoMatch::NoCapacity);
					if let (true, Some(label)) = (terms.split_across_fleet, record.fleet) {
						let fleet = (record.provider, label);
						match fleets.iter_mut().find(|(f, _)| *f == fleet) {
							Some((_, members)) => members.push(fill),
							None => fleets.push((fleet, alloc::vec![fill])),
						}
					}
					continue;
				}
				// A machine no better than the best so far cannot win: its bond is not read.
				if best.is_some_and(|b| {
					(b.adjusted_price, b.machine) <= (fill.adjusted_price, machine)
				}) {
					continue;
				}
				if !bonds.backs(&record.provider) {
					furthest = furthest.max(NoMatch::ProviderUnderBonded);
					continue;
				}
				best = Some(fill);
			}
		}
		if let Some(best) = best {
			return Ok(alloc::vec![best]);
		}
		// Failing one machine: the first backed fleet whose free GPUs add up, cheapest machines
		// first.
		for ((provider, _), members) in fleets {
			let free: u32 = members.iter().map(|f| f.gpus).fold(0, u32::saturating_add);
			if free < terms.gpus || !bonds.backs(&provider) {
				continue;
			}
			let mut missing = terms.gpus;
			let mut fills = Vec::new();
			for mut fill in members {
				if missing == 0 {
					break;
				}
				fill.gpus = fill.gpus.min(missing);
				missing = missing.saturating_sub(fill.gpus);
				fills.push(fill);
			}
			// At most `MaxMatchCandidates` leases, the most `place_order` charges for.
			if fills.len() as u32 <= T::MaxMatchCandidates::get() {
				return Ok(fills);
			}
		}
		if furthest == NoMatch::UnknownGpuClass && class_exists {
			furthest = NoMatch::NoCapacity;
		}
		Err(furthest)
	}

	/// The first test of `requirements` the listed machine fails, in `NoMatch`'s order: its
	/// hardware, its listing's access methods, its country, its reputation `score`. Orders
	/// and job bids hold machines to the same tests.
	pub(crate) fn unmet_requirement(
		requirements: &Requirements,
		record: &MachineRecordOf<T>,
		listing: &ListingTermsOf<T>,
		score: Permill,
	) -> Option<NoMatch> {
		[
			(!requirements.spec_fits(&record.spec), NoMatch::InsufficientSpec),
			(
				requirements.access.is_some_and(|a| !listing.access.offers(a)),
				NoMatch::AccessUnavailable,
			),
			(
				requirements.country.is_some_and(|c| c != record.region.country),
				NoMatch::RegionUnavailable,
			),
			(requirements.min_reputation.is_some_and(|r| score < r), NoMatch::BelowMinReputation),
		]
		.into_iter()
		.find_map(|(fails, reason)| fails.then_some(reason))
	}

	/// Whether the provider's bond, net of pending slashes, backs what it listed and leased.
	fn provider_backed(provider: &T::AccountId) -> bool {
		let committed = Providers::<T>::get(provider).map_or(0, |p| p.committed_gpus);
		T::Bonds::backs_after_slashes(provider, committed)
	}

	/// Opens every lease of `fills`, or none. Returns them, and with them or with the error,
	/// what the openings cost (one that failed at the most an opening costs).
	fn open_fills(
		renter: &T::AccountId,
		terms: &OrderTermsOf<T>,
		access: &AccessSpec,
		fills: &[Fill],
	) -> Result<(Vec<LeaseId>, Weight), (DispatchError, Weight)> {
		let mut cost = Weight::zero();
		with_storage_layer(|| {
			fills
				.iter()
				.map(|fill| {
					let (lease, weight) = T::Leases::open_lease(
						renter,
						fill.machine,
						fill.gpus,
						terms.mode,
						terms.duration,
						fill.price,
						access.clone(),
					)
					.inspect_err(|_| cost.saturating_accrue(T::Leases::open_lease_weight()))?;
					cost.saturating_accrue(weight);
					Ok(lease)
				})
				.collect::<Result<Vec<_>, DispatchError>>()
		})
		.map(|leases| (leases, cost))
		.map_err(|error| (error, cost))
	}

	/// Refuses orders that could never fill, and prices above the MFP.
	fn ensure_valid_order(
		terms: &OrderTermsOf<T>,
		expires_at: BlockNumberFor<T>,
	) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			expires_at > now && expires_at <= now.saturating_add(T::MaxOrderLifetime::get()),
			Error::<T>::ExpiryOutOfBounds
		);
		Self::ensure_valid_order_terms(terms)
	}

	/// Refuses what an order or a job asks if nothing could fill it, or above the MFP.
	/// Refuses an SSH or seal key that could not reach a container.
	pub(crate) fn ensure_valid_access(access: &AccessSpec) -> DispatchResult {
		access.check().map_err(|e| match e {
			AccessError::MalformedSshKey(_) => Error::<T>::MalformedSshKey.into(),
			AccessError::MalformedSealKey => Error::<T>::MalformedSealKey.into(),
		})
	}

	pub(crate) fn ensure_valid_order_terms(terms: &OrderTermsOf<T>) -> DispatchResult {
		ensure!(terms.gpus > 0, Error::<T>::ZeroGpus);
		ensure!(
			!terms.duration.is_zero() && terms.max_price_per_gpu_hour > 0,
			Error::<T>::InvalidOrder
		);
		let band = T::MfpBand::get();
		let mfp = match terms.requirements.gpu_class {
			Some(class) => {
				GpuClasses::<T>::get(class).ok_or(Error::<T>::UnknownGpuClass)?.mfp(band)
			},
			// Any class with the memory asked: the highest of their MFPs.
			None => (0..NextGpuClassId::<T>::get())
				.filter_map(GpuClasses::<T>::get)
				.filter(|c| c.vram_gib >= terms.requirements.min_vram_gib)
				.map(|c| c.mfp(band))
				.max()
				.ok_or(Error::<T>::UnknownGpuClass)?,
		};
		ensure!(terms.max_price_per_gpu_hour <= mfp, Error::<T>::PriceAboveMfp);
		Ok(())
	}

	/// Checks the order and looks for its fill; the order takes the next id either way. Returns
	/// it, the match and how many providers' bonds the match read.
	pub(crate) fn match_new_order(
		terms: &OrderTermsOf<T>,
		expires_at: BlockNumberFor<T>,
	) -> Result<(OrderId, Result<Vec<Fill>, NoMatch>, u32), DispatchError> {
		Self::ensure_valid_order(terms, expires_at)?;
		let order = NextOrderId::<T>::get();
		NextOrderId::<T>::put(order.checked_add(1).ok_or(Error::<T>::Overflow)?);
		let (found, bonds_read) = Self::find_match_counted(terms, None);
		Ok((order, found, bonds_read))
	}

	/// Places an order: filled at once, or resting. Returns it and what it cost: an order that
	/// filled is charged the match (`match_order`), the bonds it read (`provider_backing`) and
	/// what its leases cost, one that rests `place_order` and the bonds; so is a failure, by
	/// how far it got.
	pub(crate) fn do_place_order(
		renter: T::AccountId,
		terms: OrderTermsOf<T>,
		expires_at: BlockNumberFor<T>,
		access: AccessSpec,
	) -> Result<(OrderId, Weight), DispatchErrorWithPostInfo> {
		Self::ensure_valid_access(&access)?;
		let classes = match terms.requirements.gpu_class {
			Some(_) => 1,
			None => NextGpuClassId::<T>::get(),
		};
		let (order, found, bonds_read) = Self::match_new_order(&terms, expires_at)
			.map_err(|e| e.with_weight(T::WeightInfo::match_order(classes)))?;
		let bonds = T::WeightInfo::provider_backing(bonds_read);
		let matched = T::WeightInfo::match_order(classes).saturating_add(bonds);
		match found {
			Ok(fills) => {
				let (leases, cost) = Self::open_fills(&renter, &terms, &access, &fills)
					.map_err(|(e, cost)| e.with_weight(matched.saturating_add(cost)))?;
				Self::deposit_event(Event::OrderFilled { order, renter, leases });
				Ok((order, matched.saturating_add(cost)))
			},
			Err(reason) => {
				let rested = T::WeightInfo::place_order(classes).saturating_add(bonds);
				Self::deposit_event(Event::OrderUnmatched { order, reason });
				let deposit = T::OrderDeposit::get();
				T::Deposits::hold_deposit(&renter, deposit)
					.map_err(|_| Error::<T>::DepositExceedsBalance.with_weight(rested))?;
				let record = OrderRecord { renter, terms, access, expires_at, deposit };
				Self::rest(order, record).map_err(|e| e.with_weight(rested))?;
				Ok((order, rested))
			},
		}
	}

	/// Puts the order in its class's book (a full book gives up its lowest-priced order for a
	/// higher one) and schedules its expiry.
	fn rest(order: OrderId, record: OrderRecordOf<T>) -> DispatchResult {
		OrdersPerRenter::<T>::try_mutate(&record.renter, |count| {
			let resting = count.unwrap_or(0);
			ensure!(resting < T::MaxOrdersPerRenter::get(), Error::<T>::TooManyOrders);
			*count = Some(resting.saturating_add(1));
			Ok::<_, DispatchError>(())
		})?;
		let book = record.terms.requirements.gpu_class;
		let price = record.terms.max_price_per_gpu_hour;
		let mut orders = OrderBooks::<T>::get(book);
		// Highest price first, then oldest: an order goes after those paying as much.
		let at = orders.iter().position(|(p, _)| *p < price).unwrap_or(orders.len());
		if orders.is_full() {
			let (lowest, _) = *orders.last().ok_or(Error::<T>::BookFull)?;
			ensure!(price > lowest, Error::<T>::BookFull);
			let (_, evicted) = orders.pop().ok_or(Error::<T>::BookFull)?;
			if let Some(evicted_record) = Orders::<T>::get(evicted) {
				// Out of this copy of the book already; the rest as for any order leaving.
				let deposit = Self::remove_order(evicted, &evicted_record);
				Self::deposit_event(Event::OrderEvicted { order: evicted, by: order, deposit });
			}
		}
		orders
			.try_insert(at.min(orders.len()), (price, order))
			.map_err(|_| Error::<T>::BookFull)?;
		OrderExpiries::<T>::try_mutate(record.expires_at, |due| {
			due.try_push(order).map_err(|_| Error::<T>::ExpiryScheduleFull)
		})?;
		OrderBooks::<T>::insert(book, orders);
		Self::deposit_event(Event::OrderPlaced {
			order,
			renter: record.renter.clone(),
			gpu_class: book,
			max_price_per_gpu_hour: price,
			expires_at: record.expires_at,
			deposit: record.deposit,
		});
		Orders::<T>::insert(order, record);
		Ok(())
	}

	fn unschedule_expiry(order: OrderId, at: BlockNumberFor<T>) {
		OrderExpiries::<T>::mutate_exists(at, |due| remove_from_list(due, &order));
	}

	/// Takes the order out of storage, its book and its expiry, and returns its deposit.
	fn remove_order(order: OrderId, record: &OrderRecordOf<T>) -> Balance {
		Orders::<T>::remove(order);
		OrdersPerRenter::<T>::mutate_exists(&record.renter, |count| {
			*count = count.map(|c| c.saturating_sub(1)).filter(|c| *c > 0);
		});
		OrderBooks::<T>::mutate_exists(record.terms.requirements.gpu_class, |book| {
			if let Some(orders) = book {
				orders.retain(|(_, id)| *id != order);
				if orders.is_empty() {
					*book = None;
				}
			}
		});
		Self::unschedule_expiry(order, record.expires_at);
		T::Deposits::release_deposit(&record.renter, record.deposit)
	}

	pub(crate) fn do_cancel_order(renter: T::AccountId, order: OrderId) -> DispatchResult {
		let record = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
		ensure!(record.renter == renter, Error::<T>::NotOrderOwner);
		let deposit = Self::remove_order(order, &record);
		Self::deposit_event(Event::OrderCancelled { order, deposit });
		Ok(())
	}

	/// Ends the orders that expire at `now`. Returns how many.
	pub(crate) fn expire_orders(now: BlockNumberFor<T>) -> u32 {
		let due = OrderExpiries::<T>::take(now);
		for order in due.iter() {
			if let Some(record) = Orders::<T>::get(order) {
				let deposit = Self::remove_order(*order, &record);
				Self::deposit_event(Event::OrderExpired { order: *order, deposit });
			}
		}
		due.len() as u32
	}

	/// Tries up to `MaxOrderMatchesPerBlock` resting orders against the classes where capacity
	/// appeared, each class's book (best price first) and then the any-class book, resuming
	/// where the last block stopped. A class leaves the queue once every order was tried.
	pub(crate) fn match_resting() -> RestingWork {
		let mut work = RestingWork::default();
		let mut pending = ClassesToMatch::<T>::get();
		if pending.is_empty() {
			return work;
		}
		let mut cursor = MatchCursor::<T>::get();
		let mut scanning = None;
		while work.tried < T::MaxOrderMatchesPerBlock::get() {
			let Some(class) = pending.first().copied() else { break };
			let own = OrderBooks::<T>::get(Some(class));
			let any = OrderBooks::<T>::get(None::<GpuClassId>);
			let position = cursor as usize;
			let next = match position.checked_sub(own.len()) {
				None => own.get(position),
				Some(in_any) => any.get(in_any),
			};
			let Some((_, order)) = next.copied() else {
				if scanning != Some(class) {
					work.skipped.saturating_inc();
				}
				pending.remove(0);
				cursor = 0;
				continue;
			};
			if scanning != Some(class) {
				scanning = Some(class);
				work.classes.saturating_inc();
			}
			work.tried.saturating_inc();
			let (attempt, bonds_read, leases) = Self::try_resting(order, class);
			work.bonds_read.saturating_accrue(bonds_read);
			work.leases.saturating_accrue(leases);
			match attempt {
				Attempt::Unmatched => cursor.saturating_inc(),
				// It left the book: the next order moved into its place.
				Attempt::Filled | Attempt::Dropped => work.removed.saturating_inc(),
			}
		}
		ClassesToMatch::<T>::put(pending);
		MatchCursor::<T>::put(cursor);
		work
	}

	/// Tries a resting order; returns what happened, how many bonds the match read and what
	/// its leases cost.
	fn try_resting(order: OrderId, class: GpuClassId) -> (Attempt, u32, Weight) {
		let Some(record) = Orders::<T>::get(order) else {
			return (Attempt::Unmatched, 0, Weight::zero());
		};
		let mut cost = Weight::zero();
		let (found, bonds_read) = Self::find_match_counted(&record.terms, Some(class));
		let attempt = match found {
			Ok(fills) => {
				let opened =
					Self::open_fills(&record.renter, &record.terms, &record.access, &fills);
				let deposit = Self::remove_order(order, &record);
				match opened {
					Ok((leases, leases_cost)) => {
						cost = leases_cost;
						Self::deposit_event(Event::OrderFilled {
							order,
							renter: record.renter,
							leases,
						});
						Attempt::Filled
					},
					Err((error, leases_cost)) => {
						cost = leases_cost;
						Self::deposit_event(Event::OrderDropped { order, error, deposit });
						Attempt::Dropped
					},
				}
			},
			Err(reason) => {
				Self::deposit_event(Event::OrderUnmatched { order, reason });
				Attempt::Unmatched
			},
		};
		(attempt, bonds_read, cost)
	}
}
