"""The ``framelens`` CLI. Maps library errors to exit codes; all work happens in the library.

Commands: ``serve`` (the local server on the embedded backend), ``analyze FILE`` (the whole
pipeline in-process, results written to a folder), ``keys create|list|revoke``,
``models list|pull``, ``version``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from framelens import __version__
from framelens.errors import FramelensError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["app", "main"]

app = typer.Typer(help="Framelens: see what is in images and videos.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (only their hashes are stored).", no_args_is_help=True)
models_app = typer.Typer(help="ONNX models: what is installed, and pulling more.")
app.add_typer(keys_app, name="keys")
app.add_typer(models_app, name="models")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Embedded data folder (FRAMELENS_DATA_DIR).")
]


def _settings(data_dir: Path | None = None):  # type: ignore[no-untyped-def]
    from framelens.config import Settings

    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


def _fail(exc: FramelensError) -> None:
    typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(code=2 if exc.http_status < 500 else 1)


@app.command()
def version() -> None:
    """Print the Framelens version."""
    typer.echo(__version__)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port (PORT).")] = 8000,
    data_dir: DataDir = None,
    header_timeout: Annotated[
        float, typer.Option(help="Seconds a client may take to send a request's headers.")
    ] = 10.0,
    body_timeout: Annotated[
        float, typer.Option(help="Seconds a request body may stall before a 408.")
    ] = 20.0,
) -> None:
    """Start the local server on the embedded backend (durable under --data-dir)."""
    import uvicorn

    from framelens.api import create_app
    from framelens.cli.http_protocol import header_timeout_protocol
    from framelens.runtime import build_services

    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    services = build_services(settings)
    typer.echo(
        f"framelens {__version__}: http://{host}:{port} (docs at /docs), data in "
        f"{settings.data_dir.resolve()}",
        err=True,
    )
    app = create_app(services, body_timeout_s=body_timeout)

    @asynccontextmanager
    async def lifespan(_: object) -> AsyncIterator[None]:
        # uvicorn re-raises SIGTERM/SIGINT once it has shut down, which kills the process
        # before a ``finally`` after ``uvicorn.run`` could run: stop the runner in the lifespan.
        yield
        services.close()

    app.router.lifespan_context = lifespan
    try:
        # Slow clients are timed out in seconds: headers by the protocol, bodies by the app's
        # guard, idle keep-alive connections by uvicorn (issue 16, slowloris).
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            http=header_timeout_protocol(header_timeout),
            timeout_keep_alive=5,
        )
    finally:
        services.close()


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant the key belongs to (created if new).")],
    plan: Annotated[str | None, typer.Option(help="Plan name: default, pro.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a key and print it alone on stdout (it is shown only once)."""
    from framelens.runtime import build_services

    settings = _settings(data_dir)
    services = build_services(settings, start_runner=False)
    try:
        secret, record = services.create_key(tenant, plan)
    except FramelensError as exc:
        _fail(exc)
        return
    typer.echo(secret)
    typer.echo(f"created key {record.key_id} for tenant {record.tenant_id}", err=True)


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None,
    data_dir: DataDir = None,
) -> None:
    """List keys (id, tenant, prefix, state)."""
    from framelens.runtime import build_services

    services = build_services(_settings(data_dir), start_runner=False)
    for key in services.keys.list(tenant):
        state = "revoked" if key.revoked else "active"
        typer.echo(f"{key.key_id}\t{key.tenant_id}\t{key.prefix}…\t{state}")


@keys_app.command("revoke")
def keys_revoke(key_id: str, data_dir: DataDir = None) -> None:
    """Revoke a key by its id (requests with it get 401 from then on)."""
    from framelens.runtime import build_services

    services = build_services(_settings(data_dir), start_runner=False)
    try:
        services.keys.revoke(key_id)
    except FramelensError as exc:
        _fail(exc)
    typer.echo(f"revoked {key_id}", err=True)


@app.command()
def analyze(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    modules: Annotated[str, typer.Option(help="Comma-separated modules.")] = "probe",
    out: Annotated[Path, typer.Option(help="Folder for result JSON and artifacts.")] = Path(
        "framelens-out"
    ),
    data_dir: DataDir = None,
) -> None:
    """Run the pipeline on FILE in-process and write results and artifacts to --out."""
    from framelens.cli.analyze import run_analysis

    try:
        code = run_analysis(
            file, [m.strip() for m in modules.split(",") if m.strip()], out, _settings(data_dir)
        )
    except FramelensError as exc:
        _fail(exc)
        return
    raise typer.Exit(code=code)


@models_app.command("list")
def models_list() -> None:
    """What is installed and verified, and what is missing (with how to get it)."""
    from framelens.cli.models import list_models

    list_models(_settings())


@models_app.command("pull")
def models_pull(
    names: Annotated[list[str] | None, typer.Argument(help="Model names.")] = None,
    url: Annotated[str | None, typer.Option(help="Download from here instead.")] = None,
    shippable: Annotated[
        bool, typer.Option(help="Also every built-in model whose licence allows shipping.")
    ] = False,
    into: Annotated[Path | None, typer.Option(help="Install here, not in the cache.")] = None,
    source_dir: Annotated[
        Path | None, typer.Option(help="Copy from this folder when the file is there.")
    ] = None,
) -> None:
    """Download models by name (or copy them from --source-dir), verify sha256, install."""
    from framelens.cli.models import pull_models

    try:
        pull_models(
            _settings(), names or [], url=url, shippable=shippable, into=into, source_dir=source_dir
        )
    except FramelensError as exc:
        _fail(exc)


@app.command("webhook-listen")
def webhook_listen(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 9000,
    secret: Annotated[str | None, typer.Option(help="The job's webhook secret.")] = None,
    count: Annotated[int, typer.Option(help="Stop after this many deliveries (0: never).")] = 1,
) -> None:
    """Receive webhooks locally and check their X-Webhook-Signature."""
    from framelens.cli.webhook_listen import listen

    listen(port, secret, count)


@models_app.command("register")
def models_register(
    name: str,
    onnx: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="The ONNX file.")],
    classes: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="Class names, one per line.")
    ],
    format: Annotated[str, typer.Option(help="Output layout: yolox or yolov8.")] = "yolox",
    input_size: Annotated[int, typer.Option(help="Square network input side.")] = 640,
    licence: Annotated[str, typer.Option(help="Shown by `models list`.")] = "operator-supplied",
    replace: Annotated[bool, typer.Option(help="Replace a detector of that name.")] = False,
) -> None:
    """Register your own YOLOX/YOLOv8 detector; jobs select it with the option `model`."""
    from framelens.cli.models import register_model

    try:
        register_model(
            _settings(), name, onnx, classes, format, input_size, licence=licence, replace=replace
        )
    except FramelensError as exc:
        _fail(exc)


def main() -> None:
    """Entry point of the ``framelens`` script."""
    app(prog_name="framelens")


if __name__ == "__main__":
    main()
