"""``manage.py run_worker``: run background jobs (django-tasks' database worker, and beside it
the jobs' heartbeats and the taking back of jobs whose worker was killed).

Takes every option of ``db_worker`` (``--batch`` to run what is queued and stop, ``--interval``,
``--queue-name``…). Start as many as wanted, on this machine or others sharing the database.
"""

from django_tasks_db.management.commands import db_worker

from annotations import jobs


class Command(db_worker.Command):
    help = "Run background jobs (imports from links, snapshots, exports) until stopped."

    def handle(self, *args, **options):
        # Jobs left running by a worker that was killed before this one started.
        for job in jobs.take_back_abandoned():
            self.stdout.write(f"Took back job #{job.pk} ({job.title}): {job.message}")
        housekeeper = jobs.Housekeeper(options["worker_id"])
        housekeeper.start()
        try:
            return super().handle(*args, **options)
        finally:
            housekeeper.stopped.set()
