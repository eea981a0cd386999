from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asm_portal.settings")

logger = logging.getLogger(__name__)

# The consumer steps a worker of the portal runs with: without Mingle, Gossip and Heart (what
# `--without-mingle --without-gossip --without-heartbeat` turn off). They keep a second channel
# on the broker for worker-to-worker events that the portal never uses, and that channel is
# what broke a worker on a Redis restart: on reconnection Celery stops and restarts the Gossip
# step, whose channel close reaches a connection already gone ("Error on restarting Gossip:
# AttributeError('NoneType' object has no attribute 'connection_errors')", and with a task in
# flight `'NoneType' object has no attribute 'hostname'` from kombu's Redis channel, an
# "Unrecoverable error" that ended the worker; see also `on_connection_error_after_connected`).
# Known since kombu#582 and celery#3059 and not fixed upstream as of Celery 5.7.0: the setting
# `worker_consumer` takes the steps out for every way a worker is started (Procfile, tests, a
# deployment's own command line).
_UNUSED_STEPS = {
    "celery.worker.consumer.mingle:Mingle",
    "celery.worker.consumer.gossip:Gossip",
    "celery.worker.consumer.heart:Heart",
}


class PortalConsumer(Consumer):
    class Blueprint(Consumer.Blueprint):  # type: ignore[misc,valid-type]  # celery-types: a variable
        default_steps = [step for step in Consumer.Blueprint.default_steps if step not in _UNUSED_STEPS]

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        """Celery 5.7 first `collect()`s the lost connection (which drops its transport's
        client), then closes it; closing the Redis channel then tries to put its unacknowledged
        messages back through that client and raises AttributeError ('NoneType' object has no
        attribute 'hostname'), which only connection errors are ignored for: "Unrecoverable
        error", the worker exits with an acks_late task in flight. The messages cannot be put
        back on a Redis that is gone anyway (the job rows are the truth: the reconciler sends
        them again), so that close may fail quietly and the worker reconnects."""
        connection = self.connection
        if connection is not None:
            close = connection.close

            def close_lost_connection(*args: Any, **kwargs: Any) -> None:
                try:
                    close(*args, **kwargs)
                except AttributeError as error:
                    logger.warning("The lost broker connection could not be closed cleanly (%s)", error)

            connection.close = close_lost_connection  # type: ignore[method-assign]
        super().on_connection_error_after_connected(exc)


app = Celery("asm_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
