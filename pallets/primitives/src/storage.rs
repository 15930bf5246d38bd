//! Small storage helpers every pallet uses the same way.

use sp_runtime::BoundedVec;

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
}
