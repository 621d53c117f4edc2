/// The embedded backend's tables. Entry n brings a file from schema version n to n + 1
/// (`PRAGMA user_version`); entries are never edited once released, only appended.
///
/// Times are integer milliseconds since 1970. Usernames compare case-insensitively, so that
/// "Alice" and "alice" cannot be two people.
enum Schema {
    static let migrations: [String] = [
        """
        CREATE TABLE profiles (
            user_id      TEXT PRIMARY KEY,
            username     TEXT NOT NULL UNIQUE COLLATE NOCASE,
            email        TEXT NOT NULL,
            display_name TEXT NOT NULL,
            created_at   INTEGER NOT NULL
        );

        CREATE TABLE sessions (
            id_hash        TEXT PRIMARY KEY,
            user_id        TEXT NOT NULL,
            created_at     INTEGER NOT NULL,
            last_seen_at   INTEGER NOT NULL,
            expires_at     INTEGER NOT NULL,
            provider_token TEXT
        );
        CREATE INDEX sessions_by_user ON sessions (user_id);

        CREATE TABLE images (
            id                TEXT PRIMARY KEY,
            owner_id          TEXT NOT NULL,
            owner_username    TEXT NOT NULL,
            status            TEXT NOT NULL,
            visibility        TEXT NOT NULL,
            format            TEXT NOT NULL,
            original_filename TEXT NOT NULL,
            byte_size         INTEGER NOT NULL,
            width             INTEGER NOT NULL,
            height            INTEGER NOT NULL,
            sha256            TEXT NOT NULL,
            original_key      TEXT NOT NULL,
            thumb_key         TEXT,
            thumb_width       INTEGER,
            thumb_height      INTEGER,
            thumb_bytes       INTEGER,
            preview_key       TEXT,
            preview_width     INTEGER,
            preview_height    INTEGER,
            preview_bytes     INTEGER,
            placeholder       TEXT,
            has_photo_metadata INTEGER NOT NULL DEFAULT 0,
            camera_make       TEXT,
            camera_model      TEXT,
            lens              TEXT,
            exposure_time     TEXT,
            f_number          REAL,
            iso               INTEGER,
            focal_length      REAL,
            taken_at          INTEGER,
            latitude          REAL,
            longitude         REAL,
            failure_reason    TEXT,
            created_at        INTEGER NOT NULL
        );
        -- Keyset pagination, newest first: the owner's gallery and the public feed.
        CREATE INDEX images_by_owner ON images (owner_id, created_at DESC, id DESC);
        CREATE INDEX images_by_visibility ON images (visibility, created_at DESC, id DESC);

        CREATE TABLE jobs (
            id           TEXT PRIMARY KEY,
            image_id     TEXT NOT NULL,
            kind         TEXT NOT NULL,
            status       TEXT NOT NULL,
            lease_owner  TEXT,
            lease_until  INTEGER,
            attempts     INTEGER NOT NULL DEFAULT 0,
            available_at INTEGER NOT NULL,
            last_error   TEXT,
            created_at   INTEGER NOT NULL,
            updated_at   INTEGER NOT NULL,
            version      INTEGER NOT NULL
        );
        -- Claim: the next available queued job; the oldest expired lease. Also depth.
        CREATE INDEX jobs_by_availability ON jobs (status, available_at);
        CREATE INDEX jobs_by_lease ON jobs (status, lease_until);
        -- Listing by status, newest first.
        CREATE INDEX jobs_by_creation ON jobs (status, created_at DESC, id DESC);

        CREATE TABLE accounts (
            user_id       TEXT PRIMARY KEY,
            username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
            email         TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            confirmed     INTEGER NOT NULL DEFAULT 0,
            code_hash     TEXT,
            code_expires  INTEGER,
            code_attempts INTEGER NOT NULL DEFAULT 0,
            created_at    INTEGER NOT NULL
        );
        """,
    ]
}
