//! breakglass-core: the pure heart of breakglass.
//!
//! Nothing here performs I/O. Cloud profiles, identifier rules, well-known
//! directory role ids and the explanations attached to Entra and Graph error
//! codes live here so that the client, the simulator and the CLI agree on them.
#![forbid(unsafe_code)]
// Functions stay under clippy.toml's too-many-lines-threshold; tests may be longer.
#![cfg_attr(not(test), deny(clippy::too_many_lines))]

pub mod aadsts;
pub mod app_policy;
pub mod audit;
pub mod azure_rbac;
pub mod cloud;
pub mod config;
pub mod drill;
pub mod env;
pub mod exports;
pub mod flag_duration;
pub mod graph_error;
pub mod graph_permissions;
pub mod identities;
pub mod ids;
pub mod lease;
pub mod markers;
pub mod monitor;
pub mod pass_policy;
pub mod passkey;
pub mod plan;
pub mod report_html;
pub mod retry;
pub mod roles;
pub mod scope;
pub mod severity;
pub mod stores;
pub mod tenant;
pub mod tenants;

pub use cloud::{CloudProfile, CloudProfileError, KnownCloud};
pub use ids::{TenantId, TenantIdError};
