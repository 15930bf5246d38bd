//! The proof-of-GPU challenge's arithmetic, shared by the worker (which computes it), the
//! attestation pallet and the validators' offchain workers (which check it): rounds of seeded
//! int8 matrix products with int32 accumulation ([`rounds`]), and a Merkle commitment over the
//! final rows.

use alloc::vec::Vec;
use sp_crypto_hashing::blake2_256;

/// A Merkle node or leaf hash.
pub type Hash32 = [u8; 32];

/// Which of the two seeded matrices.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Matrix {
	A = 0,
	B = 1,
}

/// splitmix64: fast, and fully determined by its state, on every platform.
fn next(state: &mut u64) -> u64 {
	*state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
	let mut z = *state;
	z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
	z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
	z ^ (z >> 31)
}

fn parent(left: &Hash32, right: &Hash32) -> Hash32 {
	let mut pair = [0u8; 64];
	pair[..32].copy_from_slice(left);
	pair[32..].copy_from_slice(right);
	blake2_256(&pair)
}

/// The level above `nodes`: pairs hashed together, an odd last node carried up unchanged.
fn level_up(nodes: &[Hash32]) -> Vec<Hash32> {
	nodes
		.chunks(2)
		.map(|pair| match pair {
			[left, right] => parent(left, right),
			[only] => *only,
			_ => unreachable!("chunks(2) yields one or two"),
		})
		.collect()
}

/// A Merkle tree kept whole: every level, leaves first, so each proof is read off in
/// O(depth) (a worker reveals rows of a tree of millions of leaves).
pub struct MerkleTree {
	levels: Vec<Vec<Hash32>>,
}

impl MerkleTree {
	/// The tree over `leaves`.
	pub fn new(leaves: Vec<Hash32>) -> Self {
		let mut levels = alloc::vec![leaves];
		while levels.last().is_some_and(|level| level.len() > 1) {
			let up = level_up(levels.last().expect("checked above"));
			levels.push(up);
		}
		Self { levels }
	}

	/// Its leaves.
	pub fn leaves(&self) -> &[Hash32] {
		&self.levels[0]
	}

	/// Its root; all zeros for no leaves.
	pub fn root(&self) -> Hash32 {
		self.levels.last().and_then(|top| top.first()).copied().unwrap_or([0; 32])
	}

	/// The siblings on the path from leaf `index` to the root, bottom up; a level where the
	/// node is carried up without a sibling adds nothing. `None` if `index` is out of range.
	pub fn proof(&self, index: usize) -> Option<Vec<Hash32>> {
		if index >= self.leaves().len() {
			return None;
		}
		let mut index = index;
		let mut proof = Vec::new();
		for level in &self.levels[..self.levels.len() - 1] {
			if let Some(sibling) = level.get(index ^ 1) {
				proof.push(*sibling);
			}
			index /= 2;
		}
		Some(proof)
	}
}

/// The Merkle root of `leaves`; all zeros for none.
pub fn merkle_root(leaves: &[Hash32]) -> Hash32 {
	MerkleTree::new(leaves.to_vec()).root()
}

/// `MerkleTree::proof` of a tree over `leaves`.
pub fn merkle_proof(leaves: &[Hash32], index: usize) -> Option<Vec<Hash32>> {
	MerkleTree::new(leaves.to_vec()).proof(index)
}

/// Whether `proof` shows `leaf` at `index` among `count` leaves under `root`.
pub fn verify_proof(
	root: &Hash32,
	index: usize,
	count: usize,
	leaf: &Hash32,
	proof: &[Hash32],
) -> bool {
	if index >= count {
		return false;
	}
	let (mut node, mut index, mut width, mut siblings) = (*leaf, index, count, proof.iter());
	while width > 1 {
		let sibling = index ^ 1;
		if sibling < width {
			let Some(other) = siblings.next() else { return false };
			node = if index % 2 == 0 { parent(&node, other) } else { parent(other, &node) };
		}
		index /= 2;
		width = width.div_ceil(2);
	}
	siblings.next().is_none() && &node == root
}

/// The int8 challenge (#15): integer work on the units that make GPUs fast, exact everywhere.
///
/// A challenge of `rows` × `rounds` starts from `rows` seeded rows of [`WIDTH`](rounds::WIDTH) int8 values
/// (`X₀`) and one seeded [`WIDTH`](rounds::WIDTH)×[`WIDTH`](rounds::WIDTH) int8 matrix `B`, and applies `rounds` times
/// `x ← σₜ(x·B)`: the product with int32 accumulation (exact: |x·b| ≤ 2¹⁴, so a sum of
/// [`WIDTH`](rounds::WIDTH) stays below 2²⁴), then [`mix`](rounds::mix) back to int8. It is a chain of int8 GEMMs
/// `[rows × WIDTH]·[WIDTH × WIDTH]`, what tensor cores (IMMA) and CPUs' VNNI/AMX units do; the
/// worker commits to the Merkle root of the final rows' hashes. Rows never mix, so a checker
/// recomputes one row in `rounds` × [`WIDTH`](rounds::WIDTH)² multiply-adds, whatever `rows` is, and the
/// prover's work is `rows` times that. [`mix`](rounds::mix) is not linear, so rounds do not compose into
/// one product (`x·Bᵗ`): each must be computed.
pub mod rounds {
	use super::{blake2_256, next, Hash32, Matrix};
	use alloc::vec::Vec;

	/// Values per row, and the side of `B`.
	pub const WIDTH: usize = 1024;

	/// Row `row` of the seeded int8 matrix `which` (`A` is `X₀`, `B` is `B`), [`WIDTH`]
	/// values, eight from each splitmix64 step; each row has its own generator state.
	pub fn seeded_row(seed: &Hash32, which: Matrix, row: u32) -> Vec<i8> {
		let mut input = [0u8; 38];
		input[..32].copy_from_slice(seed);
		input[32] = which as u8;
		input[33..37].copy_from_slice(&row.to_le_bytes());
		// A domain byte: int8 rows (the retired u32 challenge hashed 37 bytes).
		input[37] = 8;
		let digest = blake2_256(&input);
		let mut state = u64::from_le_bytes(digest[..8].try_into().expect("8 of 32 bytes"));
		let mut out = Vec::with_capacity(WIDTH);
		while out.len() < WIDTH {
			out.extend(next(&mut state).to_le_bytes().map(|b| b as i8));
		}
		out
	}

	/// `B`, row-major: row `p` is `b[p * WIDTH..(p + 1) * WIDTH]`.
	pub fn seeded_b(seed: &Hash32) -> Vec<i8> {
		(0..WIDTH as u32).flat_map(|p| seeded_row(seed, Matrix::B, p)).collect()
	}

	/// σₜ: an int32 sum back to int8, differently in each round. The top byte of a 32-bit
	/// product depends on every bit of the sum through the carries, so it is not linear in
	/// the sum modulo any power of two.
	#[inline]
	pub fn mix(sum: i32, round: u32) -> i8 {
		let tweak = round.wrapping_mul(0x85EB_CA6B);
		(((sum as u32) ^ tweak).wrapping_mul(0x9E37_79B1) >> 24) as u8 as i8
	}

	/// `x·B` for one row, exact in int32 (wrapping only as a guard: it cannot overflow).
	pub fn row_times_b(x: &[i8], b: &[i8], out: &mut [i32]) {
		debug_assert!(x.len() == WIDTH && b.len() == WIDTH * WIDTH && out.len() == WIDTH);
		out.fill(0);
		for (xp, b_p) in x.iter().zip(b.chunks_exact(WIDTH)) {
			let xp = i32::from(*xp);
			if xp == 0 {
				continue;
			}
			for (o, bpj) in out.iter_mut().zip(b_p) {
				*o = o.wrapping_add(xp.wrapping_mul(i32::from(*bpj)));
			}
		}
	}

	/// Row `row` after `rounds` rounds, given `B`: what a checker recomputes, `rounds` ×
	/// [`WIDTH`]² multiply-adds.
	pub fn final_row(seed: &Hash32, b: &[i8], row: u32, rounds: u32) -> Vec<i8> {
		let mut x = seeded_row(seed, Matrix::A, row);
		let mut sums = alloc::vec![0i32; WIDTH];
		for round in 0..rounds {
			row_times_b(&x, b, &mut sums);
			for (xj, sum) in x.iter_mut().zip(&sums) {
				*xj = mix(*sum, round);
			}
		}
		x
	}

	/// A final row's Merkle leaf: the hash of its bytes.
	pub fn leaf(row: &[i8]) -> Hash32 {
		let bytes: Vec<u8> = row.iter().map(|v| *v as u8).collect();
		blake2_256(&bytes)
	}

	/// Rows `indices` after `rounds` rounds, `B` generated once: what a verifier recomputes.
	pub fn final_rows_at(seed: &Hash32, indices: &[u32], rounds: u32) -> Vec<Vec<i8>> {
		let b = seeded_b(seed);
		indices.iter().map(|row| final_row(seed, &b, *row, rounds)).collect()
	}

	/// Every final row: the reference prover, `rows` × `rounds` × [`WIDTH`]² multiply-adds.
	pub fn final_rows(seed: &Hash32, rows: u32, rounds: u32) -> Vec<Vec<i8>> {
		let b = seeded_b(seed);
		(0..rows).map(|row| final_row(seed, &b, row, rounds)).collect()
	}

	#[cfg(test)]
	mod tests {
		use super::*;

		/// Rounds written out independently: a textbook product per round.
		fn reference(seed: &Hash32, row: u32, rounds: u32) -> Vec<i8> {
			let b: Vec<Vec<i8>> =
				(0..WIDTH as u32).map(|p| seeded_row(seed, Matrix::B, p)).collect();
			let mut x = seeded_row(seed, Matrix::A, row);
			for round in 0..rounds {
				x = (0..WIDTH)
					.map(|j| {
						let sum: i64 =
							(0..WIDTH).map(|p| i64::from(x[p]) * i64::from(b[p][j])).sum();
						assert!(sum.unsigned_abs() < 1 << 31, "int32 holds every sum");
						mix(sum as i32, round)
					})
					.collect();
			}
			x
		}

		#[test]
		fn rows_match_the_textbook_rounds() {
			let seed = [3; 32];
			let b = seeded_b(&seed);
			for rounds in [0, 1, 3] {
				assert_eq!(final_row(&seed, &b, 5, rounds), reference(&seed, 5, rounds));
			}
		}

		#[test]
		fn rounds_depend_on_seed_row_and_round_count() {
			let (seed, b) = ([4; 32], seeded_b(&[4; 32]));
			assert_ne!(final_row(&seed, &b, 0, 2), final_row(&seed, &b, 1, 2));
			assert_ne!(final_row(&seed, &b, 0, 2), final_row(&seed, &b, 0, 3));
			assert_ne!(seeded_row(&seed, Matrix::A, 0), seeded_row(&[5; 32], Matrix::A, 0));
			assert_ne!(seeded_row(&seed, Matrix::A, 0), seeded_row(&seed, Matrix::B, 0));
		}

		#[test]
		fn mix_is_not_linear_and_differs_by_round() {
			// Linear maps modulo 256 would send a + b to mix(a) + mix(b).
			let additive = (0..1000).all(|v: i32| {
				mix(v.wrapping_add(977), 0)
					== mix(v, 0).wrapping_add(mix(977, 0)).wrapping_sub(mix(0, 0))
			});
			assert!(!additive);
			assert!((0..64).any(|v| mix(v, 0) != mix(v, 1)));
			// The high bits of a sum matter, not only its low byte (which would compose).
			let high = (0..256).filter(|v| mix(v + (1 << 23), 0) != mix(*v, 0)).count();
			assert!(high > 200, "{high}");
		}

		/// Pinned: a change to the seeding, σ or the leaf breaks every worker, GPU kernel and
		/// validator in the field at once.
		#[test]
		fn the_answer_never_changes() {
			let row = final_rows(&[0; 32], 1, 2).remove(0);
			assert_eq!(row[..8], [47, -13, 46, 111, -63, -51, 96, 75]);
			assert_eq!(
				leaf(&row),
				[
					77, 131, 53, 105, 1, 102, 126, 156, 76, 182, 251, 52, 10, 100, 169, 135, 198,
					145, 119, 102, 120, 105, 32, 62, 131, 113, 228, 142, 69, 51, 10, 35
				]
			);
		}

		#[test]
		fn a_flipped_bit_changes_the_leaf() {
			let row = final_rows(&[6; 32], 1, 1).remove(0);
			let mut flipped = row.clone();
			flipped[17] ^= 1;
			assert_ne!(leaf(&row), leaf(&flipped));
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A distinct leaf per number.
	fn row_leaf(i: &[u32]) -> Hash32 {
		blake2_256(&i[0].to_le_bytes())
	}

	#[test]
	fn every_leaf_proves_under_the_root_for_any_count() {
		for count in 1..=9usize {
			let leaves: Vec<Hash32> = (0..count as u32).map(|i| row_leaf(&[i])).collect();
			let root = merkle_root(&leaves);
			for (index, leaf) in leaves.iter().enumerate() {
				let proof = merkle_proof(&leaves, index).unwrap();
				assert!(verify_proof(&root, index, count, leaf, &proof), "{index} of {count}");
			}
			assert!(merkle_proof(&leaves, count).is_none());
		}
		assert_eq!(merkle_root(&[]), [0; 32]);
	}

	#[test]
	fn tampered_proofs_fail() {
		let leaves: Vec<Hash32> = (0..7u32).map(|i| row_leaf(&[i])).collect();
		let root = merkle_root(&leaves);
		let proof = merkle_proof(&leaves, 2).unwrap();
		assert!(!verify_proof(&root, 2, 7, &row_leaf(&[99]), &proof), "wrong row");
		assert!(!verify_proof(&root, 3, 7, &leaves[2], &proof), "wrong index");
		// The count shapes the right edge, where a last node is carried up without a sibling.
		let last = merkle_proof(&leaves, 6).unwrap();
		assert!(verify_proof(&root, 6, 7, &leaves[6], &last));
		assert!(!verify_proof(&root, 6, 8, &leaves[6], &last), "wrong count");
		assert!(!verify_proof(&root, 7, 7, &leaves[2], &proof), "index out of range");
		let mut bent = proof.clone();
		bent[0][0] ^= 1;
		assert!(!verify_proof(&root, 2, 7, &leaves[2], &bent), "bent sibling");
		assert!(!verify_proof(&root, 2, 7, &leaves[2], &proof[1..]), "short proof");
		let mut long = proof.clone();
		long.push([0; 32]);
		assert!(!verify_proof(&root, 2, 7, &leaves[2], &long), "long proof");
	}
}
