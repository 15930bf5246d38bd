//! The node connection, shared with `gpux` (the `gpux-client` crate): JSON-RPC over WebSocket
//! with reconnection and backoff. The worker builds and decodes with the runtime's own types
//! (`chain.rs`); it reads the runtime's metadata only to check that they still match
//! (`compat.rs`).

pub use gpux_client::rpc::{header_number, spec_version, Chain, Head, Submitted};
