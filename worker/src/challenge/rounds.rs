//! The CPU prover of the int8 challenge (`gpux_primitives::challenge::rounds`), as fast as
//! this repository makes it: rows split across every core, and on CPUs with AVX-512 VNNI a
//! kernel that multiplies four rows by `B` at a time with `vpdpbusd` (64 int8 multiply-adds per
//! instruction). It is the CPU side of the sizing in docs/attestation.md: what a server
//! without a GPU reaches, measured (`rounds_throughput`, run with `--ignored`).

// The VNNI kernel uses `core::arch` intrinsics, which are `unsafe`: it runs only where the CPU
// reports the features (checked before every call), and reads and writes only inside the
// slices it is given (the bounds below).
#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
use gpux_primitives::challenge::rounds::mix;
use gpux_primitives::challenge::{
	rounds::{final_row, leaf, seeded_b, seeded_row, WIDTH},
	Hash32, Matrix,
};

/// Rows the VNNI kernel takes at once: 4 rows × 4 registers of 16 sums = 16 accumulators.
const BLOCK: usize = 4;

/// The leaves (hashes of the final rows) of a `rows` × `rounds` challenge, on `threads`
/// threads (at least one).
pub fn leaves(seed: &Hash32, rows: u32, rounds: u32, threads: usize) -> Vec<Hash32> {
	let b = seeded_b(seed);
	leaves_with(seed, &b, &Packed::new(&b), rows, rounds, threads)
}

/// `leaves`, given `B` and its packing.
fn leaves_with(
	seed: &Hash32,
	b: &[i8],
	packed: &Packed,
	rows: u32,
	rounds: u32,
	threads: usize,
) -> Vec<Hash32> {
	let rows: Vec<u32> = (0..rows).collect();
	// Whole blocks per thread: only the last thread may have rows for the reference.
	let per_thread = rows.len().div_ceil(threads.max(1)).next_multiple_of(BLOCK).max(BLOCK);
	std::thread::scope(|scope| {
		let handles: Vec<_> = rows
			.chunks(per_thread)
			.map(|chunk| scope.spawn(move || chunk_leaves(seed, b, packed, chunk, rounds)))
			.collect();
		handles
			.into_iter()
			.flat_map(|h| h.join().expect("a solver thread does not panic"))
			.collect()
	})
}

/// The leaves of `rows`, in order, computed `BLOCK` rows at a time where the CPU can.
fn chunk_leaves(
	seed: &Hash32,
	b: &[i8],
	packed: &Packed,
	rows: &[u32],
	rounds: u32,
) -> Vec<Hash32> {
	let mut out = Vec::with_capacity(rows.len());
	let mut blocks = rows.chunks_exact(BLOCK);
	if vnni_available() {
		for block in blocks.by_ref() {
			let mut xs: Vec<i8> =
				block.iter().flat_map(|row| seeded_row(seed, Matrix::A, *row)).collect();
			// SAFETY: the features were just checked; `xs` holds BLOCK rows of WIDTH.
			unsafe { vnni::run_rounds(&mut xs, packed, rounds) };
			out.extend(xs.chunks_exact(WIDTH).map(leaf));
		}
	}
	// The rest (or every row, without VNNI): the reference, one row at a time.
	let rest = if vnni_available() { blocks.remainder() } else { rows };
	out.extend(rest.iter().map(|row| leaf(&final_row(seed, b, *row, rounds))));
	out
}

pub(super) fn vnni_available() -> bool {
	#[cfg(target_arch = "x86_64")]
	{
		std::arch::is_x86_feature_detected!("avx512f")
			&& std::arch::is_x86_feature_detected!("avx512bw")
			&& std::arch::is_x86_feature_detected!("avx512vnni")
	}
	#[cfg(not(target_arch = "x86_64"))]
	false
}

/// `B` laid out for `vpdpbusd`, and what the unsigned trick owes back.
pub struct Packed {
	/// `bytes[(g·WIDTH + j)·4 + q] = B[4g + q][j]`: each 64-byte load is 16 columns × 4 rows.
	bytes: Vec<i8>,
	/// `128 · Σₚ B[p][j]`: `vpdpbusd` multiplies unsigned by signed, so `x + 128` goes in and
	/// this comes off.
	offsets: Vec<i32>,
}

impl Packed {
	fn new(b: &[i8]) -> Self {
		let mut bytes = vec![0i8; WIDTH * WIDTH];
		let mut offsets = vec![0i32; WIDTH];
		for (p, row) in b.chunks_exact(WIDTH).enumerate() {
			let (g, q) = (p / 4, p % 4);
			for (j, v) in row.iter().enumerate() {
				bytes[(g * WIDTH + j) * 4 + q] = *v;
				offsets[j] += 128 * i32::from(*v);
			}
		}
		Self { bytes, offsets }
	}
}

#[cfg(target_arch = "x86_64")]
mod vnni {
	use core::arch::x86_64::*;

	use super::{mix, Packed, BLOCK, WIDTH};

	/// Columns one accumulator holds, and accumulators per row.
	const LANES: usize = 16;
	const PER_ROW: usize = 4;
	const TILE: usize = LANES * PER_ROW;

	/// `xs` (BLOCK rows of WIDTH) through `rounds` rounds, in place.
	///
	/// # Safety
	/// The CPU has AVX-512 F, BW and VNNI; `xs.len() == BLOCK * WIDTH`.
	#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
	pub unsafe fn run_rounds(xs: &mut [i8], packed: &Packed, rounds: u32) {
		assert_eq!(xs.len(), BLOCK * WIDTH);
		assert_eq!(packed.bytes.len(), WIDTH * WIDTH);
		let mut unsigned = vec![0u8; BLOCK * WIDTH];
		let mut sums = vec![0i32; BLOCK * WIDTH];
		for round in 0..rounds {
			for (u, x) in unsigned.iter_mut().zip(xs.iter()) {
				*u = (*x as u8) ^ 0x80;
			}
			for tile in 0..WIDTH / TILE {
				let mut acc = [[_mm512_setzero_si512(); PER_ROW]; BLOCK];
				for g in 0..WIDTH / 4 {
					// In bounds: (g·WIDTH + tile·TILE)·4 + 4·64 ≤ WIDTH·WIDTH.
					let base = packed.bytes.as_ptr().add((g * WIDTH + tile * TILE) * 4);
					let b = [
						_mm512_loadu_si512(base as *const _),
						_mm512_loadu_si512(base.add(64) as *const _),
						_mm512_loadu_si512(base.add(128) as *const _),
						_mm512_loadu_si512(base.add(192) as *const _),
					];
					for (r, acc_r) in acc.iter_mut().enumerate() {
						// In bounds: r·WIDTH + 4g + 4 ≤ BLOCK·WIDTH.
						let four = core::ptr::read_unaligned(
							unsigned.as_ptr().add(r * WIDTH + 4 * g) as *const i32,
						);
						let x = _mm512_set1_epi32(four);
						for (a, bc) in acc_r.iter_mut().zip(&b) {
							*a = _mm512_dpbusd_epi32(*a, x, *bc);
						}
					}
				}
				for (r, acc_r) in acc.iter().enumerate() {
					for (c, a) in acc_r.iter().enumerate() {
						let at = r * WIDTH + tile * TILE + c * LANES;
						_mm512_storeu_si512(sums.as_mut_ptr().add(at) as *mut _, *a);
					}
				}
			}
			for (i, x) in xs.iter_mut().enumerate() {
				*x = mix(sums[i].wrapping_sub(packed.offsets[i % WIDTH]), round);
			}
		}
	}
}

#[cfg(not(target_arch = "x86_64"))]
mod vnni {
	/// # Safety
	/// Never called: VNNI is only detected on x86-64.
	pub unsafe fn run_rounds(_: &mut [i8], _: &super::Packed, _: u32) {
		unreachable!("only called where x86-64 VNNI was detected")
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_path_gives_the_reference_leaves() {
		let seed = [11; 32];
		let b = seeded_b(&seed);
		// 9 rows: two VNNI blocks (where the CPU has it) and one row by the reference.
		let expected: Vec<Hash32> = (0..9).map(|row| leaf(&final_row(&seed, &b, row, 3))).collect();
		assert_eq!(leaves(&seed, 9, 3, 1), expected);
		// Two threads: 8 rows (two blocks) and 1.
		assert_eq!(leaves(&seed, 9, 3, 2), expected, "rows split across threads");
	}

	/// What `vpdpbusd` computes over the packed layout, in plain Rust: the layout and the
	/// unsigned offset are checked on every CPU, with or without VNNI.
	#[test]
	fn the_packed_layout_and_offset_give_the_product() {
		let seed = [12; 32];
		let b = seeded_b(&seed);
		let packed = Packed::new(&b);
		let x = seeded_row(&seed, Matrix::A, 3);
		let mut expected = vec![0i32; WIDTH];
		gpux_primitives::challenge::rounds::row_times_b(&x, &b, &mut expected);
		let lanes: Vec<i32> = (0..WIDTH)
			.map(|j| {
				let sum: i32 = (0..WIDTH / 4)
					.map(|g| {
						(0..4)
							.map(|q| {
								let unsigned = i32::from((x[4 * g + q] as u8) ^ 0x80);
								unsigned * i32::from(packed.bytes[(g * WIDTH + j) * 4 + q])
							})
							.sum::<i32>()
					})
					.sum();
				sum - packed.offsets[j]
			})
			.collect();
		assert_eq!(lanes, expected);
	}

	/// The CPU side of the class table in docs/attestation.md: int8 operations per second on
	/// every core of this machine. `cargo test --release -p gpux-worker rounds_throughput --
	/// --ignored --nocapture`.
	#[test]
	#[ignore]
	fn rounds_throughput() {
		let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
		let (rows, rounds) = ((threads * 64 * BLOCK) as u32, 32u32);
		let ops = 2.0 * f64::from(rows) * f64::from(rounds) * (WIDTH * WIDTH) as f64;
		let b = seeded_b(&[1; 32]);
		let packed = Packed::new(&b);
		let started = std::time::Instant::now();
		let leaves = leaves_with(&[1; 32], &b, &packed, rows, rounds, threads);
		let secs = started.elapsed().as_secs_f64();
		assert_eq!(leaves.len(), rows as usize);
		let started = std::time::Instant::now();
		let row = final_row(&[1; 32], &b, 0, rounds);
		let check = started.elapsed().as_secs_f64();
		assert_eq!(leaf(&row), leaves[0]);
		println!(
			"vnni: {}, threads: {threads}, {rows} rows × {rounds} rounds: {secs:.3} s, \
			 {:.1} GOPS ({:.1} per thread); one row checked by the reference: {:.1} ms \
			 ({:.2} GOPS)",
			vnni_available(),
			ops / secs / 1e9,
			ops / secs / 1e9 / threads as f64,
			check * 1e3,
			ops / f64::from(rows) / check / 1e9,
		);
	}
}
