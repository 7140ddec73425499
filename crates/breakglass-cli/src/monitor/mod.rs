//! Deploying the alert rules through Azure Resource Manager. What they match on is gathered by
//! `breakglass_ops::monitor`; the rules themselves are pure and live in `breakglass_core::monitor`.

pub mod arm;
