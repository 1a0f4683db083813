# A migration of its own, after the dates were filled: on PostgreSQL a table updated in the same
# transaction may not be altered while trigger events are pending.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('measures', '0013_request_reply_by_and_asked_again'),
    ]

    operations = [
        migrations.AlterField(
            model_name='coordinationrequest',
            name='reply_by',
            field=models.DateField(help_text='The date the agency is asked to answer by.', verbose_name='reply by'),
        ),
    ]
