// Derives the chain specs scripts/benchmark.sh measures on from the dev chain spec (docs/weights.md):
//   node benchmark-spec.mjs <dev spec> <out spec> [accounts]
// Governance runs on its live track timing, as on a production chain: dev's fast timing (one-block
// phases) leaves some referenda benchmarks no preparing referendum to measure. With `accounts`,
// that many more funded accounts are added, so `benchmark storage` reads and writes a state of a
// realistic depth instead of the few dozen keys of the dev genesis.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const [input, output, accountsArg = "0"] = process.argv.slice(2);
const accounts = Number(accountsArg);
if (!input || !output || !Number.isInteger(accounts) || accounts < 0 || accounts > 1_000_000) {
	console.error("usage: node benchmark-spec.mjs <dev spec> <out spec> [accounts ≤ 1000000]");
	process.exit(2);
}

const spec = JSON.parse(readFileSync(input, "utf8"));
const patch = spec.genesis?.runtimeGenesis?.patch;
if (!patch?.governance || !Array.isArray(patch.balances?.balances)) {
	console.error(`${input}: no governance or balances in the genesis patch`);
	process.exit(1);
}
patch.governance.timing = "Live";

const blake2b = (bytes) => createHash("blake2b512").update(bytes).digest();
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function base58(bytes) {
	let n = BigInt(`0x${bytes.toString("hex")}`);
	let out = "";
	while (n > 0n) {
		out = ALPHABET[Number(n % 58n)] + out;
		n /= 58n;
	}
	for (const byte of bytes) {
		if (byte !== 0) break;
		out = `1${out}`;
	}
	return out;
}
// The generic Substrate address format (prefix 42), as the dev spec writes accounts.
function ss58(publicKey) {
	const payload = Buffer.concat([Buffer.from([42]), publicKey]);
	const checksum = blake2b(Buffer.concat([Buffer.from("SS58PRE"), payload])).subarray(0, 2);
	return base58(Buffer.concat([payload, checksum]));
}

const endowment = patch.balances.balances[0][1];
for (let i = 0; i < accounts; i++) {
	const key = blake2b(Buffer.from(`gpux benchmark account ${i}`)).subarray(0, 32);
	patch.balances.balances.push([ss58(key), endowment]);
}
writeFileSync(output, JSON.stringify(spec));
