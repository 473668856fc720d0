//! The rule of address ranges a JSON schema pattern cannot state: a dependency's `cidr` is an
//! IPv4 or IPv6 network whose address parses, whose prefix fits the family (≤ 32, ≤ 128) and
//! whose host bits are zero. The schema checks the form; a range like `999.0.0.0/40` or
//! `10.0.0.1/16` would otherwise reach a NetworkPolicy that the API server rejects (or, for
//! host bits, reads as another range than the one meant).

use std::net::IpAddr;

use serde_json::Value;

use super::display_path;
use crate::diagnostics::Diagnostic;
use crate::load::Document;

/// Why a CIDR is wrong, and the range meant when it can tell.
#[derive(Debug, PartialEq, Eq)]
enum Problem {
    Address,
    Prefix { max: u32 },
    HostBits { network: String },
}

/// Checks `text` (already of the schema's form `address/prefix`).
fn problem(text: &str) -> Option<Problem> {
    let (address, prefix) = text.split_once('/')?;
    let Ok(address) = address.parse::<IpAddr>() else {
        return Some(Problem::Address);
    };
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix: u32 = match prefix.parse() {
        Ok(p) if p <= max => p,
        _ => return Some(Problem::Prefix { max }),
    };
    let network = match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            IpAddr::from((u32::from(v4) & mask).to_be_bytes())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            IpAddr::from((u128::from(v6) & mask).to_be_bytes())
        }
    };
    (network != address).then(|| Problem::HostBits {
        network: format!("{network}/{prefix}"),
    })
}

/// Pointers of every `cidr` of the document: each dependency's and its per-environment ones.
fn cidr_fields(doc: &Document) -> Vec<String> {
    let names = |pointer: &str| super::keys_at(doc, pointer);
    let mut fields = Vec::new();
    for dependency in names("/dependencies") {
        let base = format!("/dependencies/{dependency}");
        fields.push(format!("{base}/cidr"));
        for env in names(&format!("{base}/env")) {
            fields.push(format!("{base}/env/{env}/cidr"));
        }
    }
    fields
}

/// One diagnostic per `cidr` that is no network, among those `unreported` lets through.
pub fn invalid(doc: &Document, unreported: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for field in cidr_fields(doc).into_iter().filter(|f| unreported(f)) {
        let Some(text) = doc.value.pointer(&field).and_then(Value::as_str) else {
            continue;
        };
        let Some(problem) = problem(text) else {
            continue;
        };
        let (what, help) = match problem {
            Problem::Address => (
                "its address is no IPv4 or IPv6 address".to_owned(),
                "write an IPv4 or IPv6 network, e.g. `10.20.0.0/16` or `fd00:10::/64`".to_owned(),
            ),
            Problem::Prefix { max } => (
                format!("its prefix length is above {max}"),
                format!("use a prefix length from 0 to {max}"),
            ),
            Problem::HostBits { network } => (
                "its address has bits set past the prefix".to_owned(),
                format!(
                    "did you mean `{network}`? A NetworkPolicy range names a network, not a host in it"
                ),
            ),
        };
        found.push(
            Diagnostic::error(
                "E0205",
                format!(
                    "`{}`: `{text}` is not an address range: {what}",
                    display_path(&field)
                ),
            )
            .at(doc.span_of(&field))
            .label("not a CIDR network")
            .help(help),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{Problem, problem};

    /// Every `cidr` is checked, a dependency's and its per-environment ones, and a value the
    /// schema already rejected (not `address/prefix`) is reported once, by the schema.
    #[test]
    fn each_range_is_reported_once_where_it_is_set() {
        let fixture = include_str!("../../tests/fixtures/small.toml");
        let text = fixture.replace(
            "version = \"16\"\n",
            "version = \"16\"\ncidr = \"10.0.0.1/8\"\nenv.staging = { cidr = \"abc/1\" }\nenv.production = { cidr = \"fd00::/200\" }\n",
        );
        let found = crate::check::problems_with("E0205", text);
        let cidr: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(cidr.len(), 3, "{cidr:?}");
        assert!(cidr[0].contains("`10.0.0.1/8` is not an address range: its address has bits set"));
        assert!(
            cidr[1].contains("\"abc/1\" is not an address range"),
            "{cidr:?}"
        );
        assert!(cidr[2].contains("`fd00::/200`"), "{cidr:?}");
        // Each at the line that sets it.
        let lines: Vec<usize> = found.iter().map(|(line, _)| *line).collect();
        assert!(lines.windows(2).all(|w| w[1] == w[0] + 1), "{lines:?}");
    }

    #[test]
    fn networks_of_either_family_pass() {
        for fine in [
            "10.20.0.0/16",
            "0.0.0.0/0",
            "192.168.1.7/32",
            "fd00:10::/64",
            "::/0",
            "2001:db8::1/128",
        ] {
            assert_eq!(problem(fine), None, "{fine}");
        }
    }

    #[test]
    fn bad_addresses_prefixes_and_host_bits_are_named() {
        assert_eq!(problem("999.0.0.0/8"), Some(Problem::Address));
        assert_eq!(problem("fd00:::1/64"), Some(Problem::Address));
        assert_eq!(problem("10.0.0.0/33"), Some(Problem::Prefix { max: 32 }));
        assert_eq!(problem("fd00::/129"), Some(Problem::Prefix { max: 128 }));
        assert_eq!(
            problem("10.20.3.4/16"),
            Some(Problem::HostBits {
                network: "10.20.0.0/16".to_owned()
            })
        );
        assert_eq!(
            problem("fd00:10::1/64"),
            Some(Problem::HostBits {
                network: "fd00:10::/64".to_owned()
            })
        );
    }
}
