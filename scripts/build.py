"""Build every artifact users install, into dist/: the wheel, the sdist and the Claude Desktop bundle (.mcpb).

    python3 scripts/build.py                 # needs uv, and Node.js with npm (for the pinned mcpb CLI)
    python3 scripts/build.py --sync-version  # after changing the version in pyproject.toml

pyproject.toml holds the only version: the build stops if bundle/manifest.json or server.json says
another one, and --sync-version writes it into both. The same sources give the same bytes: the build
backend is pinned (tools/build-constraints.txt, hatchling's fixed timestamps), and the bundle, which
`mcpb pack` stamps with the time of packing, is rewritten with its entries sorted, at a fixed time
(SOURCE_DATE_EPOCH if set) and with one file mode.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
MANIFEST = ROOT / "bundle" / "manifest.json"
SERVER_JSON = ROOT / "server.json"
# What the bundle takes from the sdist: the project as uv needs it to build the environment, no tests.
BUNDLED = ("pyproject.toml", "uv.lock", "README.md", "LICENSE", "astro_mcp/")
ZIP_EPOCH = 315532800  # 1980-01-01, the earliest time a zip entry can hold


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def stated_versions(manifest: dict[str, Any], server: dict[str, Any]) -> dict[str, str]:
    """Every place besides pyproject.toml that states the version, by name."""
    stated = {"bundle/manifest.json": manifest["version"], "server.json": server["version"]}
    for i, package in enumerate(server["packages"]):
        stated[f"server.json packages[{i}]"] = package["version"]
    return stated


def sync_version(version: str) -> None:
    manifest, server = read_json(MANIFEST), read_json(SERVER_JSON)
    manifest["version"] = server["version"] = version
    for package in server["packages"]:
        package["version"] = version
    write_json(MANIFEST, manifest)
    write_json(SERVER_JSON, server)


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def run(*command: str | Path) -> None:
    sys.stderr.write(f"$ {' '.join(str(c) for c in command)}\n")
    # stdout is for the digests of what was built; tools talk on stderr.
    subprocess.run([str(c) for c in command], check=True, cwd=ROOT, stdout=sys.stderr)


def mcpb() -> Path:
    """The mcpb CLI pinned in tools/package-lock.json, installed on first use."""
    binary = TOOLS / "node_modules" / ".bin" / ("mcpb.cmd" if os.name == "nt" else "mcpb")
    if not binary.exists():
        run("npm", "ci", "--prefix", TOOLS, "--no-audit", "--no-fund")
    return binary


def stage_bundle(sdist: Path, stage: Path) -> None:
    """The bundle's tree: the project files out of the sdist, plus the manifest, icon and .mcpbignore."""
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            relative = member.name.partition("/")[2]
            if member.isfile() and relative.startswith(BUNDLED):
                target = stage / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has content
                target.write_bytes(source.read())
    for name in ("manifest.json", "icon.png", ".mcpbignore"):
        shutil.copyfile(ROOT / "bundle" / name, stage / name)


def normalize_zip(path: Path, epoch: int) -> None:
    """Rewrite a zip with sorted entries, one timestamp and one file mode, so equal contents give equal bytes."""
    with zipfile.ZipFile(path) as source:
        entries = sorted((info.filename, source.read(info)) for info in source.infolist() if not info.is_dir())
    stamp = time.gmtime(max(epoch, ZIP_EPOCH))[:6]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # Unix, so that the mode below is read
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data, compresslevel=9)


def build(out: Path) -> list[Path]:
    version = project_version()
    stale = {
        where: v for where, v in stated_versions(read_json(MANIFEST), read_json(SERVER_JSON)).items() if v != version
    }
    if stale:
        raise SystemExit(
            f"pyproject.toml says {version}, but {stale}. Run: python3 scripts/build.py --sync-version, then commit."
        )
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("astro*mcp-*"):
        old.unlink()
    run("uv", "build", "--build-constraints", TOOLS / "build-constraints.txt", "--out-dir", out)
    sdist = out / f"astro_ai_mcp-{version}.tar.gz"
    wheel = out / f"astro_ai_mcp-{version}-py3-none-any.whl"
    bundle = out / f"astro-ai-mcp-{version}.mcpb"
    cli = mcpb()
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "astro-ai-mcp"
        stage_bundle(sdist, stage)
        run(cli, "validate", stage / "manifest.json")
        run(cli, "pack", stage, bundle)
    normalize_zip(bundle, int(os.environ.get("SOURCE_DATE_EPOCH", ZIP_EPOCH)))
    return [wheel, sdist, bundle]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where to write the artifacts (default: dist/)")
    parser.add_argument("--sync-version", action="store_true", help="write pyproject's version everywhere, then exit")
    args = parser.parse_args(argv)
    if args.sync_version:
        sync_version(project_version())
        return 0
    for artifact in build(args.out.resolve()):
        digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
        sys.stdout.write(
            f"{digest}  {artifact.relative_to(Path.cwd()) if artifact.is_relative_to(Path.cwd()) else artifact}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
