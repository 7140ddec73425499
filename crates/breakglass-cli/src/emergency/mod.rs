//! Emergency use: signing in with an emergency credential taken from a store.
//!
//! [`credential_source`] turns `--credential LABEL`, `--sheet FILE`, `--shares FILES` or the
//! Azure SDK environment into a client credential and gets tokens with it. `token`, `exec`
//! and `drill` build on it.

pub mod credential_source;
