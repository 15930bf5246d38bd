#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod dispatchable_impls;
mod faults;
mod holds;
#[cfg(any(test, feature = "try-runtime"))]
mod invariants;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod tick_impls;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::provider-staking";

/// The credit a slash produces, as `OnUnbalanced` receives it.
pub type CreditOf<T> = frame_support::traits::fungible::Credit<
	<T as frame_system::Config>::AccountId,
	<T as Config>::Currency,
>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{hold::Balanced as BalancedHold, Mutate, MutateHold},
			OnUnbalanced,
		},
	};
	use frame_system::pallet_prelude::*;
	use gpux_primitives::{
		Balance, DisputeRegistry, FaultKind, LeaseRegistry, MachineId, ProviderMarket,
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
		/// The runtime's hold reasons, of which `ProviderBond` and `RenterDeposit` are ours.
		type RuntimeHoldReason: From<HoldReason>;
		/// The native token: bonds and deposits are holds on their owners' accounts.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason, Balance = Balance>
			+ BalancedHold<Self::AccountId>
			+ Mutate<Self::AccountId>;
		/// Machines, listings, and what a provider's bond must back.
		type Market: ProviderMarket<Self::AccountId>;
		/// Closes a faulty machine's leases and refunds their renters.
		type Leases: LeaseRegistry<Self::AccountId, Balance>;
		/// Renters' disputes of a provider's leases that governance has not decided: while
		/// there are any, nothing unbonded is released (an upheld one must find the bond).
		type Disputes: DisputeRegistry<Self::AccountId>;
		/// Who may report a machine offline and cancel a pending slash (governance).
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Where the part of a slash not paid to renters or reporters goes (the treasury).
		type Slashed: OnUnbalanced<CreditOf<Self>>;
		/// Bond per listed or leased GPU.
		#[pallet::constant]
		type MinBondPerGpu: Get<Balance>;
		/// Blocks unbonded funds wait before `withdrawUnbonded` releases them.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;
		/// Blocks a slash waits, cancellable by governance, before it is applied.
		#[pallet::constant]
		type SlashDeferPeriod: Get<BlockNumberFor<Self>>;
		/// Share of a machine's bond (`MinBondPerGpu` × its GPUs) slashed when it is offline.
		#[pallet::constant]
		type OfflineSlash: Get<Perbill>;
		/// Share slashed for a failed or missed proof-of-GPU challenge.
		#[pallet::constant]
		type FailedChallengeSlash: Get<Perbill>;
		/// Share slashed when a machine is not the hardware it claims.
		#[pallet::constant]
		type SpecMismatchSlash: Get<Perbill>;
		/// Share slashed for abandoning a paid lease.
		#[pallet::constant]
		type LeaseAbandonedSlash: Get<Perbill>;
		/// Share slashed when governance upholds a renter's dispute of a lease.
		#[pallet::constant]
		type DisputedSlash: Get<Perbill>;
		/// Share of a slash that compensates the renters whose leases the fault closed.
		#[pallet::constant]
		type RenterShare: Get<Perbill>;
		/// Share of a slash that rewards its reporter, if any.
		#[pallet::constant]
		type ReporterShare: Get<Perbill>;
		/// Most unbonding chunks a ledger holds; unbonds maturing at the same block merge.
		#[pallet::constant]
		type MaxUnlockingChunks: Get<u32>;
		/// Most slashes applied in one block; bounds `on_initialize`.
		#[pallet::constant]
		type MaxSlashesPerBlock: Get<u32>;
		/// Most renters one slash compensates (at least the leases one machine can have).
		#[pallet::constant]
		type MaxSlashRenters: Get<u32>;
		/// Most machines a provider can register (the marketplace's bound): unbonding and
		/// delisting look at each, and their weights charge for this many.
		#[pallet::constant]
		type MaxProviderMachines: Get<u32>;
		/// Longest reason for cancelling a slash, bytes.
		#[pallet::constant]
		type MaxCancelReasonLen: Get<u32>;
		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
		/// Creates machines and leases for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's bond, active or unbonding: slashable until withdrawn.
		#[codec(index = 0)]
		ProviderBond,
		/// A renter's refundable deposit on an order or job.
		#[codec(index = 1)]
		RenterDeposit,
	}

	/// Bond ledgers by provider.
	#[pallet::storage]
	pub type Bonds<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, BondLedgerOf<T>>;

	/// Slashes waiting out `SlashDeferPeriod`. Applied or cancelled slashes are removed.
	#[pallet::storage]
	pub type Slashes<T: Config> = StorageMap<_, Twox64Concat, SlashId, PendingSlashOf<T>>;

	/// The id the next slash gets.
	#[pallet::storage]
	pub type NextSlashId<T: Config> = StorageValue<_, SlashId, ValueQuery>;

	/// Pending slashes by the block they apply at.
	#[pallet::storage]
	pub type SlashSchedule<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<SlashId, T::MaxSlashesPerBlock>,
		ValueQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Providers bonded at genesis: (account, amount).
		pub bonds: alloc::vec::Vec<(T::AccountId, Balance)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// A bad preset must stop the node loudly before launch.
			for (provider, amount) in &self.bonds {
				Pallet::<T>::do_bond(provider.clone(), *amount).expect("genesis bond is valid");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider bonded funds.
		Bonded { provider: T::AccountId, amount: Balance },
		/// A provider unbonded funds; they can be withdrawn from `unlocks_at`.
		Unbonded { provider: T::AccountId, amount: Balance, unlocks_at: BlockNumberFor<T> },
		/// Unbonded funds were released to the provider's free balance.
		Withdrawn { provider: T::AccountId, amount: Balance },
		/// A fault was reported. `slash` is the pending slash it caused (none if the provider
		/// has no bond), applied at `applies_at` unless governance cancels it.
		FaultReported {
			machine: MachineId,
			provider: T::AccountId,
			kind: FaultKind,
			reporter: Option<T::AccountId>,
			slash: Option<SlashId>,
			amount: Balance,
			applies_at: BlockNumberFor<T>,
			leases_closed: u32,
		},
		/// Governance cancelled a pending slash; nothing moved.
		SlashCancelled { slash: SlashId, provider: T::AccountId, reason: CancelReasonOf<T> },
		/// A slash was applied: `amount` left the bond and went to renters, the reporter and
		/// the treasury.
		Slashed {
			slash: SlashId,
			provider: T::AccountId,
			amount: Balance,
			to_renters: Balance,
			to_reporter: Balance,
			to_treasury: Balance,
		},
		/// A slash left the provider's bond below what its listings need: every listing was
		/// withdrawn. Leases in progress continue.
		ProviderDelisted { provider: T::AccountId, machines: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The amount is zero.
		ZeroAmount,
		/// The free balance cannot cover the bond.
		BondExceedsBalance,
		/// The account has no bond.
		NotBonded,
		/// More than the active bond.
		UnbondExceedsBond,
		/// What would remain cannot back the provider's listed or leased GPUs.
		BelowRequirement,
		/// `MaxUnlockingChunks` unbonds are waiting; withdraw or wait for one to mature.
		TooManyUnlockingChunks,
		/// Nothing is unbonding.
		NothingUnbonding,
		/// Unbonded funds have not waited `UnbondingPeriod` yet.
		StillUnbonding,
		/// A slash against the provider is pending; nothing is released until it is settled.
		SlashPending,
		/// A renter's dispute of one of the provider's leases is undecided; nothing is
		/// released until governance answers it.
		DisputeUndecided,
		/// No machine with this id.
		UnknownMachine,
		/// Only governance or the machine's provider may report it offline.
		NotMachineProvider,
		/// No slash with this id was ever reported.
		UnknownSlash,
		/// The slash was applied or cancelled already.
		SlashNotPending,
		/// No block within the delay limit has room to apply the slash.
		SlashScheduleFull,
		/// The free balance cannot cover the deposit.
		DepositExceedsBalance,
		/// A counter or block number overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Applies the slashes due this block: at most `MaxSlashesPerBlock`.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::apply_due_slashes(now)
		}

		fn integrity_test() {
			assert!(T::MaxUnlockingChunks::get() > 0, "providers must be able to unbond");
			assert!(T::MaxSlashesPerBlock::get() > 0, "slashes must be able to apply");
			assert!(
				T::RenterShare::get().deconstruct() as u64
					+ T::ReporterShare::get().deconstruct() as u64
					<= Perbill::one().deconstruct() as u64,
				"renter and reporter shares cannot exceed the slash"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Bond funds: they are held in the caller's account and back its listings.
		///
		/// - `origin`: signed, any account (usually a provider).
		/// - `amount`: taken from the free balance.
		#[pallet::call_index(0)]
		pub fn bond(origin: OriginFor<T>, amount: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond(who, amount)
		}

		/// Start unbonding: the amount stops backing listings at once, stays slashable, and
		/// can be withdrawn after `UnbondingPeriod`.
		///
		/// - `origin`: signed, a bonded account.
		/// - `amount`: at most the active bond; what remains must still back the provider's
		///   listed or leased GPUs.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::unbond(T::MaxProviderMachines::get()))]
		pub fn unbond(origin: OriginFor<T>, amount: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(who, amount)
		}

		/// Release every unbonded chunk that has waited `UnbondingPeriod`.
		///
		/// - `origin`: signed, a bonded account with no pending slash.
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::withdraw_unbonded(T::MaxUnlockingChunks::get()))]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(who)
		}

		/// Report a machine offline: its open leases close as `ProviderFault` with the unused
		/// escrow refunded at once, and an `Offline` slash is deferred.
		///
		/// - `origin`: `GovernanceOrigin`, or signed by the machine's provider (a provider that
		///   reports its own machine down is slashed the same, and its renters compensated).
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::report_offline(T::MaxSlashRenters::get()))]
		pub fn report_offline(origin: OriginFor<T>, machine: MachineId) -> DispatchResult {
			if let Err(origin) = T::GovernanceOrigin::try_origin(origin) {
				let who = ensure_signed(origin)?;
				let (provider, _) =
					T::Market::machine_owner(machine).ok_or(Error::<T>::UnknownMachine)?;
				ensure!(who == provider, Error::<T>::NotMachineProvider);
			}
			Self::do_report_fault(machine, FaultKind::Offline, None, None)
		}

		/// Report any kind of fault on a machine, e.g. a `SpecMismatch` found by an audit. It
		/// has the effect the chain's own report of that kind has: a slash deferred by
		/// `SlashDeferPeriod`, and for every kind but `FailedChallenge` the machine's open leases
		/// close as `ProviderFault` with the unused escrow refunded and its listing withdrawn.
		///
		/// - `origin`: `GovernanceOrigin`.
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::report_fault(T::MaxSlashRenters::get()))]
		pub fn report_fault(
			origin: OriginFor<T>,
			machine: MachineId,
			kind: FaultKind,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_report_fault(machine, kind, None, None)
		}

		/// Cancel a pending slash; nothing moves.
		///
		/// - `origin`: `GovernanceOrigin`.
		/// - `reason`: why, at most `MaxCancelReasonLen` bytes; shown in the event.
		#[pallet::call_index(4)]
		pub fn cancel_slash(
			origin: OriginFor<T>,
			slash: SlashId,
			reason: CancelReasonOf<T>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_cancel_slash(slash, reason)
		}
	}
}
