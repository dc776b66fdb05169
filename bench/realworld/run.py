#!/usr/bin/env python3
"""Score authguard on public projects against hand-written annotations.

Each bench/realworld/projects/<slug>/ holds a project.toml (the repository, its pinned
commit and the paths to check), the policy a user of that project would write
(authguard.yaml) and expected.tsv, the annotations: which (path, line, code) must be
reported, which must not, and which are debatable. prepare.sh extracts the pinned
trees; this script checks each tree and prints recall, precision, the AUTH010 count and
the statements left unread, one row per project.

Python 3.11 standard library only. Exit status: 0 when every project was scored; 2 when
a tree is missing or at another commit, the annotations are malformed, or authguard
could not run on a tree.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects"
MARKER = ".authguard-commit"
HEADER = ["path", "line", "code", "verdict", "note"]
VERDICTS = ("must", "must-not", "may")
UNPARSABLE = "AUTH010"


class HarnessError(Exception):
    """A condition that makes a project impossible to score (exit status 2)."""


@dataclasses.dataclass(frozen=True)
class Annotation:
    """One row of expected.tsv."""

    path: str
    line: int
    code: str
    verdict: str
    note: str

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.path, self.line, self.code)


@dataclasses.dataclass(frozen=True)
class Finding:
    """The part of a JSON finding the score looks at, and its message for --verbose."""

    path: str
    line: int
    code: str
    message: str = ""

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.path, self.line, self.code)


@dataclasses.dataclass
class Score:
    """How one run's findings compare with the annotations."""

    must_total: int = 0
    must_found: int = 0
    # Findings, not annotations: two findings on one annotated line count twice.
    true_positives: int = 0
    judged: int = 0
    auth010_total: int = 0
    auth010_must: int = 0
    missed: list[Annotation] = dataclasses.field(default_factory=list)
    unannotated: list[Finding] = dataclasses.field(default_factory=list)
    reported_must_not: list[tuple[Finding, Annotation]] = dataclasses.field(default_factory=list)
    auth010: list[Finding] = dataclasses.field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.must_found / self.must_total if self.must_total else None

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.judged if self.judged else None

    def add(self, other: "Score") -> None:
        """Pool another project's counts into this one (for the total row)."""
        for field in ("must_total", "must_found", "true_positives", "judged",
                      "auth010_total", "auth010_must"):
            setattr(self, field, getattr(self, field) + getattr(other, field))


def parse_expected(text: str, source: str = "expected.tsv") -> list[Annotation]:
    """Read an expected.tsv; raise HarnessError on anything malformed.

    The file must be sorted by path, line, code and name each key once, so that a
    diff of the annotations stays readable and a duplicate cannot hide a typo.
    """
    lines = text.splitlines()
    if not lines or lines[0].split("\t") != HEADER:
        raise HarnessError(f"{source}: the first line must be the header {' '.join(HEADER)!r} (tab-separated)")
    rows: list[Annotation] = []
    for number, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        cells = raw.split("\t")
        if len(cells) != len(HEADER):
            raise HarnessError(f"{source}:{number}: {len(cells)} cells, expected {len(HEADER)}")
        path, line, code, verdict, note = cells
        if not path or path.startswith("/") or "\\" in path:
            raise HarnessError(f"{source}:{number}: path must be relative with / separators")
        if not line.isdigit() or int(line) < 1:
            raise HarnessError(f"{source}:{number}: line must be a number from 1")
        if len(code) != 7 or not code.startswith("AUTH") or not code[4:].isdigit():
            raise HarnessError(f"{source}:{number}: code must be AUTHnnn, not {code!r}")
        if verdict not in VERDICTS:
            raise HarnessError(f"{source}:{number}: verdict must be one of {', '.join(VERDICTS)}")
        if not note.strip():
            raise HarnessError(f"{source}:{number}: every annotation needs a note saying why")
        rows.append(Annotation(path, int(line), code, verdict, note))
    keys = [row.key for row in rows]
    for before, after in zip(keys, keys[1:]):
        if after == before:
            raise HarnessError(f"{source}: {after[0]}:{after[1]} {after[2]} is annotated twice")
        if after < before:
            raise HarnessError(f"{source}: not sorted by path, line, code at {after[0]}:{after[1]} {after[2]}")
    return rows


def check_annotations_exist(rows: list[Annotation], tree: Path, source: str) -> None:
    """Every annotated path must be a file of the tree and every line must exist in it."""
    lengths: dict[str, int] = {}
    for row in rows:
        if row.path not in lengths:
            file = tree / row.path
            if not file.is_file():
                raise HarnessError(f"{source}: {row.path} is not a file of {tree}")
            with open(file, "rb") as handle:
                lengths[row.path] = sum(1 for _ in handle)
        if row.line > lengths[row.path]:
            raise HarnessError(f"{source}: {row.path} has {lengths[row.path]} lines, annotated line {row.line}")


def score(findings: list[Finding], annotations: list[Annotation]) -> Score:
    """Compare findings with annotations: a finding matches one with equal path, line and code.

    recall = matched `must` annotations / all `must`; precision = findings matching a
    `must` / findings that match no `may`, AUTH010 left out of both (it is counted on its
    own: valid SQL must never be AUTH010, so every AUTH010 not annotated `must` is a defect
    of the tool, whatever its verdict elsewhere).
    """
    by_key = {row.key: row for row in annotations}
    found_keys = {finding.key for finding in findings}
    result = Score()
    for row in annotations:
        if row.verdict == "must":
            result.must_total += 1
            if row.key in found_keys:
                result.must_found += 1
            else:
                result.missed.append(row)
    for finding in findings:
        row = by_key.get(finding.key)
        if finding.code == UNPARSABLE:
            result.auth010_total += 1
            result.auth010.append(finding)
            if row is not None and row.verdict == "must":
                result.auth010_must += 1
            continue
        if row is not None and row.verdict == "may":
            continue
        result.judged += 1
        if row is None:
            result.unannotated.append(finding)
        elif row.verdict == "must":
            result.true_positives += 1
        else:
            result.reported_must_not.append((finding, row))
    return result


@dataclasses.dataclass
class Project:
    """A project folder: its metadata and where its files are."""

    slug: str
    repo: str
    commit: str
    paths: list[str]
    dialects: list[str]
    about: str
    folder: Path

    @property
    def tree_name(self) -> str:
        return self.repo.replace("/", "+")


def load_project(folder: Path) -> Project:
    with open(folder / "project.toml", "rb") as handle:
        meta = tomllib.load(handle)
    try:
        project = Project(
            slug=folder.name,
            repo=meta["repo"],
            commit=meta["commit"],
            paths=list(meta.get("paths", ["."])),
            dialects=list(meta.get("dialects", [])),
            about=meta.get("about", ""),
            folder=folder,
        )
    except KeyError as missing:
        raise HarnessError(f"{folder / 'project.toml'}: missing key {missing}") from None
    if len(project.commit) != 40:
        raise HarnessError(f"{folder / 'project.toml'}: commit must be 40 hex digits")
    return project


def all_projects() -> list[Project]:
    return [load_project(toml.parent) for toml in sorted(PROJECTS.glob("*/project.toml"))]


@dataclasses.dataclass
class Row:
    """One line of the table."""

    slug: str
    files: int
    findings: int
    score: Score
    unread: int | None
    seconds: float


def supports_exit_zero(authguard: str) -> bool:
    """Older builds lack --exit-zero; for those an exit status of 1 (findings) is success."""
    help_text = subprocess.run([authguard, "check", "--help"], capture_output=True, text=True).stdout
    return "--exit-zero" in help_text


def run_authguard(authguard: str, project: Project, tree: Path, exit_zero: bool) -> tuple[dict, float]:
    policy = project.folder / "authguard.yaml"
    command = [authguard, "check", "--policy", str(policy), "--format", "json"]
    if exit_zero:
        command.append("--exit-zero")
    command += ["--", *project.paths]
    started = time.monotonic()
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    seconds = time.monotonic() - started
    allowed = (0,) if exit_zero else (0, 1)
    if done.returncode not in allowed:
        raise HarnessError(f"{project.slug}: authguard exited {done.returncode}: {done.stderr.strip()[:2000]}")
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        raise HarnessError(f"{project.slug}: authguard printed no JSON report ({error})") from None
    return report, seconds


def findings_of(report: dict) -> list[Finding]:
    return [Finding(f["path"], int(f["line"]), f["code"], f.get("message", "")) for f in report.get("findings", [])]


def read_marker(text: str) -> tuple[str | None, list[str]]:
    """The commit of a marker and the paths extracted; no paths means the whole tree.

    prepare.sh writes the commit on the first line and, when it extracted only part of
    the tree, the paths it extracted one a line after it.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None, []
    return lines[0], lines[1:]


def normal_path(path: str) -> str:
    """A project path as prepare.sh records it: no leading ./, no surrounding /."""
    return path.strip("/").removeprefix("./") or "."


def covered(path: str, extracted: list[str]) -> bool:
    """Whether a project path lies in what the marker says was extracted."""
    if not extracted:
        return True
    want = normal_path(path)
    for got in map(normal_path, extracted):
        if got == "." or want == got or want.startswith(got + "/"):
            return True
    return False


def evaluate(authguard: str, project: Project, repos: Path, exit_zero: bool) -> Row:
    tree = repos / project.tree_name
    if not tree.is_dir():
        raise HarnessError(f"{project.slug}: {tree} is missing (run bench/realworld/prepare.sh)")
    marker = tree / MARKER
    have, extracted = read_marker(marker.read_text()) if marker.is_file() else (None, [])
    if have != project.commit:
        raise HarnessError(
            f"{project.slug}: {tree} is at {have or 'an unknown commit (no marker)'}, "
            f"not {project.commit} (run bench/realworld/prepare.sh)"
        )
    lacking = [path for path in project.paths if not covered(path, extracted)]
    if lacking:
        raise HarnessError(
            f"{project.slug}: {tree} was extracted without {', '.join(lacking)} "
            f"(run bench/realworld/prepare.sh)"
        )
    expected = project.folder / "expected.tsv"
    annotations = parse_expected(expected.read_text(), str(expected))
    check_annotations_exist(annotations, tree, str(expected))
    report, seconds = run_authguard(authguard, project, tree, exit_zero)
    findings = findings_of(report)
    result = score(findings, annotations)
    summary = report.get("summary", {})
    row = Row(project.slug, int(summary.get("files_scanned", 0)), len(findings), result,
              summary.get("unread_statements"), seconds)
    return row


def print_details(row: Row) -> None:
    result = row.score
    out = sys.stdout
    print(f"== {row.slug}", file=out)
    for item in result.missed:
        print(f"  missed must       {item.path}:{item.line} {item.code}  ({item.note})", file=out)
    for finding, item in result.reported_must_not:
        print(f"  reported must-not {finding.path}:{finding.line} {finding.code}  ({item.note})", file=out)
    for finding in result.unannotated:
        print(f"  unannotated       {finding.path}:{finding.line} {finding.code}  {finding.message}", file=out)
    for finding in result.auth010:
        print(f"  AUTH010           {finding.path}:{finding.line}  {finding.message}", file=out)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


COLUMNS = ["project", "files", "findings", "must found", "recall", "precision", "AUTH010 (must/all)", "unread", "seconds"]


def cells(row: Row) -> list[str]:
    result = row.score
    return [
        row.slug,
        str(row.files),
        str(row.findings),
        f"{result.must_found}/{result.must_total}",
        percent(result.recall),
        percent(result.precision),
        f"{result.auth010_must}/{result.auth010_total}",
        "–" if row.unread is None else str(row.unread),
        f"{row.seconds:.2f}",
    ]


def total_row(rows: list[Row]) -> Row:
    pooled = Score()
    for row in rows:
        pooled.add(row.score)
    unread = [row.unread for row in rows if row.unread is not None]
    return Row(
        "total",
        sum(row.files for row in rows),
        sum(row.findings for row in rows),
        pooled,
        sum(unread) if unread else None,
        sum(row.seconds for row in rows),
    )


def render(rows: list[Row], markdown: bool) -> str:
    table = [COLUMNS] + [cells(row) for row in rows]
    if markdown:
        lines = ["| " + " | ".join(table[0]) + " |", "| " + " | ".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + " |"]
        lines += ["| " + " | ".join(line) + " |" for line in table[1:]]
        return "\n".join(lines)
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(line))
        for line in table
    )


def as_json(rows: list[Row], authguard: str, version: str | None) -> dict:
    def entry(row: Row) -> dict:
        result = row.score
        return {
            "project": row.slug,
            "files": row.files,
            "findings": row.findings,
            "must_found": result.must_found,
            "must_total": result.must_total,
            "recall": result.recall,
            "precision": result.precision,
            "auth010": result.auth010_total,
            "auth010_must": result.auth010_must,
            "unread_statements": row.unread,
            "seconds": round(row.seconds, 3),
            "missed": [[a.path, a.line, a.code] for a in result.missed],
            "unannotated": [[f.path, f.line, f.code] for f in result.unannotated],
            "reported_must_not": [[f.path, f.line, f.code] for f, _ in result.reported_must_not],
        }

    return {"authguard": authguard, "version": version, "projects": [entry(row) for row in rows]}


def default_authguard() -> str:
    return str(HERE.parent.parent / "target" / "release" / "authguard")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=Path, default=Path(os.environ.get("REALWORLD_DIR", "/work/rw")),
                        help="folder of trees made by prepare.sh (default: $REALWORLD_DIR, else /work/rw)")
    parser.add_argument("--authguard", default=default_authguard(),
                        help="authguard binary (default: target/release/authguard of this repository)")
    parser.add_argument("--project", action="append", metavar="SLUG", help="score only this project (repeatable)")
    parser.add_argument("--verbose", action="store_true",
                        help="list missed musts, reported must-nots, unannotated findings and AUTH010 findings")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)

    try:
        projects = all_projects()
    except HarnessError as error:
        print(f"run.py: {error}", file=sys.stderr)
        return 2
    if args.project:
        known = {p.slug for p in projects}
        unknown = [slug for slug in args.project if slug not in known]
        if unknown:
            print(f"run.py: unknown project(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}", file=sys.stderr)
            return 2
        projects = [p for p in projects if p.slug in args.project]
    if not Path(args.authguard).is_file():
        print(f"run.py: no authguard binary at {args.authguard} (build it, or pass --authguard)", file=sys.stderr)
        return 2

    exit_zero = supports_exit_zero(args.authguard)
    version_run = subprocess.run([args.authguard, "--version"], capture_output=True, text=True)
    version = version_run.stdout.strip() or None
    rows: list[Row] = []
    failed = False
    for project in projects:
        try:
            rows.append(evaluate(args.authguard, project, args.repos, exit_zero))
        except HarnessError as error:
            print(f"run.py: {error}", file=sys.stderr)
            failed = True
    if rows:
        print(f"# {args.authguard} ({version or 'unknown version'})")
        print(render(rows + [total_row(rows)], args.markdown))
        if args.verbose:
            for row in rows:
                print_details(row)
    if args.json:
        args.json.write_text(json.dumps(as_json(rows, args.authguard, version), indent=2) + "\n")
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
