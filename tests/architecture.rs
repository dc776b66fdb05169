//! The architecture document's ❌ examples that need ORM typing, with just
//! enough context to run (imports, a function, the `User` model of the
//! mirror): each is caught at the right place. Its ✅ examples and the other
//! ❌ ones are verbatim in the rule fixtures.

mod common;

use common::{json, root, run};

#[test]
fn orm_examples_of_the_architecture_are_caught() {
    let out = run(&root().join("fixtures/architecture"), &["check", "--format", "json"]);
    let report = json(&out);
    let got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!("{} {}:{}:{}", f["code"].as_str().unwrap(), f["path"].as_str().unwrap(), f["line"], f["column"])
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // if verify_password(password, user.hashed_password):  # NEVER DO THIS!
            "AUTH004 backend/app/api/auth_direct.py:7:8",
            "AUTH004 backend/app/api/auth_direct.py:7:39",
            // user.hashed_password = hash_password(new_password)  # NEVER!
            "AUTH003 backend/app/services/password_update.py:7:10",
            "AUTH005 backend/app/services/password_update.py:7:10",
            "AUTH005 backend/app/services/password_update.py:7:28",
            // Email changes and user creation belong to the auth service.
            "AUTH003 backend/app/services/password_update.py:13:10",
            "AUTH006 backend/app/services/password_update.py:14:12",
        ]
    );
    assert_eq!(out.code, 1);
}
