//! Bond ledgers and pending slashes.

use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{traits::Get, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{Balance, FaultKind, MachineId};
use scale_info::TypeInfo;

use crate::Config;

/// Identifies a slash, pending or not.
pub type SlashId = u64;

/// Unbonded funds waiting for their release block.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct UnlockChunk<BlockNumber> {
	pub amount: Balance,
	/// `withdrawUnbonded` may release it from this block on.
	pub unlocks_at: BlockNumber,
}

/// A provider's bond. All of it (`active` and `unlocking`) is held under `ProviderBond`.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(MaxChunks))]
#[codec(mel_bound(BlockNumber: MaxEncodedLen))]
pub struct BondLedger<BlockNumber, MaxChunks: Get<u32>> {
	/// Backs listings: `MinBondPerGpu` per listed or leased GPU.
	pub active: Balance,
	/// Unbonded, still slashable until released.
	pub unlocking: BoundedVec<UnlockChunk<BlockNumber>, MaxChunks>,
	/// Slashes against the provider not yet applied or cancelled; nothing is released while any.
	pub pending_slashes: u32,
	/// What those slashes will take together: a new slash is sized against the rest.
	pub pending_amount: Balance,
	/// The bond per GPU the provider's GPUs were committed at: `MinBondPerGpu` when it last
	/// bonded, unbonded or listed with its bond covering them. A raised rate binds only later
	/// commitments; invariants and slash sizes use the lower of this and the current rate.
	pub rate: Balance,
}

impl<BlockNumber, MaxChunks: Get<u32>> Default for BondLedger<BlockNumber, MaxChunks> {
	fn default() -> Self {
		Self {
			active: 0,
			unlocking: BoundedVec::default(),
			pending_slashes: 0,
			pending_amount: 0,
			rate: 0,
		}
	}
}

impl<BlockNumber: PartialOrd + Copy, MaxChunks: Get<u32>> BondLedger<BlockNumber, MaxChunks> {
	/// Everything held: active and unlocking.
	pub fn total(&self) -> Balance {
		self.unlocking.iter().fold(self.active, |sum, chunk| sum.saturating_add(chunk.amount))
	}

	/// What a new slash may take: everything held less what pending slashes will take.
	pub fn slashable(&self) -> Balance {
		self.total().saturating_sub(self.pending_amount)
	}

	/// Nothing held and nothing pending: the ledger can go.
	pub fn is_empty(&self) -> bool {
		self.total() == 0 && self.pending_slashes == 0
	}

	/// Takes `amount` off the ledger: the active bond first, then the chunks that unlock last.
	pub fn deduct(&mut self, amount: Balance) {
		let from_active = amount.min(self.active);
		self.active = self.active.saturating_sub(from_active);
		let mut rest = amount.saturating_sub(from_active);
		for chunk in self.unlocking.iter_mut().rev() {
			let take = rest.min(chunk.amount);
			chunk.amount = chunk.amount.saturating_sub(take);
			rest = rest.saturating_sub(take);
		}
		self.unlocking.retain(|chunk| chunk.amount > 0);
	}

	/// Removes the chunks unlocked by `now`; returns their sum.
	pub fn take_unlocked(&mut self, now: BlockNumber) -> Balance {
		let mut unlocked: Balance = 0;
		self.unlocking.retain(|chunk| {
			let ready = chunk.unlocks_at <= now;
			if ready {
				unlocked = unlocked.saturating_add(chunk.amount);
			}
			!ready
		});
		unlocked
	}
}

/// A slash waiting out `SlashDeferPeriod`, during which governance may cancel it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct PendingSlash<AccountId, BlockNumber, Renters> {
	pub provider: AccountId,
	pub machine: MachineId,
	pub kind: FaultKind,
	/// What will be taken from the bond (less if the bond has shrunk by then).
	pub amount: Balance,
	/// Gets `ReporterShare` of what is taken, if any.
	pub reporter: Option<AccountId>,
	/// Renters whose leases the fault closed, with what each lease had paid (its loss): they
	/// share `RenterShare` of what is taken in proportion to it, each at most its loss.
	pub renters: Renters,
	pub reported_at: BlockNumber,
	pub applies_at: BlockNumber,
}

/// A ledger of the runtime.
pub type BondLedgerOf<T> = BondLedger<BlockNumberFor<T>, <T as Config>::MaxUnlockingChunks>;
/// The renters a slash compensates.
pub type SlashRentersOf<T> =
	BoundedVec<(<T as frame_system::Config>::AccountId, Balance), <T as Config>::MaxSlashRenters>;
/// A pending slash of the runtime.
pub type PendingSlashOf<T> =
	PendingSlash<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, SlashRentersOf<T>>;
/// A reason given for cancelling a slash.
pub type CancelReasonOf<T> = BoundedVec<u8, <T as Config>::MaxCancelReasonLen>;
