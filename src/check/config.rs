//! The `config` tables of a platform and, per service, which config keys it sees and where each
//! is set: the index the rules on config values and connection URLs look keys up in.

use std::collections::BTreeMap;

use super::service_ptr;
use crate::load::pointer_escape;
use crate::model::PlatformSpec;
use crate::model::spec::ConfigValue;

/// A `config` table of the file: the service it belongs to (none for the platform's and the
/// environments'), its pointer, its entries.
pub(super) type ConfigTable<'a> = (Option<&'a str>, String, &'a BTreeMap<String, ConfigValue>);

/// Every `config` table of the file, in the order later ones override earlier ones: the
/// platform's, each environment's and its `service_overrides`', then each service's and its
/// `env.<name>`'s.
pub(super) fn config_tables(spec: &PlatformSpec) -> Vec<ConfigTable<'_>> {
    let mut tables = vec![(None, "/platform/config".to_owned(), &spec.platform.config)];
    for (name, env) in &spec.environments {
        let base = format!("/environments/{}", pointer_escape(name));
        tables.push((None, format!("{base}/config"), &env.config));
        tables.push((
            None,
            format!("{base}/service_overrides/config"),
            &env.service_overrides.config,
        ));
    }
    for (name, service) in &spec.services {
        let base = service_ptr(name);
        let owner = Some(name.as_str());
        tables.push((owner, format!("{base}/config"), &service.settings.config));
        for (env, over) in &service.env {
            let ptr = format!("{base}/env/{}/config", pointer_escape(env));
            tables.push((owner, ptr, &over.config));
        }
    }
    tables
}

/// Which config keys each service sees, and the last table (the one that wins) setting each.
/// Built once per run in one pass over the tables: scanning every table for each service would
/// grow with the square of the number of services.
pub(super) struct ConfigKeys<'a> {
    tables: Vec<ConfigTable<'a>>,
    /// Keys of the platform's and the environments' tables (every service sees them).
    shared: BTreeMap<&'a str, usize>,
    /// Keys of each service's own tables, which come after (and override) the shared ones.
    own: BTreeMap<&'a str, BTreeMap<&'a str, usize>>,
}

impl<'a> ConfigKeys<'a> {
    pub(super) fn new(spec: &'a PlatformSpec) -> Self {
        let tables = config_tables(spec);
        let mut shared = BTreeMap::new();
        let mut own: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
        for (index, (owner, _, entries)) in tables.iter().enumerate() {
            let keys = match owner {
                None => &mut shared,
                Some(service) => own.entry(service).or_default(),
            };
            for key in entries.keys() {
                keys.insert(key.as_str(), index);
            }
        }
        Self {
            tables,
            shared,
            own,
        }
    }

    fn table_of(&self, service: &str, key: &str) -> Option<usize> {
        self.own
            .get(service)
            .and_then(|keys| keys.get(key))
            .or_else(|| self.shared.get(key))
            .copied()
    }

    /// Whether `service` sees the config key `key`.
    pub(super) fn contains(&self, service: &str, key: &str) -> bool {
        self.table_of(service, key).is_some()
    }

    /// The pointer of the place that sets the `key` `service` sees.
    pub(super) fn pointer(&self, service: &str, key: &str) -> Option<String> {
        self.table_of(service, key)
            .map(|index| format!("{}/{}", self.tables[index].1, pointer_escape(key)))
    }

    /// Every table, in override order.
    pub(super) fn tables(&self) -> &[ConfigTable<'a>] {
        &self.tables
    }
}

#[cfg(test)]
mod tests {
    use super::ConfigKeys;

    #[test]
    fn a_service_sees_shared_keys_and_its_own_override_them() {
        let text = super::super::small_with(
            "config = { LOG_LEVEL = \"DEBUG\", OWN = \"1\" }\n",
            "\n[environments.staging.config]\nSHARED = \"x\"\n",
        );
        let source = crate::diagnostics::SourceFile::new("platform.toml", text);
        let doc = crate::load::load(source).expect("loads");
        let spec = crate::validate::validate(&doc).expect("valid");
        let keys = ConfigKeys::new(&spec);
        assert!(keys.contains("api", "SHARED"));
        assert!(keys.contains("api", "OWN"));
        assert!(!keys.contains("api", "NOWHERE"));
        assert_eq!(
            keys.pointer("api", "LOG_LEVEL").as_deref(),
            Some("/services/api/config/LOG_LEVEL")
        );
        assert_eq!(
            keys.pointer("api", "SHARED").as_deref(),
            Some("/environments/staging/config/SHARED")
        );
        // Another service sees the shared keys, not `api`'s own.
        assert!(keys.contains("jobs", "SHARED"));
        assert!(keys.contains("jobs", "LOG_LEVEL"));
        assert!(!keys.contains("jobs", "OWN"));
        assert_eq!(
            keys.pointer("jobs", "LOG_LEVEL").as_deref(),
            Some("/platform/config/LOG_LEVEL")
        );
    }
}
