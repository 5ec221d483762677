-- CoPilot's own job queue on PostgreSQL: one row per job. The columns a claim or a sweep selects on are
-- columns; the rest of the job's state is its JSON, as the directory queue writes it.
CREATE SEQUENCE copilot_job_ids;

CREATE TABLE copilot_jobs (
  seq            BIGINT      PRIMARY KEY,
  job_id         TEXT        NOT NULL UNIQUE,
  status         TEXT        NOT NULL,
  cores          INTEGER     NOT NULL,
  ttl_seconds    BIGINT      NOT NULL,
  experiment     TEXT        NOT NULL,
  lease_deadline TIMESTAMPTZ,
  state          TEXT        NOT NULL
);

-- Claims take the oldest queued jobs that fit; sweeps the leases that ran out.
CREATE INDEX copilot_jobs_queued ON copilot_jobs (seq) WHERE status = 'QUEUED';
CREATE INDEX copilot_jobs_leased ON copilot_jobs (lease_deadline) WHERE status = 'LEASED';
