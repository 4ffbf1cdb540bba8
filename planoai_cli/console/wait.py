"""The result of `planoai wait`: the endpoints of the healthy gateway, as text or JSON (stdout)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planoai_cli.console import endpoint_json, out, out_json, publishing_lines

if TYPE_CHECKING:
    from planoai_cli.ops.wait import Waited


def show_waited(waited: Waited, *, as_json: bool) -> None:
    if as_json:
        out_json(
            {
                "project": waited.project,
                "container": waited.container,
                "healthy": True,
                "endpoints": [endpoint_json(e) for e in waited.endpoints],
                "published_addresses": list(waited.addresses),
                "admin_url": waited.admin_url,
                "elapsed_seconds": round(waited.elapsed, 3),
            }
        )
        return
    lines = [f"gateway {waited.container} is healthy (waited {waited.elapsed:.1f}s)"]
    lines += [f"  {e.type:<6} listener {e.name:<20} {e.url}" for e in waited.endpoints]
    if waited.admin_url:
        lines.append(f"  admin  {waited.admin_url}")
    lines += publishing_lines(waited.addresses, waited.endpoints)
    out("\n".join(lines))
