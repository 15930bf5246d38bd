//! Storage migrations the next runtime upgrade runs, after the pallets' own
//! `on_runtime_upgrade` hooks.
//!
//! Every pallet declares its storage version (layout 1 at launch). A release that changes a
//! layout bumps that pallet's version and adds a `frame_support::migrations::VersionedMigration`
//! from the old version to the new one to `Unreleased`; it moves out once every network runs
//! that release. `Permanent` holds what must run on every upgrade. The runtime upgrade by
//! referendum (docs/governance.md) runs this list; each migration has its pallet's test, and
//! `tests::migrations` checks that this list moves a chain in the old layouts to the new ones.

/// Migrations of the release being prepared.
pub type Unreleased = (
	pallet_attestation::migrations::MigrateV1ToV2<crate::Runtime>,
	pallet_attestation::migrations::MigrateV2ToV3<crate::Runtime>,
	pallet_attestation::migrations::MigrateV3ToV4<crate::Runtime>,
	pallet_attestation::migrations::MigrateV4ToV5<crate::Runtime>,
	DropUndecodableDefaultChallengeSize,
);

/// Migrations run on every upgrade.
pub type Permanent = ();

/// What `Executive` runs on an upgrade.
pub type Migrations = (Unreleased, Permanent);

/// `Attestation.DefaultChallengeSize` was a matrix side (`u32`) until spec 130 and is a
/// `ChallengeSize` since: a value governance set before no longer decodes (the default applies)
/// and would fail a whole-state decode check. It is removed if, and only if, it does not decode,
/// so running this again, or after governance sets a new size, changes nothing.
pub struct DropUndecodableDefaultChallengeSize;

impl frame_support::traits::OnRuntimeUpgrade for DropUndecodableDefaultChallengeSize {
	fn on_runtime_upgrade() -> frame_support::weights::Weight {
		use crate::configs::{dynamic_params::attestation, RuntimeParametersKey};
		let key = RuntimeParametersKey::Attestation(
			attestation::ParametersKey::DefaultChallengeSize(attestation::DefaultChallengeSize),
		);
		let weight = <crate::Runtime as frame_system::Config>::DbWeight::get();
		let raw = pallet_parameters::Parameters::<crate::Runtime>::hashed_key_for(&key);
		if frame_support::storage::unhashed::exists(&raw)
			&& pallet_parameters::Parameters::<crate::Runtime>::try_get(&key).is_err()
		{
			frame_support::storage::unhashed::kill(&raw);
			return weight.reads_writes(2, 1);
		}
		weight.reads(2)
	}
}
