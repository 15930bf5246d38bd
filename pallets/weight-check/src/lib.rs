#![doc = include_str!("../README.md")]

use frame_benchmarking::{BenchmarkParameter, BenchmarkResult, Benchmarking};
use frame_support::weights::{RuntimeDbWeight, Weight};
use sc_client_db::BenchmarkingState;
use sp_core::storage::{Storage, TrackedStorageKey};
pub use sp_externalities::Extensions;
use sp_runtime::traits::BlakeTwo256;
use sp_state_machine::{Backend, Ext, IterArgs, OverlayedChanges, TestExternalities};

/// The state a test built (its genesis and whatever its builder did after), committed.
pub fn state_of(mut ext: TestExternalities<sp_core::Blake2Hasher>) -> Storage {
	ext.commit_all().expect("the test state commits");
	let backend = ext.as_backend();
	let top = backend
		.pairs(IterArgs::default())
		.expect("the test state iterates")
		.map(|pair| pair.expect("an in-memory state reads"))
		.collect();
	Storage { top, children_default: Default::default() }
}

/// What one benchmark's worst case touched.
#[derive(Clone, Debug)]
pub struct WorstCase {
	/// The benchmark's name.
	pub name: String,
	/// Each component at its highest value, by name (`"m"`, `"n"`, ...).
	pub components: Vec<(String, u32)>,
	/// Distinct storage keys read, whitelisted ones excluded.
	pub reads: u32,
	/// Distinct storage keys written, whitelisted ones excluded.
	pub writes: u32,
	/// Bytes of the storage proof the call needed.
	pub proof_size: u32,
}

impl WorstCase {
	/// The value of component `name`; 0 if the benchmark has none of that name.
	pub fn component(&self, name: &str) -> u32 {
		self.components.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v)
	}
}

/// Extensions with an in-memory keystore, for benchmarks that make worker or verifier keys.
pub fn with_keystore() -> Extensions {
	let mut extensions = Extensions::new();
	extensions.register(sp_keystore::KeystoreExt::new(sp_keystore::testing::MemoryKeystore::new()));
	extensions
}

fn parameter_name(parameter: BenchmarkParameter) -> String {
	format!("{parameter:?}")
}

/// Runs every benchmark of `B` once with all components at their highest values, on
/// `state`, with `extensions()` registered (a keystore, for instance), as the benchmarking
/// node does.
pub fn worst_cases<B: Benchmarking>(
	state: TestExternalities<sp_core::Blake2Hasher>,
	extensions: impl Fn() -> Extensions,
	whitelist: &[TrackedStorageKey],
) -> Vec<WorstCase> {
	let state = BenchmarkingState::<BlakeTwo256>::new(state_of(state), None, true, true)
		.expect("an in-memory benchmarking state");
	let mut cases = Vec::new();
	for benchmark in B::benchmarks(false) {
		let name = String::from_utf8_lossy(&benchmark.name).into_owned();
		let selected: Vec<_> =
			benchmark.components.iter().map(|(param, _, high)| (*param, *high)).collect();
		let mut overlay = OverlayedChanges::default();
		let mut extensions = extensions();
		let mut ext = Ext::new(&mut overlay, &state, Some(&mut extensions));
		let results: Vec<BenchmarkResult> =
			sp_externalities::set_and_run_with_externalities(&mut ext, || {
				B::run_benchmark(&benchmark.name, &selected, whitelist, false, 1)
			})
			.unwrap_or_else(|e| panic!("benchmark {name} fails: {e:?}"));
		let result = results.last().unwrap_or_else(|| panic!("benchmark {name} gave no result"));
		cases.push(WorstCase {
			name,
			components: selected.iter().map(|(p, v)| (parameter_name(*p), *v)).collect(),
			reads: result.reads,
			writes: result.writes,
			proof_size: result.proof_size,
		});
	}
	cases
}

/// Fails, naming every offender, unless each benchmark's worst case, run on the state of
/// `ext`, is covered by its weight: `weight_of` gives the weight the pallet declares for a worst case (`None`: the benchmark
/// has no weight function, itself a failure), `db` the read and write weights the formulas
/// were written for.
pub fn assert_weights_cover<B: Benchmarking>(
	ext: TestExternalities<sp_core::Blake2Hasher>,
	extensions: impl Fn() -> Extensions,
	whitelist: &[TrackedStorageKey],
	db: RuntimeDbWeight,
	weight_of: impl Fn(&WorstCase) -> Option<Weight>,
) {
	let cases = worst_cases::<B>(ext, extensions, whitelist);
	assert!(!cases.is_empty(), "the pallet has no benchmarks");
	let failures: Vec<String> = cases
		.iter()
		.filter_map(|case| {
			let Some(weight) = weight_of(case) else {
				return Some(format!("{}: no weight function", case.name));
			};
			let accesses = db.reads_writes(case.reads.into(), case.writes.into());
			let mut short = Vec::new();
			if weight.ref_time() < accesses.ref_time() {
				short.push(format!(
					"ref_time {} < {} reads and {} writes ({})",
					weight.ref_time(),
					case.reads,
					case.writes,
					accesses.ref_time()
				));
			}
			if weight.proof_size() < u64::from(case.proof_size) {
				short.push(format!(
					"proof_size {} < recorded {}",
					weight.proof_size(),
					case.proof_size
				));
			}
			(!short.is_empty())
				.then(|| format!("{} {:?}: {}", case.name, case.components, short.join("; ")))
		})
		.collect();
	assert!(
		failures.is_empty(),
		"weights charge less than the worst case did:\n{}",
		failures.join("\n")
	);
}

/// Distinct storage keys `f` reads when run on the state of `ext` (as a benchmark counts them,
/// nothing whitelisted): for tests that a call's reads do not grow with the state.
pub fn storage_reads<R>(
	ext: TestExternalities<sp_core::Blake2Hasher>,
	f: impl FnOnce() -> R,
) -> (u32, R) {
	let state = BenchmarkingState::<BlakeTwo256>::new(state_of(ext), None, false, true)
		.expect("an in-memory benchmarking state");
	let mut overlay = OverlayedChanges::default();
	let mut extensions = Extensions::new();
	let mut ext = Ext::new(&mut overlay, &state, Some(&mut extensions));
	let result = sp_externalities::set_and_run_with_externalities(&mut ext, f);
	let (reads, _, _, _) = state.read_write_count();
	(reads, result)
}
