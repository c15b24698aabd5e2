//! The objects the render engine's in-memory API server holds: the XR, the observed composed
//! resources, the required resources and the credentials Secrets. Functions' required resources,
//! step credentials and observed composed resources are all read from it, with the lookups of
//! Crossplane's `internal/render.InMemoryClient`: a Get matches apiVersion, kind, namespace and
//! name exactly; a List matches group and kind (and version when both have one), a namespace
//! unless it is empty, and labels.

use std::collections::BTreeMap;

use serde_json::Value;

use super::names::split_api_version;

/// What identifies a stored object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    api_version: String,
    kind: String,
    namespace: String,
    name: String,
}

impl Key {
    fn of(object: &Value) -> Key {
        Key {
            api_version: text(object, "/apiVersion").to_owned(),
            kind: text(object, "/kind").to_owned(),
            namespace: text(object, "/metadata/namespace").to_owned(),
            name: text(object, "/metadata/name").to_owned(),
        }
    }
}

/// The string at `pointer`, or `""`.
pub(crate) fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Objects by apiVersion, kind, namespace and name; a later object replaces an earlier one with
/// the same key.
#[derive(Debug, Default, Clone)]
pub(crate) struct Store {
    objects: BTreeMap<Key, Value>,
}

impl Store {
    /// Adds or replaces `object`.
    pub fn put(&mut self, object: Value) {
        self.objects.insert(Key::of(&object), object);
    }

    /// The object with exactly this apiVersion, kind, namespace (`""` for cluster-scoped) and
    /// name.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<&Value> {
        self.objects.get(&Key {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The objects of this group and kind (and version, when both the object and `api_version`
    /// have one) in `namespace` (any, when empty) carrying every label in `labels`, sorted by
    /// `namespace/name`.
    pub fn list<'a>(
        &'a self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        labels: &BTreeMap<String, String>,
    ) -> Vec<&'a Value> {
        let (group, version) = split_api_version(api_version);
        let mut found: Vec<(String, &Value)> = self
            .objects
            .iter()
            .filter(|(key, object)| {
                let (key_group, key_version) = split_api_version(&key.api_version);
                key_group == group
                    && key.kind == kind
                    && (version.is_empty() || key_version.is_empty() || key_version == version)
                    && (namespace.is_empty() || key.namespace == namespace)
                    && labels.iter().all(|(label, value)| {
                        object
                            .pointer("/metadata/labels")
                            .and_then(|labels| labels.get(label))
                            .and_then(Value::as_str)
                            == Some(value.as_str())
                    })
            })
            .map(|(key, object)| (format!("{}/{}", key.namespace, key.name), object))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found.into_iter().map(|(_, object)| object).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config_map(namespace: &str, name: &str, team: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"namespace": namespace, "name": name, "labels": {"team": team}}})
    }

    #[test]
    fn get_matches_exactly_and_list_filters_like_the_in_memory_client() {
        let mut store = Store::default();
        store.put(config_map("b", "x", "red"));
        store.put(config_map("a", "y", "red"));
        store.put(config_map("a", "x", "blue"));
        store
            .put(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cluster"}}));
        assert_eq!(
            store.get("v1", "ConfigMap", "a", "x"),
            Some(&config_map("a", "x", "blue"))
        );
        assert_eq!(store.get("v1", "ConfigMap", "", "x"), None);
        assert_eq!(store.get("v2", "ConfigMap", "a", "x"), None);
        let names = |found: Vec<&Value>| -> Vec<String> {
            found
                .iter()
                .map(|o| {
                    format!(
                        "{}/{}",
                        text(o, "/metadata/namespace"),
                        text(o, "/metadata/name")
                    )
                })
                .collect()
        };
        let red = BTreeMap::from([("team".to_owned(), "red".to_owned())]);
        assert_eq!(
            names(store.list("v1", "ConfigMap", "", &red)),
            ["a/y", "b/x"]
        );
        assert_eq!(
            names(store.list("v1", "ConfigMap", "a", &BTreeMap::new())),
            ["a/x", "a/y"]
        );
        assert_eq!(
            names(store.list("v1", "ConfigMap", "", &BTreeMap::new())).len(),
            4
        );
        assert!(
            store
                .list("apps/v1", "ConfigMap", "", &BTreeMap::new())
                .is_empty()
        );
    }
}
