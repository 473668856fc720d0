//! The rule of DNS names a JSON schema pattern states only at great cost: each dot-separated
//! label of a host is at most 63 characters (the pattern checks the form, `maxLength` the
//! whole name).

use serde_json::Value;

use super::display_path;
use crate::diagnostics::Diagnostic;
use crate::load::Document;

/// Longest label of a DNS name (RFC 1035).
const LABEL_MAX: usize = 63;

/// Pointers of every host name of the document: the registry's host, environment domains and
/// Alertmanager addresses, and every `expose.host` (a service's own, per environment, and each
/// environment's `service_overrides`).
fn host_fields(doc: &Document) -> Vec<String> {
    let mut fields = vec!["/platform/registry".to_owned()];
    for env in super::keys_at(doc, "/environments") {
        fields.push(format!("/environments/{env}/domain"));
        fields.push(format!("/environments/{env}/alertmanager"));
    }
    fields.extend(super::service_setting_fields(doc, "expose/host"));
    fields
}

/// One diagnostic per host name with a label longer than DNS allows.
pub fn long_labels(doc: &Document) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for field in host_fields(doc) {
        let Some(value) = doc.value.pointer(&field).and_then(Value::as_str) else {
            continue;
        };
        // `host:port` (Alertmanager), `host[:port][/path]` (the registry): the host part.
        let host = value.split('/').next().unwrap_or(value);
        let host = host.split_once(':').map_or(host, |(host, _)| host);
        let Some(label) = host
            .split('.')
            .find(|label| label.chars().count() > LABEL_MAX)
        else {
            continue;
        };
        found.push(
            Diagnostic::error(
                "E0206",
                format!(
                    "`{}`: the label `{label}` of host `{host}` is {} characters long, longer than the {LABEL_MAX} a DNS label may be",
                    display_path(&field),
                    label.chars().count()
                ),
            )
            .at(doc.span_of(&field))
            .label("label too long")
            .help(format!("each dot-separated part of a host name holds at most {LABEL_MAX} characters: shorten it")),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    #[test]
    fn a_host_label_longer_than_63_is_an_error() {
        let long = "a".repeat(64);
        let fine = "b".repeat(63);
        let text = format!(
            "[platform]\nregistry = \"{long}.example.com:5000/{long}\"\n\
             [environments.staging]\ndomain = \"{long}.example.com\"\nalertmanager = \"{long}.svc:9093\"\n\
             [environments.prod]\ndomain = \"{fine}.example.com\"\n\
             [services.api.env.staging]\nexpose = {{ host = \"x.{long}\" }}\n"
        );
        let doc = crate::load::load(SourceFile::new("p.toml", text)).expect("valid TOML");
        let found: Vec<String> = long_labels(&doc).into_iter().map(|d| d.message).collect();
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(
            found[0],
            format!(
                "`platform.registry`: the label `{long}` of host `{long}.example.com` is 64 characters long, longer than the 63 a DNS label may be"
            )
        );
        assert!(found[1].starts_with("`environments.staging.domain`: the label `aaa"));
        assert!(found[1].contains("is 64 characters long"));
        assert!(found[2].starts_with("`environments.staging.alertmanager`"));
        assert!(found[3].starts_with("`services.api.env.staging.expose.host`"));
        // A long path part of the registry is no host label.
        let text = format!("[platform]\nregistry = \"registry.example.com/{long}\"\n");
        let doc = crate::load::load(SourceFile::new("p.toml", text)).expect("valid TOML");
        assert!(long_labels(&doc).is_empty());
    }
}
