//! The proof-of-GPU challenge: take the seeded int8 rows through their rounds on the CPU or a
//! CUDA GPU, commit to the final rows' hashes, and reveal the rows the chain asks for with
//! their Merkle proofs. The arithmetic and the reveal are `gpux_primitives`', the same code the
//! validators check with.

mod cpu;
mod gpu;
mod rounds;

pub use cpu::CpuSolver;
pub use gpu::GpuSolver;

use gpux_primitives::{
	attestation::{reveal_from_tree, ChallengeSize, RevealedRows},
	challenge::{rounds::final_rows_at, Hash32, MerkleTree},
};

/// A solved challenge: the Merkle tree of its final rows' hashes. The rows themselves (GiBs at
/// production sizes) are not kept: the few revealed are recomputed.
pub struct Solution {
	seed: Hash32,
	rounds: u32,
	tree: MerkleTree,
}

impl Solution {
	/// The solution of the `rounds`-round challenge seeded by `seed` whose final rows hash to
	/// `leaves`.
	pub fn new(seed: Hash32, rounds: u32, leaves: Vec<Hash32>) -> Self {
		Self { seed, rounds, tree: MerkleTree::new(leaves) }
	}

	/// What the worker commits on chain before the deadline.
	pub fn commitment(&self) -> Hash32 {
		self.tree.root()
	}

	/// Rows `indices` (recomputed) with their proofs, as the chain takes them; `None` if a row
	/// is out of range.
	pub fn reveal(&self, indices: &[u32]) -> Option<RevealedRows> {
		if indices.iter().any(|i| *i as usize >= self.tree.leaves().len()) {
			return None;
		}
		let rows = final_rows_at(&self.seed, indices, self.rounds);
		let mut rows = indices.iter().copied().zip(rows);
		reveal_from_tree(&self.tree, indices, |index| {
			rows.find(|(i, _)| *i == index).map(|(_, row)| row)
		})
	}
}

/// The leaves of `rows` (final rows of `WIDTH` bytes, back to back), hashed on every core.
fn hash_rows(rows: &[i8]) -> Vec<Hash32> {
	use gpux_primitives::challenge::rounds::{leaf, WIDTH};
	let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
	let per_thread = (rows.len() / WIDTH).div_ceil(threads).max(1) * WIDTH;
	std::thread::scope(|scope| {
		let handles: Vec<_> = rows
			.chunks(per_thread)
			.map(|part| scope.spawn(move || part.chunks_exact(WIDTH).map(leaf).collect::<Vec<_>>()))
			.collect();
		handles.into_iter().flat_map(|h| h.join().expect("hashing does not panic")).collect()
	})
}

/// Solves challenges: on the CPU here, on the GPU where CUDA is available.
pub trait ChallengeSolver: Send + Sync {
	/// The challenge of `size` seeded by `seed`.
	fn solve(&self, seed: &Hash32, size: ChallengeSize) -> Result<Solution, crate::error::Error>;
	/// `solve`, kept off the GPUs with these (NVML) UUIDs, which leases hold, where it can
	/// (`None`: which GPUs are leased is unknown; all are taken as leased).
	fn solve_avoiding(
		&self,
		seed: &Hash32,
		size: ChallengeSize,
		_leased: Option<&[String]>,
	) -> Result<Solution, crate::error::Error> {
		self.solve(seed, size)
	}
	/// What it runs on, for logs.
	fn name(&self) -> String;
}

/// Which solver `--solver` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SolverChoice {
	/// The GPU if CUDA loads, else the CPU.
	Auto,
	Cpu,
	Gpu,
}

/// Solves on `solver` away from the `leased` GPUs; if that fails (a CUDA error, every GPU
/// leased past the budget), solves the same challenge on the CPU instead of missing it. Returns
/// the solution and whether it fell back.
/// The CPU fallback is skipped when it would finish after `deadline` (a production-size
/// challenge takes a CPU minutes to hours, all cores busy on a renter's host, for nothing).
pub fn solve_or_fall_back(
	solver: &dyn ChallengeSolver,
	seed: &Hash32,
	size: ChallengeSize,
	leased: Option<&[String]>,
	deadline: std::time::Duration,
) -> Result<(Solution, bool), crate::error::Error> {
	match solver.solve_avoiding(seed, size, leased) {
		Ok(solution) => Ok((solution, false)),
		Err(e) => {
			let estimate = CpuSolver::estimate(size);
			if estimate > deadline {
				tracing::warn!(target: "challenge", "{} could not solve it ({e})", solver.name());
				return Err(crate::error::Error::TooSlowForTheDeadline {
					estimate_s: estimate.as_secs(),
					deadline_s: deadline.as_secs(),
				});
			}
			tracing::warn!(target: "challenge", "{} could not solve it ({e}): solving on the CPU", solver.name());
			CpuSolver.solve(seed, size).map(|solution| (solution, true))
		},
	}
}

/// The solver for `choice`: `Auto` falls back to the CPU and says why. `leased_budget`: how
/// long a challenge may borrow a leased GPU when every GPU is leased.
pub fn solver_for(
	choice: SolverChoice,
	leased_budget: std::time::Duration,
) -> Result<std::sync::Arc<dyn ChallengeSolver>, crate::error::Error> {
	match choice {
		SolverChoice::Cpu => Ok(std::sync::Arc::new(CpuSolver)),
		SolverChoice::Gpu => Ok(std::sync::Arc::new(GpuSolver::new(leased_budget)?)),
		SolverChoice::Auto => match GpuSolver::new(leased_budget) {
			Ok(gpu) => Ok(std::sync::Arc::new(gpu)),
			Err(e) => {
				tracing::info!("challenges on the CPU: {e}");
				Ok(std::sync::Arc::new(CpuSolver))
			},
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A GPU solver whose CUDA call fails, as a driver fault or a lost GPU makes it.
	struct BrokenGpu;

	impl ChallengeSolver for BrokenGpu {
		fn solve(&self, _: &Hash32, _: ChallengeSize) -> Result<Solution, crate::error::Error> {
			Err(crate::error::Error::Cuda("launch: CUDA_ERROR_LAUNCH_FAILED".into()))
		}
		fn name(&self) -> String {
			"GPU (broken)".into()
		}
	}

	#[test]
	fn a_cuda_failure_is_answered_from_the_cpu_not_missed() {
		let (seed, size) = ([7; 32], ChallengeSize { rows: 32, rounds: 2 });
		let minute = std::time::Duration::from_secs(60);
		let (solution, fell_back) =
			solve_or_fall_back(&BrokenGpu, &seed, size, Some(&[][..]), minute).unwrap();
		assert!(fell_back);
		assert_eq!(solution.commitment(), CpuSolver.solve(&seed, size).unwrap().commitment());
		let (_, fell_back) = solve_or_fall_back(&CpuSolver, &seed, size, None, minute).unwrap();
		assert!(!fell_back);
	}

	#[test]
	fn a_cpu_fallback_that_would_miss_the_deadline_is_not_started() {
		// An H100-class production challenge: hours on this machine's CPU.
		let size = ChallengeSize { rows: 5_147_000, rounds: 256 };
		let minute = std::time::Duration::from_secs(60);
		let err = solve_or_fall_back(&BrokenGpu, &[7; 32], size, None, minute).err().unwrap();
		assert!(
			matches!(err, crate::error::Error::TooSlowForTheDeadline { deadline_s: 60, .. }),
			"{err}"
		);
	}

	#[test]
	fn rows_are_hashed_in_order_across_threads() {
		use gpux_primitives::challenge::rounds::{leaf, WIDTH};
		let rows: Vec<i8> = (0..WIDTH * 7).map(|i| (i % 251) as i8).collect();
		let expected: Vec<Hash32> = rows.chunks_exact(WIDTH).map(leaf).collect();
		assert_eq!(hash_rows(&rows), expected);
	}
}
