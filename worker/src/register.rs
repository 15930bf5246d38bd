//! `register`: put this machine on chain with the specs its GPUs report, under a provider
//! account. With `--provider-suri` the worker signs and sends `marketplace.registerMachine`
//! itself; without, it prints the call for the provider to sign in polkadot.js, so the
//! provider's key never needs to be on the machine.

use codec::Encode;
use gpux_primitives::{AccountId, GpuClassId, MachineId, Region, WorkerKey};
use gpux_runtime::RuntimeCall;
use sp_core::{crypto::Ss58Codec, sr25519, Pair};

use crate::{
	chain::{self, keys, model_key, HostFacts},
	client::{Chain, Submitted},
	error::Error,
	gpu::GpuProbe,
	signer::{parse_account, MachineKey},
};

/// `register`'s options.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
	/// The provider account's secret (seed, mnemonic or `//Dev` path) to sign with; without
	/// it the call is printed for polkadot.js.
	#[arg(long, env = "GPUX_PROVIDER_SURI", hide_env_values = true)]
	provider_suri: Option<String>,
	/// The provider's address, when the call is printed for polkadot.js (the worker key's
	/// proof of possession names it).
	#[arg(long, conflicts_with = "provider_suri")]
	provider: Option<String>,
	/// The GPU class id, if the GPUs' model name does not match a class's.
	#[arg(long)]
	gpu_class: Option<GpuClassId>,
	/// ISO 3166 country code where the machine is.
	#[arg(long, default_value = "DE")]
	region: String,
	/// Disk for leases, GiB.
	#[arg(long, default_value_t = 500)]
	disk_gib: u32,
	/// Network bandwidth each way, Mbit/s.
	#[arg(long, default_value_t = 1_000)]
	bandwidth_mbps: u32,
}

/// The class whose model matches the GPUs' name.
async fn find_class(chain: &Chain, gpu_name: &str) -> Result<Option<GpuClassId>, Error> {
	use frame_support::storage::generator::StorageValue;
	let next: GpuClassId = chain
		.storage(
			&pallet_marketplace::NextGpuClassId::<gpux_runtime::Runtime>::storage_value_final_key(),
		)
		.await?
		.unwrap_or_default();
	let wanted = model_key(gpu_name);
	for class in 0..next {
		let record: Option<pallet_marketplace::GpuClassOf<gpux_runtime::Runtime>> =
			chain.storage(&keys::gpu_class(class)).await?;
		if record.is_some_and(|c| model_key(&String::from_utf8_lossy(&c.model)) == wanted) {
			return Ok(Some(class));
		}
	}
	Ok(None)
}

/// `prove-key`: print this machine's worker key and its proof of possession for `provider`,
/// for `setWorkerKey` (rotating a machine onto this host's key) or a hand-made
/// `registerMachine`.
pub async fn prove_key(url: &str, key: &MachineKey, provider: &str) -> Result<(), Error> {
	let chain = Chain::connect(url).await?;
	let account = parse_account(provider)?;
	println!("worker key: {}", key.public_hex());
	println!("key proof:  0x{}", hex::encode(key.prove_possession(&account, &chain.genesis).0));
	Ok(())
}

/// The machine registered with `key`, if any.
async fn machine_of(chain: &Chain, key: WorkerKey) -> Result<Option<MachineId>, Error> {
	Ok(chain.storage(&keys::machine_of_key(key)).await?)
}

pub async fn register(
	url: &str,
	key: &MachineKey,
	probe: &dyn GpuProbe,
	args: RegisterArgs,
) -> Result<(), Error> {
	let chain = Chain::connect(url).await?;
	if let Some(machine) = machine_of(&chain, key.public()).await? {
		println!("already registered: machine {machine}");
		return Ok(());
	}
	let report = probe.read()?;
	let first = report.gpus.first().ok_or_else(|| Error::Config("no GPUs found".into()))?;
	let class = match args.gpu_class {
		Some(class) => class,
		None => find_class(&chain, &first.name).await?.ok_or_else(|| {
			Error::Config(format!(
				"no GPU class matches `{}`; pass --gpu-class ID (see marketplace.gpuClasses)",
				first.name
			))
		})?,
	};
	let host = HostFacts {
		cpu_cores: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
		ram_gib: chain::host_ram_gib(),
		disk_gib: args.disk_gib,
		bandwidth_up_mbps: args.bandwidth_mbps,
		bandwidth_down_mbps: args.bandwidth_mbps,
	};
	let spec = chain::machine_spec(&report, class, &host).ok_or_else(|| {
		Error::Config(format!(
			"GPU 0's memory or compute capability could not be read ({} readings failed); \
			 `gpux-worker status` shows which",
			report.errors
		))
	})?;
	let country: [u8; 2] =
		args.region.to_ascii_uppercase().as_bytes().try_into().map_err(|_| {
			Error::Config(format!("region `{}` is not a 2-letter country code", args.region))
		})?;
	let provider =
		match &args.provider_suri {
			Some(suri) => Some(sr25519::Pair::from_string(suri, None).map_err(|e| {
				Error::Config(format!("--provider-suri is not a valid secret: {e:?}"))
			})?),
			None => None,
		};
	let account: AccountId = match (&provider, &args.provider) {
		(Some(pair), _) => pair.public().into(),
		(None, Some(address)) => parse_account(address)?,
		(None, None) => {
			return Err(Error::Config(
				"whose machine? pass --provider-suri, or --provider ADDRESS to print the call"
					.into(),
			))
		},
	};
	let call = RuntimeCall::Marketplace(pallet_marketplace::Call::register_machine {
		spec,
		worker_key: key.public(),
		key_proof: key.prove_possession(&account, &chain.genesis),
		region: Region { country, location: None },
		fleet: None,
	});
	let Some(provider) = provider else {
		println!("sign and submit this call from the provider's account (polkadot.js:");
		println!("Developer → Extrinsics → Decode), then run `gpux-worker run --machine ID`:");
		println!("0x{}", hex::encode(call.encode()));
		return Ok(());
	};
	let account = account.to_ss58check_with_version(gpux_primitives::SS58_PREFIX.into());
	// The generic prefix: nodes read it whatever their default address format.
	let nonce = chain.next_nonce(&provider.public().to_ss58check()).await?;
	let versions = chain.runtime_version().await?;
	let xt = chain::signed(call, &provider, nonce, chain.genesis, versions);
	match chain.submit(&xt).await? {
		Submitted::Accepted => {},
		Submitted::Refused(code) => return Err(Error::Refused(format!("custom error {code}"))),
		Submitted::Invalid(why) => return Err(Error::Refused(why)),
	}
	// Included within a few blocks, or it failed (e.g. the provider is not registered).
	for _ in 0..30 {
		tokio::time::sleep(std::time::Duration::from_secs(1)).await;
		if let Some(machine) = machine_of(&chain, key.public()).await? {
			println!("registered: machine {machine} (provider {account})");
			println!("next: gpux-worker run --machine {machine}");
			return Ok(());
		}
	}
	Err(Error::Refused(format!(
		"registerMachine from {account} did not register the machine; check the provider is \
		 registered (marketplace.registerProvider) and the events of its last transaction"
	)))
}
