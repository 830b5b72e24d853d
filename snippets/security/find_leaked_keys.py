"""Find Flowlix secret keys where they must never be: build output, logs, a repository.

Run it in CI over everything that ships to browsers and apps (your `dist/` or `public/`
folder, mobile bundles) and over exported logs; a live key anywhere there is an incident:
revoke it in the dashboard first, then find out how it got there.
"""

import re
import tempfile
from pathlib import Path

SECRET_KEY = re.compile(rb"fl_(test|live)_sk_[A-Za-z0-9]{24,}")


# --8<-- [start:focus]
def find_keys(root: Path) -> list[str]:
    """Every key-shaped string under `root`, as `file:line: mode key ending ...`."""
    findings = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            for match in SECRET_KEY.finditer(line):
                mode, last4 = match.group(1).decode(), match.group()[-4:].decode()
                # Never print the key itself: the report goes to CI logs.
                findings.append(f"{path.relative_to(root)}:{number}: {mode} key ending {last4}")
    return findings


def scan(root: Path) -> int:
    """Print every finding; the exit code for CI: 1 if any key was found."""
    findings = find_keys(root)
    for finding in findings:
        print(finding)
        #> app.js:1: live key ending Q9k2
    return 1 if findings else 0


# --8<-- [end:focus]
with tempfile.TemporaryDirectory() as folder:
    # A frontend build where a bundler inlined an environment variable it should not have.
    build = Path(folder)
    leaked = "fl_live_sk_" + "Zx7" * 8 + "Q9k2"  # how a leaked key looks (not a real one)
    (build / "app.js").write_text('const cfg = {api: "/pay", key: "' + leaked + '"};\n')
    (build / "index.html").write_text("<script src=app.js></script>\n")
    print("exit code for CI:", scan(build))
    #> exit code for CI: 1
