"""Tests of the scoring and annotation parsing of run.py (python -m unittest, from this folder)."""

import tempfile
import unittest
from pathlib import Path

import run
from run import Annotation, Finding, HarnessError


def tsv(*rows: str) -> str:
    return "\n".join(["path\tline\tcode\tverdict\tnote", *rows]) + "\n"


ANNOTATIONS = run.parse_expected(tsv(
    "db/001.sql\t3\tAUTH001\tmust\tadds the hash to the mirror",
    "db/001.sql\t4\tAUTH001\tmust\tadds the salt to the mirror",
    "db/002.sql\t1\tAUTH010\tmust\ttruly broken SQL",
    "src/auth.rs\t10\tAUTH004\tmust\tverifies the password itself",
    "src/auth.rs\t20\tAUTH004\tmust-not\tcompares API keys, not passwords",
    "src/auth.rs\t30\tAUTH007\tmay\tdebatable: a CSRF token",
))


class ScoreTest(unittest.TestCase):
    def test_perfect_run(self):
        findings = [
            Finding("db/001.sql", 3, "AUTH001"),
            Finding("db/001.sql", 4, "AUTH001"),
            Finding("db/002.sql", 1, "AUTH010"),
            Finding("src/auth.rs", 10, "AUTH004"),
        ]
        result = run.score(findings, ANNOTATIONS)
        self.assertEqual((result.must_found, result.must_total), (4, 4))
        self.assertEqual(result.recall, 1.0)
        # AUTH010 is counted apart: three judged findings, all true.
        self.assertEqual((result.true_positives, result.judged), (3, 3))
        self.assertEqual((result.auth010_must, result.auth010_total), (1, 1))
        self.assertEqual(result.missed, [])

    def test_misses_false_alarms_and_may(self):
        findings = [
            Finding("db/001.sql", 3, "AUTH001"),
            Finding("db/001.sql", 3, "AUTH002"),  # same line, other code: unannotated
            Finding("src/auth.rs", 20, "AUTH004"),  # a must-not reported
            Finding("src/auth.rs", 30, "AUTH007"),  # may: neither counted
            Finding("src/other.rs", 1, "AUTH010"),  # AUTH010 on valid code
        ]
        result = run.score(findings, ANNOTATIONS)
        self.assertEqual((result.must_found, result.must_total), (1, 4))
        self.assertEqual([a.key for a in result.missed], [
            ("db/001.sql", 4, "AUTH001"), ("db/002.sql", 1, "AUTH010"), ("src/auth.rs", 10, "AUTH004")])
        self.assertEqual((result.true_positives, result.judged), (1, 3))
        self.assertAlmostEqual(result.precision, 1 / 3)
        self.assertEqual([f.key for f in result.unannotated], [("db/001.sql", 3, "AUTH002")])
        self.assertEqual([f.key for f, _ in result.reported_must_not], [("src/auth.rs", 20, "AUTH004")])
        self.assertEqual((result.auth010_must, result.auth010_total), (0, 1))

    def test_two_findings_on_one_annotated_line_count_twice(self):
        findings = [Finding("db/001.sql", 3, "AUTH001"), Finding("db/001.sql", 3, "AUTH001")]
        result = run.score(findings, ANNOTATIONS)
        self.assertEqual(result.must_found, 1)
        self.assertEqual((result.true_positives, result.judged), (2, 2))

    def test_nothing_judged_has_no_precision(self):
        result = run.score([Finding("src/auth.rs", 30, "AUTH007")], ANNOTATIONS)
        self.assertIsNone(result.precision)
        self.assertEqual(result.recall, 0.0)
        self.assertIsNone(run.score([], []).recall)

    def test_total_pools_counts_not_percentages(self):
        a = run.score([Finding("db/001.sql", 3, "AUTH001")], ANNOTATIONS)
        b = run.score([Finding("x.sql", 1, "AUTH002")] * 3, [])
        rows = [run.Row("a", 2, 1, a, 5, 1.0), run.Row("b", 3, 3, b, None, 0.5)]
        total = run.total_row(rows)
        self.assertEqual((total.score.true_positives, total.score.judged), (1, 4))
        self.assertEqual((total.score.must_found, total.score.must_total), (1, 4))
        self.assertEqual((total.files, total.findings, total.unread, total.seconds), (5, 4, 5, 1.5))
        self.assertEqual(run.cells(total)[3:7], ["1/4", "25%", "25%", "0/0"])


class ParseTest(unittest.TestCase):
    def test_reads_rows(self):
        self.assertEqual(ANNOTATIONS[0], Annotation("db/001.sql", 3, "AUTH001", "must", "adds the hash to the mirror"))
        self.assertEqual(len(ANNOTATIONS), 6)

    def test_rejects_malformed_files(self):
        bad = {
            "header": "path\tline\tcode\n",
            "verdict": tsv("a.sql\t1\tAUTH001\tmaybe\tx"),
            "code": tsv("a.sql\t1\tAUTH1\tmust\tx"),
            "line": tsv("a.sql\t0\tAUTH001\tmust\tx"),
            "cells": tsv("a.sql\t1\tAUTH001\tmust"),
            "note": tsv("a.sql\t1\tAUTH001\tmust\t "),
            "absolute": tsv("/a.sql\t1\tAUTH001\tmust\tx"),
            "order": tsv("b.sql\t1\tAUTH001\tmust\tx", "a.sql\t1\tAUTH001\tmust\tx"),
            "line order": tsv("a.sql\t10\tAUTH001\tmust\tx", "a.sql\t9\tAUTH001\tmust\tx"),
            "duplicate": tsv("a.sql\t1\tAUTH001\tmust\tx", "a.sql\t1\tAUTH001\tmay\ty"),
        }
        for name, text in bad.items():
            with self.subTest(name), self.assertRaises(HarnessError):
                run.parse_expected(text)

    def test_annotations_must_point_into_the_tree(self):
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp)
            (tree / "db").mkdir()
            (tree / "db" / "001.sql").write_text("a\nb\nc\n")
            ok = [Annotation("db/001.sql", 3, "AUTH001", "must", "x")]
            run.check_annotations_exist(ok, tree, "t")
            with self.assertRaises(HarnessError):
                run.check_annotations_exist([Annotation("db/001.sql", 4, "AUTH001", "must", "x")], tree, "t")
            with self.assertRaises(HarnessError):
                run.check_annotations_exist([Annotation("db/002.sql", 1, "AUTH001", "must", "x")], tree, "t")


class MarkerTest(unittest.TestCase):
    def test_one_line_marker_is_the_whole_tree(self):
        commit, paths = run.read_marker("a" * 40 + "\n")
        self.assertEqual((commit, paths), ("a" * 40, []))
        self.assertTrue(run.covered("anything/below", paths))

    def test_partial_marker_covers_its_paths_and_what_lies_under_them(self):
        commit, paths = run.read_marker("b" * 40 + "\nsynapse/storage/schema\nsynapse/handlers/auth.py\n")
        self.assertEqual(commit, "b" * 40)
        self.assertTrue(run.covered("synapse/storage/schema", paths))
        self.assertTrue(run.covered("./synapse/storage/schema/main/", paths))
        self.assertTrue(run.covered("synapse/handlers/auth.py", paths))
        self.assertFalse(run.covered("synapse/handlers/register.py", paths))
        self.assertFalse(run.covered("synapse/storage/schema_old", paths))
        self.assertFalse(run.covered(".", paths))

    def test_empty_marker_names_no_commit(self):
        self.assertEqual(run.read_marker(""), (None, []))


if __name__ == "__main__":
    unittest.main()
