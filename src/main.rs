//! The `authguard` binary: parse arguments, run, exit.

use std::process::ExitCode;

use clap::Parser;

// Parsing allocates a small object per token and AST node; mimalloc makes
// those allocations markedly cheaper than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = authguard::cli::Cli::parse();
    ExitCode::from(authguard::app::run(cli.command))
}
