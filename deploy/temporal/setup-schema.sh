#!/bin/sh
# One-shot job (temporalio/admin-tools): installs or upgrades the Temporal
# schemas in PostgreSQL. The temporal server only starts once this has exited
# successfully. Safe to run on every `up`: setup-schema leaves an existing
# schema version alone and update-schema only applies missing versions, which
# is also how a Temporal upgrade gets its schema changes.
#
# Expects: SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD (read by temporal-sql-tool),
# TEMPORAL_DB, TEMPORAL_VISIBILITY_DB. The databases themselves are created by
# deploy/postgres/init.sql.
set -eu

SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

setup() {
    db=$1
    dir=$2
    echo "Temporal schema: ${db} (${dir})"
    temporal-sql-tool --plugin postgres12 --ep "${SQL_HOST}" -p "${SQL_PORT}" -u "${SQL_USER}" \
        --db "${db}" setup-schema -v 0.0
    temporal-sql-tool --plugin postgres12 --ep "${SQL_HOST}" -p "${SQL_PORT}" -u "${SQL_USER}" \
        --db "${db}" update-schema -d "${SCHEMA_ROOT}/${dir}/versioned"
}

setup "${TEMPORAL_DB:-temporal}" temporal
setup "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" visibility
echo "Temporal schemas are up to date."
