"""The SQLite schema, versioned with ``PRAGMA user_version``."""

from __future__ import annotations

#: Statements that take an empty database to SCHEMA_VERSION, in order.  A later version appends
#: a new tuple to MIGRATIONS; existing entries never change.  Version N is MIGRATIONS[N - 1].
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE runs (
            provider TEXT NOT NULL, repo TEXT NOT NULL, run_id TEXT NOT NULL,
            attempt INTEGER NOT NULL, workflow TEXT NOT NULL, head_sha TEXT NOT NULL,
            head_branch TEXT, event TEXT NOT NULL, conclusion TEXT, url TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (provider, repo, run_id, attempt)
        )
        """,
        """
        CREATE TABLE job_outcomes (
            provider TEXT NOT NULL, repo TEXT NOT NULL, run_id TEXT NOT NULL,
            attempt INTEGER NOT NULL, job_id TEXT NOT NULL, job_name TEXT NOT NULL,
            head_sha TEXT NOT NULL, head_branch TEXT, conclusion TEXT, fingerprint TEXT,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (provider, repo, run_id, attempt, job_name)
        )
        """,
        "CREATE INDEX job_outcomes_by_sha ON job_outcomes (repo, head_sha)",
        "CREATE INDEX job_outcomes_by_name ON job_outcomes (repo, job_name, recorded_at)",
        """
        CREATE TABLE test_outcomes (
            provider TEXT NOT NULL, repo TEXT NOT NULL, run_id TEXT NOT NULL,
            attempt INTEGER NOT NULL, job_name TEXT NOT NULL, test_id TEXT NOT NULL,
            head_sha TEXT NOT NULL, head_branch TEXT, outcome TEXT NOT NULL,
            fingerprint TEXT, recorded_at TEXT NOT NULL,
            PRIMARY KEY (provider, repo, run_id, attempt, job_name, test_id)
        )
        """,
        "CREATE INDEX test_outcomes_by_test ON test_outcomes (repo, test_id, recorded_at)",
        """
        CREATE TABLE incidents (
            id TEXT PRIMARY KEY, provider TEXT NOT NULL, repo TEXT NOT NULL,
            incident_key TEXT NOT NULL, status TEXT NOT NULL, severity TEXT NOT NULL,
            workflow TEXT NOT NULL, branch TEXT, opened_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, resolved_at TEXT, body TEXT NOT NULL
        )
        """,
        "CREATE INDEX incidents_by_key ON incidents (repo, incident_key, status)",
        """
        CREATE TABLE remedy_applications (
            run_key TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
            incident_id TEXT NOT NULL, status TEXT NOT NULL, link TEXT, error TEXT,
            claimed_at TEXT NOT NULL, finished_at TEXT,
            PRIMARY KEY (run_key, kind, target)
        )
        """,
        """
        CREATE TABLE deliveries (
            provider TEXT NOT NULL, delivery_id TEXT NOT NULL, received_at TEXT NOT NULL,
            PRIMARY KEY (provider, delivery_id)
        )
        """,
    ),
    # version 2: the webhook inbox (accepted deliveries waiting for the worker)
    (
        """
        CREATE TABLE webhook_inbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            provider TEXT NOT NULL, event_type TEXT NOT NULL, delivery_id TEXT,
            headers TEXT NOT NULL, body BLOB NOT NULL, received_at TEXT NOT NULL,
            status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            not_before TEXT, error TEXT, finished_at TEXT
        )
        """,
        "CREATE UNIQUE INDEX webhook_inbox_delivery ON webhook_inbox (provider, delivery_id)",
        "CREATE INDEX webhook_inbox_pending ON webhook_inbox (status, id)",
    ),
    # version 3: FlakeHunter — when each run happened (the decay clock), mass-failure
    # exclusion, where a test outcome came from, the tests known per job, quarantines.
    (
        "ALTER TABLE test_outcomes ADD COLUMN workflow TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE test_outcomes ADD COLUMN run_at TEXT",
        "ALTER TABLE test_outcomes ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE test_outcomes ADD COLUMN source TEXT NOT NULL DEFAULT 'log'",
        "UPDATE test_outcomes SET run_at = recorded_at WHERE run_at IS NULL",
        "ALTER TABLE job_outcomes ADD COLUMN workflow TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE job_outcomes ADD COLUMN run_at TEXT",
        "UPDATE job_outcomes SET run_at = recorded_at WHERE run_at IS NULL",
        # covering indexes: one test's (one job's) history is read from adjacent index pages
        "CREATE INDEX test_outcomes_by_test_time ON test_outcomes (repo, test_id, run_at, "
        "excluded, outcome, job_name, head_sha, head_branch, run_id, attempt, fingerprint)",
        "CREATE INDEX job_outcomes_by_job_time ON job_outcomes (repo, job_name, run_at, "
        "conclusion, run_id, attempt, head_sha, head_branch)",
        """
        CREATE TABLE known_tests (
            repo TEXT NOT NULL, job_name TEXT NOT NULL, test_id TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (repo, job_name, test_id)
        )
        """,
        """
        CREATE TABLE quarantines (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            provider TEXT NOT NULL, repo TEXT NOT NULL, test_id TEXT NOT NULL,
            status TEXT NOT NULL, reason TEXT NOT NULL, score REAL NOT NULL,
            evidence TEXT NOT NULL, incident_id TEXT, link TEXT,
            created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
            ended_at TEXT, end_reason TEXT
        )
        """,
        "CREATE UNIQUE INDEX quarantines_one_active ON quarantines (repo, test_id) "
        "WHERE status = 'active'",
        "CREATE INDEX quarantines_by_status ON quarantines (status, expires_at)",
    ),
    # version 4: a quarantine is pending until seen in force; after it ends, the change request
    # that removes its entry from the repository's quarantine file is tracked.
    (
        "ALTER TABLE quarantines ADD COLUMN seen_at TEXT",
        "ALTER TABLE quarantines ADD COLUMN release TEXT",
        "ALTER TABLE quarantines ADD COLUMN release_link TEXT",
        "ALTER TABLE quarantines ADD COLUMN release_note TEXT",
        "ALTER TABLE quarantines ADD COLUMN released_at TEXT",
        "UPDATE quarantines SET release = 'needed' WHERE status != 'active'",
        "DROP INDEX quarantines_one_active",
        "CREATE UNIQUE INDEX quarantines_one_open ON quarantines (repo, test_id) "
        "WHERE status IN ('pending', 'active')",
        "CREATE INDEX quarantines_by_test ON quarantines (repo, test_id)",
    ),
    # version 5: remedies due later (a retry's back-off), applied by the scheduler when due;
    # a quarantine's change request number.
    (
        """
        CREATE TABLE scheduled_remedies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            provider TEXT NOT NULL, repo TEXT NOT NULL, run_key TEXT NOT NULL,
            incident_id TEXT NOT NULL, run TEXT NOT NULL, remedy TEXT NOT NULL,
            due_at TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            taken_at TEXT, created_at TEXT NOT NULL, finished_at TEXT, detail TEXT
        )
        """,
        "CREATE INDEX scheduled_remedies_due ON scheduled_remedies (status, due_at)",
        # the number of a quarantine's change request, to notice it closed without merging
        "ALTER TABLE quarantines ADD COLUMN change_request TEXT",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
