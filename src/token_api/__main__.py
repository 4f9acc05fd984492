from token_api.cli import main

raise SystemExit(main())
