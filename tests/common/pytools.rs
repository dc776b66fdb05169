//! Python command-line tools the integration tests drive (pre-commit,
//! check-jsonschema), installed from PyPI into a virtual environment under
//! `target/`, once, by whichever test asks first.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// Pinned versions: the tests' results must not move with PyPI.
const PACKAGES: &[&str] = &["pre-commit==4.7.0", "check-jsonschema==0.39.0", "alembic==1.20.1", "sqlalchemy==2.1.9"];

static LOCK: Mutex<()> = Mutex::new(());

/// The virtual environment's `bin` directory, created and filled on first
/// use. Panics, naming the command, when Python or PyPI is not reachable:
/// the tests that need these tools must not pass silently without them.
pub fn bin() -> PathBuf {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("test-venv");
    let bin = venv.join("bin");
    let stamp = venv.join("installed.txt");
    let want = PACKAGES.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return bin;
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    run(Command::new(&python).args(["-m", "venv", "--clear"]).arg(&venv));
    run(Command::new(bin.join("pip")).args(["install", "--quiet", "--disable-pip-version-check"]).args(PACKAGES));
    std::fs::write(&stamp, want).expect("write the venv's stamp");
    bin
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
