//! How pallets reach each other. The runtime wires the implementations; mocks fake them.

use crate::market::{ListedMachine, MachineId};

/// The marketplace, as the leases pallet sees it.
pub trait MachineRegistry<AccountId, Balance, BlockNumber> {
	/// The machine and its terms, if it exists and is listed now.
	fn listed_machine(machine: MachineId)
		-> Option<ListedMachine<AccountId, Balance, BlockNumber>>;
	/// How many GPUs the machine has, if it is registered (listed or not).
	fn machine_gpus(machine: MachineId) -> Option<u32>;
	/// Whether the machine is registered (listed or not).
	fn machine_exists(machine: MachineId) -> bool {
		Self::machine_gpus(machine).is_some()
	}
}

/// The leases pallet, as the marketplace sees it.
pub trait LeaseRegistry {
	/// Leases on `machine` that are not closed yet.
	fn open_leases_on(machine: MachineId) -> u32;
}

/// No leases anywhere: for runtimes and tests without a leases pallet.
impl LeaseRegistry for () {
	fn open_leases_on(_: MachineId) -> u32 {
		0
	}
}
