//! Monitoring of the emergency access identities: gathering what alert rules, the watcher and
//! log scans match on, and deploying the rules through Azure Resource Manager. The rules
//! themselves are pure and live in `breakglass_core::monitor`.

pub mod arm;
pub mod identities;
