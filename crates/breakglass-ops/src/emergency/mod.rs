//! Emergency use: signing in with an emergency credential taken from a store.
//!
//! [`credential_source`] turns a label, a recovery sheet, Shamir shares or the Azure SDK
//! environment into a client credential and gets tokens with it.

pub mod child;
pub mod credential_source;
pub mod program;
pub mod recovered;
mod scanned;
