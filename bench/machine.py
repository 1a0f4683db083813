"""What the numbers were measured on; read from /proc and the tools, without importing Django."""

import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path


def _read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _version(command):
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (
        (output.stdout or output.stderr).splitlines()[0].strip() if (output.stdout or output.stderr) else None
    )


def _package(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def describe():
    cpuinfo = _read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    memory = re.search(r"^MemTotal:\s+(\d+) kB", _read("/proc/meminfo"), re.M)
    os_name = re.search(r'^PRETTY_NAME="?([^"\n]+)', _read("/etc/os-release"), re.M)
    return {
        "cpu": model.group(1).strip() if model else platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(memory.group(1)) / 2**20, 1) if memory else None,
        "os": os_name.group(1) if os_name else platform.platform(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": _package("Django"),
        "gunicorn": _package("gunicorn"),
        "openpyxl": _package("openpyxl"),
        "psycopg": _package("psycopg"),
        "wrk": _version(["wrk", "-v"]),
    }
