//! The reference solver: plain Rust on the CPU. Fast enough for tests and small classes; a
//! GPU solver must give the same rows bit for bit.

use gpux_primitives::challenge::{product, Hash32};

use super::{ChallengeSolver, Solution};

/// Solves challenges on the CPU.
pub struct CpuSolver;

impl ChallengeSolver for CpuSolver {
	fn solve(&self, seed: &Hash32, n: u32) -> Result<Solution, crate::error::Error> {
		Ok(Solution::new(product(seed, n)))
	}

	fn name(&self) -> String {
		"CPU".into()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn revealed_rows_check_out_the_way_validators_check_them() {
		let seed = [42; 32];
		let solution = CpuSolver.solve(&seed, 24).unwrap();
		let root = solution.commitment();
		let revealed = solution.reveal(&[0, 7, 23]).unwrap();
		for row in &revealed {
			assert!(row.checks_out(&seed, 24, &root), "row {}", row.index);
		}
		assert!(solution.reveal(&[24]).is_none());
		// A row from another seed, or claimed at another index, does not.
		let mut moved = revealed[1].clone();
		assert!(!moved.checks_out(&[43; 32], 24, &root));
		moved.index = 8;
		assert!(!moved.checks_out(&seed, 24, &root));
	}

	#[test]
	fn a_wrong_product_does_not_match_the_honest_commitment() {
		let seed = [42; 32];
		let honest = CpuSolver.solve(&seed, 8).unwrap();
		let mut rows = honest.rows.clone();
		rows[3][5] ^= 1;
		assert_ne!(Solution::new(rows).commitment(), honest.commitment());
	}
}
