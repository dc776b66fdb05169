//! The `authguard` binary: parse arguments, run, exit.

use std::process::ExitCode;

use clap::Parser;

// Parsing allocates a small object per token and AST node; mimalloc makes
// those allocations markedly cheaper than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_e`; the
/// crate names the options around it, 14 and 16, but not this one).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // By default mimalloc hands freed memory back to the OS after 10 ms and
    // the next file faults it in again, zeroed: a third of the time on a
    // tree of Python files. A short-lived linter can keep what it freed.
    // SAFETY: setting an allocator option before threads start; the call
    // only stores an integer in mimalloc's option table.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    let cli = authguard::cli::Cli::parse();
    ExitCode::from(authguard::app::run(cli.command))
}
