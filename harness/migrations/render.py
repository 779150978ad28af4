"""Text and JSON renderings of lint and round-trip results (what the CLI prints)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.migrations.lint import LintReport
from harness.migrations.rules import Category, Classification, Finding

if TYPE_CHECKING:  # the round trip pulls in psycopg; lint output should not need it
    from harness.migrations.roundtrip import RoundTripReport


def lint_text(report: LintReport) -> str:
    lines: list[str] = []
    counts = {c: 0 for c in (Category.COMPATIBLE, Category.RISKY, Category.BREAKING)}
    for item in report.classifications:
        counts[item.category] += 1
    problems = report.migrations.problems
    status = "ERROR" if report.bad_input else "FAIL" if problems else "PASS"
    lines.append(f"{status}: {len(report.classifications)} migration(s) in "
                 f"{report.migrations.directory}, {len(problems)} pairing/syntax problem(s); "
                 + ", ".join(f"{n} {c.value}" for c, n in counts.items()))
    for problem in problems:
        lines.append(f"  ERROR {problem.where}: {problem.message}")
        lines.append(f"        fix: {problem.fix}")
    for item in report.classifications:
        if item.category is Category.COMPATIBLE and not item.findings:
            continue
        lines.append(f"  {item.category.value:<19} {item.name}")
        lines.extend(_finding_line(f) for f in item.findings)
    return "\n".join(lines)


def lint_json(report: LintReport) -> dict[str, Any]:
    return {
        "directory": str(report.migrations.directory),
        "ok": report.ok,
        "bad_input": report.bad_input,
        "problems": [
            {"code": p.code, "file": str(p.path), "line": p.line, "column": p.column,
             "message": p.message, "fix": p.fix} for p in report.migrations.problems
        ],
        "migrations": [classification_json(c) for c in report.classifications],
    }


def classification_json(item: Classification) -> dict[str, Any]:
    return {
        "version": item.version,
        "name": item.name,
        "classification": item.category.value,
        "findings": [
            {"rule": f.rule, "category": f.category.value, "file": f.path, "line": f.line,
             "column": f.column, "object": f.obj, "message": f.message, "reason": f.reason,
             "reference": f.reference, "source": f.source}
            for f in item.findings
        ],
    }


def roundtrip_text(report: RoundTripReport) -> str:
    status = "PASS" if report.ok else "FAIL"
    total = len(report.results) + len(report.forward_only) + len(report.not_run)
    lines = [f"{status}: {total} migration(s): {len(report.results)} round-tripped, "
             f"{len(report.forward_only)} applied forward only (--since), "
             f"{len(report.not_run)} not run; scratch database {report.database} on "
             f"{report.server}"]
    for result in report.results:
        took = sum(p.seconds for p in result.phases)
        lines.append(f"  {result.status.upper():<12} {result.name} "
                     f"[{result.classification.category.value}] ({took:.2f} s applying)")
        lines.extend(f"    FAILED: {f}" for f in result.failures)
        lines.extend(f"    note: {n}" for n in result.notes)
        for comparison in (result.down_vs_before, result.reapply_vs_up):
            if comparison is not None and comparison.diff and not result.ok:
                lines.extend("      " + d for d in comparison.diff.splitlines())
        lines.extend(_finding_line(f) for f in result.classification.findings)
    if report.not_run:
        lines.append(f"  not run after the failure: {', '.join(report.not_run)}")
    return "\n".join(lines)


def roundtrip_json(report: RoundTripReport) -> dict[str, Any]:
    return {
        "database": report.database,
        "server": report.server,
        "ok": report.ok,
        "forward_only": list(report.forward_only),
        "not_run": list(report.not_run),
        "migrations": [
            {
                "version": r.version,
                "name": r.name,
                "status": r.status,
                "classification": classification_json(r.classification),
                "down_vs_before": r.down_vs_before.verdict.value if r.down_vs_before else None,
                "reapply_vs_up": r.reapply_vs_up.verdict.value if r.reapply_vs_up else None,
                "schema_changed": r.schema_changed,
                "failures": list(r.failures),
                "notes": list(r.notes),
                "diff": (r.down_vs_before.diff if r.down_vs_before else ""),
                "phases": [{"name": p.name, "seconds": round(p.seconds, 4)} for p in r.phases],
            }
            for r in report.results
        ],
    }


def _finding_line(finding: Finding) -> str:
    origin = " (catalog diff)" if finding.source == "catalog" else ""
    reference = f" [{finding.reference}]" if finding.reference else ""
    return (f"    {finding.rule:<30} {finding.where}{origin}: {finding.message}: "
            f"{finding.reason}{reference}")
