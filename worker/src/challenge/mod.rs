//! The proof-of-GPU challenge: compute the seeded matrix product on the CPU or a CUDA GPU,
//! commit to its rows, and reveal the rows the chain asks for with their Merkle proofs. The
//! arithmetic and the reveal are `gpux_primitives`', the same code the validators check with.

mod cpu;
mod gpu;
pub mod rounds;

pub use cpu::CpuSolver;
pub use gpu::GpuSolver;

use gpux_primitives::{
	attestation::{reveal_with_leaves, row_leaves, RevealedRows},
	challenge::{merkle_root, Hash32},
};

/// A computed product: its rows and their Merkle leaves.
pub struct Solution {
	pub rows: Vec<Vec<u32>>,
	leaves: Vec<Hash32>,
}

impl Solution {
	pub fn new(rows: Vec<Vec<u32>>) -> Self {
		let leaves = row_leaves(&rows);
		Self { rows, leaves }
	}

	/// What the worker commits on chain before the deadline.
	pub fn commitment(&self) -> Hash32 {
		merkle_root(&self.leaves)
	}

	/// Rows `indices` with their proofs, as the chain takes them; `None` if a row is missing.
	pub fn reveal(&self, indices: &[u32]) -> Option<RevealedRows> {
		reveal_with_leaves(&self.rows, &self.leaves, indices)
	}
}

/// Computes challenge products: on the CPU here, on the GPU where CUDA is available.
pub trait ChallengeSolver: Send + Sync {
	/// The product `A·B` of the `n`×`n` matrices seeded by `seed`.
	fn solve(&self, seed: &Hash32, n: u32) -> Result<Solution, crate::error::Error>;
	/// `solve`, kept off the GPUs with these (NVML) UUIDs, which leases hold, where it can
	/// (`None`: which GPUs are leased is unknown; all are taken as leased).
	fn solve_avoiding(
		&self,
		seed: &Hash32,
		n: u32,
		_leased: Option<&[String]>,
	) -> Result<Solution, crate::error::Error> {
		self.solve(seed, n)
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
pub fn solve_or_fall_back(
	solver: &dyn ChallengeSolver,
	seed: &Hash32,
	n: u32,
	leased: Option<&[String]>,
) -> Result<(Solution, bool), crate::error::Error> {
	match solver.solve_avoiding(seed, n, leased) {
		Ok(solution) => Ok((solution, false)),
		Err(e) => {
			tracing::warn!(target: "challenge", "{} could not solve it ({e}): solving on the CPU", solver.name());
			CpuSolver.solve(seed, n).map(|solution| (solution, true))
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
		fn solve(&self, _: &Hash32, _: u32) -> Result<Solution, crate::error::Error> {
			Err(crate::error::Error::Cuda("launch: CUDA_ERROR_LAUNCH_FAILED".into()))
		}
		fn name(&self) -> String {
			"GPU (broken)".into()
		}
	}

	#[test]
	fn a_cuda_failure_is_answered_from_the_cpu_not_missed() {
		let seed = [7; 32];
		let (solution, fell_back) =
			solve_or_fall_back(&BrokenGpu, &seed, 32, Some(&[][..])).unwrap();
		assert!(fell_back);
		assert_eq!(solution.commitment(), CpuSolver.solve(&seed, 32).unwrap().commitment());
		let (_, fell_back) = solve_or_fall_back(&CpuSolver, &seed, 8, None).unwrap();
		assert!(!fell_back);
	}
}
