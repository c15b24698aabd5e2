//! `Requirements`: resources and schemas a function asks Crossplane to fetch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::de::nullable;

/// What the function needs fetched before it can finish (`Requirements`).
///
/// # Examples
/// ```
/// use xfn_sdk::{ResourceSelector, Response, SchemaSelector};
///
/// let mut rsp = Response::default();
/// rsp.require_resources("vpc", ResourceSelector::by_name("ec2.aws.upbound.io/v1beta1", "VPC", "main"));
/// rsp.require_schema("vpc", SchemaSelector::new("ec2.aws.upbound.io/v1beta1", "VPC"));
/// let requirements = rsp.requirements.unwrap();
/// assert_eq!(requirements.resources.len(), 1);
/// assert_eq!(requirements.schemas.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Requirements {
    /// The deprecated form of `resources`, for Crossplane before 2.0.
    #[serde(
        alias = "extra_resources",
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extra_resources: BTreeMap<String, ResourceSelector>,
    /// Resources to fetch, by requirement name.
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub resources: BTreeMap<String, ResourceSelector>,
    /// Schemas to fetch, by requirement name.
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub schemas: BTreeMap<String, SchemaSelector>,
}

/// Which resources to fetch (`ResourceSelector`): by name or by labels.
///
/// # Examples
/// ```
/// let selector: xfn_sdk::ResourceSelector = serde_json::from_str(
///     r#"{"apiVersion": "v1", "kind": "Secret", "matchName": "creds", "namespace": "ops"}"#).unwrap();
/// assert_eq!(selector.match_name.as_deref(), Some("creds"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceSelector {
    /// The resources' `apiVersion`.
    #[serde(alias = "api_version", deserialize_with = "nullable")]
    pub api_version: String,
    /// The resources' `kind`.
    #[serde(deserialize_with = "nullable")]
    pub kind: String,
    /// Match the resource with this name. Set this or `match_labels`, not both.
    #[serde(alias = "match_name", skip_serializing_if = "Option::is_none")]
    pub match_name: Option<String>,
    /// Match resources with these labels.
    #[serde(alias = "match_labels", skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<MatchLabels>,
    /// Look in this namespace; unset means cluster-scoped, or all namespaces for labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl ResourceSelector {
    /// Selects the resource of `api_version` and `kind` named `name`.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::ResourceSelector;
    ///
    /// let selector = ResourceSelector::by_name("v1", "Secret", "creds");
    /// assert_eq!(selector.match_name.as_deref(), Some("creds"));
    /// assert_eq!(selector.namespace, None);
    /// ```
    pub fn by_name(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        name: impl Into<String>,
    ) -> ResourceSelector {
        ResourceSelector {
            api_version: api_version.into(),
            kind: kind.into(),
            match_name: Some(name.into()),
            ..ResourceSelector::default()
        }
    }

    /// Selects the resources of `api_version` and `kind` that carry all of `labels`.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::ResourceSelector;
    ///
    /// let selector = ResourceSelector::by_labels("v1", "Secret", [("team", "a")]).in_namespace("ops");
    /// assert_eq!(selector.match_labels.unwrap().labels["team"], "a");
    /// assert_eq!(selector.namespace.as_deref(), Some("ops"));
    /// ```
    pub fn by_labels<K: Into<String>, V: Into<String>>(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> ResourceSelector {
        ResourceSelector {
            api_version: api_version.into(),
            kind: kind.into(),
            match_labels: Some(MatchLabels {
                labels: labels
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            }),
            ..ResourceSelector::default()
        }
    }

    /// The same selector, restricted to `namespace`.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::ResourceSelector;
    ///
    /// let selector = ResourceSelector::by_name("v1", "Secret", "creds").in_namespace("ops");
    /// assert_eq!(selector.namespace.as_deref(), Some("ops"));
    /// ```
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> ResourceSelector {
        self.namespace = Some(namespace.into());
        self
    }
}

/// Labels to match (`MatchLabels`).
///
/// # Examples
/// ```
/// use xfn_sdk::ResourceSelector;
///
/// let selector = ResourceSelector::by_labels("v1", "Secret", [("team", "a")]);
/// assert_eq!(selector.match_labels.unwrap().labels["team"], "a");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MatchLabels {
    /// Label keys and values; a resource must carry all of them.
    #[serde(deserialize_with = "nullable")]
    pub labels: BTreeMap<String, String>,
}

/// Which kind's schema to fetch (`SchemaSelector`).
///
/// # Examples
/// ```
/// let selector = xfn_sdk::SchemaSelector::new("apps/v1", "Deployment");
/// assert_eq!(serde_json::to_string(&selector).unwrap(), r#"{"apiVersion":"apps/v1","kind":"Deployment"}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SchemaSelector {
    /// The kind's `apiVersion`.
    #[serde(alias = "api_version", deserialize_with = "nullable")]
    pub api_version: String,
    /// The kind.
    #[serde(deserialize_with = "nullable")]
    pub kind: String,
}

impl SchemaSelector {
    /// Selects the schema of `kind` in `api_version`.
    ///
    /// # Examples
    /// ```
    /// use xfn_sdk::SchemaSelector;
    ///
    /// let selector = SchemaSelector::new("apps/v1", "Deployment");
    /// assert_eq!(selector.api_version, "apps/v1");
    /// ```
    pub fn new(api_version: impl Into<String>, kind: impl Into<String>) -> SchemaSelector {
        SchemaSelector {
            api_version: api_version.into(),
            kind: kind.into(),
        }
    }
}
