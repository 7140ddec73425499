//! The one severity scale of breakglass.

use serde::{Deserialize, Serialize};

/// How bad something is: an audit finding, an event a detection or the watcher raises, a
/// notice of a plan. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Identities files written before one severity served all read `informational`.
    #[serde(alias = "informational")]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses `critical`, `high`, `medium`, `low` or `info`, ignoring case.
    pub fn parse(text: &str) -> Option<Severity> {
        [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.label().eq_ignore_ascii_case(text.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_read_their_labels_and_the_old_informational() {
        for severity in [Severity::Info, Severity::Low, Severity::Critical] {
            let json = serde_json::to_string(&severity).unwrap();
            assert_eq!(json, format!("\"{}\"", severity.label()));
            assert_eq!(serde_json::from_str::<Severity>(&json).unwrap(), severity);
        }
        assert_eq!(
            serde_json::from_str::<Severity>("\"informational\"").unwrap(),
            Severity::Info
        );
        assert_eq!(Severity::parse(" HIGH "), Some(Severity::High));
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
    }
}
