"""The measures app's migrations plus one that rebuilds the tables the triggers are on, for
test_triggers_survive_rebuild (MIGRATION_MODULES points the measures app here in a subprocess).
Its search path lists measures/migrations first, so every real migration is found as it is."""

from pathlib import Path

import measures.migrations

__path__ = [*measures.migrations.__path__, str(Path(__file__).parent)]
