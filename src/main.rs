//! The `authguard` binary: parse arguments, run, exit.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = authguard::cli::Cli::parse();
    ExitCode::from(authguard::app::run(cli.command))
}
