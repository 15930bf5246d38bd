#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod browse;
mod gpu_classes;
#[cfg(any(test, feature = "try-runtime"))]
mod invariants;
#[cfg(test)]
mod job_tests;
mod jobs;
mod listings;
mod machines;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod order_tests;
pub mod orders;
mod price_index;
mod providers;
pub mod runtime_api;
mod spot;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::marketplace";

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use gpux_primitives::{
		AccessSpec, Balance, Cid, GpuClassId, JobLeases, LeaseId, LeaseMode, LeaseOpener,
		LeaseRegistry, MachineId, MachineMonitor, MachineSpec, NoMatch, ProviderBonds, Region,
		RenterDeposits, ReputationScores, Requirements, WorkerKey,
	};
	use sp_core::sr25519;
	use sp_runtime::{traits::Zero, Permill};

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
		/// Who adds GPU classes and sets their price ceilings (governance).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The runtime's hold reasons, of which this pallet's deposits are two.
		type RuntimeHoldReason: From<HoldReason>;
		/// The native token: registration deposits are holds on the provider's account.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason, Balance = Balance>
			+ Mutate<Self::AccountId, Balance = Balance>;
		/// Held from a provider while it is registered: pays for its record.
		#[pallet::constant]
		type ProviderDeposit: Get<Balance>;
		/// Held from a provider for each machine while it is registered: pays for the
		/// machine's records here and in the attestation pallet.
		#[pallet::constant]
		type MachineDeposit: Get<Balance>;
		/// Open leases per machine, so a leased machine cannot leave; a matched order opens its
		/// leases here.
		type Leases: LeaseRegistry<Self::AccountId, Balance>
			+ LeaseOpener<Self::AccountId, Balance, BlockNumberFor<Self>>
			+ JobLeases<Self::AccountId, Balance, BlockNumberFor<Self>>;
		/// Machine reputation scores: matching ranks listings by reputation-adjusted price.
		type Reputation: ReputationScores<Self::AccountId>;
		/// Holds the deposits of resting orders (the staking pallet's `RenterDeposit`).
		type Deposits: RenterDeposits<Self::AccountId, Balance>;
		/// Held from a renter while its order rests in a book.
		#[pallet::constant]
		type OrderDeposit: Get<Balance>;
		/// Most orders one book (a class's, or the any-class one) holds.
		#[pallet::constant]
		type MaxRestingOrders: Get<u32>;
		/// Most orders one renter has resting at a time.
		#[pallet::constant]
		type MaxOrdersPerRenter: Get<u32>;
		/// Most index entries a match reads per class, however many listings there are.
		#[pallet::constant]
		type MaxMatchCandidates: Get<u32>;
		/// Most resting orders tried per block when capacity appears.
		#[pallet::constant]
		type MaxOrderMatchesPerBlock: Get<u32>;
		/// Most orders expiring in one block.
		#[pallet::constant]
		type MaxOrderExpiriesPerBlock: Get<u32>;
		/// Longest an order may rest, blocks.
		#[pallet::constant]
		type MaxOrderLifetime: Get<BlockNumberFor<Self>>;
		/// Utilization each class's spot price aims for.
		#[pallet::constant]
		type SpotTargetUtilization: Get<Permill>;
		/// Most one spot epoch moves a spot price, up or down.
		#[pallet::constant]
		type SpotStep: Get<Permill>;
		/// Blocks between spot price moves.
		#[pallet::constant]
		type SpotEpochBlocks: Get<BlockNumberFor<Self>>;
		/// The lowest a spot price goes, as a share of its class's reference price.
		#[pallet::constant]
		type SpotFloorShare: Get<Permill>;
		/// Where priority fees go.
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;
		/// Held from a job's submitter until the job ends; forfeit if governance rejects its
		/// dispute.
		#[pallet::constant]
		type JobDeposit: Get<Balance>;
		/// Held from a bidder until the job's window closes or the bid is cancelled.
		#[pallet::constant]
		type BidDeposit: Get<Balance>;
		/// What a priority job pays the treasury to be decided first.
		#[pallet::constant]
		type PriorityFee: Get<Balance>;
		/// Shortest bid window, blocks.
		#[pallet::constant]
		type MinBidWindow: Get<BlockNumberFor<Self>>;
		/// Longest bid window, blocks.
		#[pallet::constant]
		type MaxBidWindow: Get<BlockNumberFor<Self>>;
		/// Most bids on one job.
		#[pallet::constant]
		type MaxBidsPerJob: Get<u32>;
		/// Longest lease a job may ask for, blocks.
		#[pallet::constant]
		type MaxJobDuration: Get<BlockNumberFor<Self>>;
		/// Most bids tried, best first, when a job's window closes.
		#[pallet::constant]
		type MaxAwardAttempts: Get<u32>;
		/// Most job steps (window closes, results due, acceptances) in one block.
		#[pallet::constant]
		type MaxJobsPerBlock: Get<u32>;
		/// How long after its lease's end a job's result may be attested.
		#[pallet::constant]
		type ResultWindow: Get<BlockNumberFor<Self>>;
		/// How long the submitter may dispute an attested result; silence then accepts it.
		#[pallet::constant]
		type JobDisputeWindow: Get<BlockNumberFor<Self>>;
		/// Provider bonds: a provider lists only as many GPUs as its bond backs.
		type Bonds: ProviderBonds<Self::AccountId>;
		/// Watches listed and leased machines (heartbeats, challenges): a machine is watched
		/// from the moment it is listed.
		type Monitor: MachineMonitor;
		/// Longest provider metadata, bytes.
		#[pallet::constant]
		type MaxMetadataLen: Get<u32>;
		/// Longest GPU model name, bytes.
		#[pallet::constant]
		type MaxModelLen: Get<u32>;
		/// Longest fleet label, bytes.
		#[pallet::constant]
		type MaxFleetLabelLen: Get<u32>;
		/// Most machines one provider may register.
		#[pallet::constant]
		type MaxMachinesPerProvider: Get<u32>;
		/// Most machines in one fleet; bounds `listFleet` and `delistFleet`.
		#[pallet::constant]
		type MaxFleetSize: Get<u32>;
		/// Most GPUs in one machine.
		#[pallet::constant]
		type MaxGpusPerMachine: Get<u32>;
		/// Most GPU classes the chain knows.
		#[pallet::constant]
		type MaxGpuClasses: Get<u32>;
		/// How far above a class's reference price its Maximum Fair Price lies.
		#[pallet::constant]
		type MfpBand: Get<sp_runtime::Permill>;
		/// How far one closed lease that paid `FullWeightLeaseValue` or more moves its class's
		/// reference price toward its own (clamped) price; one that paid less moves it
		/// proportionally less.
		#[pallet::constant]
		type PriceSmoothing: Get<sp_runtime::Permill>;
		/// What a lease must have paid to move the reference a full `PriceSmoothing` step.
		#[pallet::constant]
		type FullWeightLeaseValue: Get<Balance>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Registered providers.
	#[pallet::storage]
	pub type Providers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ProviderRecordOf<T>>;

	/// GPU classes and their price ceilings.
	#[pallet::storage]
	pub type GpuClasses<T: Config> = StorageMap<_, Twox64Concat, GpuClassId, GpuClassOf<T>>;

	/// The id the next GPU class gets.
	#[pallet::storage]
	pub type NextGpuClassId<T: Config> = StorageValue<_, GpuClassId, ValueQuery>;

	/// Registered machines and their listings.
	#[pallet::storage]
	pub type Machines<T: Config> = StorageMap<_, Twox64Concat, MachineId, MachineRecordOf<T>>;

	/// The id the next machine gets.
	#[pallet::storage]
	pub type NextMachineId<T: Config> = StorageValue<_, MachineId, ValueQuery>;

	/// The machine each worker key belongs to; a key serves one machine only.
	#[pallet::storage]
	pub type MachineOfWorkerKey<T: Config> = StorageMap<_, Blake2_128Concat, WorkerKey, MachineId>;

	/// Machines by provider.
	#[pallet::storage]
	pub type MachinesOf<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, MachineId, ()>;

	/// Machines by provider and fleet label.
	#[pallet::storage]
	pub type Fleets<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		FleetLabelOf<T>,
		FleetMembersOf<T>,
		ValueQuery,
	>;

	/// Listed machines with a GPU free, per class and mode, cheapest first (on-demand by price,
	/// spot by floor): what orders match from.
	#[pallet::storage]
	pub type ListingIndex<T: Config> =
		StorageDoubleMap<_, Twox64Concat, (GpuClassId, LeaseMode), Identity, PriceKey, ()>;

	/// Per class, GPUs listed and leased: its utilization, which moves its spot price.
	#[pallet::storage]
	pub type ClassUsages<T: Config> =
		StorageMap<_, Twox64Concat, GpuClassId, ClassUsage, ValueQuery>;

	/// Resting orders.
	#[pallet::storage]
	pub type Orders<T: Config> = StorageMap<_, Twox64Concat, OrderId, OrderRecordOf<T>>;

	/// The id the next order gets.
	#[pallet::storage]
	pub type NextOrderId<T: Config> = StorageValue<_, OrderId, ValueQuery>;

	/// How many orders each renter has resting.
	#[pallet::storage]
	pub type OrdersPerRenter<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

	/// Resting orders by class (`None`: any class with the memory asked), highest price first.
	#[pallet::storage]
	pub type OrderBooks<T: Config> =
		StorageMap<_, Twox64Concat, Option<GpuClassId>, OrderBookOf<T>, ValueQuery>;

	/// Resting orders by the block they expire in.
	#[pallet::storage]
	pub type OrderExpiries<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<OrderId, T::MaxOrderExpiriesPerBlock>,
		ValueQuery,
	>;

	/// Classes where capacity appeared and whose resting orders (and the any-class ones) are
	/// still to be tried, oldest first.
	#[pallet::storage]
	pub type ClassesToMatch<T: Config> =
		StorageValue<_, BoundedVec<GpuClassId, T::MaxGpuClasses>, ValueQuery>;

	/// How far into the first queued class's orders matching has got.
	#[pallet::storage]
	pub type MatchCursor<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Jobs being bid on, run, or decided.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, JobRecordOf<T>>;

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// Each job's bids, in the order they came.
	#[pallet::storage]
	pub type JobBids<T: Config> = StorageMap<_, Twox64Concat, JobId, BidsOf<T>, ValueQuery>;

	/// Jobs with a step due, by block: a window's close, a result's deadline, the end of an
	/// acceptance window.
	#[pallet::storage]
	pub type JobSchedule<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<JobId, T::MaxJobsPerBlock>,
		ValueQuery,
	>;

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's registration, returned by `deregisterProvider`.
		#[codec(index = 0)]
		ProviderDeposit,
		/// A machine's registration, returned by `deregisterMachine`.
		#[codec(index = 1)]
		MachineDeposit,
		/// A bid on a job, returned when its window closes or the bid is cancelled.
		#[codec(index = 2)]
		BidDeposit,
	}

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// GPU classes in id order: (model, VRAM GiB per GPU, price ceiling per GPU-hour).
		pub gpu_classes: Vec<(Vec<u8>, u32, Balance)>,
		/// Providers: (account, metadata).
		pub providers: Vec<(T::AccountId, Vec<u8>)>,
		/// Machines: (provider, spec, worker key, region, listing).
		pub machines: Vec<(T::AccountId, MachineSpec, [u8; 32], Region, Option<ListingTermsOf<T>>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// Genesis is checked by the node before launch: a bad preset must stop it loudly.
			for (model, vram_gib, ceiling) in &self.gpu_classes {
				let model = model.clone().try_into().expect("genesis GPU model too long");
				Pallet::<T>::do_add_gpu_class(model, *vram_gib, *ceiling)
					.expect("genesis GPU class is valid");
			}
			for (provider, metadata) in &self.providers {
				let metadata = metadata.clone().try_into().expect("genesis metadata too long");
				Pallet::<T>::do_register_provider(provider.clone(), metadata)
					.expect("genesis provider registers");
			}
			for (provider, spec, key, region, listing) in &self.machines {
				let machine = NextMachineId::<T>::get();
				Pallet::<T>::do_register_machine(
					provider.clone(),
					spec.clone(),
					WorkerKey::from_raw(*key),
					region.clone(),
					None,
				)
				.expect("genesis machine registers");
				if let Some(terms) = listing {
					Pallet::<T>::do_set_listing(provider.clone(), machine, terms.clone())
						.expect("genesis listing is valid");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A GPU class was added.
		GpuClassAdded { class: GpuClassId, vram_gib: u32, price_ceiling: Balance },
		/// A GPU class's price ceiling changed.
		GpuClassCeilingSet { class: GpuClassId, price_ceiling: Balance },
		/// Governance set a GPU class's reference price; `mfp` is its Maximum Fair Price now.
		ReferencePriceSet { class: GpuClassId, reference_price: Balance, mfp: Balance },
		/// An account registered as a provider; `deposit` is held until it deregisters.
		ProviderRegistered { provider: T::AccountId, deposit: Balance },
		/// A provider with no machines left deregistered; its deposit was returned.
		ProviderDeregistered { provider: T::AccountId, deposit: Balance },
		/// A provider registered a machine.
		MachineRegistered {
			machine: MachineId,
			provider: T::AccountId,
			gpu_class: GpuClassId,
			gpus: u32,
		},
		/// A machine's worker key was replaced.
		WorkerKeyChanged { machine: MachineId, worker_key: WorkerKey },
		/// A machine left the market; its deposit was returned.
		MachineDeregistered { machine: MachineId, provider: T::AccountId, deposit: Balance },
		/// A machine was listed, or its terms changed.
		Listed { machine: MachineId, on_demand_price: Balance, spot_floor_price: Balance },
		/// A machine's listing was withdrawn; leases in progress continue.
		Delisted { machine: MachineId },
		/// Every machine of a fleet was listed with the same terms.
		FleetListed { provider: T::AccountId, fleet: FleetLabelOf<T>, machines: u32 },
		/// Every listed machine of a fleet was delisted.
		FleetDelisted { provider: T::AccountId, fleet: FleetLabelOf<T>, machines: u32 },
		/// An order filled: its leases opened.
		OrderFilled { order: OrderId, renter: T::AccountId, leases: Vec<LeaseId> },
		/// An order found no listing, for `reason` (the furthest any candidate got).
		OrderUnmatched { order: OrderId, reason: NoMatch },
		/// An unmatched order rests in its book (`gpu_class` `None`: the any-class book) until
		/// it fills, is cancelled or expires; `deposit` is held until then.
		OrderPlaced {
			order: OrderId,
			renter: T::AccountId,
			gpu_class: Option<GpuClassId>,
			max_price_per_gpu_hour: Balance,
			expires_at: BlockNumberFor<T>,
			deposit: Balance,
		},
		/// The renter cancelled its order; its deposit was returned.
		OrderCancelled { order: OrderId, deposit: Balance },
		/// An order expired unfilled; its deposit was returned.
		OrderExpired { order: OrderId, deposit: Balance },
		/// A full book gave up its lowest-priced order for a higher one, `by`; its deposit was
		/// returned.
		OrderEvicted { order: OrderId, by: OrderId, deposit: Balance },
		/// A resting order matched but its lease could not open (the renter's balance, say): it
		/// left the book and its deposit was returned.
		OrderDropped { order: OrderId, error: DispatchError, deposit: Balance },
		/// A job was posted; bidding closes at `closes_at`; a priority job paid `fee`.
		JobPosted {
			job: JobId,
			submitter: T::AccountId,
			closes_at: BlockNumberFor<T>,
			priority: bool,
			fee: Balance,
			input_cid: Cid,
		},
		/// A provider bid on a job with one of its machines.
		BidPlaced {
			job: JobId,
			machine: MachineId,
			bidder: T::AccountId,
			price_per_gpu_hour: Balance,
		},
		/// A bid was withdrawn; its deposit was returned.
		BidCancelled { job: JobId, machine: MachineId },
		/// A job's window closed: the best bid's lease started.
		JobAwarded { job: JobId, lease: LeaseId, machine: MachineId, price_per_gpu_hour: Balance },
		/// A winning bid's lease could not open (the machine busy, unlisted or unbacked): its
		/// deposit was `forfeited` to the treasury and the next bid was tried.
		BidRefused { job: JobId, machine: MachineId, error: DispatchError, forfeited: Balance },
		/// A job's window closed with no bid whose lease opened; its deposit was returned.
		JobExpired { job: JobId, deposit: Balance },
		/// The provider attested the job's output; the submitter may dispute it until
		/// `accept_by`.
		ResultSubmitted {
			job: JobId,
			output_cid: Cid,
			output_hash: [u8; 32],
			accept_by: BlockNumberFor<T>,
		},
		/// The result was accepted (or not disputed in time): the provider got `to_provider`.
		ResultAccepted { job: JobId, to_provider: Balance },
		/// No result was attested in time: what the lease held went back to the submitter.
		JobFailed { job: JobId, refunded: Balance },
		/// The submitter disputed the result; governance decides.
		ResultDisputed { job: JobId },
		/// Governance decided a disputed job: `upheld`, `amount` went back to the submitter;
		/// otherwise it went to the provider and the submitter's deposit to the treasury.
		JobResolved { job: JobId, upheld: bool, amount: Balance },
		/// A class's spot price moved with its utilization at a spot epoch.
		SpotPriceMoved { class: GpuClassId, spot_price: Balance, utilization: Permill },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is a provider already.
		AlreadyRegistered,
		/// Only registered providers may do this.
		NotProvider,
		/// No GPU class with this id.
		UnknownGpuClass,
		/// No machine with this id.
		UnknownMachine,
		/// The machine belongs to another provider.
		NotOwner,
		/// Another machine already uses this worker key.
		WorkerKeyInUse,
		/// The key proof is not the worker key's signature over the provider's account and
		/// this chain's genesis hash (`gpux-worker register` makes it).
		BadKeyProof,
		/// The provider has `MaxMachinesPerProvider` machines.
		TooManyMachines,
		/// The fleet has `MaxFleetSize` machines.
		FleetFull,
		/// The provider has no fleet with this label.
		UnknownFleet,
		/// GPU count is zero or above `MaxGpusPerMachine`, or a resource is zero.
		InvalidSpec,
		/// The spec's VRAM per GPU is not its class's.
		SpecMismatchesClass,
		/// The country code is not two upper-case letters.
		InvalidRegion,
		/// Zero price, empty or inverted lease length or availability window, or no access.
		InvalidTerms,
		/// A price is above its GPU class's Maximum Fair Price (`marketplaceApi.mfp(class)`):
		/// the reference price plus `MfpBand`, at most the class ceiling.
		PriceAboveMfp,
		/// The provider's active bond does not back its listed and leased GPUs with this
		/// listing (`MinBondPerGpu` each): bond more first.
		InsufficientBond,
		/// The machine is not listed.
		NotListed,
		/// The machine has open leases.
		MachineLeased,
		/// The machine has a proof-of-GPU challenge open; it may leave once it is decided.
		MachineChallenged,
		/// A lease of the machine may still be disputed (within the dispute window after it
		/// closed), or has a dispute or fault report governance has not decided.
		MachineDisputable,
		/// The provider still has machines: deregister them first.
		ProviderHasMachines,
		/// The free balance cannot cover the registration deposit.
		DepositExceedsBalance,
		/// The chain watches as many machines as it can (`MaxTrackedMachines`): no machine
		/// can be listed until one leaves.
		MonitoringFull,
		/// The chain has `MaxGpuClasses` classes.
		TooManyGpuClasses,
		/// A GPU class needs memory and a non-zero ceiling.
		InvalidGpuClass,
		/// An order needs at least one GPU.
		ZeroGpus,
		/// An order needs a duration and a price above zero.
		InvalidOrder,
		/// An order must expire after this block and within `MaxOrderLifetime`.
		ExpiryOutOfBounds,
		/// The book is full of orders paying as much or more: offer more, or wait.
		BookFull,
		/// As many orders expire in that block as can: pick another expiry.
		ExpiryScheduleFull,
		/// The renter has `MaxOrdersPerRenter` orders resting: cancel one first.
		TooManyOrders,
		/// No resting order with this id.
		UnknownOrder,
		/// The order is another renter's.
		NotOrderOwner,
		/// The CID is not a valid IPFS CID (CIDv0 `Qm…` or base32 CIDv1 `b…`).
		InvalidCid,
		/// The bid window is shorter than `MinBidWindow` or longer than `MaxBidWindow`.
		BidWindowOutOfBounds,
		/// The job asks for a lease longer than `MaxJobDuration`.
		JobTooLong,
		/// No such job (or it has ended).
		UnknownJob,
		/// The job is not open for bids: its window has closed.
		BiddingClosed,
		/// The machine does not meet the job's requirements.
		MachineUnfit,
		/// The bid is above the job's maximum price.
		BidAboveMax,
		/// The machine has bid on this job already.
		AlreadyBid,
		/// The job has `MaxBidsPerJob` bids.
		TooManyBids,
		/// The machine has no bid on this job.
		UnknownBid,
		/// The bid is another provider's.
		NotBidder,
		/// No block near the one due has room in the job schedule: try again later.
		JobScheduleFull,
		/// The free balance cannot pay the priority fee.
		FeeExceedsBalance,
		/// Only the job's submitter may do this.
		NotJobSubmitter,
		/// The job has no attested result awaiting acceptance.
		NoResult,
		/// The dispute window has passed: the result counts as accepted.
		DisputeWindowClosed,
		/// The job's lease has not ended yet.
		LeaseNotEnded,
		/// The job is not running: no result is due.
		NotRunning,
		/// The job is not disputed.
		NotDisputed,
		/// An id counter ran out.
		Overflow,
		/// The SSH key is not one OpenSSH public key line (`TYPE BASE64 [COMMENT]`, as in
		/// `~/.ssh/id_ed25519.pub`) of a type sshd accepts.
		MalformedSshKey,
		/// The seal key is not an x25519 public key a secret can be sealed to.
		MalformedSealKey,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Expires the orders due now, moves spot prices at each spot epoch, and tries at most
		/// `MaxOrderMatchesPerBlock` resting orders where capacity appeared.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let expired = Self::expire_orders(now);
			let epoch = T::SpotEpochBlocks::get();
			let moved = if !epoch.is_zero() && (now % epoch).is_zero() {
				Self::update_spot_prices()
			} else {
				0
			};
			let matched = Self::match_resting();
			let jobs = Self::process_jobs(now);
			Self::job_work_weight(jobs)
				.saturating_add(<T as Config>::WeightInfo::expire_orders(expired))
				.saturating_add(<T as Config>::WeightInfo::update_spot_prices(moved))
				.saturating_add(Self::resting_match_weight(matched))
		}

		fn integrity_test() {
			assert!(T::MaxMachinesPerProvider::get() > 0, "providers must be able to register");
			assert!(T::MaxFleetSize::get() > 0, "fleets must hold a machine");
			assert!(T::MaxGpusPerMachine::get() > 0, "machines must hold a GPU");
			assert!(T::MaxGpuClasses::get() > 0, "the chain must know a GPU class");
			assert!(T::MaxRestingOrders::get() > 0, "orders must be able to rest");
			assert!(T::MaxMatchCandidates::get() > 0, "matching must read a listing");
			assert!(T::MaxOrderExpiriesPerBlock::get() > 0, "orders must be able to expire");
			assert!(T::MaxJobsPerBlock::get() > 0, "jobs must be able to close");
			assert!(T::MinBidWindow::get() <= T::MaxBidWindow::get(), "bid windows must exist");
			assert!(
				!T::MinBidWindow::get().is_zero()
					&& !T::ResultWindow::get().is_zero()
					&& !T::JobDisputeWindow::get().is_zero(),
				"a job's next step must lie in a later block"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Register the caller as a provider.
		///
		/// - `origin`: signed, not yet a provider.
		/// - `metadata`: free-form description, at most `MaxMetadataLen` bytes.
		#[pallet::call_index(0)]
		pub fn register_provider(origin: OriginFor<T>, metadata: MetadataOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_provider(who, metadata)
		}

		/// Register a machine of the caller's.
		///
		/// - `origin`: signed, a provider.
		/// - `spec`: its hardware; the GPU class must exist and its VRAM match.
		/// - `worker_key`: the sr25519 key its `gpux-worker` signs with, unused by any machine.
		/// - `key_proof`: the worker key's signature over the caller's account and the genesis
		///   hash, proving the caller holds it (`gpux-worker register` makes it).
		/// - `region`: ISO country code and optional coarse location.
		/// - `fleet`: optional label grouping it with the provider's other machines.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::register_machine(T::MaxFleetSize::get()))]
		pub fn register_machine(
			origin: OriginFor<T>,
			spec: MachineSpec,
			worker_key: WorkerKey,
			key_proof: sr25519::Signature,
			region: Region,
			fleet: Option<FleetLabelOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::ensure_key_proof(&who, &worker_key, &key_proof)?;
			Self::do_register_machine(who, spec, worker_key, region, fleet)
		}

		/// List a machine, or change its terms. From now on it is watched: heartbeat windows
		/// count and challenges reach it, whether or not its worker runs.
		///
		/// - `origin`: signed, the machine's provider, bonded `MinBondPerGpu` for each GPU of
		///   its listed and leased machines, this one included.
		/// - `terms`: prices per GPU-hour (at most the class ceiling), lease length bounds,
		///   availability window and access methods.
		#[pallet::call_index(2)]
		pub fn set_listing(
			origin: OriginFor<T>,
			machine: MachineId,
			terms: ListingTermsOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_listing(who, machine, terms)
		}

		/// Withdraw a machine's listing. Leases in progress continue to their end.
		///
		/// - `origin`: signed, the machine's provider.
		#[pallet::call_index(3)]
		pub fn delist(origin: OriginFor<T>, machine: MachineId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_delist(who, machine)
		}

		/// Remove a machine from the market; refused while it has open leases or an open
		/// proof-of-GPU challenge.
		///
		/// - `origin`: signed, the machine's provider.
		#[pallet::call_index(4)]
		#[pallet::weight(<T as Config>::WeightInfo::deregister_machine(T::MaxFleetSize::get()))]
		pub fn deregister_machine(origin: OriginFor<T>, machine: MachineId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deregister_machine(who, machine)
		}

		/// List every machine of a fleet with the same terms.
		///
		/// - `origin`: signed, the fleet's provider.
		/// - `fleet`: the label machines were registered under.
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::list_fleet(T::MaxFleetSize::get()))]
		pub fn list_fleet(
			origin: OriginFor<T>,
			fleet: FleetLabelOf<T>,
			terms: ListingTermsOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let machines = Self::do_list_fleet(who, fleet, terms)?;
			Ok(Some(<T as Config>::WeightInfo::list_fleet(machines)).into())
		}

		/// Delist every listed machine of a fleet.
		///
		/// - `origin`: signed, the fleet's provider.
		#[pallet::call_index(6)]
		#[pallet::weight(<T as Config>::WeightInfo::delist_fleet(T::MaxFleetSize::get()))]
		pub fn delist_fleet(
			origin: OriginFor<T>,
			fleet: FleetLabelOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let machines = Self::do_delist_fleet(who, fleet)?;
			Ok(Some(<T as Config>::WeightInfo::delist_fleet(machines)).into())
		}

		/// Add a GPU class.
		///
		/// - `origin`: `AdminOrigin` (governance).
		/// - `model`: model name, `vram_gib`: memory per GPU, `price_ceiling`: most a GPU-hour
		///   of it may be listed for.
		#[pallet::call_index(7)]
		pub fn add_gpu_class(
			origin: OriginFor<T>,
			model: ModelOf<T>,
			vram_gib: u32,
			price_ceiling: Balance,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_add_gpu_class(model, vram_gib, price_ceiling).map(|_| ())
		}

		/// Change a GPU class's price ceiling. It caps the class's Maximum Fair Price at once:
		/// listings and rents above it are refused from now on.
		///
		/// - `origin`: `AdminOrigin` (governance).
		#[pallet::call_index(8)]
		pub fn set_gpu_class_ceiling(
			origin: OriginFor<T>,
			class: GpuClassId,
			price_ceiling: Balance,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_gpu_class_ceiling(class, price_ceiling)
		}

		/// Replace a machine's worker key, e.g. after its host was compromised. From the next
		/// block only the new key's heartbeats and attestations count.
		///
		/// - `origin`: signed, the machine's provider.
		/// - `worker_key`: the new key, unused by any machine.
		/// - `key_proof`: the new key's signature over the caller's account and the genesis
		///   hash, as for `register_machine`.
		#[pallet::call_index(9)]
		pub fn set_worker_key(
			origin: OriginFor<T>,
			machine: MachineId,
			worker_key: WorkerKey,
			key_proof: sr25519::Signature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::ensure_key_proof(&who, &worker_key, &key_proof)?;
			Self::do_set_worker_key(who, machine, worker_key)
		}

		/// Set a GPU class's reference price, from which its Maximum Fair Price follows: the
		/// way back when leases dragged it somewhere the market is not.
		///
		/// - `origin`: `AdminOrigin` (governance).
		/// - `reference_price`: per GPU-hour, above zero.
		#[pallet::call_index(11)]
		pub fn set_reference_price(
			origin: OriginFor<T>,
			class: GpuClassId,
			reference_price: Balance,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_reference_price(class, reference_price)
		}

		/// Order GPUs without picking a machine: the best eligible listing (lowest
		/// reputation-adjusted price among those meeting `requirements`, at most
		/// `max_price_per_gpu_hour` and the MFP) is leased at once, as `rent` would; a spot
		/// order bids the listing's floor or the class's spot price, whichever is higher.
		/// Unmatched, the order rests in its class's book with `OrderDeposit` held, and fills
		/// when capacity appears, until `expires_at`; `OrderUnmatched` says why it did not fill.
		///
		/// - `origin`: signed, the renter; it pays the escrow when the order fills.
		/// - `requirements`: class (or any class with the memory), hardware, country,
		///   reputation, access method.
		/// - `gpus`: on one machine, or on several of one fleet if `split_across_fleet`.
		/// - `duration`: blocks; `expires_at`: after now, within `MaxOrderLifetime`.
		/// - `access`: the SSH key (and optional sealing key) its leases get.
		#[pallet::call_index(12)]
		#[pallet::weight(Pallet::<T>::place_order_weight(
			if requirements.gpu_class.is_some() { 1 } else { T::MaxGpuClasses::get() },
			if *split_across_fleet { T::MaxMatchCandidates::get() } else { 1 },
		))]
		pub fn place_order(
			origin: OriginFor<T>,
			requirements: Requirements,
			gpus: u32,
			duration: BlockNumberFor<T>,
			mode: LeaseMode,
			max_price_per_gpu_hour: Balance,
			expires_at: BlockNumberFor<T>,
			access: AccessSpec,
			split_across_fleet: bool,
		) -> DispatchResultWithPostInfo {
			let renter = ensure_signed(origin)?;
			let terms = OrderTerms {
				requirements,
				gpus,
				duration,
				mode,
				max_price_per_gpu_hour,
				split_across_fleet,
			};
			let (_, weight) = Self::do_place_order(renter, terms, expires_at, access)?;
			Ok(Some(weight).into())
		}

		/// Withdraw a resting order; its deposit comes back.
		///
		/// - `origin`: signed, the order's renter.
		#[pallet::call_index(13)]
		pub fn cancel_order(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
			let renter = ensure_signed(origin)?;
			Self::do_cancel_order(renter, order)
		}

		/// Post a job for providers to bid on: at the window's close the lowest
		/// reputation-adjusted bid whose lease opens wins; the lease runs at the bid's price,
		/// paid from the submitter's escrow, and what it pays is held until the result is
		/// accepted.
		///
		/// - `origin`: signed, the submitter; `JobDeposit` is held until the job ends.
		/// - `requirements`, `gpus` (on one machine), `duration` (blocks),
		///   `max_price_per_gpu_hour` (at most the MFP): as for an order.
		/// - `bid_window`: blocks, within `MinBidWindow` and `MaxBidWindow`.
		/// - `priority`: pay `PriorityFee` to the treasury to be decided first at the close.
		/// - `input_cid`: the IPFS CID of the job's inputs.
		/// - `access`: the SSH key (and optional sealing key) its lease gets.
		#[pallet::call_index(14)]
		#[allow(clippy::too_many_arguments)]
		pub fn post_job(
			origin: OriginFor<T>,
			requirements: Requirements,
			gpus: u32,
			duration: BlockNumberFor<T>,
			max_price_per_gpu_hour: Balance,
			bid_window: BlockNumberFor<T>,
			priority: bool,
			input_cid: Cid,
			access: AccessSpec,
		) -> DispatchResult {
			let submitter = ensure_signed(origin)?;
			let terms = OrderTerms {
				requirements,
				gpus,
				duration,
				mode: LeaseMode::OnDemand,
				max_price_per_gpu_hour,
				split_across_fleet: false,
			};
			Self::do_post_job(submitter, terms, bid_window, priority, input_cid, access).map(|_| ())
		}

		/// Bid on a job with one of the caller's listed machines that meets it.
		///
		/// - `origin`: signed, the machine's provider; `BidDeposit` is held until the window
		///   closes or the bid is cancelled.
		/// - `price_per_gpu_hour`: at most the job's maximum and the class's MFP.
		#[pallet::call_index(15)]
		#[pallet::weight(<T as Config>::WeightInfo::bid(T::MaxBidsPerJob::get()))]
		pub fn bid(
			origin: OriginFor<T>,
			job: JobId,
			machine: MachineId,
			price_per_gpu_hour: Balance,
		) -> DispatchResult {
			let bidder = ensure_signed(origin)?;
			Self::do_bid(bidder, job, machine, price_per_gpu_hour)
		}

		/// Withdraw a bid before the job's window closes; its deposit comes back.
		///
		/// - `origin`: signed, the bidder.
		#[pallet::call_index(16)]
		#[pallet::weight(<T as Config>::WeightInfo::cancel_bid(T::MaxBidsPerJob::get()))]
		pub fn cancel_bid(origin: OriginFor<T>, job: JobId, machine: MachineId) -> DispatchResult {
			let bidder = ensure_signed(origin)?;
			Self::do_cancel_bid(bidder, job, machine)
		}

		/// Attest a job's output once its lease has ended, before its result is due
		/// (`ResultWindow` after the lease's end).
		///
		/// - `origin`: signed, the provider of the job's machine.
		/// - `output_cid`: the IPFS CID of the output; `output_hash`: its SHA-256.
		#[pallet::call_index(17)]
		pub fn submit_result(
			origin: OriginFor<T>,
			job: JobId,
			output_cid: Cid,
			output_hash: [u8; 32],
		) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			Self::do_submit_result(provider, job, output_cid, output_hash)
		}

		/// Accept a job's attested result: the provider is paid what the lease held and the
		/// deposit comes back.
		///
		/// - `origin`: signed, the job's submitter.
		#[pallet::call_index(18)]
		#[pallet::weight(<T as Config>::WeightInfo::accept_result()
			.saturating_add(<T::Leases as JobLeases<_, _, _>>::payout_weight()))]
		pub fn accept_result(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let submitter = ensure_signed(origin)?;
			Self::do_accept_result(submitter, job)
		}

		/// Dispute a job's attested result within `JobDisputeWindow`: the payment stays held
		/// until governance decides.
		///
		/// - `origin`: signed, the job's submitter.
		#[pallet::call_index(19)]
		pub fn dispute_result(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let submitter = ensure_signed(origin)?;
			Self::do_dispute_result(submitter, job)
		}

		/// Decide a disputed job: `upheld` refunds the held payment to the submitter; otherwise
		/// the provider is paid and the submitter's deposit goes to the treasury.
		///
		/// - `origin`: `AdminOrigin` (governance).
		#[pallet::call_index(20)]
		#[pallet::weight(<T as Config>::WeightInfo::resolve_job()
			.saturating_add(<T::Leases as JobLeases<_, _, _>>::payout_weight()))]
		pub fn resolve_job(origin: OriginFor<T>, job: JobId, upheld: bool) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_resolve_job(job, upheld)
		}

		/// Leave the market as a provider: the registration deposit comes back.
		///
		/// - `origin`: signed, a provider with no machines registered.
		#[pallet::call_index(10)]
		pub fn deregister_provider(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deregister_provider(who)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The most `place_order` costs when it scans `classes` classes and may open `leases`
	/// leases: reading every candidate's provider's bond, then resting, or opening the leases
	/// at the most an opening costs.
	pub fn place_order_weight(classes: u32, leases: u32) -> frame_support::weights::Weight {
		use frame_support::traits::Get;
		use gpux_primitives::LeaseOpener;
		let bonds =
			T::WeightInfo::provider_backing(classes.saturating_mul(T::MaxMatchCandidates::get()));
		let opened = T::WeightInfo::match_order(classes)
			.saturating_add(T::Leases::open_lease_weight().saturating_mul(leases.into()));
		T::WeightInfo::place_order(classes).max(opened).saturating_add(bonds)
	}

	/// What a block's matching of resting orders cost: the orders tried (in one class, as
	/// benchmarked), the bonds their matches read, what their leases cost (one refused at the
	/// most an opening costs), each order that left the book (as `cancel_order` removes one),
	/// each further class scanned (what `match_order` adds for a class) and each class passed
	/// over (its book read).
	fn resting_match_weight(work: orders::RestingWork) -> frame_support::weights::Weight {
		use frame_support::traits::Get;
		let class_scan =
			T::WeightInfo::match_order(2).saturating_sub(T::WeightInfo::match_order(1));
		T::WeightInfo::match_resting(work.tried)
			.saturating_add(T::WeightInfo::provider_backing(work.bonds_read))
			.saturating_add(work.leases)
			.saturating_add(T::WeightInfo::cancel_order().saturating_mul(work.removed.into()))
			.saturating_add(class_scan.saturating_mul(work.classes.saturating_sub(1).into()))
			.saturating_add(<T as frame_system::Config>::DbWeight::get().reads(work.skipped.into()))
	}
}
