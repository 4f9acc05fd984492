"""Store the JSON of a newer vendor reference page as the published contract lint checks against.

    .venv/bin/token-api lint --published PAGE.mdx          # what the newer page changes for us
    .venv/bin/python scripts/refresh-published.py PAGE.mdx [--taken YYYY-MM-DD] [--address URL]

writes src/token_api/contract/published/create-token.json (or --output FILE): the page's
request body and responses as the page embeds them, its address (default: the stored one) and
the date it was taken (default: today). Review the change with git diff and commit it with
whatever openapi.yaml needs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from token_api.spectools import published

SOURCE_TREE_FILE = (
    Path(__file__).resolve().parents[1] / "src/token_api/contract/published" / published.STORED
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="the vendor's reference page (.mdx)")
    parser.add_argument("--address", metavar="URL", help="the page's address")
    parser.add_argument("--taken", metavar="YYYY-MM-DD", default=date.today().isoformat())
    parser.add_argument("--output", type=Path, default=SOURCE_TREE_FILE, metavar="FILE")
    args = parser.parse_args()
    try:
        page = published.read(args.page)
        address = args.address or (published.read(args.output).page if args.output.exists() else "")
        if not address:
            raise published.PublishedError(
                f"{args.output} is new: give the page's address (--address URL)"
            )
        contract = published.from_stored(
            {**page.as_stored(), "page": address, "taken": args.taken}, args.output.name
        )
    except published.PublishedError as error:
        print(f"refresh-published: {str(error).rstrip('.')}.", file=sys.stderr)
        return 1
    args.output.write_text(published.dumps(contract), encoding="utf-8")
    print(f"{args.output}: {contract.method.upper()} {contract.path} as taken {args.taken}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
