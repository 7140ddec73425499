//! breakglass-sim: a local Microsoft Entra ID tenant simulator.
#![forbid(unsafe_code)]
