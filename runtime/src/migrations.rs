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
);

/// Migrations run on every upgrade.
pub type Permanent = ();

/// What `Executive` runs on an upgrade.
pub type Migrations = (Unreleased, Permanent);
