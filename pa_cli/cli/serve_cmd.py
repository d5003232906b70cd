"""`pa serve` and `pa serve token create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import typer

from pa_cli.cli import runtime

app = typer.Typer(help="Run the HTTP + SSE API for phones and web clients.", invoke_without_command=True)
token_app = typer.Typer(
    help="Manage the bearer tokens of devices allowed to use `pa serve`.", no_args_is_help=True
)
app.add_typer(token_app, name="token")


@app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", min=0, max=65535, help="Port (default 8765).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (FastAPI under uvicorn) and the web chat page at /."""
    if ctx.invoked_subcommand is not None:
        return
    from pa_cli.server.runner import serve as run_server

    settings = runtime.load({"server.host": host, "server.port": port})
    code = run_server(settings, workers=workers)
    raise typer.Exit(code)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="A name for the device.")] = "device",
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="The server's address as the phone sees it, for the QR code "
            "(default: the LAN address when server.host is 0.0.0.0).",
        ),
    ] = None,
    qr: Annotated[bool, typer.Option("--qr/--no-qr", help="Show a QR code that pairs a phone.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a token (printed once: it is not stored anywhere)."""
    from pa_cli.errors import UsageError
    from pa_cli.pairing import check_url, server_url
    from pa_cli.secrets import open_secret_store
    from pa_cli.server.auth import issue_token
    from pa_cli.store import open_store

    name = name.strip()
    if not name or len(name) > 100:
        raise UsageError("--name must be 1 to 100 characters")
    if url is not None:
        check_url(url)
    settings = runtime.load()
    base = url or server_url(settings.server.host, settings.server.port)
    with open_store(settings) as store:
        issued = issue_token(settings, store, open_secret_store(settings.app_paths), name)
    if as_json:
        runtime.print_json(
            {
                "id": issued.client.id,
                "name": issued.client.name,
                "token": issued.token,
                "expires_at": issued.expires_at.isoformat(),
                "url": base,
            }
        )
        return
    typer.echo(f"token {issued.client.id} for {name!r}, valid until {issued.expires_at:%Y-%m-%d}:")
    typer.echo("")
    typer.echo(issued.token)
    typer.echo("")
    typer.echo(
        "It is shown only this once. Send it as `Authorization: Bearer <token>`, or paste it in the web page."
    )
    if qr:
        _show_pairing(base, issued.token)


def _show_pairing(base: str, token: str) -> None:
    from pa_cli.pairing import pairing_link, points_at_loopback

    typer.echo(f"Scan to open {base} paired with this token:")
    typer.echo(_qr_text(pairing_link(base, token)))
    if points_at_loopback(base):
        typer.echo(
            f"warning: the QR code points at {base}, which a phone cannot reach (it is the phone itself); "
            "run `pa serve --host 0.0.0.0` and pass this machine's address with --url, "
            "for example --url http://192.168.1.20:8765/",
            err=True,
        )


def _qr_text(data: str) -> str:
    import io

    import segno

    out = io.StringIO()
    segno.make(data, error="l").terminal(out=out, compact=True, border=2)
    return out.getvalue().rstrip("\n")


@token_app.command("list")
def token_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List tokens (ids and names; the tokens themselves are never stored)."""
    from pa_cli.store import open_store

    with open_store(runtime.load()) as store:
        clients = store.api_clients.list()
    rows = [
        {
            "id": c.id,
            "name": c.name,
            "created_at": c.created_at.isoformat(),
            "last_used_at": c.last_used_at.isoformat() if c.last_used_at else None,
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
        }
        for c in clients
    ]
    if as_json:
        runtime.print_json(rows)
        return
    if not rows:
        typer.echo("no tokens yet: create one with `pa serve token create --name phone`")
        return
    for c in clients:
        status = f"revoked {c.revoked_at:%Y-%m-%d}" if c.revoked_at else "active"
        used = f"used {c.last_used_at:%Y-%m-%d %H:%M}" if c.last_used_at else "never used"
        typer.echo(f"{c.id}  {c.created_at:%Y-%m-%d}  {status:<18} {used:<22} {c.name}")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[
        str, typer.Argument(help="The token id (from `pa serve token list`); a unique prefix is enough.")
    ],
) -> None:
    """Revoke a token at once (every worker refuses it from its next request)."""
    from pa_cli.ids import resolve_token
    from pa_cli.store import open_store

    with open_store(runtime.load()) as store:
        client = resolve_token(store, token_id)
        token_id = client.id
        if not store.api_clients.revoke(token_id):
            typer.echo(f"token {token_id} ({client.name}) was already revoked")
            return
    typer.echo(f"revoked token {token_id} ({client.name})")
