"""What a later migration may well do: AddField of a field with a default, which SQLite makes as a
copy of the table, DROP TABLE, RENAME, on every table the triggers are on or name, and RemoveField
after it, so the schema ends as the models say."""

import re
from pathlib import Path

from django.db import migrations, models

import measures.migrations

# After whatever the last real migration is (the highest-numbered one).
LATEST = max(
    path.stem
    for path in Path(measures.migrations.__file__).parent.glob("*.py")
    if re.match(r"\d{4}_", path.name)
)
MODELS = [
    "progressreport",
    "task",
    "reportingperiod",
    "lockedperiodfigures",
    "submittedreportcount",
    "milestone",
    "taskagency",
    "taskcategory",
    "dataversion",
]


class Migration(migrations.Migration):
    dependencies = [("measures", LATEST), ("zones", "__latest__")]

    operations = [
        *(
            migrations.AddField(model_name=name, name="rebuild_probe", field=models.IntegerField(default=0))
            for name in MODELS
        ),
        *(migrations.RemoveField(model_name=name, name="rebuild_probe") for name in MODELS),
    ]
