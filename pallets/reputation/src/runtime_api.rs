//! `ReputationApi`: scores and their breakdown (`api.call.reputationApi.*` in polkadot.js).

use codec::{Codec, Decode, Encode};
use gpux_primitives::MachineId;
use scale_info::TypeInfo;
use sp_runtime::Permill;

use crate::ScoreRecord;

/// A score with the components and counts behind it, decayed to the block queried.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ReputationView<BlockNumber> {
	/// The weighted mean of the components: what the market filters and sorts on.
	pub score: Permill,
	pub record: ScoreRecord<BlockNumber>,
}

sp_api::decl_runtime_apis! {
	/// Reading reputation.
	pub trait ReputationApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// A machine's score and breakdown (neutral for a machine with no history).
		fn machine_reputation(machine: MachineId) -> ReputationView<BlockNumber>;
		/// A provider's score and breakdown, over all its machines.
		fn provider_reputation(provider: AccountId) -> ReputationView<BlockNumber>;
	}
}
