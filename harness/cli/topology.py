"""`harness topology show [FILE]` and `harness topology check FILE`."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness import topology as topology_mod
from harness.report.format import seconds


def register(sub: Any) -> None:
    top = sub.add_parser("topology", help="show or validate a topology file")
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
    console.print(f"[bold]{top.name}[/] · region {top.region} · application RTO "
                  f"{seconds(top.application_rto_s)} · data RTO {seconds(top.data_rto_s)} · "
                  f"source {top.source}")
    table = Table(title="what runs where", show_lines=True)
    for col in ("tier", "account", "cluster / service / task family", "database",
                "health checked at", "drills"):
        table.add_column(col)
    for t in top.tiers.values():
        name = f"[bold red]{t.name}[/] (production)" if t.production else t.name
        ecs = (f"{t.cluster}\n{t.service}\n{t.task_family}" if t.is_aws
               else f"{t.kind} (no cloud resources)")
        health = t.health_url + ("" if t.tls_verify else "\n[yellow]TLS verification OFF[/]")
        if t.basic_auth_user_env:
            health += f"\nbasic auth from ${t.basic_auth_user_env} / ${t.basic_auth_password_env}"
        if t.public_host and t.public_host not in t.health_url:
            health += f"\n(public host {t.public_host})"
        table.add_row(name, t.account_id or "-", ecs, t.db_instance or "-", health,
                      "yes" if t.drill_enabled else "[bold]never[/]")
    console.print(table)
    for t in top.tiers.values():
        if t.production and t.cluster and not t.cluster.startswith(f"{t.name}-") \
                and "-dev-" in t.cluster:
            console.print(f"[bold yellow]note:[/] {t.cluster} is named *-dev-* but it is "
                          f"PRODUCTION (tier {t.name}, account {t.account_id}).")
    console.print(f"pre-promotion snapshot name: {top.snapshot_template}")
    return 0


def _check(args: argparse.Namespace, console: Console) -> int:
    from harness.topology.validate import shared_credentials

    top = topology_mod.load(args.file)
    console.print(f"[green]ok[/]: {escape(args.file)} is a valid topology ({len(top.tiers)} "
                  f"tiers: {escape(', '.join(top.tiers))})")
    for warning in shared_credentials(top):
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    return 0
