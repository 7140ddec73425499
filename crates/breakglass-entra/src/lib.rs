//! breakglass-entra: the client of the Microsoft identity platform v2.0 token endpoint and
//! of Microsoft Graph.
//!
//! * [`HttpClient`]: one reqwest client per cloud profile (trusting only the profile's CA
//!   when it names one), with the retry loop.
//! * Tokens: [`ClientCredentialsFlow`] (secret or certificate assertion),
//!   [`DeviceCodeFlow`] (operator sign-in), [`AccessToken::from_handed_in`],
//!   [`azcli::access_token_from_az_cli`].
//! * [`GraphClient`]: typed Graph requests, paging, `$batch`, replication-delay retries.
//! * [`EntraError`]: errors with a [`EntraError::hint`].
#![forbid(unsafe_code)]
// Functions stay under clippy.toml's too-many-lines-threshold; tests may be longer.
#![cfg_attr(not(test), deny(clippy::too_many_lines))]

pub mod arm;
pub mod azcli;
pub mod credential;
pub mod device_code;
pub mod error;
pub mod graph;
pub mod http;
pub mod pkcs11;
pub mod token;

pub use arm::{ArmClient, ArmResponse};
pub use credential::{AssertionAlgorithm, CertificateCredential, ClientCredential, KeySigner};
pub use device_code::{DeviceCodeFlow, DeviceCodePrompt};
pub use error::{CredentialError, EntraError, GraphError, TokenError};
pub use graph::{
    BatchRequest, BatchResponse, GraphClient, GraphResponse, Page, Query, ReplicationPolicy,
    graph_error, odata_string, retry_while_replicating,
};
pub use http::{HttpClient, HttpOptions};
pub use token::{
    AccessToken, CachingTokenProvider, ClientCredentialsFlow, TokenAnswer, TokenClaims,
    TokenProvider, parse_token_answer,
};

#[cfg(test)]
mod tests;
