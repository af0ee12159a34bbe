"""Jobs after a commit: the transactional outbox (outbox.py) and the Redis queue (queue.py).

Domain code writes jobs in its unit of work with `mail_later(unit, ...)` or
`later(unit, task, ...)`; see outbox.py for how they run, docs/deployment.md for the settings.
"""

from storefront.domain.jobs.outbox import (
    later,
    later_once,
    mail_later,
    purge_finished,
    relay_once,
    run_job,
    task,
)

__all__ = ["later", "later_once", "mail_later", "purge_finished", "relay_once", "run_job", "task"]
