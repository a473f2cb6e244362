"""The retry policies of every activity the workflows call, in one place."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

# Database activities: transient failures (a lock, a restart) retry quickly, forever.
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)
# The daily purge's database activities are long scans: wait up to a minute between tries.
PURGE_DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# Mail: an SMTP server down retries for as long as the activity allows; a refusal does not,
# nor do refused credentials (the case workflow delivers again later, see REDELIVERY_EVERY).
MAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["PermanentSmtpError", "SmtpCredentialsRefused"],
)
# A notification not delivered in time is tried again at this interval until it goes out.
REDELIVERY_EVERY = timedelta(hours=6)
# Each later delivery attempt retries (as MAIL_RETRY) for at most this long.
REDELIVERY_ATTEMPT = timedelta(minutes=30)
