def patch(p, pairs):
    s=open(p).read()
    for old,new in pairs:
        assert s.count(old)==1,(p,old,s.count(old))
        s=s.replace(old,new)
    open(p,'w').write(s)
patch('/work/main/runtime/src/configs/system.rs',[
("""	weights::{constants::ParityDbWeight, Weight},
""","""	weights::Weight,
"""),
("""	/// 2 s of compute in a 6 s block, leaving time to gossip and import.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(
			2u64 * frame_support::weights::constants::WEIGHT_REF_TIME_PER_SECOND,
			u64::MAX,
		),
		NORMAL_DISPATCH_RATIO,
	);""","""	/// 2 s of compute in a 6 s block, leaving time to gossip and import; the base weights of a
	/// block and of an extrinsic as `benchmark overhead` measured them (docs/weights.md).
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::builder()
		.base_block(weights::BlockExecutionWeight::get())
		.for_class(DispatchClass::all(), |class| {
			class.base_extrinsic = weights::ExtrinsicBaseWeight::get();
		})
		.for_class(DispatchClass::Normal, |class| {
			class.max_total = Some(NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT);
		})
		.for_class(DispatchClass::Operational, |class| {
			class.max_total = Some(MAXIMUM_BLOCK_WEIGHT);
			class.reserved =
				Some(MAXIMUM_BLOCK_WEIGHT.saturating_sub(NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT));
		})
		.avg_block_initialization(Perbill::from_percent(10))
		.build_or_panic();"""),
("""/// A quarter of each block stays free for operational extrinsics (e.g. governance fixes).
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
""","""/// A quarter of each block stays free for operational extrinsics (e.g. governance fixes).
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// 2 s of compute (proof size unbounded: a solochain has no relay-chain PoV limit).
const MAXIMUM_BLOCK_WEIGHT: Weight =
	Weight::from_parts(2 * frame_support::weights::constants::WEIGHT_REF_TIME_PER_SECOND, u64::MAX);
"""),
("""	// The node stores state in ParityDB (docs/build.md).
	type DbWeight = ParityDbWeight;""","""	// The node stores state in ParityDB (docs/build.md); its access weights as measured.
	type DbWeight = weights::ParityDbWeight;
	type SystemWeightInfo = weights::frame_system::WeightInfo<Runtime>;
	type ExtensionsWeightInfo = weights::frame_system_extensions::WeightInfo<Runtime>;"""),
("""use crate::{
	AccountId,""","""use crate::{
	weights, AccountId,"""),
])
