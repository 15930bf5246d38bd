#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod dispatchable_impls;
mod disputes;
mod escrow;
#[cfg(any(test, feature = "try-runtime"))]
mod invariants;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
mod tick_impls;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::leases";

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use gpux_primitives::{
		AccessSpec, Balance, LeaseId, LeaseMode, LeaseWatch, MachineId, MachineRegistry,
		ReputationFeed,
	};
	use sp_runtime::Perbill;

	/// Layout 1: the launch layout. A change of layout bumps it and ships a migration in the
	/// runtime's `migrations` list.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
		/// The runtime's hold reasons, of which `LeaseEscrow` is ours.
		type RuntimeHoldReason: From<HoldReason>;
		/// The native token: escrow is a hold on the renter's own account.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason, Balance = Balance>
			+ Mutate<Self::AccountId, Balance = Balance>;
		/// Machines and their listings.
		type Machines: MachineRegistry<Self::AccountId, Balance, BlockNumberFor<Self>>;
		/// Checks that each lease's start is attested in time, keeps a closed lease's machine
		/// answerable for its disputes, and drops its attestations when it is pruned (the
		/// attestation pallet).
		type Watch: LeaseWatch<BlockNumberFor<Self>>;
		/// Learns how each lease ended and how its renter rated it.
		type Reputation: ReputationFeed<Self::AccountId, Balance>;
		/// Where protocol fees go.
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;
		/// The protocol's share of every payment to a provider.
		#[pallet::constant]
		type ProtocolFee: Get<Perbill>;
		/// Blocks in an hour: prices are per GPU-hour.
		#[pallet::constant]
		type BlocksPerHour: Get<BlockNumberFor<Self>>;
		/// How long a spot lease keeps its GPUs after a preemption notice.
		#[pallet::constant]
		type SpotNoticeBlocks: Get<BlockNumberFor<Self>>;
		/// Most open leases one machine may have.
		#[pallet::constant]
		type MaxLeasesPerMachine: Get<u32>;
		/// Most leases that close in one block; bounds `on_initialize`.
		#[pallet::constant]
		type MaxClosesPerBlock: Get<u32>;
		/// How many blocks past its end a close may move when blocks are full.
		#[pallet::constant]
		type MaxCloseDelay: Get<u32>;
		/// The least a lease may hold in escrow: no near-worthless lease records.
		#[pallet::constant]
		type MinEscrow: Get<Balance>;
		/// Blocks a closed lease is kept before it is pruned: its renter may rate it until
		/// then. At least the attestation pallet's dispute window, so a dispute finds it.
		#[pallet::constant]
		type ClosedLeaseRetention: Get<BlockNumberFor<Self>>;
		/// Most closed leases pruned in one block; bounds `on_initialize`.
		#[pallet::constant]
		type MaxPrunesPerBlock: Get<u32>;
		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
		/// Creates listed machines for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A lease's unspent budget, held in the renter's account until paid out or refunded.
		#[codec(index = 0)]
		LeaseEscrow,
		/// What a job's lease paid, held in the renter's account until the job's result is
		/// accepted (to the provider) or refused (back to the renter).
		#[codec(index = 1)]
		JobPayment,
	}

	/// Every lease, open or closed.
	#[pallet::storage]
	pub type Leases<T: Config> = StorageMap<_, Twox64Concat, LeaseId, LeaseRecordOf<T>>;

	/// The id the next lease gets.
	#[pallet::storage]
	pub type NextLeaseId<T: Config> = StorageValue<_, LeaseId, ValueQuery>;

	/// Leases by renter.
	#[pallet::storage]
	pub type LeasesOf<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, LeaseId, ()>;

	/// Open leases by machine.
	#[pallet::storage]
	pub type MachineLeases<T: Config> = StorageMap<
		_,
		Twox64Concat,
		MachineId,
		BoundedVec<LeaseId, T::MaxLeasesPerMachine>,
		ValueQuery,
	>;

	/// Closed leases in the order they closed, with the block they closed in: the queue
	/// `on_initialize` prunes from, by position from `ClosedLeaseQueue`'s head.
	#[pallet::storage]
	pub type ClosedLeases<T: Config> =
		StorageMap<_, Twox64Concat, u64, (LeaseId, BlockNumberFor<T>)>;

	/// The positions of the first closed lease not yet pruned and of the next one to close.
	#[pallet::storage]
	pub type ClosedLeaseQueue<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// Leases to close, by block: expiries and preemption deadlines.
	#[pallet::storage]
	pub type Closes<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<LeaseId, T::MaxClosesPerBlock>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A renter rented GPUs; `starts_at` is later than now when spot leases must first
		/// give their GPUs up.
		Rented {
			lease: LeaseId,
			renter: T::AccountId,
			machine: MachineId,
			gpus: u32,
			mode: LeaseMode,
			price_per_gpu_hour: Balance,
			starts_at: BlockNumberFor<T>,
			ends_at: BlockNumberFor<T>,
			escrow: Balance,
		},
		/// A lease was made longer and its escrow topped up.
		Extended { lease: LeaseId, ends_at: BlockNumberFor<T>, added_escrow: Balance },
		/// Accrued cost was paid out of escrow.
		Settled { lease: LeaseId, to_provider: Balance, fee: Balance },
		/// A spot lease must give its GPUs up at `ends_at`, for the rent of `by`.
		SpotPreemptionNoticed { lease: LeaseId, ends_at: BlockNumberFor<T>, by: LeaseId },
		/// The rent that preempted a spot lease closed before it started: the spot lease runs
		/// on to its own end.
		SpotPreemptionCancelled { lease: LeaseId },
		/// A job's lease paid `amount` for its provider, held until the job's result is decided.
		PayoutHeld { lease: LeaseId, amount: Balance },
		/// A job's held payout went to its provider (`to_provider`) and the treasury (`fee`).
		PayoutReleased { lease: LeaseId, to_provider: Balance, fee: Balance },
		/// A job's held payout went back to its renter.
		PayoutRefunded { lease: LeaseId, amount: Balance },
		/// A lease closed; the unspent escrow went back to the renter.
		Closed { lease: LeaseId, reason: CloseReason, refunded: Balance },
		/// The renter rated a closed lease.
		Rated { lease: LeaseId, stars: u8 },
		/// A closed lease's record (and what was attested of it) was dropped,
		/// `ClosedLeaseRetention` after it closed.
		Pruned { lease: LeaseId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No machine with this id.
		UnknownMachine,
		/// The machine is not listed.
		NotListed,
		/// A lease needs at least one GPU.
		ZeroGpus,
		/// Not enough GPUs are free, even after preempting cheaper spot leases.
		NoFreeGpus,
		/// The provider's bond, net of the slashes pending against it, no longer backs the GPUs
		/// it has listed and leased: rent elsewhere until it bonds more.
		ProviderUnderBonded,
		/// The listing's on-demand price is above the renter's maximum.
		PriceAboveMax,
		/// The price (the listing's on-demand price, or the spot bid) is above the class's
		/// Maximum Fair Price now (`marketplaceApi.mfp(class)`).
		PriceAboveMfp,
		/// A spot bid below the listing's spot floor.
		BidBelowFloor,
		/// A spot bid below its class's spot price now (`marketplaceApi.spotPrice(class)`).
		BidBelowSpotPrice,
		/// The duration is outside the listing's bounds or availability window.
		DurationOutOfBounds,
		/// The listing is not available yet.
		NotAvailableYet,
		/// The renter's free balance cannot cover the escrow.
		EscrowExceedsBalance,
		/// The lease would hold less than `MinEscrow`: rent more GPUs or blocks.
		EscrowBelowMinimum,
		/// No lease with this id.
		UnknownLease,
		/// Only the lease's renter may do this.
		NotRenter,
		/// The lease is closed.
		LeaseClosed,
		/// The lease is under a preemption notice and cannot be extended.
		LeasePreempting,
		/// A job's lease runs for the duration its provider bid on: it cannot be extended.
		JobLeaseFixed,
		/// Only closed leases can be rated.
		LeaseNotClosed,
		/// The lease is rated already.
		AlreadyRated,
		/// Stars go from 1 to 5.
		InvalidRating,
		/// The machine has `MaxLeasesPerMachine` open leases.
		TooManyLeases,
		/// No block within `MaxCloseDelay` of the end has room to close the lease.
		ScheduleFull,
		/// An amount or block number overflowed.
		Overflow,
		/// The SSH key is not one OpenSSH public key line (`TYPE BASE64 [COMMENT]`, as in
		/// `~/.ssh/id_ed25519.pub`) of a type sshd accepts.
		MalformedSshKey,
		/// The seal key is not an x25519 public key a secret can be sealed to.
		MalformedSealKey,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Closes the leases scheduled for this block (at most `MaxClosesPerBlock`) and prunes
		/// those closed `ClosedLeaseRetention` ago (at most `MaxPrunesPerBlock`).
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::close_due(now).saturating_add(Self::prune_closed(now))
		}

		fn integrity_test() {
			assert!(!T::BlocksPerHour::get().is_zero(), "prices are per hour: an hour has blocks");
			assert!(T::MaxLeasesPerMachine::get() > 0, "machines must be leasable");
			assert!(T::MaxClosesPerBlock::get() > 0, "leases must be able to close");
			assert!(T::MaxPrunesPerBlock::get() > 0, "closed leases must be pruned");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Rent GPUs of a listed machine, paying the whole budget into escrow.
		///
		/// - `origin`: signed, the renter.
		/// - `gpus`: how many of the machine's GPUs.
		/// - `mode`: `OnDemand` pays the listing's price; `Spot` pays `max_price_per_gpu_hour`
		///   as its bid (at least the spot floor) and may be preempted.
		/// - `duration`: blocks, within the listing's bounds.
		/// - `max_price_per_gpu_hour`: the most the renter pays per GPU-hour.
		/// - `access`: the SSH key (and optional sealing key) the worker installs.
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::rent_charge())]
		pub fn rent(
			origin: OriginFor<T>,
			machine: MachineId,
			gpus: u32,
			mode: LeaseMode,
			duration: BlockNumberFor<T>,
			max_price_per_gpu_hour: Balance,
			access: AccessSpec,
		) -> DispatchResultWithPostInfo {
			let renter = ensure_signed(origin)?;
			let (_, examined) = Self::do_rent(
				renter,
				machine,
				gpus,
				mode,
				duration,
				max_price_per_gpu_hour,
				access,
			)?;
			Ok(Some(Self::rent_weight(examined)).into())
		}

		/// Make an active lease longer, topping up its escrow.
		///
		/// - `origin`: signed, the renter.
		/// - `extra`: blocks to add; the total stays within the listing's bounds.
		#[pallet::call_index(1)]
		pub fn extend(
			origin: OriginFor<T>,
			lease: LeaseId,
			extra: BlockNumberFor<T>,
		) -> DispatchResult {
			let renter = ensure_signed(origin)?;
			Self::do_extend(renter, lease, extra)
		}

		/// End a lease now: the provider is paid what has accrued, the rest is refunded.
		///
		/// - `origin`: signed, the renter.
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::terminate(T::MaxLeasesPerMachine::get()))]
		pub fn terminate(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			let renter = ensure_signed(origin)?;
			Self::do_terminate(renter, lease)
		}

		/// Pay the provider what a lease has accrued so far.
		///
		/// - `origin`: signed, anyone.
		#[pallet::call_index(3)]
		pub fn settle(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_settle(lease).map(|_| ())
		}

		/// Rate a closed lease, once, until it is pruned (`ClosedLeaseRetention` after it
		/// closed).
		///
		/// - `origin`: signed, the renter.
		/// - `stars`: 1 to 5.
		#[pallet::call_index(4)]
		pub fn rate(origin: OriginFor<T>, lease: LeaseId, stars: u8) -> DispatchResult {
			let renter = ensure_signed(origin)?;
			Self::do_rate(renter, lease, stars)
		}
	}
}
