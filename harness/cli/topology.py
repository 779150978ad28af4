"""`harness topology show [FILE]` and `harness topology check FILE`."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness import topology as topology_mod
from harness.cli.commands import help_for
from harness.report.format import seconds


def register(sub: Any) -> None:
    top = sub.add_parser("topology", help=help_for("topology"))
    tsub = top.add_subparsers(dest="topology_command", required=True, metavar="ACTION")
    show = tsub.add_parser("show", help='print the "what runs where" table')
    show.add_argument("file", nargs="?", default=None,
                      help="topology TOML (default: the bundled runbook topology)")
    show.set_defaults(handler=_show)
    check = tsub.add_parser("check", help="validate a topology file")
    check.add_argument("file")
    check.set_defaults(handler=_check)


def _show(args: argparse.Namespace, console: Console) -> int:
    top = topology_mod.load(args.file)
    console.print(Text.assemble(
        (top.name, "bold"), f" · region {top.region} · application RTO "
        f"{seconds(top.application_rto_s)} · data RTO {seconds(top.data_rto_s)} · "
        f"source {top.source}"), soft_wrap=True)
    table = Table(title="what runs where", show_lines=True)
    for col in ("tier", "account", "cluster / service / task family", "database",
                "health checked at", "drills"):
        table.add_column(col)
    for t in top.tiers.values():
        # Cells are Text: names and URLs print as written, never read as markup.
        name = (Text.assemble((t.name, "bold red"), " (production)") if t.production
                else Text(t.name))
        ecs = (f"{t.cluster}\n{t.service}\n{t.task_family}" if t.is_aws
               else f"{t.kind} (no cloud resources)")
        health = Text(t.health_url)
        if not t.tls_verify:
            health.append("\nTLS verification OFF", style="yellow")
        if t.basic_auth_user_env:
            health.append(f"\nbasic auth from ${t.basic_auth_user_env} / "
                          f"${t.basic_auth_password_env}")
        if t.public_host and t.public_host not in t.health_url:
            health.append(f"\n(public host {t.public_host})")
        table.add_row(name, Text(t.account_id or "-"), Text(ecs), Text(t.db_instance or "-"),
                      health, Text("yes") if t.drill_enabled else Text("never", style="bold"))
    console.print(table)
    for t in top.tiers.values():
        if t.production and t.cluster and not t.cluster.startswith(f"{t.name}-") \
                and "-dev-" in t.cluster:
            console.print(Text.assemble(("note:", "bold yellow"),
                                        f" {t.cluster} is named *-dev-* but it is PRODUCTION "
                                        f"(tier {t.name}, account {t.account_id})."))
    console.print(f"pre-promotion snapshot name: {top.snapshot_template}", soft_wrap=True)
    return 0


def _check(args: argparse.Namespace, console: Console) -> int:
    from harness.topology.credentials import shared_credentials

    top = topology_mod.load(args.file)
    console.print(Text.assemble(("ok", "green"), f": {args.file} is a valid topology "
                                f"({len(top.tiers)} tiers: {', '.join(top.tiers)})"),
                  soft_wrap=True)
    for warning in shared_credentials(top):
        console.print(Text.assemble(("warning:", "yellow"), f" {warning}"), soft_wrap=True)
    return 0
