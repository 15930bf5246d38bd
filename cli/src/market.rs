//! The renter's market: listings, quotes, direct rents, orders and jobs.

use clap::{Args, Subcommand, ValueEnum};
use frame_support::traits::Get;
use gpux_client::{format, rpc::Chain};
use gpux_primitives::{
	access::{check_ssh_public_key, is_valid_seal_key, SshKeyError},
	attestation::AccessMethod,
	AccessSpec, Balance, ComputeCapability, LeaseMode, NoMatch, Requirements,
};
use gpux_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use pallet_marketplace::runtime_api::{ListingFilter, ListingSort, Page, Quote, MAX_PAGE_LEN};
use serde_json::{json, Value};
use sp_runtime::Permill;

use crate::{
	chain::{self, Listing},
	output::Out,
	Error, KeyArgs,
};

/// Blocks per hour at the chain's 6-second slots (prices are per GPU-hour).
pub use gpux_primitives::time::BLOCKS_PER_HOUR;

/// The least escrow a rent holds.
fn min_escrow() -> Balance {
	<Runtime as pallet_leases::Config>::MinEscrow::get()
}

/// What the machine must have: the filters of `listings`, and an order's or a job's
/// requirements.
#[derive(Args, Clone, Default)]
pub struct Needs {
	/// GPU class id (see `gpux listings`).
	#[arg(long)]
	class: Option<u32>,
	/// GPU memory per GPU, at least (GiB).
	#[arg(long)]
	min_vram: Option<u32>,
	/// CUDA compute capability, at least (e.g. 8.9).
	#[arg(long, value_parser = parse_capability)]
	min_cc: Option<ComputeCapability>,
	#[arg(long)]
	min_cpu_cores: Option<u32>,
	#[arg(long)]
	min_ram: Option<u32>,
	#[arg(long)]
	min_disk: Option<u32>,
	/// Upload bandwidth, at least (Mbit/s).
	#[arg(long)]
	min_up: Option<u32>,
	/// Download bandwidth, at least (Mbit/s).
	#[arg(long)]
	min_down: Option<u32>,
	/// Two-letter country code.
	#[arg(long, value_parser = parse_country)]
	country: Option<[u8; 2]>,
	/// Reputation, at least (percent).
	#[arg(long)]
	min_reputation: Option<f64>,
	/// An access method the machine must offer.
	#[arg(long, value_enum)]
	access: Option<Access>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Access {
	Ssh,
	Jupyter,
	Api,
}

impl From<Access> for AccessMethod {
	fn from(a: Access) -> Self {
		match a {
			Access::Ssh => AccessMethod::Ssh,
			Access::Jupyter => AccessMethod::Jupyter,
			Access::Api => AccessMethod::Api,
		}
	}
}

#[derive(Clone, Copy, ValueEnum, Default)]
pub enum Mode {
	#[default]
	OnDemand,
	Spot,
}

impl From<Mode> for LeaseMode {
	fn from(m: Mode) -> Self {
		match m {
			Mode::OnDemand => LeaseMode::OnDemand,
			Mode::Spot => LeaseMode::Spot,
		}
	}
}

#[derive(Clone, Copy, ValueEnum, Default)]
pub enum Sort {
	#[default]
	Price,
	PriceDesc,
	Reputation,
	/// Price adjusted for reputation (the matching engine's ranking).
	Adjusted,
}

impl Needs {
	fn min_reputation(&self) -> Result<Option<Permill>, Error> {
		self.min_reputation
			.map(|pct| {
				if (0.0..=100.0).contains(&pct) {
					Ok(Permill::from_parts((pct * 10_000.0).round() as u32))
				} else {
					Err(Error::Input(format!("--min-reputation {pct} is not a percentage")))
				}
			})
			.transpose()
	}

	fn requirements(&self) -> Result<Requirements, Error> {
		Ok(Requirements {
			gpu_class: self.class,
			min_vram_gib: self.min_vram.unwrap_or_default(),
			min_compute_capability: self.min_cc,
			min_cpu_cores: self.min_cpu_cores.unwrap_or_default(),
			min_ram_gib: self.min_ram.unwrap_or_default(),
			min_disk_gib: self.min_disk.unwrap_or_default(),
			min_bandwidth_up_mbps: self.min_up.unwrap_or_default(),
			min_bandwidth_down_mbps: self.min_down.unwrap_or_default(),
			country: self.country,
			min_reputation: self.min_reputation()?,
			access: self.access.map(Into::into),
		})
	}
}

fn parse_capability(text: &str) -> Result<ComputeCapability, String> {
	let (major, minor) = text.split_once('.').ok_or("expected MAJOR.MINOR, e.g. 8.9")?;
	Ok(ComputeCapability {
		major: major.parse().map_err(|_| "expected MAJOR.MINOR, e.g. 8.9")?,
		minor: minor.parse().map_err(|_| "expected MAJOR.MINOR, e.g. 8.9")?,
	})
}

fn parse_country(text: &str) -> Result<[u8; 2], String> {
	let up = text.to_ascii_uppercase();
	match up.as_bytes() {
		[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok([*a, *b]),
		_ => Err("expected a two-letter country code such as DE".into()),
	}
}

/// An amount of GPUX (`0.5`, `12`).
pub fn parse_amount(text: &str) -> Result<Balance, String> {
	format::parse_tokens(text).ok_or_else(|| format!("`{text}` is not an amount of GPUX, e.g. 0.5"))
}

/// A lease length: `--hours H` (600 blocks an hour) or `--blocks B`.
#[derive(Args, Clone, Copy)]
pub struct Length {
	/// Hours (600 blocks each).
	#[arg(long, conflicts_with = "blocks")]
	hours: Option<f64>,
	/// Blocks (6 s each on chain).
	#[arg(long)]
	blocks: Option<u32>,
}

impl Length {
	/// The length in blocks; an error unless exactly one of `--hours`/`--blocks` is above zero.
	pub fn blocks(&self) -> Result<u32, Error> {
		match (self.hours, self.blocks) {
			(_, Some(b)) if b > 0 => Ok(b),
			(Some(h), None) if h > 0.0 && h * f64::from(BLOCKS_PER_HOUR) <= f64::from(u32::MAX) => {
				Ok((h * f64::from(BLOCKS_PER_HOUR)).round().max(1.0) as u32)
			},
			(None, None) => Err(Error::Input("give the length: --hours H or --blocks B".into())),
			_ => Err(Error::Input(format!(
				"the length must be above zero and at most {} blocks",
				u32::MAX
			))),
		}
	}
}

#[derive(Args)]
pub struct ListingsArgs {
	#[command(flatten)]
	needs: Needs,
	/// Model name contains (e.g. 4090).
	#[arg(long)]
	model: Option<String>,
	/// Free GPUs, at least.
	#[arg(long)]
	gpus: Option<u32>,
	/// Price per GPU-hour, at most (GPUX).
	#[arg(long, value_parser = parse_amount)]
	max_price: Option<Balance>,
	/// Which price filters and sorts: on-demand or the spot floor.
	#[arg(long, value_enum, default_value = "on-demand")]
	mode: Mode,
	/// A lease length (blocks) the listing must take.
	#[arg(long)]
	lease_blocks: Option<u32>,
	/// NVIDIA driver version, at least (e.g. 550.54).
	#[arg(long)]
	min_driver: Option<String>,
	/// Uptime, at least (percent).
	#[arg(long)]
	min_uptime: Option<f64>,
	#[arg(long, value_enum, default_value = "price")]
	sort: Sort,
	#[arg(long, default_value_t = 20)]
	limit: u32,
	#[arg(long, default_value_t = 0)]
	offset: u32,
}

pub async fn listings(chain: &Chain, args: ListingsArgs, out: &Out) -> Result<(), Error> {
	if args.limit == 0 || args.limit > MAX_PAGE_LEN {
		return Err(Error::Input(format!("--limit must be 1 to {MAX_PAGE_LEN}")));
	}
	let min_uptime = args
		.min_uptime
		.map(|p| {
			(0.0..=100.0)
				.contains(&p)
				.then(|| Permill::from_parts((p * 10_000.0).round() as u32))
				.ok_or_else(|| Error::Input(format!("--min-uptime {p} is not a percentage")))
		})
		.transpose()?;
	let filter = ListingFilter {
		gpu_class: args.needs.class,
		model: args.model.map(String::into_bytes),
		min_vram_gib: args.needs.min_vram,
		min_free_gpus: args.gpus,
		max_price: args.max_price,
		country: args.needs.country,
		mode: Some(args.mode.into()),
		min_reputation: args.needs.min_reputation()?,
		min_cpu_cores: args.needs.min_cpu_cores,
		min_ram_gib: args.needs.min_ram,
		min_disk_gib: args.needs.min_disk,
		min_bandwidth_up_mbps: args.needs.min_up,
		min_bandwidth_down_mbps: args.needs.min_down,
		min_compute_capability: args.needs.min_cc,
		access: args.needs.access.map(Into::into),
		lease_blocks: args.lease_blocks,
		min_driver_version: args.min_driver.map(String::into_bytes),
		min_uptime,
	};
	let sort = match args.sort {
		Sort::Price => ListingSort::PriceAscending,
		Sort::PriceDesc => ListingSort::PriceDescending,
		Sort::Reputation => ListingSort::ReputationDescending,
		Sort::Adjusted => ListingSort::AdjustedPriceAscending,
	};
	let page = Page { offset: args.offset, limit: args.limit };
	let found: Vec<Listing> =
		chain::api(chain, "MarketplaceApi_listings", (filter, sort, page)).await?;
	out.result(
		|| {
			let mut text = format!(
				"{:>8}  {:<28} {:>4} {:>4}  {:<14} {:>14}  {:>6}\n",
				"machine", "GPUs", "free", "GiB", "region", "per GPU-hour", "rep."
			);
			for l in &found {
				text += &format!(
					"{:>8}  {:<28} {:>4} {:>4}  {:<14} {:>14}  {:>5.1}%\n",
					l.machine,
					format!("{} × {}", l.spec.gpu_count, format::printable(&l.model)),
					l.free_gpus,
					l.spec.vram_gib_per_gpu,
					region(&l.region),
					format::tokens(l.price_per_gpu_hour),
					f64::from(l.reputation.deconstruct()) / 10_000.0,
				);
			}
			if found.is_empty() {
				text += "no listing matches\n";
			}
			text
		},
		Value::Array(found.iter().map(listing_json).collect()),
	);
	Ok(())
}

/// The region as the provider gave it, made safe to print.
fn region(r: &gpux_primitives::Region) -> String {
	let country = format::printable(&r.country);
	match &r.location {
		Some(l) => format!("{country}/{}", format::printable(l)),
		None => country,
	}
}

pub fn listing_json(l: &Listing) -> Value {
	json!({
		"machine": l.machine,
		"provider": format::address(&l.provider),
		"model": format::printable(&l.model),
		"gpus": l.spec.gpu_count,
		"freeGpus": l.free_gpus,
		"vramGibPerGpu": l.spec.vram_gib_per_gpu,
		"region": region(&l.region),
		"pricePerGpuHour": l.price_per_gpu_hour.to_string(),
		"onDemandPrice": l.terms.on_demand_price.to_string(),
		"spotFloorPrice": l.terms.spot_floor_price.to_string(),
		"minLeaseBlocks": l.terms.min_lease_blocks,
		"maxLeaseBlocks": l.terms.max_lease_blocks,
		"reputationPermill": l.reputation.deconstruct(),
		"uptimePermill": l.uptime.map(|u| u.deconstruct()),
	})
}

/// What a renter wants: a quote's question, an order's terms.
#[derive(Args)]
pub struct QuoteArgs {
	#[command(flatten)]
	needs: Needs,
	#[arg(long, default_value_t = 1)]
	gpus: u32,
	#[command(flatten)]
	length: Length,
	#[arg(long, value_enum, default_value = "on-demand")]
	mode: Mode,
}

pub async fn quote(chain: &Chain, args: QuoteArgs, out: &Out) -> Result<(), Error> {
	let blocks = args.length.blocks()?;
	let mode: LeaseMode = args.mode.into();
	let answer: Result<Quote<gpux_primitives::AccountId, u32>, NoMatch> = chain::api(
		chain,
		"MarketplaceApi_quote",
		(args.needs.requirements()?, args.gpus, blocks, mode),
	)
	.await?;
	match answer {
		Ok(q) => {
			out.result(
				|| {
					format!(
						"machine {} at {} per GPU-hour: {} for {} GPU(s) × {blocks} blocks",
						q.listing.machine,
						format::tokens(q.listing.price_per_gpu_hour),
						format::tokens(q.total),
						args.gpus
					)
				},
				json!({ "listing": listing_json(&q.listing), "total": q.total.to_string(), "blocks": blocks }),
			);
			Ok(())
		},
		Err(why) => Err(Error::NotFound(format!("nothing matches: {why:?}"))),
	}
}

/// The access a renter gives: the SSH key (a file or the line itself) and an optional seal key.
#[derive(Args, Clone)]
pub struct AccessArgs {
	/// Your SSH public key: a file (e.g. ~/.ssh/id_ed25519.pub) or the key line.
	#[arg(long)]
	ssh_key: String,
	/// Your seal public key (`0x` and 64 hex digits, from `gpux seal-key`): the Jupyter token is
	/// sealed to it.
	#[arg(long)]
	seal_key: Option<String>,
}

impl AccessArgs {
	/// The access spec, checked as the chain checks it.
	pub fn spec(&self) -> Result<AccessSpec, Error> {
		let line = match std::fs::read_to_string(&self.ssh_key) {
			Ok(text) => text.trim().to_string(),
			Err(_) if self.ssh_key.contains(' ') => self.ssh_key.trim().to_string(),
			Err(e) => return Err(Error::Input(format!("--ssh-key {}: {e}", self.ssh_key))),
		};
		check_ssh_public_key(line.as_bytes()).map_err(|e| {
			Error::Input(format!(
				"the SSH key is refused (MalformedSshKey): {}",
				match e {
					SshKeyError::NotOneLine => "not one line of printable ASCII",
					SshKeyError::UnknownType =>
						"not `TYPE BASE64 [COMMENT]` with a type sshd accepts",
					SshKeyError::BadKeyData => "its base64 part is not a key of the named type",
				}
			))
		})?;
		let ssh_public_key = line.into_bytes().try_into().map_err(|_| {
			Error::Input(format!(
				"the SSH key is longer than {} bytes",
				gpux_primitives::market::MAX_SSH_KEY_LEN
			))
		})?;
		let seal_key = self
			.seal_key
			.as_deref()
			.map(|hex| {
				let key: [u8; 32] = hex::decode(hex.trim_start_matches("0x"))
					.ok()
					.and_then(|b| b.try_into().ok())
					.ok_or_else(|| Error::Input("--seal-key is not 0x and 64 hex digits".into()))?;
				if is_valid_seal_key(&key) {
					Ok(key)
				} else {
					Err(Error::Input(
						"--seal-key is a weak key anyone could open (MalformedSealKey)".into(),
					))
				}
			})
			.transpose()?;
		Ok(AccessSpec { ssh_public_key, seal_key })
	}
}

#[derive(Args)]
pub struct RentArgs {
	machine: u64,
	#[arg(long, default_value_t = 1)]
	gpus: u32,
	#[command(flatten)]
	length: Length,
	/// Spot (preemptible): `--max-price` is then your bid.
	#[arg(long)]
	spot: bool,
	/// Price per GPU-hour at most (GPUX); on demand, the listing's price if not given.
	#[arg(long, value_parser = parse_amount)]
	max_price: Option<Balance>,
	#[command(flatten)]
	access: AccessArgs,
}

pub async fn rent(chain: &Chain, key: &KeyArgs, args: RentArgs, out: &Out) -> Result<(), Error> {
	let blocks = args.length.blocks()?;
	let access = args.access.spec()?;
	let machine = chain::machine(chain, args.machine).await?;
	let terms = machine.listing.ok_or_else(|| {
		Error::Input(format!("machine {} is not listed (NotListed)", args.machine))
	})?;
	// More GPUs than are free is the chain's to judge: a rent can preempt spot leases.
	if args.gpus == 0 || args.gpus > machine.spec.gpu_count {
		return Err(Error::Input(format!(
			"machine {} has {} GPU(s), asked for {} (NoFreeGpus)",
			args.machine, machine.spec.gpu_count, args.gpus
		)));
	}
	if blocks < terms.min_lease_blocks || blocks > terms.max_lease_blocks {
		return Err(Error::Input(format!(
			"the listing takes leases of {} to {} blocks, asked for {blocks} (DurationOutOfBounds)",
			terms.min_lease_blocks, terms.max_lease_blocks
		)));
	}
	// The rent runs in the next block.
	let now = chain::best(chain).await?.saturating_add(1);
	if terms.available_from > now {
		return Err(Error::Input(format!(
			"the machine is listed from block {} (NotAvailableYet)",
			terms.available_from
		)));
	}
	if let Some(until) = terms.available_until {
		if now.saturating_add(blocks) > until {
			return Err(Error::Input(format!(
				"the machine is listed until block {until}: at most {} blocks from the next block (DurationOutOfBounds)",
				until.saturating_sub(now)
			)));
		}
	}
	let mode = if args.spot { LeaseMode::Spot } else { LeaseMode::OnDemand };
	let price = match (mode, args.max_price) {
		(LeaseMode::OnDemand, Some(max)) if max < terms.on_demand_price => {
			return Err(Error::Input(format!(
				"the listing asks {} per GPU-hour, above --max-price (PriceAboveMax)",
				format::tokens(terms.on_demand_price)
			)))
		},
		(LeaseMode::OnDemand, _) => terms.on_demand_price,
		(LeaseMode::Spot, Some(bid)) if bid < terms.spot_floor_price => {
			return Err(Error::Input(format!(
				"the bid is below the listing's spot floor of {} (BidBelowFloor)",
				format::tokens(terms.spot_floor_price)
			)))
		},
		(LeaseMode::Spot, Some(bid)) => bid,
		(LeaseMode::Spot, None) => {
			return Err(Error::Input("a spot rent needs --max-price, your bid".into()))
		},
	};
	let mfp = chain::mfp(chain, machine.spec.gpu_class).await?;
	let spot_price = chain::spot_price(chain, machine.spec.gpu_class).await?;
	if price > mfp {
		return Err(Error::Input(format!(
			"{} per GPU-hour is above the class's Maximum Fair Price, {} (PriceAboveMfp)",
			format::tokens(price),
			format::tokens(mfp)
		)));
	}
	if mode == LeaseMode::Spot && price < spot_price {
		return Err(Error::Input(format!(
			"the bid is below the class's spot price now, {} (BidBelowSpotPrice)",
			format::tokens(spot_price)
		)));
	}
	let escrow = chain::lease_cost(price, args.gpus, blocks)?;
	if escrow < min_escrow() {
		return Err(Error::Input(format!(
			"the lease would cost {}, under the {} minimum escrow (EscrowBelowMinimum)",
			format::tokens(escrow),
			format::tokens(min_escrow())
		)));
	}
	let call = RuntimeCall::Leases(pallet_leases::Call::rent {
		machine: args.machine,
		gpus: args.gpus,
		mode,
		duration: blocks,
		max_price_per_gpu_hour: price,
		access,
	});
	let included = chain::send(chain, key, call, escrow, out).await?;
	let rented = chain::find(&included.events, |e| match e {
		RuntimeEvent::Leases(pallet_leases::Event::Rented {
			lease,
			starts_at,
			ends_at,
			escrow,
			..
		}) => Some((*lease, *starts_at, *ends_at, *escrow)),
		_ => None,
	})
	.ok_or_else(|| Error::NotFound("the rent was included but no Rented event was found".into()))?;
	let (lease, starts_at, ends_at, escrow) = rented;
	out.result(
		|| {
			format!(
				"lease {lease}: machine {}, {} GPU(s), blocks {starts_at}–{ends_at}, {} held in escrow\nnext: `gpux leases` for the connection once the worker attests the start, then `gpux ssh {lease}`",
				args.machine,
				args.gpus,
				format::tokens(escrow)
			)
		},
		json!({ "lease": lease, "machine": args.machine, "startsAt": starts_at, "endsAt": ends_at, "escrow": escrow.to_string(), "block": included.number }),
	);
	Ok(())
}

#[derive(Args)]
pub struct OrderArgs {
	#[command(flatten)]
	wants: QuoteArgs,
	/// Price per GPU-hour at most (GPUX).
	#[arg(long, value_parser = parse_amount)]
	max_price: Balance,
	/// The order expires this many blocks from now (the chain allows up to 7 days).
	#[arg(long, default_value_t = 600)]
	expires_in: u32,
	/// May be filled by several machines of one fleet.
	#[arg(long)]
	split: bool,
	#[command(flatten)]
	access: AccessArgs,
}

pub async fn order(chain: &Chain, key: &KeyArgs, args: OrderArgs, out: &Out) -> Result<(), Error> {
	let blocks = args.wants.length.blocks()?;
	if args.wants.gpus == 0 {
		return Err(Error::Input("--gpus must be above zero (ZeroGpus)".into()));
	}
	if args.max_price == 0 {
		return Err(Error::Input("--max-price must be above zero (InvalidOrder)".into()));
	}
	let lifetime: u32 = <Runtime as pallet_marketplace::Config>::MaxOrderLifetime::get();
	// The order runs from the next block: it must expire after it, within the lifetime.
	if args.expires_in < 2 || args.expires_in > lifetime {
		return Err(Error::Input(format!(
			"--expires-in must be 2 to {lifetime} blocks (ExpiryOutOfBounds)"
		)));
	}
	let access = args.access.spec()?;
	let best = chain::best(chain).await?;
	let call = RuntimeCall::Marketplace(pallet_marketplace::Call::place_order {
		requirements: args.wants.needs.requirements()?,
		gpus: args.wants.gpus,
		duration: blocks,
		mode: args.wants.mode.into(),
		max_price_per_gpu_hour: args.max_price,
		expires_at: best.saturating_add(args.expires_in),
		access,
		split_across_fleet: args.split,
	});
	let included = chain::send(chain, key, call, 0, out).await?;
	let mut leases = Vec::new();
	let mut order = None;
	let mut unmatched = None;
	for event in &included.events {
		match event {
			RuntimeEvent::Marketplace(pallet_marketplace::Event::OrderPlaced {
				order: id, ..
			}) => order = Some(*id),
			RuntimeEvent::Marketplace(pallet_marketplace::Event::OrderFilled {
				order: id,
				leases: l,
				..
			}) => {
				order = Some(*id);
				leases.extend(l.iter().copied());
			},
			RuntimeEvent::Marketplace(pallet_marketplace::Event::OrderUnmatched {
				order: id,
				reason,
			}) => {
				order = Some(*id);
				unmatched = Some(format!("{reason:?}"));
			},
			_ => {},
		}
	}
	out.result(
		|| match (&order, leases.is_empty(), &unmatched) {
			(_, false, _) => format!("order filled: lease(s) {leases:?}"),
			(Some(id), true, Some(why)) => format!("order {id} rests in the book ({why} for now); it fills when a machine fits, until it expires"),
			(Some(id), true, None) => format!("order {id} placed"),
			(None, _, _) => "order placed".into(),
		},
		json!({ "order": order, "leases": leases, "unmatched": unmatched, "block": included.number }),
	);
	Ok(())
}

#[derive(Subcommand)]
pub enum JobCommand {
	/// Posts a job: providers bid until the window closes; the best bid wins and its lease starts.
	Post(PostJobArgs),
	/// A job's state and its bids.
	Bids { job: u64 },
	/// Accepts a job's attested result: the provider is paid.
	Accept { job: u64 },
}

#[derive(Args)]
pub struct PostJobArgs {
	#[command(flatten)]
	needs: Needs,
	#[arg(long, default_value_t = 1)]
	gpus: u32,
	#[command(flatten)]
	length: Length,
	/// Price per GPU-hour at most (GPUX).
	#[arg(long, value_parser = parse_amount)]
	max_price: Balance,
	/// Blocks providers may bid for (10 to a day's worth).
	#[arg(long, default_value_t = 10)]
	bid_window: u32,
	/// Pay the priority fee (1 GPUX): matched ahead of others.
	#[arg(long)]
	priority: bool,
	/// The input's IPFS CID (CIDv0 `Qm…` or base32 CIDv1 `b…`).
	#[arg(long)]
	input: String,
	#[command(flatten)]
	access: AccessArgs,
}

pub async fn job(
	chain: &Chain,
	key: &KeyArgs,
	command: JobCommand,
	out: &Out,
) -> Result<(), Error> {
	match command {
		JobCommand::Post(args) => {
			let blocks = args.length.blocks()?;
			if args.gpus == 0 {
				return Err(Error::Input("--gpus must be above zero (ZeroGpus)".into()));
			}
			if args.max_price == 0 {
				return Err(Error::Input("--max-price must be above zero (InvalidOrder)".into()));
			}
			let (min_window, max_window): (u32, u32) = (
				<Runtime as pallet_marketplace::Config>::MinBidWindow::get(),
				<Runtime as pallet_marketplace::Config>::MaxBidWindow::get(),
			);
			if !(min_window..=max_window).contains(&args.bid_window) {
				return Err(Error::Input(format!(
					"--bid-window must be {min_window} to {max_window} blocks (BidWindowOutOfBounds)"
				)));
			}
			let longest: u32 = <Runtime as pallet_marketplace::Config>::MaxJobDuration::get();
			if blocks > longest {
				return Err(Error::Input(format!(
					"a job's lease runs {longest} blocks at most (JobTooLong)"
				)));
			}
			if !gpux_primitives::is_valid_cid(args.input.as_bytes()) {
				return Err(Error::Input(format!(
					"--input `{}` is not a CIDv0 (Qm…) or base32 CIDv1 (b…) (InvalidCid)",
					args.input
				)));
			}
			let input_cid = gpux_primitives::Cid::try_from(args.input.clone().into_bytes())
				.map_err(|_| Error::Input("--input is longer than a CID can be".into()))?;
			let call = RuntimeCall::Marketplace(pallet_marketplace::Call::post_job {
				requirements: args.needs.requirements()?,
				gpus: args.gpus,
				duration: blocks,
				max_price_per_gpu_hour: args.max_price,
				bid_window: args.bid_window,
				priority: args.priority,
				input_cid,
				access: args.access.spec()?,
			});
			let included = chain::send(chain, key, call, 0, out).await?;
			let job = chain::find(&included.events, |e| match e {
				RuntimeEvent::Marketplace(pallet_marketplace::Event::JobPosted {
					job,
					closes_at,
					..
				}) => Some((*job, *closes_at)),
				_ => None,
			});
			out.result(
				|| match job {
					Some((id, closes)) => format!(
						"job {id} posted; bids close at block {closes} (`gpux job bids {id}`)"
					),
					None => "job posted".into(),
				},
				json!({ "job": job.map(|j| j.0), "closesAt": job.map(|j| j.1), "block": included.number }),
			);
			Ok(())
		},
		JobCommand::Bids { job } => {
			use frame_support::storage::generator::StorageMap;
			let record: pallet_marketplace::JobRecordOf<Runtime> = chain
				.storage(&pallet_marketplace::Jobs::<Runtime>::storage_map_final_key(job))
				.await?
				.ok_or_else(|| Error::NotFound(format!("job {job} does not exist")))?;
			let bids: Vec<pallet_marketplace::Bid<gpux_primitives::AccountId>> = chain
				.storage(&pallet_marketplace::JobBids::<Runtime>::storage_map_final_key(job))
				.await?
				.unwrap_or_default();
			out.result(
				|| {
					let mut text = format!("job {job}: {:?}, bids close at block {}\n", record.status, record.closes_at);
					for b in &bids {
						text += &format!("  machine {} bids {} per GPU-hour\n", b.machine, format::tokens(b.price_per_gpu_hour));
					}
					if bids.is_empty() {
						text += "  no bid yet\n";
					}
					text
				},
				json!({
					"job": job,
					"status": format!("{:?}", record.status),
					"closesAt": record.closes_at,
					"bids": bids.iter().map(|b| json!({ "machine": b.machine, "bidder": format::address(&b.bidder), "pricePerGpuHour": b.price_per_gpu_hour.to_string() })).collect::<Vec<_>>(),
				}),
			);
			Ok(())
		},
		JobCommand::Accept { job } => {
			let call = RuntimeCall::Marketplace(pallet_marketplace::Call::accept_result { job });
			let included = chain::send(chain, key, call, 0, out).await?;
			out.result(
				|| format!("job {job}'s result accepted"),
				json!({ "job": job, "block": included.number }),
			);
			Ok(())
		},
	}
}
