//! The golden suite on the reference auth service and mirror
//! (`fixtures/reference`): authguard finds nothing in it, and exactly the
//! expected findings in each deliberately broken copy of it.
//!
//! A mutation is a small, named edit applied to a temporary copy of the
//! reference. Its findings are compared with golden human and JSON reports
//! (`tests/golden/reference/`, re-blessed with `AUTHGUARD_BLESS=1`), and
//! with the codes written next to it here, so a re-bless cannot quietly
//! accept a finding that should not be there.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_golden, codes, json, root, run};

/// One edit of a file of the reference copy.
enum Edit {
    /// A new file with this text.
    Create(&'static str, &'static str),
    /// Text added at the end of an existing file.
    Append(&'static str, &'static str),
}

/// A named mutation: its edits, and the codes it must produce, in report order.
struct Mutation {
    name: &'static str,
    edits: Vec<Edit>,
    codes: Vec<&'static str>,
}

fn reference() -> PathBuf {
    root().join("fixtures/reference")
}

fn golden(name: &str) -> PathBuf {
    root().join("tests/golden/reference").join(name)
}

/// Copy the reference (sources only) into a new temporary directory.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("authguard-reference-").tempdir().unwrap();
    copy_dir(&reference(), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        // Build and Python caches are not part of the reference.
        if matches!(name.to_str(), Some("target" | "__pycache__" | ".pytest_cache")) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn apply(dir: &Path, edits: &[Edit]) {
    for edit in edits {
        match edit {
            Edit::Create(path, text) => {
                let full = dir.join(path);
                assert!(!full.exists(), "{path} already exists in the reference: use Append");
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(full, text).unwrap();
            }
            Edit::Append(path, text) => {
                let full = dir.join(path);
                let mut old = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"));
                old.push_str(text);
                std::fs::write(full, old).unwrap();
            }
        }
    }
}

/// Check `dir` in both formats; compare with the goldens `<name>.{json,human}.snap`.
fn check_golden(dir: &Path, name: &str) -> serde_json::Value {
    let out = run(dir, &["check", "--format", "json"]);
    assert!(out.code == 0 || out.code == 1, "{name}: exit {}:\n{}", out.code, out.stderr);
    let report = json(&out);
    assert_golden(&golden(&format!("{name}.json.snap")), &format!("exit: {}\n{}", out.code, out.stdout));
    let human = run(dir, &["check", "--color", "never"]);
    assert_eq!(human.code, out.code);
    assert_golden(&golden(&format!("{name}.human.snap")), &format!("exit: {}\n{}", human.code, human.stdout));
    report
}

#[test]
fn the_reference_is_clean() {
    // As users run it, from the repository root with the default policy …
    let out = run(&root(), &["check", "fixtures/reference", "--format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = json(&out);
    assert_eq!(codes(&report), Vec::<String>::new());
    assert!(report["summary"]["files_scanned"].as_u64().unwrap() >= 20, "{}", report["summary"]);
    // … and from inside a copy, with the reference's own stricter policy.
    let dir = copy();
    let report = check_golden(dir.path(), "clean");
    assert_eq!(codes(&report), Vec::<String>::new());
}

#[test]
fn each_mutation_yields_exactly_its_findings() {
    let mut failures = Vec::new();
    for m in mutations() {
        let dir = copy();
        apply(dir.path(), &m.edits);
        let report = check_golden(dir.path(), m.name);
        let got = codes(&report);
        if got != m.codes {
            failures.push(format!("{}: expected {:?}, got {:?}", m.name, m.codes, got));
        }
        let errors = report["summary"]["errors"].as_u64().unwrap();
        if errors == 0 {
            failures.push(format!("{}: no error finding, so it would not fail a check", m.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every rule has a mutation in every language the reference holds
    // (AUTH009 is about environment files only; there, the rules that read
    // env files).
    let language = |m: &Mutation| {
        let path = match &m.edits[0] {
            Edit::Create(p, _) | Edit::Append(p, _) => *p,
        };
        match path.rsplit('.').next() {
            Some("sql") => "sql",
            Some("py") => "python",
            Some("rs") => "rust",
            _ => "env",
        }
    };
    let all = mutations();
    for lang in ["sql", "python", "rust", "env"] {
        for rule in authguard::rules::ALL {
            let needed = match lang {
                "env" => matches!(rule.code, "AUTH009" | "AUTH010" | "AUTH011"),
                _ => rule.code != "AUTH009",
            };
            let found = all.iter().any(|m| language(m) == lang && m.codes.contains(&rule.code));
            assert!(!needed || found, "no {lang} mutation for {}", rule.code);
        }
    }
}

/// The mutations. Names say what the edit does; the `arch-` ones translate
/// the ❌ examples of `auth-separation.md` into the reference's languages.
fn mutations() -> Vec<Mutation> {
    use Edit::{Append, Create};
    let m = |name, edits, codes| Mutation { name, edits, codes };
    vec![
        // ---------------------------------------------------------------- SQL
        m(
            "arch-sql-auth-fields-on-mirror",
            vec![Create(
                "backend/sql/0099_auth_fields.sql",
                "-- The architecture's WRONG migration, in SQL.\nALTER TABLE userbase ADD COLUMN password_hash TEXT;\nALTER TABLE userbase ADD COLUMN mfa_secret TEXT;\n",
            )],
            vec!["AUTH001", "AUTH001"],
        ),
        m(
            "sql-backend-creates-an-auth-table",
            vec![Create("backend/sql/0099_sessions.sql", "CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id INTEGER NOT NULL);\n")],
            vec!["AUTH002"],
        ),
        m(
            "arch-sql-email-changed-in-the-backend",
            vec![Create("backend/sql/fix_emails.sql", "UPDATE userbase SET email = lower(email) WHERE id = 7;\n")],
            vec!["AUTH003"],
        ),
        m(
            "arch-sql-reads-the-password-hash",
            vec![Create("backend/sql/login.sql", "SELECT id, hashed_password FROM userbase WHERE email = $1;\n")],
            vec!["AUTH004"],
        ),
        m(
            "arch-sql-writes-the-password-hash",
            vec![Create("backend/sql/set_password.sql", "UPDATE userbase SET hashed_password = $1 WHERE id = $2;\n")],
            vec!["AUTH003", "AUTH005"],
        ),
        m(
            "arch-sql-creates-users-directly",
            vec![Create("backend/sql/invite.sql", "INSERT INTO userbase (id, email, plan_tier) VALUES ($1, $2, 'free');\n")],
            vec!["AUTH006"],
        ),
        m(
            "arch-sql-validates-sessions-locally",
            vec![Create("backend/sql/session.sql", "SELECT user_id FROM sessions WHERE token = $1;\n")],
            vec!["AUTH007", "AUTH008"],
        ),
        m(
            "sql-auth-service-reads-the-mirror",
            vec![Create("auth_service/migrations/0099_backfill.sql", "INSERT INTO login_attempts (email, success, at) SELECT email, 1, 0 FROM userbase;\n")],
            vec!["AUTH008"],
        ),
        m(
            "sql-unparsable-migration",
            vec![Create("auth_service/migrations/0099_broken.sql", "ALTER TABLE users ADD COLUMN;\n")],
            vec!["AUTH010"],
        ),
        m(
            "sql-suppression-without-a-reason",
            vec![Create("backend/sql/legacy.sql", "-- authguard-ignore AUTH003\nUPDATE userbase SET email = 'x' WHERE id = 1;\n")],
            vec!["AUTH011", "AUTH003"],
        ),
        m(
            "sql-stale-suppression",
            vec![Create("backend/sql/report.sql", "-- authguard-ignore AUTH008: the old report read users\nSELECT count(*) FROM userbase;\n")],
            vec!["AUTH012"],
        ),
        // ---------------------------------------------------------------- Alembic and Python
        m(
            "arch-alembic-auth-fields-on-mirror",
            vec![Create(
                "backend/alembic/versions/0099_auth_fields.py",
                concat!(
                    "from alembic import op\nimport sqlalchemy as sa\n\nrevision = \"0099\"\ndown_revision = \"0004\"\nbranch_labels = None\ndepends_on = None\n\n\n",
                    "def upgrade():\n    # NEVER add auth fields to main backend!\n    op.add_column('userbase',\n        sa.Column('password_hash', sa.String()))  # WRONG!\n    op.add_column('userbase',\n        sa.Column('mfa_secret', sa.String()))     # WRONG!\n\n\ndef downgrade():\n    pass\n",
                ),
            )],
            vec!["AUTH001", "AUTH001"],
        ),
        m(
            "alembic-backend-creates-an-auth-table",
            vec![Create(
                "backend/alembic/versions/0099_refresh_tokens.py",
                concat!(
                    "from alembic import op\nimport sqlalchemy as sa\n\nrevision = \"0099\"\ndown_revision = \"0004\"\nbranch_labels = None\ndepends_on = None\n\n\n",
                    "def upgrade():\n    op.create_table(\"refresh_tokens\", sa.Column(\"token\", sa.Text(), primary_key=True))\n\n\ndef downgrade():\n    op.drop_table(\"refresh_tokens\")\n",
                ),
            )],
            vec!["AUTH002", "AUTH002"],
        ),
        m(
            "arch-alembic-email-backfill",
            vec![Create(
                "backend/alembic/versions/0099_emails.py",
                concat!(
                    "from alembic import op\nimport sqlalchemy as sa\n\nrevision = \"0099\"\ndown_revision = \"0004\"\nbranch_labels = None\ndepends_on = None\n\n\n",
                    "def upgrade():\n    op.execute(\"UPDATE userbase SET email = lower(email)\")\n\n\ndef downgrade():\n    pass\n",
                ),
            )],
            vec!["AUTH003"],
        ),
        m(
            "arch-alembic-creates-users",
            vec![Create(
                "backend/alembic/versions/0099_seed.py",
                concat!(
                    "from alembic import op\nimport sqlalchemy as sa\n\nrevision = \"0099\"\ndown_revision = \"0004\"\nbranch_labels = None\ndepends_on = None\n\n\n",
                    "def upgrade():\n    op.execute(\"INSERT INTO userbase (id, email, created_at, updated_at) VALUES (1, 'admin@example.com', 0, 0)\")\n\n\ndef downgrade():\n    op.execute(\"DELETE FROM userbase WHERE id = 1\")\n",
                ),
            )],
            vec!["AUTH006"],
        ),
        m(
            "alembic-reads-the-auth-database",
            vec![Create(
                "backend/alembic/versions/0099_copy.py",
                concat!(
                    "from alembic import op\nimport sqlalchemy as sa\n\nrevision = \"0099\"\ndown_revision = \"0004\"\nbranch_labels = None\ndepends_on = None\n\n\n",
                    "def upgrade():\n    op.execute(\"SELECT id, email FROM users\")\n\n\ndef downgrade():\n    pass\n",
                ),
            )],
            vec!["AUTH008"],
        ),
        m(
            "arch-python-verifies-hashes-and-tokens",
            vec![Create(
                "backend/scripts/check_login.py",
                concat!(
                    "import bcrypt\nimport jwt\nfrom passlib.context import CryptContext\n\npwd_context = CryptContext(schemes=[\"bcrypt\"])\n\n\n",
                    "def login(password, stored):\n    return bcrypt.checkpw(password.encode(), stored)\n\n\n",
                    "def new_hash(password):\n    return pwd_context.hash(password)\n\n\n",
                    "def claims(token, key):\n    return jwt.decode(token, key, algorithms=[\"HS256\"])\n",
                ),
            )],
            vec!["AUTH004", "AUTH005", "AUTH007"],
        ),
        m(
            "alembic-unparsable",
            vec![Create("backend/alembic/versions/0099_broken.py", "revision = \"0099\"\ndown_revision = \"0004\"\n\ndef upgrade(:\n    pass\n")],
            vec!["AUTH010"],
        ),
        m(
            "python-suppression-without-a-reason",
            vec![Create(
                "backend/alembic/versions/0099_emails.py",
                concat!(
                    "from alembic import op\n\nrevision = \"0099\"\ndown_revision = \"0004\"\nbranch_labels = None\ndepends_on = None\n\n\n",
                    "def upgrade():\n    # authguard-ignore AUTH003\n    op.execute(\"UPDATE userbase SET email = lower(email)\")\n\n\ndef downgrade():\n    pass\n",
                ),
            )],
            vec!["AUTH011", "AUTH003"],
        ),
        m(
            "python-stale-suppression",
            vec![Create(
                "backend/alembic/versions/0099_noop.py",
                concat!(
                    "from alembic import op\n\nrevision = \"0099\"\ndown_revision = \"0004\"\nbranch_labels = None\ndepends_on = None\n\n\n",
                    "def upgrade():\n    # authguard-ignore AUTH001: the column went away\n    op.add_column(\"userbase\", __import__(\"sqlalchemy\").Column(\"picture\", __import__(\"sqlalchemy\").Text()))\n\n\ndef downgrade():\n    pass\n",
                ),
            )],
            vec!["AUTH012"],
        ),
        // ---------------------------------------------------------------- Rust
        m(
            "rust-backend-adds-an-auth-field",
            vec![Append(
                "backend/src/db.rs",
                "\n/// Added by a mutation.\npub fn add_mfa(conn: &rusqlite::Connection) -> rusqlite::Result<usize> {\n    conn.execute(\"ALTER TABLE userbase ADD COLUMN mfa_secret TEXT\", [])\n}\n",
            )],
            vec!["AUTH001"],
        ),
        m(
            "rust-backend-creates-an-auth-table",
            vec![Append(
                "backend/src/db.rs",
                "\n/// Added by a mutation.\npub fn add_sessions(conn: &rusqlite::Connection) -> rusqlite::Result<usize> {\n    conn.execute(\"CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id INTEGER)\", [])\n}\n",
            )],
            vec!["AUTH002"],
        ),
        m(
            "arch-rust-email-changed-in-the-backend",
            vec![Append(
                "backend/src/api.rs",
                "\n/// Added by a mutation: the e-mail changed here, not through the auth service.\nfn change_email_locally(conn: &Connection, user_id: i64, email: &str) -> rusqlite::Result<usize> {\n    conn.execute(\"UPDATE userbase SET email = ?1 WHERE id = ?2\", rusqlite::params![email, user_id])\n}\n",
            )],
            vec!["AUTH003"],
        ),
        m(
            "arch-rust-direct-authentication",
            vec![Append(
                "backend/src/api.rs",
                concat!(
                    "\n/// Added by a mutation: the architecture's WRONG direct authentication.\n",
                    "fn login_locally(conn: &Connection, email: &str, password: &str) -> bool {\n",
                    "    use argon2::{Argon2, PasswordHash, PasswordVerifier};\n",
                    "    let stored: String = conn\n        .query_row(\"SELECT hashed_password FROM userbase WHERE email = ?1\", [email], |r| r.get(0))\n        .unwrap_or_default();\n",
                    "    let parsed = PasswordHash::new(&stored).unwrap();\n",
                    "    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()\n}\n",
                ),
            )],
            vec!["AUTH004", "AUTH004"],
        ),
        m(
            "arch-rust-password-stored-in-the-backend",
            vec![Append(
                "backend/src/api.rs",
                concat!(
                    "\n/// Added by a mutation: `user.hashed_password = hash_password(new_password)`.\n",
                    "fn set_password_locally(conn: &Connection, user_id: i64, new_password: &str) -> rusqlite::Result<usize> {\n",
                    "    let hashed = bcrypt::hash(new_password, bcrypt::DEFAULT_COST).unwrap();\n",
                    "    conn.execute(\"UPDATE userbase SET hashed_password = ?1 WHERE id = ?2\", rusqlite::params![hashed, user_id])\n}\n",
                ),
            )],
            vec!["AUTH005", "AUTH003", "AUTH005"],
        ),
        m(
            "arch-rust-creates-users-directly",
            vec![Append(
                "backend/src/api.rs",
                "\n/// Added by a mutation: a user created in the backend.\nfn invite(conn: &Connection, id: i64, email: &str) -> rusqlite::Result<usize> {\n    conn.execute(\n        \"INSERT INTO userbase (id, email, created_at, updated_at) VALUES (?1, ?2, 0, 0)\",\n        rusqlite::params![id, email],\n    )\n}\n",
            )],
            vec!["AUTH006"],
        ),
        m(
            "arch-rust-validates-tokens-locally",
            vec![Append(
                "backend/src/request_auth.rs",
                "\n/// Added by a mutation: a token decoded here instead of asking the auth service.\npub fn claims(token: &str, key: &[u8]) -> Option<serde_json::Value> {\n    jsonwebtoken::decode::<serde_json::Value>(token, &jsonwebtoken::DecodingKey::from_secret(key), &jsonwebtoken::Validation::default())\n        .ok()\n        .map(|d| d.claims)\n}\n",
            )],
            vec!["AUTH007"],
        ),
        m(
            "rust-backend-reads-the-auth-database",
            vec![Append(
                "backend/src/api.rs",
                "\n/// Added by a mutation: the auth database's users read directly.\nfn auth_email(conn: &Connection, id: i64) -> rusqlite::Result<String> {\n    conn.query_row(\"SELECT email FROM users WHERE id = ?1\", [id], |r| r.get(0))\n}\n",
            )],
            vec!["AUTH008"],
        ),
        m(
            "rust-auth-service-writes-the-mirror",
            vec![Append(
                "auth_service/src/db.rs",
                "\n/// Added by a mutation: the auth service writing the backend's mirror.\npub fn push_plan(conn: &rusqlite::Connection) -> rusqlite::Result<usize> {\n    conn.execute(\"UPDATE userbase SET plan_tier = 'free'\", [])\n}\n",
            )],
            vec!["AUTH008"],
        ),
        m(
            "rust-unparsable",
            vec![Append("backend/src/api.rs", "\nfn broken( {\n")],
            vec!["AUTH010"],
        ),
        m(
            "rust-suppression-without-a-reason",
            vec![Append(
                "backend/src/api.rs",
                "\nfn renamed(conn: &Connection) -> rusqlite::Result<usize> {\n    // authguard-ignore AUTH003\n    conn.execute(\"UPDATE userbase SET email = 'x'\", [])\n}\n",
            )],
            vec!["AUTH011", "AUTH003"],
        ),
        m(
            "rust-stale-suppression",
            vec![Append(
                "backend/src/api.rs",
                "\n// authguard-ignore AUTH004: the old login helper lived here\nfn nothing_left() {}\n",
            )],
            vec!["AUTH012"],
        ),
        // ---------------------------------------------------------------- environment
        m(
            "arch-env-backend-gets-the-auth-database",
            vec![Append("backend/.env.example", "AUTH_DB_HOST=auth-db.internal\nAUTH_DB_PASSWORD=change-me\n")],
            vec!["AUTH009", "AUTH009"],
        ),
        m(
            "env-unparsable",
            vec![Append("backend/.env.example", "AUTH_SERVICE_TIMEOUT 2s\n")],
            vec!["AUTH010"],
        ),
        m(
            "env-suppression-without-a-reason",
            vec![Append("backend/.env.example", "# authguard-ignore AUTH009\nAUTH_DATABASE_URL=postgres://auth-db.internal/auth\n")],
            vec!["AUTH011", "AUTH009"],
        ),
        m(
            "env-auth-service-gets-the-main-database",
            vec![Append("auth_service/.env.example", "DATABASE_URL=postgres://main-db.internal/app\n")],
            vec!["AUTH009"],
        ),
    ]
}
