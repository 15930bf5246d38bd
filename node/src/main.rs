//! gpux-node: the GPUX chain node.

mod chain_spec;
mod checked_pool;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
