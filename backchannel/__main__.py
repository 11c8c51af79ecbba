from backchannel.cli import main

raise SystemExit(main())
