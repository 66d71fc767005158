"""`python -m pipecat_cloud_emulator`: serve the emulator until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .config import EmulatorConfig
from .emulator import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipecat-cloud-emulator",
        description="Local emulator of the Pipecat Cloud build API and its upload storage.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="API port (default 8787)")
    parser.add_argument("--storage-port", type=int, default=0, help="storage port (0: any free)")
    parser.add_argument(
        "--advertise-host",
        default=None,
        help="host name to print in URLs (default: the bound address)",
    )
    parser.add_argument("--api-key", default=EmulatorConfig.api_key, help="accepted API key")
    parser.add_argument(
        "--log-mode",
        choices=("first", "last"),
        default="last",
        help="which lines a limited logs answer keeps (default last)",
    )
    parser.add_argument("--pending-seconds", type=float, default=EmulatorConfig.pending_seconds)
    parser.add_argument(
        "--building-seconds", type=float, default=3.0, help="how long each build runs (default 3)"
    )
    parser.add_argument(
        "--outcome",
        choices=("success", "failed", "timeout"),
        default="success",
        help="how builds end (default success; a Dockerfile line "
        "'# emulator: fail' still fails one build)",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="share of API requests that get a random fault (default 0)",
    )
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = EmulatorConfig(
        api_key=args.api_key,
        log_mode=args.log_mode,
        pending_seconds=args.pending_seconds,
        building_seconds=args.building_seconds,
        outcome=args.outcome,
        fault_rate=args.fault_rate,
        fault_seed=args.fault_seed,
    )
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    emulator = Emulator(
        config,
        host=args.host,
        port=args.port,
        storage_port=args.storage_port,
        advertise_host=args.advertise_host,
        verbose=args.verbose,
    )
    try:
        emulator.start()
    except OSError as error:
        print(f"pipecat-cloud-emulator: cannot listen on {args.host}: {error}", file=sys.stderr)
        return 1
    try:
        print(emulator.api_url, flush=True)
        print(config.api_key, flush=True)
        print(
            f"Pipecat Cloud emulator: API {emulator.api_url}, storage {emulator.storage_url}, "
            f"organization {config.organization}. Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
