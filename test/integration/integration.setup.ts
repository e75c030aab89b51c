// Opening PGlite (WASM PostgreSQL) alone takes several seconds on a small machine.
jest.setTimeout(60_000);
