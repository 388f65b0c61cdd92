"""Publishing (issue 14): publishers as records; the article's language, version and
publication; claims put on public pages; the methodology. The article's state is worked out
from its claims (the stored ``review_state`` goes); claims can be dismissed as not checkable.
The publisher's name moves aside (``publisher_name``): the next migration turns it into
Publisher records, the one after drops it."""

import annotations.locales
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('annotations', '0009_search_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalMethodology',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('text', models.TextField(help_text='Plain text; blank lines separate paragraphs. Shown on every published fact-check.')),
                ('corrections_policy', models.TextField(blank=True, help_text='How readers ask for a correction and how corrections are made.')),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical methodology',
                'verbose_name_plural': 'historical methodology',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalPublishedClaim',
            fields=[
                ('published_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('note', models.TextField(blank=True, help_text='Why it was added to a fact-check already published (shown in its log); empty for the claims of the first publication.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical published claim',
                'verbose_name_plural': 'historical published claims',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalPublisher',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(help_text='Unique, case and spacing ignored.', max_length=300)),
                ('url', models.URLField(blank=True, help_text="Home page; stored normalised like sources' URLs.", max_length=2000, verbose_name='URL')),
                ('country', models.CharField(blank=True, choices=annotations.locales.countries, help_text='Where it is based (ISO 3166-1 code).', max_length=2)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical publisher',
                'verbose_name_plural': 'historical publishers',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Methodology',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(help_text='Plain text; blank lines separate paragraphs. Shown on every published fact-check.')),
                ('corrections_policy', models.TextField(blank=True, help_text='How readers ask for a correction and how corrections are made.')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'methodology',
            },
        ),
        migrations.CreateModel(
            name='PublishedClaim',
            fields=[
                ('claim', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='publication', serialize=False, to='annotations.claim')),
                ('published_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('note', models.TextField(blank=True, help_text='Why it was added to a fact-check already published (shown in its log); empty for the claims of the first publication.')),
            ],
            options={
                'ordering': ['published_at', 'claim'],
            },
        ),
        migrations.CreateModel(
            name='Publisher',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='Unique, case and spacing ignored.', max_length=300)),
                ('url', models.URLField(blank=True, help_text="Home page; stored normalised like sources' URLs.", max_length=2000, verbose_name='URL')),
                ('country', models.CharField(blank=True, choices=annotations.locales.countries, help_text='Where it is based (ISO 3166-1 code).', max_length=2)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['name', 'pk'],
            },
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='annotations_publish_7a276c_idx',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='annotations_review__384a94_idx',
        ),
        migrations.RemoveField(
            model_name='article',
            name='review_state',
        ),
        migrations.RemoveField(
            model_name='historicalarticle',
            name='review_state',
        ),
        migrations.AddField(
            model_name='article',
            name='language',
            field=models.CharField(blank=True, choices=annotations.locales.languages, help_text="The article's language (ISO 639-1 code).", max_length=2),
        ),
        migrations.AddField(
            model_name='article',
            name='publication',
            field=models.CharField(blank=True, choices=[('', 'Not published'), ('published', 'Published'), ('updated', 'Updated after publication'), ('unpublished', 'Withdrawn')], default='', max_length=20),
        ),
        migrations.AddField(
            model_name='article',
            name='published_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='article',
            name='published_by',
            field=models.ForeignKey(blank=True, editable=False, help_text='Who first published it.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='published_articles', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='article',
            name='republished_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When it was published again after its last withdrawal.', null=True),
        ),
        migrations.AddField(
            model_name='article',
            name='revised_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When the published fact-check last changed: a correction approved, claims added, or published again after a withdrawal.', null=True),
        ),
        migrations.AddField(
            model_name='article',
            name='revised_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='revised_articles', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='article',
            name='slug',
            field=models.SlugField(blank=True, editable=False, help_text="The public page's address (/fact-checks/<slug>/), made from the title at the first publication and kept when the title changes.", max_length=120, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='article',
            name='unpublish_reason',
            field=models.TextField(blank=True, editable=False, help_text='Why it was last withdrawn; shown on its page.'),
        ),
        migrations.AddField(
            model_name='article',
            name='unpublished_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When it was last withdrawn.', null=True),
        ),
        migrations.AddField(
            model_name='article',
            name='unpublished_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='unpublished_articles', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='article',
            name='version',
            field=models.PositiveIntegerField(default=1, help_text='Raised on every save; a details edit based on an older version is refused.'),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='language',
            field=models.CharField(blank=True, choices=annotations.locales.languages, help_text="The article's language (ISO 639-1 code).", max_length=2),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='publication',
            field=models.CharField(blank=True, choices=[('', 'Not published'), ('published', 'Published'), ('updated', 'Updated after publication'), ('unpublished', 'Withdrawn')], default='', max_length=20),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='published_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='published_by',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, help_text='Who first published it.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='republished_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When it was published again after its last withdrawal.', null=True),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='revised_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When the published fact-check last changed: a correction approved, claims added, or published again after a withdrawal.', null=True),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='revised_by',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='slug',
            field=models.SlugField(blank=True, editable=False, help_text="The public page's address (/fact-checks/<slug>/), made from the title at the first publication and kept when the title changes.", max_length=120, null=True),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='unpublish_reason',
            field=models.TextField(blank=True, editable=False, help_text='Why it was last withdrawn; shown on its page.'),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='unpublished_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When it was last withdrawn.', null=True),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='unpublished_by',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='version',
            field=models.PositiveIntegerField(default=1, help_text='Raised on every save; a details edit based on an older version is refused.'),
        ),
        migrations.AlterField(
            model_name='article',
            name='byline',
            field=models.CharField(blank=True, max_length=300, verbose_name='author'),
        ),
        migrations.AlterField(
            model_name='article',
            name='title_inferred',
            field=models.BooleanField(default=False, help_text='The source had no title; this one was derived from the first sentence. Cleared when a reviewer confirms or changes the title.'),
        ),
        migrations.AlterField(
            model_name='claim',
            name='state',
            field=models.CharField(choices=[('to_do', 'To do'), ('in_progress', 'In progress'), ('needs_review', 'Needs review'), ('approved', 'Approved'), ('sent_back', 'Sent back'), ('dismissed', 'Not checkable')], default='to_do', max_length=20),
        ),
        migrations.AlterField(
            model_name='historicalarticle',
            name='byline',
            field=models.CharField(blank=True, max_length=300, verbose_name='author'),
        ),
        migrations.AlterField(
            model_name='historicalarticle',
            name='title_inferred',
            field=models.BooleanField(default=False, help_text='The source had no title; this one was derived from the first sentence. Cleared when a reviewer confirms or changes the title.'),
        ),
        migrations.AlterField(
            model_name='historicalclaim',
            name='state',
            field=models.CharField(choices=[('to_do', 'To do'), ('in_progress', 'In progress'), ('needs_review', 'Needs review'), ('approved', 'Approved'), ('sent_back', 'Sent back'), ('dismissed', 'Not checkable')], default='to_do', max_length=20),
        ),
        migrations.AddField(
            model_name='historicalmethodology',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalpublishedclaim',
            name='claim',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='annotations.claim'),
        ),
        migrations.AddField(
            model_name='historicalpublishedclaim',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalpublishedclaim',
            name='published_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalpublisher',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='methodology',
            constraint=models.CheckConstraint(condition=models.Q(('pk', 1)), name='methodology_single_row'),
        ),
        migrations.AddField(
            model_name='publishedclaim',
            name='published_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='publisher',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('name'), name='publisher_name_unique_ci'),
        ),
        migrations.AddConstraint(
            model_name='publisher',
            constraint=models.CheckConstraint(condition=models.Q(('name', ''), _negated=True), name='publisher_name_not_blank'),
        ),
        migrations.RenameField(
            model_name='article',
            old_name='publisher',
            new_name='publisher_name',
        ),
        migrations.AddField(
            model_name='article',
            name='publisher',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='articles', to='annotations.publisher'),
        ),
        migrations.RenameField(
            model_name='historicalarticle',
            old_name='publisher',
            new_name='publisher_name',
        ),
        migrations.AddField(
            model_name='historicalarticle',
            name='publisher',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='annotations.publisher'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['publication'], name='annotations_publica_e19354_idx'),
        ),
        migrations.AddConstraint(
            model_name='article',
            constraint=models.CheckConstraint(condition=models.Q(('publication', ''), models.Q(('published_at__isnull', False), ('slug__isnull', False)), _connector='OR'), name='article_published_has_date_and_slug'),
        ),
    ]
