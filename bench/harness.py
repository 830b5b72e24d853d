"""What every benchmark section shares: paths, tools, servers, CPU pinning and result rows."""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CACHE = BENCH / ".cache"  # gitignored (bench/.gitignore): Prism, built sites, logs, certificates
VENV_BIN = Path(sys.executable).parent
PRISM_VERSION = "5.14.2"
LIGHTHOUSE_VERSION = "12.2.3"
LOCALSTRIPE_VERSION = "1.15.10"
# localstripe 1.15.10 runs as released on Python 3.11 with the newest aiohttp (3.14.5 when this
# was written); these pins keep the peer the same from run to run.
LOCALSTRIPE_PINS = ("aiohttp==3.14.5", "python-dateutil==4.0.0")
# The machine has two cores: load generators run on one, the server under test on the other.
CLIENT_CORE = 0
SERVER_CORE = 1


@dataclass
class Row:
    """One line of the results table."""

    metric: str
    ours: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    met: bool | None = None  # None: reported, no target
    note: str = ""

    def cells(self) -> list[str]:
        met = {True: "yes", False: "**no**", None: "—"}[self.met]
        if self.note:
            met = f"{met} ({self.note})"
        return [self.metric, self.ours, self.baseline, self.ratio, self.target, met]


def markdown_table(rows: list[Row]) -> str:
    header = ["metric", "ours", "baseline", "ratio", "target", "met?"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row.cells()) + " |")
    return "\n".join(lines)


def median(values: list[float]) -> float:
    return statistics.median(values)


def ratio(ours: float, baseline: float) -> float:
    return ours / baseline if baseline else float("inf")


def say(message: str) -> None:
    """Progress goes to stderr so that stdout carries only the table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the machine ------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu_model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model,
        "cores": f"{os.cpu_count()} ({usable} usable)",
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load average at start (1/5/15 min)": load,
    }


def tool_version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    text = (result.stdout or result.stderr).strip().splitlines()
    return text[0] if text else "unknown"


# --- tools --------------------------------------------------------------------------------------


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_install(*packages: str) -> bool:
    """Install Debian packages when we are root on a Debian-like machine; False otherwise."""
    if not (_is_root() and shutil.which("apt-get")):
        return False
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    say(f"installing {' '.join(packages)} with apt-get")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env=env,
    )
    return True


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None and apt_install("wrk"):
        found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed (install it: apt-get install wrk)")
    return found


def find_chromium() -> str | None:
    """Debian's chromium where it is installed (the same lookup as tests/conftest.py)."""
    candidates = (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), "/usr/bin/chromium")
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def ensure_chromium() -> str | None:
    """Debian's chromium, installed with apt-get when missing and we are root; None otherwise
    (then Playwright's own Chromium serves the page loads, and Lighthouse cannot run)."""
    if find_chromium() is None:
        apt_install("chromium")
    return find_chromium()


def ensure_npm_package(package: str, version: str, folder: str, binary: str) -> Path:
    """An npm package, pinned, installed into bench/.cache/<folder> and reused on later runs;
    the path of its command `binary`."""
    prefix = CACHE / folder
    command = prefix / "node_modules" / ".bin" / binary
    manifest = prefix / "node_modules" / package / "package.json"
    if manifest.is_file() and json.loads(manifest.read_text())["version"] == version:
        return command
    if shutil.which("npm") is None:
        apt_install("nodejs", "npm")
    if shutil.which("npm") is None:
        raise RuntimeError(f"npm is not installed, so {package} cannot be installed")
    prefix.mkdir(parents=True, exist_ok=True)
    say(f"installing {package}@{version} into {prefix.relative_to(ROOT)}")
    subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(prefix),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"{package}@{version}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return command


def ensure_prism() -> Path:
    """Prism from npm into bench/.cache/prism, pinned; reused on later runs."""
    return ensure_npm_package("@stoplight/prism-cli", PRISM_VERSION, "prism", "prism")


def ensure_lighthouse() -> Path:
    """Lighthouse from npm into bench/.cache/lighthouse, pinned; reused on later runs."""
    return ensure_npm_package("lighthouse", LIGHTHOUSE_VERSION, "lighthouse", "lighthouse")


def ensure_localstripe() -> Path:
    """localstripe from PyPI into its own virtual environment, bench/.cache/localstripe-venv
    (never the project's: it brings aiohttp and its own pins); that environment's python."""
    venv = CACHE / "localstripe-venv"
    python = venv / "bin" / "python"
    wanted = [f"localstripe=={LOCALSTRIPE_VERSION}", *LOCALSTRIPE_PINS]
    stamp = venv / ".bench-installed"
    if python.is_file() and stamp.is_file() and stamp.read_text() == "\n".join(wanted):
        return python
    say(f"installing {', '.join(wanted)} into {venv.relative_to(ROOT)}")
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wanted],
        check=True,
    )
    stamp.write_text("\n".join(wanted))
    return python


@functools.cache
def mock_help() -> str:
    """`flowlix-mock --help`: which options this version of the mock has."""
    result = subprocess.run(
        [str(VENV_BIN / "flowlix-mock"), "--help"], capture_output=True, text=True, timeout=60
    )
    return result.stdout


def mock_has_option(option: str) -> bool:
    return re.search(rf"(^|\s){re.escape(option)}(\s|=|,|$)", mock_help(), re.MULTILINE) is not None


MAX_OBJECTS_OPTION = "--max-objects"
NO_OBJECT_LIMIT = 1_000_000_000


def without_object_limit() -> list[str]:
    """Arguments that lift the mock's --max-objects cap (contract section 17), where the mock has
    it: throughput and the 24-hour soak create far more than the default 100,000 objects."""
    if mock_has_option(MAX_OBJECTS_OPTION):
        return [MAX_OBJECTS_OPTION, str(NO_OBJECT_LIMIT)]
    return []


def pinned(command: list[str], core: int) -> list[str]:
    """Run `command` on one core when the machine has two or more and taskset exists."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(core), *command]
    return command


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on port {port} within {timeout:.0f} s")


@contextlib.contextmanager
def server(command: list[str], port: int, log_name: str) -> Iterator[subprocess.Popen]:
    """Start a server pinned to the server core, wait for its port, stop it on exit."""
    CACHE.mkdir(parents=True, exist_ok=True)
    log_path = CACHE / f"{log_name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            pinned(command, SERVER_CORE),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
        try:
            try:
                wait_for_port(port, process)
            except RuntimeError as error:
                log.flush()
                tail = log_path.read_text()[-2000:]
                raise RuntimeError(f"{log_name}: {error}\n{tail}") from None
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def tls_files() -> tuple[Path, Path, Path]:
    """A throwaway CA and a 127.0.0.1 certificate for the HTTPS mock: (ca, cert chain, key)."""
    import trustme

    folder = CACHE / "tls"
    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Flowlix bench CA")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file, key_file = (
        folder / "ca.pem",
        folder / "server.pem",
        folder / "server-key.pem",
    )
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_pem.write_to_path(str(key_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    return ca_file, cert_file, key_file


def run_wrk(
    url: str,
    mode: str,
    path: str,
    api_key: str,
    run_tag: str,
    *,
    connections: int,
    seconds: float,
    stop_after: int = 0,
    body: str = "",
) -> dict[str, float]:
    """One wrk run with bench/payments.lua on the client core; its done() figures.

    With `stop_after`, wrk is ended (SIGINT, which still prints the figures) as soon as that many
    responses have arrived, rather than at the end of `seconds`.
    """
    done_file = CACHE / f"wrk-done-{os.getpid()}"
    done_file.unlink(missing_ok=True)
    command = pinned(
        [
            ensure_wrk(),
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "30s",
            "-s",
            str(BENCH / "payments.lua"),
            url,
            "--",
            mode,
            path,
            api_key,
            run_tag,
            str(stop_after),
            str(done_file),
            body,
        ],
        CLIENT_CORE,
    )
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + seconds + 60
    while process.poll() is None and time.monotonic() < deadline:
        if stop_after and done_file.exists():
            time.sleep(0.2)  # let the last responses be counted
            process.send_signal(signal.SIGINT)
            break
        time.sleep(0.1)
    try:
        stdout, stderr = process.communicate(timeout=max(5.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    done_file.unlink(missing_ok=True)
    for line in stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            figures = json.loads(line.removeprefix("BENCH_RESULT "))
            figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
            return figures
    raise RuntimeError(f"wrk gave no result:\n{stdout}\n{stderr}")
