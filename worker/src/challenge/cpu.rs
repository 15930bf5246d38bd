//! The CPU solver: every core, with the AVX-512 VNNI kernel where the CPU has it
//! (`super::rounds`). Fast enough for dev sizes and the fallback; a GPU solver must give the
//! same leaves bit for bit.

use gpux_primitives::{attestation::ChallengeSize, challenge::Hash32};

use super::{rounds, ChallengeSolver, Solution};

/// Solves challenges on the CPU.
pub struct CpuSolver;

impl CpuSolver {
	/// About how long a solve of `size` takes here: every core at 200 G int8 operations a
	/// second with VNNI (measured: 204–251, docs/attestation.md), 7 G without (the reference).
	pub fn estimate(size: ChallengeSize) -> std::time::Duration {
		let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
		let per_thread = if rounds::vnni_available() { 2e11 } else { 7e9 };
		let ops = 2.0 * f64::from(size.rows) * f64::from(size.rounds) * 1024.0 * 1024.0;
		std::time::Duration::from_secs_f64(ops / (per_thread * threads))
	}
}

impl ChallengeSolver for CpuSolver {
	fn solve(&self, seed: &Hash32, size: ChallengeSize) -> Result<Solution, crate::error::Error> {
		let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
		let leaves = rounds::leaves(seed, size.rows, size.rounds, threads);
		Ok(Solution::new(*seed, size.rounds, leaves))
	}

	fn name(&self) -> String {
		"CPU".into()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use gpux_primitives::{attestation::commit_rows, challenge::rounds::final_rows};

	const SIZE: ChallengeSize = ChallengeSize { rows: 24, rounds: 3 };

	#[test]
	fn the_commitment_is_the_reference_rows_root() {
		let seed = [41; 32];
		let solution = CpuSolver.solve(&seed, SIZE).unwrap();
		assert_eq!(solution.commitment(), commit_rows(&final_rows(&seed, 24, 3)));
	}

	#[test]
	fn revealed_rows_check_out_the_way_validators_check_them() {
		let seed = [42; 32];
		let solution = CpuSolver.solve(&seed, SIZE).unwrap();
		let root = solution.commitment();
		let revealed = solution.reveal(&[0, 7, 23]).unwrap();
		for row in &revealed {
			assert!(row.checks_out(&seed, &SIZE, &root), "row {}", row.index);
		}
		assert!(solution.reveal(&[24]).is_none());
		// A row from another seed, claimed at another index, or with one bit flipped, does not.
		let mut moved = revealed[1].clone();
		assert!(!moved.checks_out(&[43; 32], &SIZE, &root));
		moved.index = 8;
		assert!(!moved.checks_out(&seed, &SIZE, &root));
		let mut flipped = revealed[2].clone();
		flipped.values[100] ^= 1;
		assert!(!flipped.checks_out(&seed, &SIZE, &root));
	}
}
