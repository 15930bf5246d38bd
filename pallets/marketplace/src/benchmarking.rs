//! Benchmarks of every call (frame-benchmarking v2). They also run as tests:
//! `cargo test -p pallet-marketplace --features runtime-benchmarks`.

use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	weights::Weight,
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use gpux_primitives::{
	AccessMethods, Balance, ListingTerms, MachineId, MachineSpec, Region, WorkerKey,
};
use sp_core::{crypto::KeyTypeId, sr25519};
use sp_runtime::traits::{Bounded, One, Saturating};

/// Key type the benchmarks' worker keys live under in the keystore.
const WORKER_KEY_TYPE: KeyTypeId = KeyTypeId(*b"bwrk");

/// A new worker key in the keystore and its proof that `who` holds it.
fn proven_key<T: Config>(who: &T::AccountId) -> (WorkerKey, sr25519::Signature) {
	let key = sp_io::crypto::sr25519_generate(WORKER_KEY_TYPE, None);
	let message =
		gpux_primitives::attestation::key_possession_message(&Pallet::<T>::genesis_hash(), who);
	let proof = sp_io::crypto::sr25519_sign(WORKER_KEY_TYPE, &key, &message)
		.expect("the key is in the keystore");
	(key, proof)
}

use crate::*;

/// The most expensive valid GPU class: a ceiling no listing can exceed.
fn gpu_class<T: Config>() -> gpux_primitives::GpuClassId {
	let model = vec![b'G'; T::MaxModelLen::get() as usize].try_into().expect("fits its bound");
	Pallet::<T>::do_add_gpu_class(model, 80, Balance::MAX).expect("a class can be added")
}

fn spec<T: Config>(class: gpux_primitives::GpuClassId) -> MachineSpec {
	Pallet::<T>::benchmark_spec(class, 1)
}

fn region() -> Region {
	Region { country: *b"DE", location: Some(vec![b'L'; 32].try_into().expect("fits")) }
}

fn worker_key(n: u32) -> WorkerKey {
	let mut raw = [0u8; 32];
	raw[..4].copy_from_slice(&n.to_le_bytes());
	WorkerKey::from_raw(raw)
}

fn terms<T: Config>() -> ListingTermsOf<T> {
	ListingTerms {
		on_demand_price: 1_000,
		spot_floor_price: 500,
		min_lease_blocks: One::one(),
		max_lease_blocks: Bounded::max_value(),
		available_from: Default::default(),
		available_until: None,
		access: AccessMethods { ssh: true, jupyter: true, api: true },
	}
}

fn fleet_label<T: Config>() -> FleetLabelOf<T> {
	vec![b'F'; T::MaxFleetLabelLen::get() as usize].try_into().expect("fits its bound")
}

/// `who` with enough for its registration deposits.
fn funded<T: Config>(who: T::AccountId) -> T::AccountId {
	use frame_support::traits::fungible::Mutate;
	// Enough for every deposit, and for many accounts without overflowing the issuance.
	T::Currency::set_balance(&who, 1 << 100);
	who
}

/// `who`, funded and registered as a provider, with a bond that backs `gpus` GPUs.
fn bonded<T: Config>(who: T::AccountId, gpus: u32) -> T::AccountId {
	let who = funded::<T>(who);
	let metadata = vec![0u8; T::MaxMetadataLen::get() as usize].try_into().expect("fits");
	Pallet::<T>::do_register_provider(who.clone(), metadata).expect("registers");
	<T::Bonds as gpux_primitives::ProviderBonds<_>>::bond_for_benchmark(&who, gpus);
	who
}

/// A provider whose bond backs whatever a benchmark lists.
fn provider<T: Config>(name: &'static str) -> T::AccountId {
	bonded::<T>(
		account(name, 0, 0),
		T::MaxFleetSize::get().saturating_mul(T::MaxGpusPerMachine::get()),
	)
}

/// `n` machines of `who` in one fleet; returns their ids.
fn fleet_of<T: Config>(who: &T::AccountId, n: u32) -> vec::Vec<MachineId> {
	let class = gpu_class::<T>();
	(0..n)
		.map(|i| {
			let machine = NextMachineId::<T>::get();
			Pallet::<T>::do_register_machine(
				who.clone(),
				spec::<T>(class),
				worker_key(i),
				region(),
				Some(fleet_label::<T>()),
			)
			.expect("registers");
			machine
		})
		.collect()
}

/// A fleet label of the longest length, the `n`th: labels that compare equal the longest.
fn nth_fleet_label<T: Config>(n: u32) -> FleetLabelOf<T> {
	let mut label = fleet_label::<T>().into_inner();
	let len = label.len();
	label[len.saturating_sub(4)..].copy_from_slice(&n.to_le_bytes()[..len.min(4)]);
	label.try_into().expect("the same length")
}

/// `MaxMatchCandidates` listed one-GPU machines in `class`, within an order's price, each
/// in a fleet of its own: a match scans every one and keeps each fleet apart. Their provider's
/// bond, read once, is what `provider_backing` weighs.
fn candidates<T: Config>(class: gpux_primitives::GpuClassId) {
	let provider: T::AccountId = account("candidates", 0, 0);
	let first = MachineId::MAX / 2 + MachineId::from(class) * 1_000;
	for i in 0..T::MaxMatchCandidates::get() {
		let machine = first + MachineId::from(i);
		let fleet = nth_fleet_label::<T>(class.saturating_mul(1_000).saturating_add(i));
		Pallet::<T>::benchmark_indexed_machine(machine, class, &provider, fleet);
	}
}

/// Classes until there are at least `c`, each full of candidates.
fn classes_full_of_candidates<T: Config>(c: u32) {
	while NextGpuClassId::<T>::get() < c {
		gpu_class::<T>();
	}
	(0..c).for_each(candidates::<T>);
}

/// Orders a match cannot fill: more GPUs than all candidates have, any class, split allowed.
fn unfillable_order<T: Config>(class: Option<gpux_primitives::GpuClassId>) -> OrderTermsOf<T> {
	OrderTerms {
		requirements: gpux_primitives::Requirements { gpu_class: class, ..Default::default() },
		gpus: u32::MAX,
		duration: One::one(),
		mode: gpux_primitives::LeaseMode::OnDemand,
		max_price_per_gpu_hour: 1_000,
		split_across_fleet: true,
	}
}

/// A CIDv1 of a sha2-256 digest, as IPFS names files by default.
fn cid() -> gpux_primitives::Cid {
	b"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
		.to_vec()
		.try_into()
		.expect("fits")
}

/// A job open for bids (one GPU of class 0, no other requirement), of a funded submitter.
fn open_job<T: Config>() -> JobId {
	let submitter = funded::<T>(account("submitter", NextJobId::<T>::get() as u32, 0));
	let mut terms = unfillable_order::<T>(Some(0));
	terms.gpus = 1;
	terms.split_across_fleet = false;
	// An hour at the class's MFP: a budget any chain's least lease fits in.
	terms.duration = 600u32.into();
	terms.max_price_per_gpu_hour = Pallet::<T>::mfp(0).expect("class 0 exists");
	Pallet::<T>::do_post_job(submitter, terms, T::MinBidWindow::get(), false, cid(), access())
		.expect("posts")
}

/// `b` bids on `job` by one funded provider, each with a machine of its own. Returns the
/// bidder.
fn bids_on<T: Config>(job: JobId, b: u32) -> T::AccountId {
	let bidder = funded::<T>(account("bidder", job as u32, 0));
	for i in 0..b {
		let machine = MachineId::MAX / 8 + job.saturating_mul(1_000) + MachineId::from(i);
		Pallet::<T>::benchmark_indexed_machine(machine, 0, &bidder, fleet_label::<T>());
		let price = Jobs::<T>::get(job).expect("posted").terms.max_price_per_gpu_hour;
		Pallet::<T>::do_bid(bidder.clone(), job, machine, price).expect("bids");
	}
	bidder
}

/// A job whose window closed on its one bid: its lease runs, or (`ended`) has ended. Returns
/// the job, its provider and its submitter.
fn running_job<T: Config>(ended: bool) -> (JobId, T::AccountId, T::AccountId) {
	let job = open_job::<T>();
	let provider = bids_on::<T>(job, 1);
	let record = Jobs::<T>::get(job).expect("posted");
	frame_system::Pallet::<T>::set_block_number(record.closes_at);
	Pallet::<T>::process_jobs(record.closes_at);
	let Some(JobStatus::Running { lease, .. }) = Jobs::<T>::get(job).map(|j| j.status) else {
		panic!("the bid's lease opens");
	};
	if ended {
		<T::Leases as gpux_primitives::JobLeases<_, _, _>>::end_lease_for_benchmarks(lease);
	}
	(job, provider, record.submitter)
}

/// A job whose result is attested.
fn attested_job<T: Config>() -> (JobId, T::AccountId, T::AccountId) {
	let (job, provider, submitter) = running_job::<T>(true);
	Pallet::<T>::do_submit_result(provider.clone(), job, cid(), [7; 32]).expect("attests");
	(job, provider, submitter)
}

fn access() -> gpux_primitives::AccessSpec {
	gpux_primitives::AccessSpec::longest()
}

/// `n` resting orders in the book of `class` at `price`, expiring at `expires_at` or, when a
/// block's expiries are full, the blocks after; each renter has as many as it may. Returns
/// each order with its renter.
fn resting_orders<T: Config>(
	class: Option<gpux_primitives::GpuClassId>,
	n: u32,
	price: Balance,
	expires_at: BlockNumberFor<T>,
) -> vec::Vec<(T::AccountId, OrderId)> {
	let per_block = T::MaxOrderExpiriesPerBlock::get();
	let per_renter = T::MaxOrdersPerRenter::get();
	(0..n)
		.map(|i| {
			let renter = funded::<T>(account("renter", i / per_renter, 0));
			let mut terms = unfillable_order::<T>(class);
			terms.max_price_per_gpu_hour = price;
			let at = expires_at.saturating_add((i / per_block).into());
			let order =
				Pallet::<T>::do_place_order(renter.clone(), terms, at, access()).expect("rests").0;
			(renter, order)
		})
		.collect()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_provider() {
		let caller: T::AccountId = funded::<T>(whitelisted_caller());
		let metadata: MetadataOf<T> =
			vec![0u8; T::MaxMetadataLen::get() as usize].try_into().expect("fits");

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), metadata);

		assert!(Providers::<T>::contains_key(&caller));
	}

	/// `f`: machines already in the fleet the new one joins.
	#[benchmark]
	fn register_machine(f: Linear<0, { T::MaxFleetSize::get() - 1 }>) {
		let caller = provider::<T>("provider");
		fleet_of::<T>(&caller, f);
		let class = gpu_class::<T>();
		let machine = NextMachineId::<T>::get();
		let (key, proof) = proven_key::<T>(&caller);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller.clone()),
			spec::<T>(class),
			key,
			proof,
			region(),
			Some(fleet_label::<T>()),
		);

		assert_eq!(Machines::<T>::get(machine).map(|m| m.provider), Some(caller));
	}

	#[benchmark]
	fn set_listing() {
		let caller = provider::<T>("provider");
		let machine = fleet_of::<T>(&caller, 1)[0];

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), machine, terms::<T>());

		assert!(Machines::<T>::get(machine).and_then(|m| m.listing).is_some());
	}

	#[benchmark]
	fn delist() {
		let caller = provider::<T>("provider");
		let machine = fleet_of::<T>(&caller, 1)[0];
		Pallet::<T>::do_set_listing(caller.clone(), machine, terms::<T>()).expect("lists");

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), machine);

		assert!(Machines::<T>::get(machine).and_then(|m| m.listing).is_none());
	}

	/// `f`: machines in the leaving machine's fleet.
	#[benchmark]
	fn deregister_machine(f: Linear<1, { T::MaxFleetSize::get() }>) {
		let caller = provider::<T>("provider");
		let machine = fleet_of::<T>(&caller, f)[0];

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), machine);

		assert!(!Machines::<T>::contains_key(machine));
	}

	/// `n`: machines in the fleet.
	#[benchmark]
	fn list_fleet(n: Linear<1, { T::MaxFleetSize::get() }>) {
		let caller = provider::<T>("provider");
		let machines = fleet_of::<T>(&caller, n);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), fleet_label::<T>(), terms::<T>());

		assert!(machines.iter().all(|m| Machines::<T>::get(m).and_then(|m| m.listing).is_some()));
	}

	/// `n`: machines in the fleet, all listed.
	#[benchmark]
	fn delist_fleet(n: Linear<1, { T::MaxFleetSize::get() }>) {
		let caller = provider::<T>("provider");
		let machines = fleet_of::<T>(&caller, n);
		Pallet::<T>::do_list_fleet(caller.clone(), fleet_label::<T>(), terms::<T>())
			.expect("lists");

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), fleet_label::<T>());

		assert!(machines.iter().all(|m| Machines::<T>::get(m).and_then(|m| m.listing).is_none()));
	}

	#[benchmark]
	fn add_gpu_class() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let model: ModelOf<T> =
			vec![b'G'; T::MaxModelLen::get() as usize].try_into().expect("fits");
		let class = NextGpuClassId::<T>::get();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model, 80, 1_000);

		assert!(GpuClasses::<T>::contains_key(class));
		Ok(())
	}

	#[benchmark]
	fn set_reference_price() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let class = gpu_class::<T>();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, class, 7);

		assert_eq!(GpuClasses::<T>::get(class).map(|c| c.reference_price), Some(7));
		Ok(())
	}

	#[benchmark]
	fn set_gpu_class_ceiling() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let class = gpu_class::<T>();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, class, 7);

		assert_eq!(GpuClasses::<T>::get(class).map(|c| c.price_ceiling), Some(7));
		Ok(())
	}

	#[benchmark]
	fn set_worker_key() {
		let caller = provider::<T>("provider");
		let machine = fleet_of::<T>(&caller, 1)[0];
		let (key, proof) = proven_key::<T>(&caller);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), machine, key, proof);

		assert_eq!(MachineOfWorkerKey::<T>::get(key), Some(machine));
	}

	#[benchmark]
	fn deregister_provider() {
		let caller = provider::<T>("provider");

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		assert!(!Providers::<T>::contains_key(&caller));
	}

	/// `c`: classes scanned, each with `MaxMatchCandidates` candidates that cannot fill the
	/// order; it then rests in a full book, evicting the lowest order.
	#[benchmark]
	fn place_order(c: Linear<1, { T::MaxGpuClasses::get() }>) {
		classes_full_of_candidates::<T>(c);
		let renter: T::AccountId = funded::<T>(whitelisted_caller());
		let now = frame_system::Pallet::<T>::block_number();
		resting_orders::<T>(None, T::MaxRestingOrders::get(), 1, now + One::one());
		let order = unfillable_order::<T>(None);
		let expires_at = now + T::MaxOrderLifetime::get();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(renter),
			order.requirements,
			order.gpus,
			order.duration,
			order.mode,
			order.max_price_per_gpu_hour,
			expires_at,
			access(),
			true,
		);

		assert_eq!(OrderBooks::<T>::get(None::<gpux_primitives::GpuClassId>)[0].0, 1_000);
	}

	/// `c`: classes scanned as for `place_order`. What an order that fills costs besides its
	/// leases, which are charged at what each cost: its checks, the scan and the event
	/// naming the most leases a fill opens.
	#[benchmark]
	fn match_order(c: Linear<1, { T::MaxGpuClasses::get() }>) {
		classes_full_of_candidates::<T>(c);
		let renter: T::AccountId = whitelisted_caller();
		let terms = unfillable_order::<T>(None);
		let expires_at = frame_system::Pallet::<T>::block_number() + T::MaxOrderLifetime::get();
		let leases = vec![0; T::MaxMatchCandidates::get() as usize];
		let found;

		#[block]
		{
			let (order, matched, _) =
				Pallet::<T>::match_new_order(&terms, expires_at).expect("a valid order");
			Pallet::<T>::deposit_event(Event::OrderFilled { order, renter, leases });
			found = matched;
		}

		assert!(found.is_err());
	}

	/// `l`: listings of the class besides its `MaxMatchCandidates` cheapest, after them in the
	/// index. No call is charged by it: its slope shows that a match costs the same among 10
	/// or 100,000 listings (docs/PERFORMANCE.md, "Matching among 10 or 100,000 listings").
	#[benchmark]
	fn match_among_listings(l: Linear<10, 100_000>) {
		let class = gpu_class::<T>();
		candidates::<T>(class);
		let provider: T::AccountId = account("others", 0, 0);
		let first = MachineId::MAX / 4 * 3;
		for i in 0..l {
			let machine = first + MachineId::from(i);
			Pallet::<T>::benchmark_indexed_machine(machine, class, &provider, fleet_label::<T>());
		}
		let terms = unfillable_order::<T>(Some(class));
		let expires_at = frame_system::Pallet::<T>::block_number() + T::MaxOrderLifetime::get();
		let found;

		#[block]
		{
			found = Pallet::<T>::match_new_order(&terms, expires_at).expect("a valid order").1;
		}

		assert!(found.is_err());
	}

	#[benchmark]
	fn cancel_order() {
		let now = frame_system::Pallet::<T>::block_number();
		let orders = resting_orders::<T>(None, T::MaxRestingOrders::get(), 1, now + One::one());
		let (renter, last) = orders.last().cloned().expect("an order rests");

		#[extrinsic_call]
		_(RawOrigin::Signed(renter), last);

		assert!(!Orders::<T>::contains_key(last));
	}

	/// `n`: orders expiring in the block (from one: none expiring reads less than the fit's
	/// base would say).
	#[benchmark]
	fn expire_orders(n: Linear<1, { T::MaxOrderExpiriesPerBlock::get() }>) {
		let at = frame_system::Pallet::<T>::block_number() + One::one();
		let orders = resting_orders::<T>(None, n, 1, at);

		#[block]
		{
			Pallet::<T>::expire_orders(at);
		}

		assert!(orders.iter().all(|(_, order)| !Orders::<T>::contains_key(order)));
	}

	/// `c`: classes whose spot price moves.
	#[benchmark]
	fn update_spot_prices(c: Linear<0, { T::MaxGpuClasses::get() }>) {
		while NextGpuClassId::<T>::get() < c {
			gpu_class::<T>();
		}

		#[block]
		{
			Pallet::<T>::update_spot_prices();
		}
	}

	/// `n`: resting orders tried, each scanning `MaxMatchCandidates` candidates in vain.
	#[benchmark]
	fn match_resting(n: Linear<0, { T::MaxOrderMatchesPerBlock::get() }>) {
		let class = gpu_class::<T>();
		candidates::<T>(class);
		let at = frame_system::Pallet::<T>::block_number() + T::MaxOrderLifetime::get();
		resting_orders::<T>(Some(class), n, 1_000, at);
		ClassesToMatch::<T>::put(BoundedVec::truncate_from(vec![class]));
		let work;

		#[block]
		{
			work = Pallet::<T>::match_resting();
		}

		assert_eq!((work.tried, work.leases), (n, Weight::zero()));
	}

	/// `p`: providers, each registered and bonded, whose bonds one match reads.
	#[benchmark]
	fn provider_backing(p: Linear<0, { T::MaxGpuClasses::get() * T::MaxMatchCandidates::get() }>) {
		let providers: vec::Vec<T::AccountId> =
			(0..p).map(|n| bonded::<T>(account("backer", n, 0), 1)).collect();
		let mut bonds = orders::BondsRead::<T>::default();

		#[block]
		{
			for who in &providers {
				bonds.backs(who);
			}
		}

		assert_eq!(bonds.count(), p);
	}

	#[benchmark]
	fn post_job() {
		let submitter: T::AccountId = funded::<T>(whitelisted_caller());
		let order = unfillable_order::<T>(None);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(submitter),
			order.requirements,
			1,
			order.duration,
			order.max_price_per_gpu_hour,
			T::MaxBidWindow::get(),
			true,
			cid(),
			access(),
		);

		assert!(Jobs::<T>::contains_key(0));
	}

	/// `b`: bids the job has already.
	#[benchmark]
	fn bid(b: Linear<0, { T::MaxBidsPerJob::get() - 1 }>) {
		let job = open_job::<T>();
		let bidder = bids_on::<T>(job, b);
		let machine = MachineId::MAX / 4;
		Pallet::<T>::benchmark_indexed_machine(machine, 0, &bidder, fleet_label::<T>());

		let price = Jobs::<T>::get(job).expect("posted").terms.max_price_per_gpu_hour;

		#[extrinsic_call]
		_(RawOrigin::Signed(bidder), job, machine, price);

		assert_eq!(JobBids::<T>::get(job).len() as u32, b + 1);
	}

	/// `b`: bids the job has, the cancelled one first.
	#[benchmark]
	fn cancel_bid(b: Linear<1, { T::MaxBidsPerJob::get() }>) {
		let job = open_job::<T>();
		let bidder = bids_on::<T>(job, b);
		let first = JobBids::<T>::get(job)[0].machine;

		#[extrinsic_call]
		_(RawOrigin::Signed(bidder), job, first);

		assert_eq!(JobBids::<T>::get(job).len() as u32, b - 1);
	}

	#[benchmark]
	fn submit_result() {
		let (job, provider, _) = running_job::<T>(true);

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), job, cid(), [7; 32]);

		assert!(matches!(
			Jobs::<T>::get(job).map(|j| j.status),
			Some(JobStatus::ResultAttested { .. })
		));
	}

	#[benchmark]
	fn accept_result() {
		let (job, _, submitter) = attested_job::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(submitter), job);

		assert!(!Jobs::<T>::contains_key(job));
	}

	#[benchmark]
	fn dispute_result() {
		let (job, _, submitter) = attested_job::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(submitter), job);

		assert!(matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Disputed { .. })));
	}

	#[benchmark]
	fn resolve_job() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let (job, _, submitter) = attested_job::<T>();
		Pallet::<T>::do_dispute_result(submitter, job).expect("disputes");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, job, false);

		assert!(!Jobs::<T>::contains_key(job));
		Ok(())
	}

	/// `n` jobs whose windows close now, each with `b` bids on machines of its own.
	#[benchmark]
	fn process_jobs(
		n: Linear<0, { T::MaxJobsPerBlock::get() }>,
		b: Linear<0, { T::MaxBidsPerJob::get() }>,
	) {
		let jobs: vec::Vec<JobId> = (0..n).map(|_| open_job::<T>()).collect();
		for job in &jobs {
			bids_on::<T>(*job, b);
		}
		let at = jobs
			.first()
			.and_then(Jobs::<T>::get)
			.map_or_else(frame_system::Pallet::<T>::block_number, |j| j.closes_at);
		frame_system::Pallet::<T>::set_block_number(at);
		let work;

		#[block]
		{
			work = Pallet::<T>::process_jobs(at);
		}

		assert_eq!(work.jobs, n);
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build_with_keystore(),
		crate::mock::Test
	);
}
