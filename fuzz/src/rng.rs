//! SplitMix64: small, fast, and the same sequence for a seed on every machine and Rust release,
//! which is what makes a run reproducible from its seed alone.

/// A seeded pseudo-random generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
	/// The generator for `seed`.
	pub fn new(seed: u64) -> Self {
		Self(seed)
	}

	/// The next 64 random bits.
	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	/// A number in `0..n` (0 when `n` is 0).
	pub fn below(&mut self, n: u64) -> u64 {
		if n == 0 {
			0
		} else {
			self.next_u64() % n
		}
	}

	/// True with probability `percent` / 100.
	pub fn chance(&mut self, percent: u64) -> bool {
		self.below(100) < percent
	}

	/// One element of `items` (which must not be empty).
	pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
		&items[self.below(items.len() as u64) as usize]
	}

	/// `n` random bytes.
	pub fn bytes(&mut self, n: usize) -> Vec<u8> {
		(0..n).map(|_| self.next_u64() as u8).collect()
	}
}

#[cfg(test)]
mod tests {
	use super::Rng;

	#[test]
	fn a_seed_gives_the_same_sequence_every_time() {
		let a: Vec<u64> = (0..4).scan(Rng::new(7), |r, _| Some(r.next_u64())).collect();
		let b: Vec<u64> = (0..4).scan(Rng::new(7), |r, _| Some(r.next_u64())).collect();
		let c: Vec<u64> = (0..4).scan(Rng::new(8), |r, _| Some(r.next_u64())).collect();
		assert_eq!(a, b);
		assert_ne!(a, c);
		// SplitMix64's published first output for seed 0, so the sequence never drifts.
		assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
	}
}
