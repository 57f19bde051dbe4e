from django.db import models


class WorkerHeartbeat(models.Model):
    """When each background worker last said it was alive. Kept in the database, not a cache,
    so that a health check on any machine sees the workers of every machine."""

    worker_id = models.CharField(max_length=64, unique=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self):
        return f"Worker {self.worker_id}, last seen {self.last_seen:%Y-%m-%d %H:%M:%S}"
