#!/usr/bin/env python3
"""Generate a synthetic split-auth repository to benchmark authguard.

The tree has a main-backend subtree (`backend/`) and an auth-service subtree
(`auth_service/`).  `--mix mixed` writes SQL migrations, Python, Rust, dotenv
files and files authguard does not read (Markdown, JSON, text, PNG-like
blobs); `--mix sql` only SQL migrations; `--mix python` only Python: Alembic
migrations (one linear revision chain per versions folder), SQLAlchemy
models and FastAPI-style handlers; `--mix rust` only Rust: sqlx row structs
with their queries, and handlers.

Violations of the default policy (shared/CONTRACT.md) are planted in SQL and
.env files (mixed, sql), in Python migrations and handlers (python) or in Rust
functions (rust), one
finding per planted statement, line or call; everything else is written to be
clean under the default policy.  DIR/expected.json records the planted
findings (count per code, and where), and files/bytes per kind.

Python 3.11 standard library only.  Output is a pure function of
(--files, --seed, --mix) and this script's text.
"""
import argparse
import hashlib
import json
import math
import random
import shutil
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve()

# ---------------------------------------------------------------- vocabulary
# Column kinds -> SQL type.  Every table has `id`, `user_id` (except the user
# tables themselves) and `created_at`, so joins and CTEs can be generic.
SQL_TYPE = {"uuid": "uuid", "bigint": "bigint", "int": "integer", "text": "text",
            "varchar": "varchar(64)", "bool": "boolean", "ts": "timestamptz",
            "jsonb": "jsonb", "numeric": "numeric(12, 2)"}
PY_TYPE = {"uuid": "UUID(as_uuid=True)", "bigint": "BigInteger", "int": "Integer",
           "text": "Text", "varchar": "String(64)", "bool": "Boolean",
           "ts": "DateTime(timezone=True)", "jsonb": "JSONB", "numeric": "Numeric(12, 2)"}
RS_TYPE = {"uuid": "Uuid", "bigint": "i64", "int": "i32", "text": "String",
           "varchar": "String", "bool": "bool", "ts": "DateTime<Utc>",
           "jsonb": "serde_json::Value", "numeric": "f64"}

# Named tables of the default policy, with clean columns only.  userbase holds
# business fields only: no email, nothing containing password/passwd/secret.
NAMED = {
    "userbase": [("id", "uuid"), ("full_name", "text"), ("picture", "text"), ("role", "varchar"),
                 ("plan_tier", "varchar"), ("feature_flags", "jsonb"), ("permissions", "jsonb"),
                 ("tool_permissions", "jsonb"), ("created_at", "ts"), ("updated_at", "ts")],
    "secrets": [("id", "bigint"), ("user_id", "uuid"), ("key_name", "varchar"), ("encrypted_value", "text"),
                ("scope", "varchar"), ("created_at", "ts"), ("updated_at", "ts")],
    "tool_usage_logs": [("id", "bigint"), ("user_id", "uuid"), ("tool_name", "varchar"), ("tokens_used", "int"),
                        ("duration_ms", "int"), ("status", "varchar"), ("created_at", "ts")],
    "agent_sessions": [("id", "bigint"), ("user_id", "uuid"), ("agent_name", "varchar"), ("state", "jsonb"),
                       ("started_at", "ts"), ("ended_at", "ts"), ("created_at", "ts")],
    "corpus_data": [("id", "bigint"), ("user_id", "uuid"), ("title", "text"), ("content", "text"),
                    ("embedding_model", "varchar"), ("created_at", "ts")],
    # auth database: the auth service may hold auth-owned fields here.
    "users": [("id", "uuid"), ("email", "varchar"), ("hashed_password", "text"), ("email_verified", "bool"),
              ("mfa_enabled", "bool"), ("last_login", "ts"), ("failed_login_count", "int"),
              ("account_locked", "bool"), ("created_at", "ts"), ("updated_at", "ts")],
    "sessions": [("id", "uuid"), ("user_id", "uuid"), ("token_hash", "varchar"), ("ip_address", "varchar"),
                 ("user_agent", "text"), ("expires_at", "ts"), ("revoked_at", "ts"), ("created_at", "ts")],
    "oauth_tokens": [("id", "bigint"), ("user_id", "uuid"), ("provider", "varchar"), ("access_token_hash", "varchar"),
                     ("scopes", "text"), ("expires_at", "ts"), ("created_at", "ts")],
    "refresh_tokens": [("id", "bigint"), ("user_id", "uuid"), ("token_hash", "varchar"), ("expires_at", "ts"),
                       ("revoked", "bool"), ("created_at", "ts")],
    "password_resets": [("id", "bigint"), ("user_id", "uuid"), ("code_hash", "varchar"), ("expires_at", "ts"),
                        ("used_at", "ts"), ("created_at", "ts")],
    "login_attempts": [("id", "bigint"), ("user_id", "uuid"), ("ip_address", "varchar"), ("succeeded", "bool"),
                       ("created_at", "ts")],
}
MAIN_NAMED = ["userbase", "secrets", "tool_usage_logs", "agent_sessions", "corpus_data"]
AUTH_NAMED = ["users", "sessions", "oauth_tokens", "refresh_tokens", "password_resets", "login_attempts"]
USER_TABLES = {"userbase", "users"}  # keyed by `id`; every other table by `user_id`

# Business tables the policy does not name: prefix_noun, plus a few plain ones.
# None of these collide with a named table.
MAIN_PREFIX = ["billing", "crm", "project", "workspace", "analytics", "report", "team", "task",
               "pipeline", "dataset", "doc", "asset", "support", "content", "prompt"]
AUTH_PREFIX = ["audit", "client", "device", "consent", "tenant", "scope", "signing"]
NOUNS = ["events", "items", "entries", "records", "notes", "links", "jobs", "runs", "batches",
         "metrics", "quotas", "rules", "tags", "snapshots", "exports", "reviews", "labels", "schedules"]
MAIN_BIZ = ["projects", "invoices"] + [f"{p}_{n}" for p in MAIN_PREFIX for n in NOUNS]
AUTH_BIZ = ["audit_log", "client_apps"] + [f"{p}_{n}" for p in AUTH_PREFIX for n in NOUNS]
BIZ_COLS = [("title", "text"), ("status", "varchar"), ("amount_cents", "bigint"), ("currency", "varchar"),
            ("description", "text"), ("priority", "int"), ("due_at", "ts"), ("archived", "bool"),
            ("metadata", "jsonb"), ("external_ref", "varchar"), ("quantity", "int"), ("score", "numeric"),
            ("region", "varchar"), ("locale", "varchar"), ("category", "varchar"), ("notes", "text"),
            ("revision", "int"), ("checksum", "varchar"), ("started_at", "ts"), ("finished_at", "ts"),
            ("owner_team", "varchar"), ("is_public", "bool"), ("weight", "numeric"), ("slug", "varchar")]
WORDS = ("alpha beta gamma delta rollout ledger cohort quota usage trial export import draft review "
         "archive invoice report metric budget region account plan tier team project agent corpus "
         "pipeline dataset label batch window cache index shard replica queue worker schedule").split()
MODULES = ["billing", "agents", "corpus", "tools", "workspace", "analytics", "admin", "notifications",
           "projects", "reports", "search", "teams", "profile", "exports", "prompts", "datasets"]
AUTH_MODULES = ["accounts", "tokens", "oauth", "mfa", "audit", "clients", "devices", "recovery"]


def columns(table):
    """Columns of a table; business tables get a stable pseudo-random set."""
    if table in NAMED:
        return NAMED[table]
    r = random.Random(zlib.crc32(table.encode()))
    return [("id", "bigint"), ("user_id", "uuid")] + r.sample(BIZ_COLS, r.randint(4, 9)) + \
        [("created_at", "ts"), ("updated_at", "ts")]


def key(table):
    return "id" if table in USER_TABLES else "user_id"


def camel(table):
    return "".join(p.capitalize() for p in table.split("_"))


def singular(word):
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def words(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def uuid(r):
    h = "%032x" % r.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def sql_value(r, kind):
    return {"uuid": lambda: f"'{uuid(r)}'", "bigint": lambda: str(r.randint(1, 10**9)),
            "int": lambda: str(r.randint(0, 5000)), "text": lambda: f"'{words(r, r.randint(2, 8))}'",
            "varchar": lambda: f"'{r.choice(WORDS)}_{r.randint(1, 99)}'",
            "bool": lambda: r.choice(["true", "false"]),
            "ts": lambda: r.choice(["now()", f"'2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} 10:00:00+00'"]),
            "jsonb": lambda: f"'{{\"{r.choice(WORDS)}\": {r.randint(0, 9)}}}'::jsonb",
            "numeric": lambda: f"{r.randint(0, 9999)}.{r.randint(0, 99):02d}"}[kind]()


def loguniform(r, lo, hi):
    return int(math.exp(r.uniform(math.log(lo), math.log(hi))))


# ---------------------------------------------------------------- clean SQL
class Side:
    """What one service may touch: its named tables and business tables."""
    def __init__(self, name, named, biz, sync=False):
        self.name, self.named, self.biz, self.sync = name, named, biz, sync

    def table(self, r):
        return r.choice(self.named) if r.random() < 0.45 else r.choice(self.biz)

    def writable(self, t):
        """Clean updatable columns: never the key, never created_at."""
        return [c for c in columns(t) if c[0] not in ("id", "user_id", "created_at")]


def sql_create(r, side, t):
    cols = []
    for name, kind in columns(t):
        if name == "id":
            cols.append("id uuid PRIMARY KEY" if kind == "uuid" else "id bigserial PRIMARY KEY")
        elif name == "user_id":
            ref = "users" if side.name == "auth" else "userbase"
            cols.append(f"user_id uuid NOT NULL REFERENCES {ref} (id) ON DELETE CASCADE")
        elif name == "created_at":
            cols.append("created_at timestamptz NOT NULL DEFAULT now()")
        else:
            cols.append(f"{name} {SQL_TYPE[kind]}" + (" NOT NULL" if r.random() < 0.2 else ""))
    if r.random() < 0.3 and t not in NAMED:
        cols.append(f"CONSTRAINT {t}_created_check CHECK (created_at > '2020-01-01')")
    return f"CREATE TABLE IF NOT EXISTS {t} (\n    " + ",\n    ".join(cols) + "\n);"


def sql_ddl(r, side):
    t = side.table(r)
    c, kind = r.choice(side.writable(t))
    form = r.randrange(7)
    if form == 0:
        return sql_create(r, side, t)
    if form == 1:
        return f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c} {SQL_TYPE[kind]};"
    if form == 2:
        return f"ALTER TABLE {t} ALTER COLUMN {c} " + r.choice(["SET NOT NULL;", "DROP NOT NULL;", "DROP DEFAULT;"])
    if form == 3:
        return f"CREATE INDEX IF NOT EXISTS ix_{t}_{c} ON {t} ({c});"
    if form == 4:
        return f"CREATE UNIQUE INDEX IF NOT EXISTS ux_{t}_{c} ON {t} ({key(t)}, {c});"
    if form == 5:
        return f"COMMENT ON TABLE {t} IS '{words(r, r.randint(3, 9))}';"
    if t in NAMED:  # only business tables lose columns
        return f"COMMENT ON COLUMN {t}.{c} IS '{words(r, 4)}';"
    return f"ALTER TABLE {t} DROP COLUMN IF EXISTS legacy_{r.choice(WORDS)};"


def sql_insert(r, side):
    t = r.choice(side.biz + [n for n in side.named if n != "userbase" or side.sync])
    cols = [c for c in columns(t) if not (c[0] == "id" and c[1] == "bigint")]
    rows = [", ".join(sql_value(r, k) for _, k in cols) for _ in range(r.randint(1, 6))]
    tail = " ON CONFLICT DO NOTHING" if r.random() < 0.3 else ""
    return (f"INSERT INTO {t} ({', '.join(c for c, _ in cols)}) VALUES\n    ("
            + "),\n    (".join(rows) + f"){tail};")


def sql_update(r, side):
    t = side.table(r)
    sets = r.sample(side.writable(t), min(3, len(side.writable(t))))
    assigns = ", ".join(f"{c} = {sql_value(r, k)}" for c, k in sets if c != "updated_at")
    if "updated_at" in [c for c, _ in columns(t)]:
        assigns = (assigns + ", " if assigns else "") + "updated_at = now()"
    kcol = key(t)
    return f"UPDATE {t} SET {assigns} WHERE {kcol} = {sql_value(r, 'uuid')};"


def sql_delete(r, side):
    t = r.choice(side.biz)
    return f"DELETE FROM {t} WHERE created_at < now() - interval '{r.randint(7, 400)} days';"


def sql_select(r, side):
    a, b = side.table(r), r.choice(side.biz)
    ca = [c for c, _ in r.sample(columns(a), 3)]
    cb = [c for c, _ in r.sample(columns(b), 2)]
    form = r.randrange(4)
    if form == 0:
        return (f"SELECT {', '.join(ca)}\nFROM {a}\nWHERE created_at > now() - interval '30 days'\n"
                f"ORDER BY created_at DESC\nLIMIT {r.randint(10, 500)};")
    if form == 1:
        join = r.choice(["JOIN", "LEFT JOIN"])
        return (f"SELECT {', '.join('a.' + c for c in ca)}, {', '.join('b.' + c for c in cb)}\n"
                f"FROM {a} a\n{join} {b} b ON b.user_id = a.{key(a)}\n"
                f"WHERE b.created_at >= '2024-01-01'\nORDER BY a.created_at\nLIMIT {r.randint(10, 500)};")
    if form == 2:
        return (f"WITH recent AS (\n    SELECT user_id, count(*) AS n, max(created_at) AS last_seen\n"
                f"    FROM {b}\n    WHERE created_at > now() - interval '{r.randint(1, 90)} days'\n"
                f"    GROUP BY user_id\n)\nSELECT {', '.join('a.' + c for c in ca)}, r.n, r.last_seen\n"
                f"FROM {a} a\nJOIN recent r ON r.user_id = a.{key(a)}\nWHERE r.n > {r.randint(1, 20)}\n"
                f"ORDER BY r.n DESC\nLIMIT 100;")
    return (f"SELECT a.{key(a)}, count(*) AS total\nFROM {a} a\n"
            f"WHERE EXISTS (SELECT 1 FROM {b} b WHERE b.user_id = a.{key(a)} AND b.created_at > now() - interval '7 days')\n"
            f"GROUP BY a.{key(a)}\nHAVING count(*) > {r.randint(1, 9)};")


def sql_statement(r, side):
    if side.sync and r.random() < 0.35:  # sync code creates mirror rows (allowed there)
        return sql_insert_userbase(r)
    f = r.choices([sql_ddl, sql_insert, sql_update, sql_delete, sql_select], [3, 2, 2, 1, 3])[0]
    return f(r, side)


def sql_insert_userbase(r):
    return ("INSERT INTO userbase (id, full_name, role, plan_tier, created_at) VALUES "
            f"('{uuid(r)}', '{words(r, 2)}', 'member', 'free', now()) ON CONFLICT DO NOTHING;")


# ---------------------------------------------------------------- planted violations
# Each returns (text, identifier): the identifier is the one the finding names.
AUTH001_FIELDS = ["mfa_secret", "mfa_enabled", "email_verified", "last_login", "failed_login_count",
                  "account_locked", "password_changed_at", "totp_secret"]


def plant(code, side, r):
    if code == "AUTH001":
        f = r.choice(AUTH001_FIELDS)
        return r.choice([
            (f"ALTER TABLE userbase ADD COLUMN {f} text;", f),
            (f"ALTER TABLE public.userbase ADD COLUMN IF NOT EXISTS {f} boolean DEFAULT false;", f),
            (f"ALTER TABLE userbase ALTER COLUMN {f} SET DEFAULT NULL;", f),
            (f"ALTER TABLE userbase RENAME COLUMN picture TO {f};", f)])
    if code == "AUTH002":
        t = r.choice(["users", "sessions"])
        return r.choice([
            (f"CREATE TABLE IF NOT EXISTS {t} (\n    id uuid PRIMARY KEY,\n    full_name text,\n"
             f"    created_at timestamptz NOT NULL DEFAULT now()\n);", t),
            (f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS display_locale text;", t),
            (f"DROP TABLE IF EXISTS {t};", t)])
    if code == "AUTH003":
        return (f"UPDATE userbase SET email = '{r.choice(WORDS)}@example.com', updated_at = now() "
                f"WHERE id = '{uuid(r)}';", "email")
    if code == "AUTH006":
        return (f"INSERT INTO userbase (id, full_name, plan_tier, created_at) VALUES "
                f"('{uuid(r)}', '{words(r, 2)}', 'free', now());", "userbase")
    if code == "AUTH008" and side == "main":
        return r.choice([
            (f"SELECT id, created_at FROM users WHERE id = '{uuid(r)}';", "users"),
            ("SELECT b.id, b.plan_tier\nFROM userbase b\nJOIN public.users u ON u.id = b.id\n"
             "WHERE b.plan_tier = 'pro';", "users")])
    if code == "AUTH008":
        return r.choice([
            (f"SELECT id, plan_tier FROM userbase WHERE id = '{uuid(r)}';", "userbase"),
            (f"DELETE FROM userbase WHERE id = '{uuid(r)}';", "userbase")])
    if code == "AUTH009" and side == "main":
        return r.choice([("AUTH_DB_HOST=auth-db.internal", "AUTH_DB_HOST"),
                         ("export AUTH_DB_PASSWORD=\"changeme\"", "AUTH_DB_PASSWORD"),
                         ("AUTH_DATABASE_URL=postgres://auth@auth-db:5432/auth", "AUTH_DATABASE_URL")])
    return r.choice([("DATABASE_URL=postgres://backend@main-db:5432/main", "DATABASE_URL"),
                     ("DB_HOST=main-db.internal", "DB_HOST")])


# Python plants (python mix only), each one finding: (text, identifier, import line it needs).
# The identifier is where authguard points: a name given as a string literal at its opening
# quote, a call at its method name, SQL in a string at the name inside it.
# Migration plants are upgrade() lines; handler plants are whole functions.  None has a
# downgrade counterpart (dropping `sessions` would be a second AUTH002).
PY_PLANT_FIELDS = ["mfa_secret", "mfa_enabled", "email_verified", "last_login", "failed_login_count",
                   "account_locked", "totp_secret"]  # auth-owned, none a password field (that is AUTH005's)


def py_plant(code, r, k):
    if code == "AUTH001":
        f = r.choice(PY_PLANT_FIELDS)
        return r.choice([
            (f"    op.add_column(\"userbase\", sa.Column(\"{f}\", sa.Text(), nullable=True))", f'"{f}"', None),
            (f"    op.add_column(\n        \"userbase\",\n        sa.Column(\"{f}\", sa.Boolean(), "
             f"nullable=False, server_default=sa.false()),\n    )", f'"{f}"', None)])
    if code == "AUTH002":
        t = r.choice(["users", "sessions"])
        return r.choice([
            (f"    op.create_table(\n        \"{t}\",\n        sa.Column(\"id\", postgresql.UUID(as_uuid=True), "
             f"primary_key=True),\n        sa.Column(\"full_name\", sa.Text(), nullable=True),\n"
             f"        sa.Column(\"created_at\", sa.DateTime(timezone=True), nullable=False),\n    )", f'"{t}"', None),
            (f"    op.add_column(\"{t}\", sa.Column(\"display_locale\", sa.Text(), nullable=True))", f'"{t}"', None)])
    if code == "AUTH008":
        return r.choice([
            ("    op.execute(\"SELECT * FROM users\")", "users", None),
            (f"    op.execute(\"SELECT id, created_at FROM users WHERE created_at > now() - interval "
             f"'{r.randint(1, 90)} days'\")", "users", None)])
    if code == "AUTH003":  # the mirror's email, via a model typed by a query
        get = r.choice(["db.query(User).filter(User.id == user_id).first()", "db.get(User, user_id)"])
        return (f"\n\ndef change_contact_{k}(db: Session, user_id: Any, address: str) -> None:\n"
                f"    user = {get}\n    user.email = address\n    db.commit()\n", "email", None)
    if code == "AUTH004":
        return (f"\n\ndef check_pin_{k}(pin: str, digest: bytes) -> bool:\n"
                f"    return bcrypt.checkpw(pin.encode(), digest)\n", "checkpw", "import bcrypt")
    if code == "AUTH005":
        return (f"\n\ndef digest_pin_{k}(pin: str) -> bytes:\n"
                f"    return bcrypt.hashpw(pin.encode(), bcrypt.gensalt())\n", "hashpw", "import bcrypt")
    if code == "AUTH006":
        return (f"\n\ndef invite_member_{k}(db: Session, user_id: Any, name: str) -> None:\n"
                f"    db.add(User(id=user_id, full_name=name, plan_tier=\"free\", role=\"member\"))\n"
                f"    db.commit()\n", "User",
                # A constructor types a row only through a class it can resolve: the star import
                # alone is not enough for authguard (queries are).
                "from app.models import User")
    assert code == "AUTH007", code
    return (f"\n\ndef token_claims_{k}(token: str, key: str) -> dict:\n"
            f"    return jwt.decode(token, key, algorithms=[\"HS256\"])\n", "decode", "import jwt")


def gen_sql(r, size, side, planted):
    """Statements up to ~size bytes; planted (text, ident) statements go in at random places."""
    stmts = [f"-- Migration: {words(r, r.randint(3, 7))}\n-- Owner: {side.name} team"]
    body = []
    total = 0
    for _ in range(300):  # fill to 85-100% of the drawn size, skipping statements that overshoot
        s = sql_statement(r, side)
        if body and total + len(s) > size:
            continue
        body.append((s, None))
        total += len(s) + 2
        if total >= 0.85 * size:
            break
    for p in planted:
        body.insert(r.randint(0, len(body)), p)
    if r.random() < 0.4:
        body = [("BEGIN;", None)] + body + [("COMMIT;", None)]
    return assemble(stmts + [b for b in body], "\n\n", planted)


def assemble(parts, sep, planted):
    """Join parts (strings, or planted tuples starting (text, identifier)); return (text,
    [(line, column)] of each planted identifier), in the order of `planted`, not of the file:
    the caller pairs them with the codes it planted."""
    out, at, pos = [], [], 0
    for part in parts:
        text, ident = (part, None) if isinstance(part, str) else part[:2]
        at.append((part, pos + find_ident(text, ident)) if ident is not None else (part, None))
        out.append(text)
        pos += len(text) + len(sep)
    content = sep.join(out) + "\n"
    locs, used = [], set()
    for p in planted:  # by identity: the same tuple objects were inserted into parts
        j = next(j for j, (part, off) in enumerate(at) if off is not None and part is p and j not in used)
        used.add(j)
        locs.append(line_col(content, at[j][1]))
    return content, locs


def find_ident(text, ident):
    """Offset of the identifier as a whole word (skipping e.g. `users` inside `public.users`'s prefix)."""
    i = 0
    while True:
        i = text.index(ident, i)
        before = text[i - 1] if i else " "
        after = text[i + len(ident)] if i + len(ident) < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return i
        i += 1


def line_col(content, off):
    line = content.count("\n", 0, off) + 1
    return line, off - (content.rfind("\n", 0, off) + 1) + 1


# ---------------------------------------------------------------- env files
def gen_env(r, service, planted):
    if service == "main":
        pool = ["DB_HOST=main-db.internal", "DB_PORT=5432", "DB_NAME=netra_production",
                "DB_USER=backend_service", "DB_PASSWORD=local-dev-only",
                "DATABASE_URL=postgres://backend@main-db:5432/main", "AUTH_SERVICE_URL=http://auth-service.internal:8001",
                "AUTH_SERVICE_API_KEY=\"dev-key\"", "REDIS_URL=redis://cache:6379/0", "LOG_LEVEL=info",
                "export FEATURE_FLAGS_SOURCE=db", "WORKERS=4", "SENTRY_ENVIRONMENT='staging'"]
    else:
        pool = ["AUTH_DB_HOST=auth-db.internal", "AUTH_DB_PORT=5432", "AUTH_DB_NAME=auth_production",
                "AUTH_DB_USER=auth_service", "AUTH_DB_PASSWORD=local-dev-only",
                "AUTH_DATABASE_URL=postgres://auth@auth-db:5432/auth", "JWT_ALGORITHM=RS256",
                "SESSION_TTL_SECONDS=3600", "REDIS_URL=redis://auth-cache:6379/1", "LOG_LEVEL=info",
                "export MFA_ISSUER=\"Example\"", "BACKEND_WEBHOOK_URL=http://backend.internal:8000/webhooks/auth"]
    lines = [("# " + words(r, r.randint(2, 6)), None)]
    for v in r.sample(pool, r.randint(4, len(pool))):
        lines.append((v, None))
        if r.random() < 0.2:
            lines.append(("", None) if r.random() < 0.5 else ("# " + words(r, 3), None))
    for p in planted:
        lines.insert(r.randint(1, len(lines)), p)
    return assemble(lines, "\n", planted)


# ---------------------------------------------------------------- Python
def py_str(s):
    return json.dumps(s)  # a valid Python literal for ASCII text


def py_alembic(r, side, size, rev, down, planted=()):
    """One migration; `rev`/`down` place it in its folder's chain (down None: the root)."""
    r.getrandbits(48), r.getrandbits(48)  # ids drawn here once; kept so the file's stream is unchanged
    up, downs = [], []
    while sum(map(len, up + downs)) < size - 400:  # ~400 bytes of header
        t = side.table(r)
        form = r.randrange(4)
        if form == 0 and t not in NAMED:
            cols = ",\n".join(f"        sa.Column({py_str(c)}, sa.{PY_TYPE[k]}"
                              .replace("sa.UUID", "postgresql.UUID").replace("sa.JSONB", "postgresql.JSONB")
                              + (", primary_key=True)" if c == "id" else ", nullable=True)")
                              for c, k in columns(t))
            up.append(f"    op.create_table(\n        {py_str(t)},\n{cols},\n    )")
            downs.append(f"    op.drop_table({py_str(t)})")
        elif form == 1:
            c, k = r.choice(side.writable(t))
            typ = ("postgresql." if k in ("uuid", "jsonb") else "sa.") + PY_TYPE[k]
            up.append(f"    op.add_column({py_str(t)}, sa.Column({py_str(c)}, {typ}, nullable=True))")
            downs.append(f"    op.drop_column({py_str(t)}, {py_str(c)})")
        elif form == 2:
            c, _ = r.choice(side.writable(t))
            up.append(f"    op.create_index({py_str(f'ix_{t}_{c}')}, {py_str(t)}, [{py_str(c)}])")
            downs.append(f"    op.drop_index({py_str(f'ix_{t}_{c}')}, table_name={py_str(t)})")
        else:
            up.append(f"    op.execute({py_str(sql_update(r, side))})")
    for p in planted:
        up.insert(r.randint(0, len(up)), p)
    head = (f'"""{words(r, 5)}\n\nRevision ID: {rev}\nRevises: {down or ""}\n"""\n'
            "from alembic import op\nimport sqlalchemy as sa\nfrom sqlalchemy.dialects import postgresql\n\n"
            f"revision = {py_str(rev)}\ndown_revision = {py_str(down) if down else None}\n"
            "branch_labels = None\ndepends_on = None\n\n\ndef upgrade() -> None:")
    tail = "\n\ndef downgrade() -> None:\n" + ("\n".join(reversed(downs)) or "    pass")
    return assemble([head] + up + [tail], "\n", planted)


def py_model(r, t):
    cols = []
    for c, k in columns(t):
        extra = ", primary_key=True" if c == "id" else ""
        if c == "user_id":
            ref = "users.id" if t in AUTH_NAMED or t in AUTH_BIZ else "userbase.id"
            extra = f", ForeignKey({py_str(ref)}), nullable=False, index=True"
        cols.append(f"    {c} = Column({PY_TYPE[k]}{extra})")
    names = ", ".join(f"{py_str(c)}: self.{c}" for c, _ in columns(t)[:5])
    return (f"class {camel(t)}(Base):\n    __tablename__ = {py_str(t)}\n\n" + "\n".join(cols) + "\n\n"
            f"    def __repr__(self) -> str:\n        return f\"<{camel(t)} id={{self.id}}>\"\n\n"
            f"    def to_dict(self) -> dict:\n        return {{{names}}}\n")


PY_HEADER = ("from __future__ import annotations\n\nimport datetime as dt\nfrom typing import Any\n\n"
             "from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Integer, Numeric, String, Text, text\n"
             "from sqlalchemy.dialects.postgresql import JSONB, UUID\nfrom sqlalchemy.orm import Session\n\n"
             "from app.db import Base, get_db\nfrom app.models import *  # noqa: F403\n")


def py_user_model(side):
    """`User` over each service's user table (python mix): authguard tells the two apart by service."""
    t = "userbase" if side.name == "main" else "users"
    cols = [c for c in columns(t) if c[0] in ("id", "email", "full_name", "plan_tier", "role", "created_at",
                                               "updated_at", "email_verified", "mfa_enabled")]
    if t == "userbase":
        cols.insert(1, ("email", "varchar"))  # the mirror may hold email
    body = "\n".join(f"    {c} = Column({PY_TYPE[k]}{', primary_key=True' if c == 'id' else ''})" for c, k in cols)
    return f"\n\nclass User(Base):\n    __tablename__ = {py_str(t)}\n\n{body}\n"


def py_models(r, side, size, user_model=False):
    out, seen = [PY_HEADER + (py_user_model(side) if user_model else "")], []
    while sum(map(len, out)) < size:
        t = side.table(r)
        if t not in seen:
            seen.append(t)
            out.append("\n\n" + py_model(r, t))
        elif len(seen) >= len(side.named) + len(side.biz):
            break
        else:
            out.append(f"\n\ndef count_{r.choice(WORDS)}_{len(out)}(rows: list[Any]) -> int:\n"
                       f"    \"\"\"{words(r, 6)}.\"\"\"\n    return sum(1 for row in rows if row is not None)\n")
    return "".join(out)


def py_handlers(r, side, size, planted=()):
    header = PY_HEADER
    for line in sorted({m for _, _, m in planted if m}, reverse=True):
        if line.startswith("import "):  # stdlib-style imports with `datetime`, app imports last
            header = header.replace("import datetime as dt\n", f"import datetime as dt\n{line}\n", 1)
        else:
            header += line + "\n"
    out = [header + "from fastapi import APIRouter, Depends, HTTPException\nfrom pydantic import BaseModel\n\n"
           "from app.clients import auth_client\n\nrouter = APIRouter()\n\n\n"
           "async def current_user(token: str, db: Session = Depends(get_db)) -> Any:\n"
           "    # Tokens are validated by the auth service, never locally.\n"
           "    validation = await auth_client.validate_token(token)\n"
           "    if not validation or not validation.get(\"valid\"):\n"
           "        raise HTTPException(status_code=401, detail=\"invalid token\")\n"
           "    return validation[\"user_id\"]\n"]
    n = 0
    while sum(map(len, out)) < size:
        n += 1
        t = r.choice(side.biz)
        m, s = camel(t), singular(t)
        cols = [c for c in side.writable(t) if c[0] != "updated_at"][:4]
        fields = "\n".join(f"    {c}: {'str' if k in ('text', 'varchar') else 'Any'} | None = None" for c, k in cols)
        sets = "\n".join(f"    if payload.{c} is not None:\n        item.{c} = payload.{c}" for c, _ in cols)
        sql = sql_select(r, side)
        out.append(f"\n\nclass {m}Payload{n}(BaseModel):\n{fields}\n\n\n"
                   f"@router.get(\"/{t}/{{item_id}}\")\ndef get_{s}_{n}(item_id: int, db: Session = Depends(get_db), "
                   f"user_id: Any = Depends(current_user)) -> dict:\n"
                   f"    item = db.query({m}).filter({m}.id == item_id, {m}.user_id == user_id).first()\n"
                   f"    if item is None:\n        raise HTTPException(status_code=404, detail=\"not found\")\n"
                   f"    return item.to_dict()\n\n\n"
                   f"@router.post(\"/{t}\")\ndef create_{s}_{n}(payload: {m}Payload{n}, db: Session = Depends(get_db), "
                   f"user_id: Any = Depends(current_user)) -> dict:\n"
                   f"    item = {m}(user_id=user_id, **payload.dict(exclude_none=True))\n"
                   f"    db.add(item)\n    db.commit()\n    return item.to_dict()\n\n\n"
                   f"@router.patch(\"/{t}/{{item_id}}\")\ndef update_{s}_{n}(item_id: int, payload: {m}Payload{n}, "
                   f"db: Session = Depends(get_db)) -> dict:\n"
                   f"    item = db.get({m}, item_id)\n{sets}\n    db.commit()\n    return item.to_dict()\n\n\n"
                   f"def report_{s}_{n}(db: Session) -> list[Any]:\n"
                   f"    return db.execute(text({py_str(sql)})).fetchall()\n")
        if side.name == "main" and r.random() < 0.3:  # business fields of the mirror are the backend's
            out.append(f"\n\ndef set_plan_{n}(db: Session, user_id: Any, tier: str) -> None:\n"
                       f"    user = db.query(Userbase).filter(Userbase.id == user_id).first()\n"
                       f"    user.plan_tier = tier\n    user.feature_flags = {{\"{r.choice(WORDS)}\": True}}\n"
                       f"    db.commit()\n")
    if not planted:
        return "".join(out)
    parts = list(out)
    for p in planted:  # whole functions, between the generated blocks
        parts.insert(r.randint(1, len(parts)), p)
    text, locs = assemble(parts, "", planted)
    return text[:-1], locs  # the blocks end in a newline already


def py_sync(r, size):
    """Sync code: the only main-backend code that may create mirror rows."""
    out = [PY_HEADER + "from fastapi import APIRouter, Depends\n\nrouter = APIRouter()\n"]
    n = 0
    while sum(map(len, out)) < size:
        n += 1
        out.append(f"\n\n@router.post(\"/webhooks/auth/user-created-{n}\")\n"
                   f"async def handle_user_created_{n}(data: dict, db: Session = Depends(get_db)) -> None:\n"
                   f"    user = Userbase(\n        id=data[\"user_id\"],\n        full_name=data.get(\"full_name\"),\n"
                   f"        plan_tier=\"free\",\n        role=\"member\",\n        permissions={{}},\n"
                   f"        feature_flags={{}},\n    )\n    db.add(user)\n    db.commit()\n")
    return "".join(out)


# ---------------------------------------------------------------- Rust
def rs_str(s):
    return f'r#"{s}"#' if '"' in s or "\\" in s else f'"{s}"'


def rs_block(r, side, t):
    m, cols = camel(t), columns(t)
    fields = "\n".join(f"    pub {c}: {'Option<' + RS_TYPE[k] + '>' if c not in ('id', 'user_id', 'created_at') else RS_TYPE[k]},"
                       for c, k in cols)
    names = ", ".join(c for c, _ in cols)
    k = key(t)
    w = [c for c in side.writable(t) if c[0] != "updated_at"]
    c, ck = w[0]
    set_sql = f"UPDATE {t} SET {c} = $1" + (", updated_at = now()" if ("updated_at", "ts") in cols else "") + \
              f" WHERE {k} = $2"
    ins = ""
    if t != "userbase":  # mirror rows are created by sync code only
        ic = [x for x, _ in cols if x not in ("id",) or t in USER_TABLES][:4]
        ph = ", ".join(f"${i + 1}" for i in range(len(ic)))
        sql = f"INSERT INTO {t} ({', '.join(ic)}) VALUES ({ph})"
        binds = "".join(f"\n            .bind(&self.{x})" for x in ic)
        ins = (f"\n    pub async fn insert(&self, pool: &PgPool) -> Result<u64, sqlx::Error> {{\n"
               f"        let res = sqlx::query({rs_str(sql)}){binds}\n"
               f"            .execute(pool)\n            .await?;\n        Ok(res.rows_affected())\n    }}\n")
    return f"""
/// Row of `{t}`: {words(r, 6)}.
#[derive(Debug, Clone, Serialize, Deserialize, FromRow)]
pub struct {m} {{
{fields}
}}

impl {m} {{
    pub async fn find(pool: &PgPool, key: Uuid) -> Result<Vec<Self>, sqlx::Error> {{
        sqlx::query_as::<_, Self>({rs_str(f"SELECT {names} FROM {t} WHERE {k} = $1 ORDER BY created_at DESC LIMIT 100")})
            .bind(key)
            .fetch_all(pool)
            .await
    }}

    pub async fn set_{c}(pool: &PgPool, key: Uuid, value: {RS_TYPE[ck]}) -> Result<u64, sqlx::Error> {{
        let res = sqlx::query({rs_str(set_sql)})
            .bind(value)
            .bind(key)
            .execute(pool)
            .await?;
        Ok(res.rows_affected())
    }}
{ins}
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {{
        (now - self.created_at).num_days().max(0)
    }}
}}

impl std::fmt::Display for {m} {{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{
        write!(f, "{m}({{:?}})", self.id)
    }}
}}
"""


def rs_plant(code, r, k):
    """A Rust function breaking the default policy once: (text, identifier the finding points at)."""
    if code == "AUTH003":
        return (f"\n/// {words(r, 5)}.\npub async fn change_contact_{k}(pool: &PgPool, id: Uuid, address: &str) "
                f"-> Result<u64, sqlx::Error> {{\n    let res = sqlx::query(\"UPDATE userbase SET email = $1 WHERE id = $2\")"
                f"\n        .bind(address)\n        .bind(id)\n        .execute(pool)\n        .await?;\n"
                f"    Ok(res.rows_affected())\n}}\n", "email")
    if code == "AUTH004":
        return (f"\npub fn check_pin_{k}(pin: &str, digest: &str) -> bool {{\n"
                f"    bcrypt::verify(pin, digest).unwrap_or(false)\n}}\n", "verify")
    if code == "AUTH005":
        return (f"\npub fn digest_pin_{k}(pin: &str) -> String {{\n"
                f"    bcrypt::hash(pin, bcrypt::DEFAULT_COST).unwrap_or_default()\n}}\n", "hash")
    if code == "AUTH006":
        return (f"\npub async fn invite_member_{k}(pool: &PgPool, id: Uuid, name: &str) -> Result<u64, sqlx::Error> {{\n"
                f"    let res = sqlx::query(\"INSERT INTO userbase (id, full_name) VALUES ($1, $2)\")\n"
                f"        .bind(id)\n        .bind(name)\n        .execute(pool)\n        .await?;\n"
                f"    Ok(res.rows_affected())\n}}\n", "userbase")
    if code == "AUTH007":
        return (f"\npub fn token_claims_{k}(token: &str, key: &[u8]) -> Option<serde_json::Value> {{\n"
                f"    jsonwebtoken::decode::<serde_json::Value>(token, &jsonwebtoken::DecodingKey::from_secret(key), "
                f"&jsonwebtoken::Validation::default())\n        .ok()\n        .map(|d| d.claims)\n}}\n", "decode")
    assert code == "AUTH008", code
    return (f"\npub async fn recent_accounts_{k}(pool: &PgPool) -> Result<Vec<(Uuid,)>, sqlx::Error> {{\n"
            f"    sqlx::query_as(\"SELECT id FROM users WHERE created_at > now() - interval '{r.randint(1, 90)} days'\")"
            f"\n        .fetch_all(pool)\n        .await\n}}\n", "users")


def rs_file(r, side, size, planted=()):
    out = [f"//! {words(r, 8)}.\n\nuse chrono::{{DateTime, Utc}};\nuse serde::{{Deserialize, Serialize}};\n"
           "use sqlx::{FromRow, PgPool};\nuse uuid::Uuid;\n"]
    seen = []
    while True:
        t = side.table(r)
        if t in seen:  # one struct per table and file
            if len(seen) == len(side.named) + len(side.biz):
                break
            continue
        seen.append(t)
        block = rs_block(r, side, t)
        if len(seen) > 1 and sum(map(len, out)) + len(block) > size:
            break
        out.append(block)
    n = r.randint(1, 4)
    tests = "".join(f"\n    #[test]\n    fn bucket_{i}() {{\n        assert_eq!(bucket({i * 7}, 5), {i * 7 % 5});\n    }}\n"
                    for i in range(n))
    out.append("\npub fn bucket(value: u64, buckets: u64) -> u64 {\n    value % buckets.max(1)\n}\n\n"
               f"#[cfg(test)]\nmod tests {{\n    use super::*;\n{tests}}}\n")
    if not planted:
        return "".join(out)
    parts = out[:-1]
    for p in planted:
        parts.insert(r.randint(1, len(parts)), p)
    return assemble(parts + [out[-1]], "", planted)


# ---------------------------------------------------------------- files authguard does not read
def gen_markdown(r, size):
    out = [f"# {words(r, 3).title()}\n"]
    while sum(map(len, out)) < size:
        out.append(f"\n## {words(r, 2).title()}\n\n{words(r, r.randint(30, 90)).capitalize()}.\n")
    return "".join(out)


def gen_json(r, size):
    items = []
    while len(json.dumps(items)) < size:
        items.append({"name": words(r, 2), "enabled": r.random() < 0.5, "weight": r.randint(0, 100),
                      "tags": [r.choice(WORDS) for _ in range(3)]})
    return json.dumps({"version": 1, "items": items}, indent=2) + "\n"


def gen_text(r, size):
    out = []
    while sum(map(len, out)) < size:
        out.append(f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T10:{r.randint(0, 59):02d}:00Z "
                   f"{r.choice(['INFO', 'WARN', 'DEBUG'])} {words(r, r.randint(4, 14))}\n")
    return "".join(out)


# ---------------------------------------------------------------- layout
MIX = {  # share of files per kind in the mixed tree
    "sql": 0.24, "python": 0.30, "rust": 0.18, "env": 0.015,
    "markdown": 0.05, "json": 0.08, "text": 0.05, "png": 0.085,
}
IN_SCOPE = ["sql", "python", "rust", "env"]


# Python mix: roles of the non-sync Python files (about 4% of main-backend files are sync code).
PY_ROLES = {"alembic": 0.62, "models": 0.12, "handlers": 0.26}


def plan_files(r, n, mix):
    """Return a list of file specs: dict(kind, service, sub, path, sync, mix)."""
    if mix == "sql":
        counts = {"sql": n}
    elif mix == "python":
        counts = {"python": n}
    elif mix == "rust":
        counts = {"rust": n}
    else:
        counts = {k: int(n * p) for k, p in MIX.items()}
        counts["python"] += n - sum(counts.values())
    specs, used = [], set()
    for kind, count in counts.items():
        for i in range(count):
            svc = "auth" if r.random() < 0.25 else "main"
            spec = {"kind": kind, "service": svc, "sub": None, "mix": mix}
            spec["path"] = path_for(r, spec, i, used)
            specs.append(spec)
    r.shuffle(specs)
    return specs


def path_for(r, spec, i, used):
    kind, svc = spec["kind"], spec["service"]
    root = "backend" if svc == "main" else "auth_service"
    mod = r.choice(MODULES if svc == "main" else AUTH_MODULES)
    noun = r.choice(MAIN_BIZ if svc == "main" else AUTH_BIZ)
    year = r.randint(2019, 2025)
    sync = svc == "main" and kind in ("sql", "python") and r.random() < 0.04
    if kind == "sql":
        verb = r.choice(["create", "alter", "backfill", "index", "report", "cleanup"])
        p = f"{root}/db/migrations/{mod}/{year}/V{i:05d}__{verb}_{noun}.sql"
        if sync:
            p = r.choice([f"{root}/sync/sql/{mod}/{i:05d}_userbase_batch.sql",
                          f"{root}/db/{mod}/sync_userbase_{i:05d}.sql"])
    elif kind == "python" and spec["mix"] == "python":
        # One flat versions folder per service, as `alembic init` lays it out.
        spec["sub"] = "sync" if sync else r.choices(list(PY_ROLES), list(PY_ROLES.values()))[0]
        if sync:
            p = r.choice([f"{root}/app/webhooks/{mod}/auth_events_{i}.py", f"{root}/app/{mod}/sync_users_{i}.py"])
        elif spec["sub"] == "alembic":
            p = f"{root}/alembic/versions/{r.getrandbits(40):010x}_{r.choice(['create', 'alter', 'index', 'backfill'])}_{noun}.py"
        elif spec["sub"] == "models":
            p = f"{root}/app/{mod}/models/{singular(noun)}_{i}.py"
        else:
            p = f"{root}/app/{mod}/{r.choice(['api', 'routes', 'services'])}/{noun}_{i}.py"
    elif kind == "python":
        spec["sub"] = r.choice(["alembic", "models", "handlers", "handlers"])
        if sync:
            spec["sub"] = "sync"
            p = r.choice([f"{root}/app/webhooks/{mod}/auth_events_{i}.py", f"{root}/app/{mod}/sync_users_{i}.py"])
        elif spec["sub"] == "alembic":
            p = f"{root}/alembic/versions/{mod}/{r.getrandbits(40):010x}_{noun}.py"
        elif spec["sub"] == "models":
            p = f"{root}/app/{mod}/models/{singular(noun)}_{i}.py"
        else:
            p = f"{root}/app/{mod}/{r.choice(['api', 'routes', 'tests'])}/{noun}_{i}.py"
    elif kind == "rust":
        p = f"{root}/crates/{mod}/src/{r.choice(['repo', 'model', 'store'])}/{singular(noun)}_{i}.rs"
    elif kind == "env":
        stage = r.choice(["dev", "staging", "production", "test"])
        p = r.choice([f"{root}/deploy/{stage}/{mod}-{i}/.env", f"{root}/deploy/{mod}-{i}/.env.{stage}",
                      f"{root}/config/{mod}/{stage}-{i}.env"])
    elif kind == "markdown":
        p = f"{root}/docs/{mod}/{noun}_{i}.md" if r.random() < 0.8 else f"{root}/app/{mod}/README_{i}.md"
    elif kind == "json":
        p = f"{root}/config/{mod}/{noun}_{i}.json"
    elif kind == "text":
        p = f"{root}/logs/{mod}/{year}/{noun}_{i}.txt"
    else:
        p = f"{root}/assets/{mod}/img/{noun}_{i}.png"
    spec["sync"] = sync
    assert p not in used, p
    used.add(p)
    return p


def content_for(r, spec, planted):
    """Text (or bytes) of one file and the (line, column) of each planted identifier."""
    kind, svc = spec["kind"], spec["service"]
    side = Side(svc, MAIN_NAMED if svc == "main" else AUTH_NAMED,
                MAIN_BIZ if svc == "main" else AUTH_BIZ, sync=spec["sync"])
    if kind == "sql":
        return gen_sql(r, loguniform(r, 500, 7600), side, planted)
    if kind == "env":
        return gen_env(r, svc, planted)
    size = {"python": (1000, 14500), "rust": (1000, 20000), "markdown": (400, 6000),
            "json": (200, 9000), "text": (200, 8000), "png": (1000, 40000)}[kind]
    size = loguniform(r, *size)
    if kind == "python":
        sub = spec["sub"]
        if sub == "alembic":
            return py_alembic(r, side, size, spec["rev"], spec["down"], planted)
        if sub == "handlers" and planted:
            return py_handlers(r, side, size, planted)
        assert not planted, spec
        text = (py_models(r, side, size, spec.get("user_model", False)) if sub == "models"
                else py_sync(r, size) if sub == "sync" else py_handlers(r, side, size))
    elif kind == "rust":
        if planted:
            return rs_file(r, side, size, planted)
        text = rs_file(r, side, size)
    elif kind == "markdown":
        text = gen_markdown(r, size)
    elif kind == "json":
        text = gen_json(r, size)
    elif kind == "text":
        text = gen_text(r, size)
    else:
        return b"\x89PNG\r\n\x1a\n" + r.randbytes(size), []
    return text, []


def assign_violations(r, specs, n, mix):
    """Pick host files for the planted violations: {index: [(code, side)]}."""
    if mix == "python":
        return assign_python(r, specs, n)
    if mix == "rust":
        return assign_rust(r, specs, n)
    per = max(1, n // 1000)  # per code and service: 20 each for 20000 files
    want = [("AUTH001", "main"), ("AUTH002", "main"), ("AUTH003", "main"), ("AUTH006", "main"),
            ("AUTH008", "main"), ("AUTH008", "auth")]
    if mix == "mixed":
        want += [("AUTH009", "main"), ("AUTH009", "auth")]
    hosts = {}
    for code, svc in want:
        kind = "env" if code == "AUTH009" else "sql"
        # Sync code is exempt only from AUTH003/AUTH006; keep all plants outside it for simplicity.
        pool = [i for i, s in enumerate(specs) if s["kind"] == kind and s["service"] == svc and not s["sync"]]
        if not pool:
            continue
        picks = r.sample(pool, min(per, len(pool)))
        picks += [r.choice(pool) for _ in range(per - len(picks))]  # tiny trees: several per file
        for i in picks:
            hosts.setdefault(i, []).append((code, svc))
    return hosts


# Python mix: where each code is planted (all main backend, outside sync code).
PY_HOSTS = {"AUTH001": "alembic", "AUTH002": "alembic", "AUTH008": "alembic", "AUTH003": "handlers",
            "AUTH004": "handlers", "AUTH005": "handlers", "AUTH006": "handlers", "AUTH007": "handlers"}


def assign_python(r, specs, n):
    per = max(1, n // 250)  # per code: 20 each for 5000 files
    has_user_model = any(s.get("user_model") and s["service"] == "main" for s in specs)
    hosts = {}
    for code, sub in PY_HOSTS.items():
        if code in ("AUTH003", "AUTH006") and not has_user_model:
            continue  # tiny trees: no backend model maps `User` to the mirror
        pool = [i for i, s in enumerate(specs) if s["sub"] == sub and s["service"] == "main" and not s["sync"]]
        if not pool:
            continue
        picks = r.sample(pool, min(per, len(pool)))
        picks += [r.choice(pool) for _ in range(per - len(picks))]
        for i in picks:
            hosts.setdefault(i, []).append((code, "main"))
    return hosts


def assign_rust(r, specs, n):
    """Rust mix: each code planted in main-backend files (none of them sync code)."""
    per = max(1, n // 250)
    pool = [i for i, s in enumerate(specs) if s["service"] == "main"]
    hosts = {}
    for code in ["AUTH003", "AUTH004", "AUTH005", "AUTH006", "AUTH007", "AUTH008"]:
        picks = r.sample(pool, min(per, len(pool)))
        picks += [r.choice(pool) for _ in range(per - len(picks))]
        for i in picks:
            hosts.setdefault(i, []).append((code, "main"))
    return hosts


def link_revisions(specs, seed):
    """One linear revision chain per Alembic versions folder, in plan order: no missing parent,
    one head.  Ids come from a hash of the path, so no random stream is touched."""
    last = {}
    for s in specs:
        if s["sub"] != "alembic":
            continue
        folder = s["path"].rsplit("/", 1)[0]
        s["rev"] = hashlib.sha256(f"{seed}:{s['path']}".encode()).hexdigest()[:12]
        s["down"] = last.get(folder)
        last[folder] = s["rev"]
    return sorted(last)


def mark_user_models(specs):
    """Python mix: the first models file of each service declares `User` over its user table."""
    seen = set()
    for s in specs:
        if s["mix"] == "python" and s["sub"] == "models" and s["service"] not in seen:
            s["user_model"] = True
            seen.add(s["service"])


def generator_digest():
    return hashlib.sha256(HERE.read_bytes()).hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, help="default: 20000, or 5000 for --mix python and --mix rust")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mix", choices=["mixed", "sql", "python", "rust"], default="mixed")
    ap.add_argument("--reuse", action="store_true", help="keep OUT if it was generated with the same params")
    a = ap.parse_args()
    if a.files is None:
        a.files = 5000 if a.mix in ("python", "rust") else 20000
    out = Path(a.out)
    params = {"files": a.files, "seed": a.seed, "mix": a.mix, "generator": generator_digest()}
    exp_path = out / "expected.json"
    if out.exists() and any(out.iterdir()):
        if not exp_path.exists():  # never wipe a directory this script did not make
            sys.exit(f"{out} is not empty and has no expected.json; refusing to overwrite")
        if a.reuse and json.loads(exp_path.read_text()).get("params") == params:
            print(f"reusing {out}")
            return
        shutil.rmtree(out)

    plan_rng = random.Random(a.seed)
    specs = plan_files(plan_rng, a.files, a.mix)
    alembic_dirs = link_revisions(specs, a.seed)
    mark_user_models(specs)
    hosts = assign_violations(plan_rng, specs, a.files, a.mix)
    counts, planted_list = {}, []
    files, nbytes, roles = {}, {}, {}
    for i, spec in enumerate(specs):
        r = random.Random(f"{a.seed}:{i}")  # per-file stream: one file's change leaves others alone
        plants = []
        for k, (code, svc) in enumerate(hosts.get(i, [])):
            plants.append(py_plant(code, r, k) if spec["kind"] == "python"
                          else rs_plant(code, r, k) if spec["kind"] == "rust" else plant(code, svc, r))
            counts[code] = counts.get(code, 0) + 1
        text, locs = content_for(r, spec, plants)
        assert len(locs) == len(plants), spec["path"]
        data = text.encode() if isinstance(text, str) else text
        for (code, svc), (line, col) in zip(hosts.get(i, []), locs):
            planted_list.append({"code": code, "path": spec["path"], "line": line, "column": col})
        p = out / spec["path"]
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        files[spec["kind"]] = files.get(spec["kind"], 0) + 1
        nbytes[spec["kind"]] = nbytes.get(spec["kind"], 0) + len(data)
        if spec["sub"]:
            f, b = roles.get(spec["sub"], (0, 0))
            roles[spec["sub"]] = (f + 1, b + len(data))

    counts = dict(sorted(counts.items()))
    planted_by_kind = {"sql": 0, "env": 0, "python": 0, "rust": 0}
    for i, plants in hosts.items():
        planted_by_kind[specs[i]["kind"]] += len(plants)
    expected = {
        "params": params,
        "findings": {**counts, "total": sum(counts.values())},
        "planted_by_kind": planted_by_kind,
        "files": {**dict(sorted(files.items())), "total": sum(files.values())},
        "bytes": {**dict(sorted(nbytes.items())), "total": sum(nbytes.values())},
        "in_scope": {"files": sum(files.get(k, 0) for k in IN_SCOPE),
                     "bytes": sum(nbytes.get(k, 0) for k in IN_SCOPE)},
        # Python files by role; `alembic` is what alembic-guard is timed on (the folders below).
        "python_roles": {k: {"files": f, "bytes": b} for k, (f, b) in sorted(roles.items())},
        "alembic_dirs": alembic_dirs,
        "sync_files": sum(1 for s in specs if s["sync"]),
        "planted": sorted(planted_list, key=lambda d: (d["path"], d["line"], d["column"], d["code"])),
    }
    exp_path.write_text(json.dumps(expected, indent=1) + "\n")
    mb = expected["bytes"]["total"] / 1e6
    print(f"wrote {expected['files']['total']} files, {mb:.1f} MB, "
          f"{expected['findings']['total']} planted findings to {out}")


if __name__ == "__main__":
    main()
