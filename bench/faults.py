"""The fault table: each scenario runs the bot as its own process against the stand-in, injects its faults, and
counts what was lost (the goal: 0 everywhere).

    python bench/faults.py [--quick] [--only WORDS] [--keep]

--quick runs the short form (the one `make test` runs as tests/test_faults.py): 5 kill -9 moments instead of 25,
shorter bursts, a 5 s lock instead of 30 s, 3 s of full disk instead of 10. --only runs the scenarios whose name
holds WORDS. The table is printed as Markdown, ready for the README. The scenarios are in tests/harness/faults.py.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.faults import DISCUSSIONS_BUILT, markdown_table, run_scenario, scenarios  # noqa: E402


async def main(quick: bool, only: str | None, keep: bool) -> int:
    chosen = [s for s in scenarios(quick) if not only or only.lower() in s.name.lower()]
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="rethread-faults-"))
    try:
        for i, scenario in enumerate(chosen):
            print(f"[{i + 1}/{len(chosen)}] {scenario.name} ...", file=sys.stderr, flush=True)
            row = await run_scenario(scenario, tmp / f"s{i}")
            print(f"      {row.seconds:.1f} s: {'clean' if row.clean else 'PROBLEMS'}; {row.faults}"
                  + (f"; {'; '.join(row.problems)}" if row.problems else ""), file=sys.stderr, flush=True)
            rows.append(row)
    finally:
        if keep:
            print(f"work folders (bot logs, databases) kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(markdown_table(rows))
    if not DISCUSSIONS_BUILT:
        print("\ncaptured messages: n/a (discussions, bot/runtime/discussions.py, are not built yet)")
    dirty = [r.scenario for r in rows if not r.clean]
    print(f"\n{len(rows) - len(dirty)} of {len(rows)} scenarios clean" + (f"; not clean: {', '.join(dirty)}"
                                                                         if dirty else ""))
    return 1 if dirty else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the short form, as in CI")
    parser.add_argument("--only", help="run only the scenarios whose name holds these words")
    parser.add_argument("--keep", action="store_true", help="keep the work folders (logs, databases)")
    args = parser.parse_args()
    started = time.monotonic()
    code = asyncio.run(main(args.quick, args.only, args.keep))
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    sys.exit(code)
