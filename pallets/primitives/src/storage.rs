//! Small storage helpers every pallet uses the same way.

use sp_runtime::{
	traits::{One, Saturating},
	BoundedVec,
};

/// Removes `item` from a stored bounded list, and the entry itself once the list is empty:
/// the body of a `StorageMap::mutate_exists` over lists of ids.
pub fn remove_from_list<T: PartialEq, S>(list: &mut Option<BoundedVec<T, S>>, item: &T) {
	if let Some(items) = list {
		items.retain(|x| x != item);
		if items.is_empty() {
			*list = None;
		}
	}
}

/// Offers `block`, then each next block, at most `max_delay` blocks later, to `push` until it
/// takes the item: the per-block schedules (lease closes, slashes) put work at the first block
/// with room. Returns that block, or `None` if none had room. `push` should be a
/// `StorageMap::try_mutate` that fails on a full list, so a full block is read, not rewritten.
pub fn first_block_with_room<B: Saturating + One + Copy>(
	block: B,
	max_delay: u32,
	mut push: impl FnMut(B) -> bool,
) -> Option<B> {
	let mut block = block;
	for _ in 0..=max_delay {
		if push(block) {
			return Some(block);
		}
		block = block.saturating_add(One::one());
	}
	None
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::ConstU32;

	#[test]
	fn removes_the_item_and_then_the_empty_list() {
		let mut list: Option<BoundedVec<u64, ConstU32<4>>> =
			Some(vec![1, 2, 1].try_into().unwrap());
		remove_from_list(&mut list, &1);
		assert_eq!(list.as_ref().map(|l| l.to_vec()), Some(vec![2]));
		remove_from_list(&mut list, &3);
		assert_eq!(list.as_ref().map(|l| l.to_vec()), Some(vec![2]));
		remove_from_list(&mut list, &2);
		assert_eq!(list, None);
		remove_from_list(&mut list, &2);
		assert_eq!(list, None);
	}

	#[test]
	fn finds_the_first_block_with_room_within_the_delay() {
		let full = [10u32, 11];
		assert_eq!(first_block_with_room(10u32, 2, |b| !full.contains(&b)), Some(12));
		assert_eq!(first_block_with_room(10u32, 1, |b| !full.contains(&b)), None);
		assert_eq!(first_block_with_room(5u32, 0, |_| true), Some(5));
	}
}
