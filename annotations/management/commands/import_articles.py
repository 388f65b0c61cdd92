import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations import jobs
from annotations.importers import SUPPORTED_EXTENSIONS, find_files, import_found
from annotations.models import Article, Job


class Command(BaseCommand):
    help = (
        "Import article files and folders of them "
        f"({', '.join(SUPPORTED_EXTENSIONS)}). Each file is imported whole or not at all; "
        "the exit status is 1 when any file failed. An article is known by its canonical URL, "
        "else by its content: a file with new text and no URL is a new article unless "
        "--article names the one it replaces."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="+",
            help="Files or folders (searched recursively), or links (http:// or https://): a "
            "link's page is fetched by the safe fetcher and imported as an HTML file is.",
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Replace the text of articles with the same canonical URL. Claims move onto "
            "the new text by their quotes; a claim whose quote is gone becomes an orphan, "
            "kept and listed in the reader, never deleted.",
        )
        parser.add_argument(
            "--article",
            type=int,
            metavar="ID",
            help="The one file given is a new version of article ID: replace its text (as "
            "--update does), whatever its URL or file name.",
        )
        parser.add_argument("--user", help="Username recorded as the importer.")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show a progress bar."
        )

    def handle(
        self,
        *args,
        paths,
        update=False,
        article=None,
        user=None,
        no_progress=False,
        verbosity=1,
        **opts,
    ):
        importer = None
        if user:
            try:
                importer = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        target = None
        if article is not None:
            target = Article.objects.filter(pk=article).first()
            if target is None:
                raise CommandError(f"No article #{article}.")

        links = [path for path in paths if path.lower().startswith(("http://", "https://"))]
        paths = [path for path in paths if path not in links]
        if links and target is not None:
            raise CommandError("--article takes one file, not a link.")
        if links and not paths:
            failed = self.import_links(links, importer, update, no_progress, verbosity)
            if failed:
                sys.exit(1)
            return
        failed_links = self.import_links(links, importer, update, no_progress, verbosity)

        files, skipped = find_files(paths)
        if target is not None and len(files) != 1:
            raise CommandError(
                f"--article takes exactly one file (the new version of article #{article}); "
                f"{len(files)} were given."
            )
        for item in skipped:
            if verbosity >= 1:
                self.stdout.write(item.line())
        if not files:
            raise CommandError("No article files found in the given paths.")
        progress = tqdm(
            total=len(files),
            unit="file",
            file=sys.stderr,
            disable=no_progress or len(files) < 20 or None,
        )

        def report_file(outcome):
            progress.update(1)
            if outcome.failed:
                progress.write(self.style.ERROR(outcome.line()), file=self.stderr._out)
            elif verbosity >= 1 and (verbosity >= 2 or outcome.status != "unchanged"):
                progress.write(outcome.line(), file=self.stdout._out)
            for warning in outcome.warnings:
                progress.write(
                    self.style.WARNING(f"WARNING   {outcome.name}: {warning}"),
                    file=self.stderr._out,
                )
            if verbosity >= 2 and outcome.status in ("created", "updated", "changed"):
                for line in outcome.removed:
                    progress.write(f"  removed: {line}", file=self.stdout._out)

        report = import_found(
            files,
            skipped,
            user=importer,
            update=update or target is not None,
            article=target,
            on_file=report_file,
        )
        progress.close()
        summary = f"Imported {len(files)} file(s): {report.summary()}."
        if report.any_failed or failed_links:
            self.stderr.write(self.style.ERROR(summary))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(summary))

    def import_links(self, links, importer, update, no_progress, verbosity) -> int:
        """Import each link as a job run here, its progress on the terminal. Returns how many
        failed."""
        failed = 0
        for link in links:
            job = jobs.start(
                owner=importer,
                kind=Job.Kind.ARTICLE_LINK,
                title=f"Import the article at {link}",
                params={"url": link, "update": update},
                max_attempts=1,
                queue=False,  # run here, not by a worker: whoever typed the command waits
            )
            bar = tqdm(total=2, unit="step", file=sys.stderr, disable=no_progress or None)

            def show(progress_job, bar=bar):
                bar.total = progress_job.progress_total or bar.total
                bar.n = progress_job.progress_done
                bar.set_description(progress_job.progress_note[:60])
                bar.refresh()

            job = jobs.run_here(job, on_progress=show)
            bar.close()
            if job.status == Job.Status.SUCCEEDED:
                if verbosity >= 1:
                    self.stdout.write(f"{'IMPORTED':9} {link}: {job.message}")
            else:
                failed += 1
                self.stderr.write(self.style.ERROR(f"{'FAILED':9} {link}: {job.message}"))
        return failed
