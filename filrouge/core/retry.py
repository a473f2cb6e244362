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
# Mail: an SMTP server down retries for as long as the activity allows; a refusal does not.
MAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["PermanentSmtpError"],
)
