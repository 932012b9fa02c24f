"""A fresh local stack for each benchmark run: stop it, delete its state, bring it up again.

Fresh means no rows, no topics' history and no warm caches from an earlier run: the stack is
stopped (`LocalStack.down`: workloads, supervisor, servers), its state folder
(`settings.state_dir`: `.local/` by default, or `CONVEYOR_STATE_DIR`) is deleted, and
`LocalStack.up` starts servers and the pipeline's workloads exactly as `conveyor local up` does.
A start that fails is retried once from a clean stop (a fresh server can lose a race for its
port, e.g. to a client's ephemeral port when the stack's ports sit in the ephemeral range); a
second failure raises StackStartError with the server's own message and the command to run.
"""

from __future__ import annotations

import shutil

from rich.console import Console

from operators.local.installs import MissingDependencyError
from operators.local.plan import PipelineError
from operators.local.servers.base import ServerError
from operators.local.settings import LocalStackSettings
from operators.local.stack import LocalStack


class StackStartError(RuntimeError):
    """The local stack did not come up; the message says what failed and what to run."""


def fresh_stack(console: Console, settings: LocalStackSettings | None = None) -> LocalStack:
    """Stop the stack, delete its state folder and start it again with its workloads."""
    stack = LocalStack(settings)
    state = stack.settings.state_dir
    stack.down()
    shutil.rmtree(state, ignore_errors=True)
    if state.exists():
        raise StackStartError(f"could not delete {state}; remove it by hand, then `make bench`")
    stack = LocalStack(stack.settings)
    try:
        stack.up(console)
    except (MissingDependencyError, PipelineError) as exc:
        raise _failed(exc) from exc
    except ServerError as first:
        headline = str(first).splitlines()[0]
        console.print(f"  [yellow]start failed ({headline}); retrying once from a clean stop[/]")
        stack.down()
        try:
            stack.up(console)
        except (MissingDependencyError, ServerError, PipelineError) as exc:
            raise _failed(exc) from exc
    return stack


def _failed(exc: Exception) -> StackStartError:
    return StackStartError(
        f"the local stack did not start:\n{exc}\n"
        "run `make up` (or `.venv/bin/conveyor local up`) to see it start, "
        "`make down` to clear what is left"
    )
