//! Genesis presets: `development` (Alice alone validates and holds the sudo key) and
//! `local_testnet` (Alice, Bob, Charlie and Dave validate; no sudo key: governance alone
//! changes it). Both use governance's `Fast` track timing. `chain-specs/*.json` are exported
//! from these.

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use gpux_primitives::{
	attestation::ChallengeSize, AccessMethods, ComputeCapability, GpuClassId, ListingTerms,
	MachineSpec, Region, VerifierId,
};

use crate::{
	configs::TreasuryAccount, AccountId, AttestationConfig, Balance, BalancesConfig, BlockNumber,
	GovernanceConfig, MarketplaceConfig, ProviderStakingConfig, RuntimeGenesisConfig, SudoConfig,
	DAYS, EXISTENTIAL_DEPOSIT, MILLI_UNITS, UNITS,
};

/// What each well-known dev account starts with: enough to bond, list and rent for a long time.
pub const ENDOWMENT: Balance = 1_000_000 * UNITS;

/// GPU classes every chain starts with: (model, VRAM per GPU in GiB, price ceiling per GPU-hour).
/// Class ids follow this order: 0 is the RTX 4090.
pub fn gpu_classes() -> Vec<(Vec<u8>, u32, Balance)> {
	vec![
		(b"NVIDIA GeForce RTX 4090".to_vec(), 24, UNITS),
		(b"NVIDIA L40S".to_vec(), 48, 2 * UNITS),
		(b"NVIDIA A100 80GB".to_vec(), 80, 3 * UNITS),
		(b"NVIDIA H100 80GB".to_vec(), 80, 5 * UNITS),
	]
}

/// What the demo provider bonds: its 2 GPUs need 200 GPUX; the rest lets it list more.
pub const DEMO_BOND: Balance = 1_000 * UNITS;

/// The development chain's demo provider: Ferdie, bonded with `DEMO_BOND`, with one listed
/// 2×RTX 4090 machine (id 0) whose worker key is Eve's sr25519 key.
fn demo_market() -> (ProviderStakingConfig, MarketplaceConfig) {
	let ferdie = Sr25519Keyring::Ferdie.to_account_id();
	let spec = MachineSpec {
		gpu_class: 0,
		gpu_count: 2,
		vram_gib_per_gpu: 24,
		compute_capability: ComputeCapability { major: 8, minor: 9 },
		cpu_cores: 32,
		ram_gib: 128,
		disk_gib: 2_000,
		bandwidth_up_mbps: 1_000,
		bandwidth_down_mbps: 1_000,
	};
	let region = Region { country: *b"DE", location: b"Frankfurt".to_vec().try_into().ok() };
	let terms: ListingTerms<Balance, BlockNumber> = ListingTerms {
		on_demand_price: 500 * MILLI_UNITS,
		spot_floor_price: 200 * MILLI_UNITS,
		min_lease_blocks: 10,
		max_lease_blocks: DAYS,
		available_from: 0,
		available_until: None,
		access: AccessMethods { ssh: true, jupyter: true, api: false },
	};
	let staking = ProviderStakingConfig { bonds: vec![(ferdie.clone(), DEMO_BOND)] };
	let market = MarketplaceConfig {
		gpu_classes: gpu_classes(),
		providers: vec![(ferdie.clone(), b"GPUX demo provider".to_vec())],
		machines: vec![(ferdie, spec, Sr25519Keyring::Eve.public().0, region, Some(terms))],
	};
	(staking, market)
}

/// Challenge sizes a CPU answers in a fraction of a second, so dev chains and tests run
/// quickly; a real network's genesis takes `configs::attestation::PRODUCTION_CHALLENGES`.
fn dev_challenge_sizes() -> Vec<(GpuClassId, ChallengeSize)> {
	let size = ChallengeSize { rows: 256, rounds: 8 };
	(0..gpu_classes().len() as GpuClassId).map(|class| (class, size)).collect()
}

/// A validator's keys: Aura, GRANDPA, and the `gpux` key that signs challenge verdicts.
type ValidatorKeys = (AuraId, GrandpaId, VerifierId);

fn testnet_genesis(
	validators: Vec<ValidatorKeys>,
	endowed_accounts: Vec<AccountId>,
	sudo_key: Option<AccountId>,
	(provider_staking, marketplace): (ProviderStakingConfig, MarketplaceConfig),
	challenge_sizes: Vec<(GpuClassId, ChallengeSize)>,
) -> Value {
	// The treasury account must exist for fees below the existential deposit to land.
	let balances = endowed_accounts
		.iter()
		.cloned()
		.map(|k| (k, ENDOWMENT))
		.chain(core::iter::once((TreasuryAccount::get(), EXISTENTIAL_DEPOSIT)))
		.collect::<Vec<_>>();
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		provider_staking,
		marketplace,
		aura: pallet_aura::GenesisConfig {
			authorities: validators.iter().map(|(aura, ..)| aura.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: validators
				.iter()
				.map(|(_, grandpa, _)| (grandpa.clone(), 1))
				.collect::<Vec<_>>(),
		},
		attestation: AttestationConfig {
			verifiers: validators.iter().map(|(.., gpux)| gpux.clone()).collect::<Vec<_>>(),
			challenge_sizes,
		},
		sudo: SudoConfig { key: sudo_key },
		governance: GovernanceConfig {
			timing: pallet_governance::TrackTiming::Fast,
			..Default::default()
		},
	})
}

fn validator(sr: Sr25519Keyring, ed: Ed25519Keyring) -> ValidatorKeys {
	(sr.public().into(), ed.public().into(), sr.public().into())
}

fn endowed_dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// One validator (Alice); every well-known dev account is endowed; Ferdie lists a demo machine.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		endowed_dev_accounts(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		demo_market(),
		dev_challenge_sizes(),
	)
}

/// Four validators (Alice, Bob, Charlie, Dave); every well-known dev account is endowed; no
/// sudo key.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		endowed_dev_accounts(),
		None,
		(
			ProviderStakingConfig::default(),
			MarketplaceConfig { gpu_classes: gpu_classes(), ..Default::default() },
		),
		dev_challenge_sizes(),
	)
}

/// The preset's JSON patch, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	serde_json::to_vec(&patch).ok()
}

/// The names `get_preset` answers to.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
