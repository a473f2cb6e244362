-- Runs once, when the PostgreSQL data volume is initialised (docker-entrypoint-initdb.d).
-- The entrypoint has already created the role $POSTGRES_USER and the database
-- $POSTGRES_DB (filrouge). Temporal keeps its state in two more databases,
-- owned by the same role; their schemas are installed by the temporal-schema
-- service (temporal-sql-tool), not here.
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
