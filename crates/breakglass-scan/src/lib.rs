//! breakglass-scan: finds every sign-in and directory change of the emergency identities in
//! exported Entra ID logs, fast.
//!
//! Investigators have exports, not a workspace: Microsoft Graph pages (`{"value":[…]}` from
//! `/auditLogs/signIns` and `/auditLogs/directoryAudits`), Azure Monitor diagnostic records
//! (`{"records":[…]}` from Event Hubs, or one record per line in a storage account's
//! `PT1H.json`), and Log Analytics query results as JSON lines; often gzip-compressed. This
//! crate reads all of them, in parallel, with a byte-level prefilter ([`prefilter`]) so that
//! only the lines that can matter are parsed ([`record`]).
//!
//! ```no_run
//! use breakglass_scan::{ScanOptions, Watchlist, scan_files};
//! # fn identities() -> breakglass_core::identities::EmergencyIdentities { Default::default() }
//! let watch = Watchlist::new(identities())?;
//! let report = scan_files(&["signins.jsonl.gz".into()], &watch, &ScanOptions::default());
//! for event in &report.events {
//!     println!("{} {:?} {}", event.time, event.kind, event.identity);
//! }
//! # Ok::<(), breakglass_scan::ScanError>(())
//! ```
#![forbid(unsafe_code)]
// Functions stay under clippy.toml's too-many-lines-threshold; tests may be longer.
#![cfg_attr(not(test), deny(clippy::too_many_lines))]

mod files;
pub mod prefilter;
pub mod record;
mod scanner;
#[cfg(test)]
mod tests;

pub use files::files_under;
pub use prefilter::Prefilter;
pub use record::{Event, EventKind, SourceLocation, match_record};
pub use scanner::{
    FileFormat, FileReport, ScanOptions, ScanReport, Watchlist, scan_bytes, scan_files,
};

/// Why a scan cannot start. Problems with single files are not errors: they are reported in
/// [`FileReport::problem`] and the scan goes on.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The identities name nothing to look for.
    #[error("the identities name nothing to look for (no app id, user, key id or object id)")]
    NothingToWatch,
    /// A watched string is too short to search for reliably.
    #[error("`{0}` is too short to search for; ids and user principal names are expected")]
    NeedleTooShort(String),
    /// Far too many watched strings.
    #[error("too many identities to watch")]
    TooManyNeedles,
}
