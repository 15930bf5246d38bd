#![doc = include_str!("../README.md")]

pub mod error;
pub mod format;
pub mod keyfile;
pub mod metadata;
pub mod rpc;
pub mod tx;

pub use error::Error;
