//! The real-world harness's own scoring tests (`bench/realworld/test_run.py`),
//! run with the rest of the suite so that a change to the scorer is tested
//! where every other change is.

use std::process::Command;

#[test]
fn the_real_world_scorer_passes_its_unit_tests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .args(["-B", "-m", "unittest", "discover", "-s", "bench/realworld", "-p", "test_*.py"])
        .current_dir(root)
        .output()
        .expect("python3 runs (the test suite needs it, as the README says)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench/realworld unit tests failed:\n{stderr}");
    // unittest reports "Ran N tests" on standard error: at least one ran.
    let ran = stderr.lines().find_map(|l| l.strip_prefix("Ran ")).and_then(|r| r.split_whitespace().next());
    assert!(ran.and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n > 0), "no scorer test ran:\n{stderr}");
}
