"""A stand-in for $EDITOR in the tests: records its arguments and the file as it found it
(in $FAKE_EDITOR_LOG), then writes the next step of $FAKE_EDITOR_SCRIPT (a JSON list): a whole
new text, "REPLACE:old=>new", or null to save unchanged; then exits with $FAKE_EDITOR_EXIT
(0 if unset), as an editor that fails after saving (vim's `:cq`) does."""

import json
import os
import sys
from pathlib import Path

log = Path(os.environ["FAKE_EDITOR_LOG"])
args = sys.argv[1:]
calls = json.loads(log.read_text()) if log.exists() else []
target = Path(
    args[-1].rsplit(":", 1)[0] if args[-1].count(":") and not Path(args[-1]).exists() else args[-1]
)
scripts = json.loads(os.environ["FAKE_EDITOR_SCRIPT"])
step = scripts[min(len(calls), len(scripts) - 1)]
calls.append({"args": args, "before": target.read_text()})
log.write_text(json.dumps(calls))
if step is not None:
    if step.startswith("REPLACE:"):
        old, new = step[8:].split("=>")
        target.write_text(target.read_text().replace(old, new))
    else:
        target.write_text(step)
sys.exit(int(os.environ.get("FAKE_EDITOR_EXIT", "0")))
