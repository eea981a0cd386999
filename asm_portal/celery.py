from __future__ import annotations

import os

from celery import Celery
from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asm_portal.settings")

# The consumer steps a worker of the portal runs with: without Mingle, Gossip and Heart (what
# `--without-mingle --without-gossip --without-heartbeat` turn off). They keep a second channel
# on the broker for worker-to-worker events that the portal never uses, and that channel is
# what broke a worker on a Redis restart: on reconnection Celery stops and restarts the Gossip
# step, whose channel close reaches a connection already gone ("Error on restarting Gossip:
# AttributeError('NoneType' object has no attribute 'connection_errors')", and with a task in
# flight `'NoneType' object has no attribute 'hostname'` from kombu's Redis channel, an
# "Unrecoverable error" that ended the worker). Known since kombu#582 and celery#3059 and not
# fixed upstream as of Celery 5.7.0: the setting below (worker_consumer) takes the steps out for
# every way a worker is started (Procfile, tests, a deployment's own command line).
_UNUSED_STEPS = {
    "celery.worker.consumer.mingle:Mingle",
    "celery.worker.consumer.gossip:Gossip",
    "celery.worker.consumer.heart:Heart",
}


class PortalConsumer(Consumer):
    class Blueprint(Consumer.Blueprint):  # type: ignore[misc,valid-type]  # celery-types: a variable
        default_steps = [step for step in Consumer.Blueprint.default_steps if step not in _UNUSED_STEPS]


app = Celery("asm_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
