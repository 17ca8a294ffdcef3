"""The `dudao` command: serve a service, issue tokens, run the dev stack, audit."""
from __future__ import annotations

import sys
import warnings

# eventlet announces its deprecation on import; nameko 2.14 pins us to it, and the notice on
# every command buried what operators and auditors read
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

if sys.argv[1:2] == ["serve"]:
    # a service process: eventlet must patch before anything imports pymongo or kombu
    # (the audit and ops command groups below do, at import time)
    import eventlet
    eventlet.monkey_patch()

import os  # noqa: E402

import click

from assembly import catalogue
from shared import launcher


@click.group()
def main():
    """Dudao — county campaign supervision, event-sourced."""
    # the library's audit and ops machinery learns each service's projections here
    catalogue.register_services()


@main.command()
@click.argument("name", type=click.Choice(["units", "supervision", "study", "evaluation", "gateway"]))
def serve(name):
    """Run one service process (what containers and the Procfile run)."""
    from assembly.serve import serve as run_service
    run_service(name)


@main.group()
def token():
    """Issue and revoke API tokens (stored only as hashes)."""


@token.command("create")
@click.option("--role", required=True,
              type=click.Choice(["office", "supervisor", "unit", "respondent", "auditor", "operator"]))
@click.option("--name", required=True, help="the person the token is for")
@click.option("--scope", default=None, help="group id (supervisor), unit id (unit), survey id (respondent)")
def token_create(role, name, scope):
    """Print a new token for a person."""
    from assembly.devstack import issue_token
    from services.gateway.tokens import TokenError
    try:
        click.echo(issue_token(dict(os.environ), name, role, scope))
    except TokenError as err:
        raise click.UsageError(str(err)) from None


@main.group()
def dev():
    """The local stack (what `make run`, `make test` and `make bench` call)."""


@dev.command("run")
@click.option("--no-demo", is_flag=True, help="start empty, without the demo county")
def dev_run(no_demo):
    from assembly.devstack import run
    try:
        sys.exit(run(load_demo=not no_demo))
    except launcher.LaunchError as err:
        raise click.ClickException(str(err)) from None


@dev.command("ctl", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def dev_ctl(args):
    """supervisorctl on the running `make run` stack: status, restart dudao:units, tail -f dudao:gateway …"""
    from assembly.devstack import supervisorctl
    try:
        sys.exit(supervisorctl(list(args)))
    except launcher.LaunchError as err:
        raise click.ClickException(str(err)) from None


@dev.command("test", context_settings={"ignore_unknown_options": True})
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def dev_test(pytest_args):
    from assembly.devstack import test
    try:
        sys.exit(test(list(pytest_args)))
    except launcher.LaunchError as err:
        raise click.ClickException(str(err)) from None


@dev.command("bench", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def dev_bench(args):
    from assembly.devstack import bench
    try:
        sys.exit(bench(list(args)))
    except launcher.LaunchError as err:
        raise click.ClickException(str(err)) from None


@main.command("demo")
@click.option("--url", envvar="DUDAO_GATEWAY_URL", default=None,
              help="the gateway (default http://127.0.0.1:$DUDAO_GATEWAY_PORT, port 8080)")
@click.option("--token", "office_token", envvar="DUDAO_OFFICE_TOKEN", default=None,
              help="an office token (default: one issued in the gateway's database)")
@click.option("--seed", default=2024, show_default=True, help="names and choices follow it")
def demo_load(url, office_token, seed):
    """Load the demo county into a running stack (nothing happens if it has units)."""
    from assembly import demo
    env = dict(os.environ)
    url = url or f"http://127.0.0.1:{env.get('DUDAO_GATEWAY_PORT', '8080')}"
    if office_token is None:
        from assembly.devstack import issue_token
        # `make run`'s embedded database unless another is named
        env.setdefault("DUDAO_MONGO_URI",
                       launcher.mongo_uri_for(int(env.get("DUDAO_MONGO_PORT", "27117"))))
        office_token = issue_token(env, "Demo loader", "office")
    try:
        demo.load(url, office_token, seed=seed, log=click.echo)
    except (demo.DemoError, OSError) as err:
        raise click.ClickException(str(err)) from None


@main.command("rpc-api")
def rpc_api():
    """Print the services' RPC API (RPC.md), generated from their request schemas."""
    from assembly.rpc_api import document
    click.echo(document(), nl=False)


from assembly.audit.cli import audit  # noqa: E402  (the `dudao audit` command family)

main.add_command(audit)

from assembly.ops_cli import ops  # noqa: E402  (the `dudao ops` operator commands)

main.add_command(ops)


if __name__ == "__main__":
    main()
