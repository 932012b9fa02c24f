"""`conveyor identity create-admin EMAIL`: an admin account on the local stack's identity service.

Nobody can register an admin through the gateway (identity refuses `role: admin` without the
stack's `ADMIN_TOKEN`, and the gateway never forwards a client's token), so an operator makes one
here: the password is asked for twice without echo (or read from `CONVEYOR_ADMIN_PASSWORD`, for
scripts), sent to identity's own address with the admin token, and never printed. The admin then
logs in through the gateway like anyone else and may write stock, prices and products.
Exits 1 when the e-mail is taken (its password is left alone) or identity refuses.
"""

from __future__ import annotations

from typing import Annotated

import httpx
import typer
from rich.console import Console

from operators.local.accounts import AccountError, create_admin
from operators.local.aio import run_sync
from operators.local.stack import LocalStack

PASSWORD = typer.Option(
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="CONVEYOR_ADMIN_PASSWORD",
    help="At least 10 characters.",
)
app = typer.Typer(help="Accounts at the local stack's identity service.")
console = Console()


@app.command(name="create-admin")
def create_admin_command(
    email: Annotated[str, typer.Argument(help="The admin's e-mail (the login name).")],
    password: Annotated[str, PASSWORD],
) -> None:
    """Create an admin at identity (with the stack's admin token); print its user id."""
    stack = LocalStack()

    async def made() -> str:
        async with httpx.AsyncClient(timeout=30) as http:
            return await create_admin(
                http, identity_url=stack.workloads.url("identity"),
                admin_token=stack.admin_token(), email=email, password=password,
            )  # fmt: skip

    try:
        user_id = run_sync(made())
    except AccountError as exc:
        console.print(f"[red]no admin created:[/] {exc}")
        raise typer.Exit(1) from exc
    except httpx.HTTPError as exc:
        console.print(f"[red]identity did not answer:[/] {type(exc).__name__}")
        console.print("is the stack up? `conveyor local status` shows it, `make up` starts it")
        raise typer.Exit(1) from exc
    console.print(f"admin {email} created (user id {user_id}); it logs in at the gateway")
