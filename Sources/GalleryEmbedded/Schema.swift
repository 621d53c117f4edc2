import GalleryCore

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
        // The catalog: details, tags and share links of photos, profile details, albums,
        // search terms. Foreign keys clean up after a deleted image: its memberships and
        // terms go with it, and an album cover or avatar that was it becomes NULL.
        """
        ALTER TABLE images ADD COLUMN title       TEXT NOT NULL DEFAULT '';
        ALTER TABLE images ADD COLUMN description TEXT NOT NULL DEFAULT '';
        -- Normalised tags hold no spaces: kept space-separated, in the owner's order.
        ALTER TABLE images ADD COLUMN tags        TEXT NOT NULL DEFAULT '';
        ALTER TABLE images ADD COLUMN encrypted   INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE images ADD COLUMN share_token TEXT;
        CREATE UNIQUE INDEX images_by_share_token ON images (share_token) WHERE share_token IS NOT NULL;
        -- Duplicate uploads; quotas.
        CREATE INDEX images_by_owner_sha256 ON images (owner_id, sha256);
        -- A public page: one owner's public photos, newest first.
        CREATE INDEX images_by_owner_visibility ON images (owner_id, visibility, created_at DESC, id DESC);

        ALTER TABLE profiles ADD COLUMN bio                TEXT NOT NULL DEFAULT '';
        ALTER TABLE profiles ADD COLUMN address            TEXT NOT NULL DEFAULT '';
        ALTER TABLE profiles ADD COLUMN phone              TEXT NOT NULL DEFAULT '';
        ALTER TABLE profiles ADD COLUMN avatar_image_id    TEXT REFERENCES images (id) ON DELETE SET NULL;
        ALTER TABLE profiles ADD COLUMN default_visibility TEXT NOT NULL DEFAULT 'public';
        ALTER TABLE profiles ADD COLUMN deleted_at         INTEGER;

        -- Search: one row per term of an image (CatalogRules.terms: t:<tag>, w:<word>,
        -- c:<camera word>). Scopes are columns of images, so a visibility change touches no term.
        CREATE TABLE image_terms (
            term     TEXT NOT NULL,
            image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
            PRIMARY KEY (term, image_id)
        ) WITHOUT ROWID;
        CREATE INDEX image_terms_by_image ON image_terms (image_id);

        CREATE TABLE albums (
            id             TEXT PRIMARY KEY,
            owner_id       TEXT NOT NULL,
            owner_username TEXT NOT NULL,
            title          TEXT NOT NULL,
            description    TEXT NOT NULL,
            visibility     TEXT NOT NULL,
            share_token    TEXT,
            cover_image_id TEXT REFERENCES images (id) ON DELETE SET NULL,
            sort_order     TEXT NOT NULL,
            created_at     INTEGER NOT NULL,
            updated_at     INTEGER NOT NULL
        );
        CREATE INDEX albums_by_owner ON albums (owner_id, created_at DESC, id DESC);
        CREATE INDEX albums_by_owner_visibility ON albums (owner_id, visibility, created_at DESC, id DESC);
        CREATE INDEX albums_by_visibility ON albums (visibility, created_at DESC, id DESC);
        CREATE UNIQUE INDEX albums_by_share_token ON albums (share_token) WHERE share_token IS NOT NULL;
        CREATE INDEX albums_by_cover ON albums (cover_image_id) WHERE cover_image_id IS NOT NULL;
        CREATE INDEX profiles_by_avatar ON profiles (avatar_image_id) WHERE avatar_image_id IS NOT NULL;

        CREATE TABLE album_images (
            album_id TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
            image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
            added_at INTEGER NOT NULL,
            PRIMARY KEY (album_id, image_id)
        ) WITHOUT ROWID;
        CREATE INDEX album_images_by_image ON album_images (image_id);
        """,
        // Search for encrypted photos: the term CatalogRules.encryptedTerm for those stored before it.
        """
        INSERT OR IGNORE INTO image_terms (term, image_id) SELECT 'e:encrypted', id FROM images WHERE encrypted = 1;
        """,
        // Positions: the owner's choices, and what others download as the original
        // (OriginalForOthers: 'original', 'copy' with its key and size, 'withheld'; NULL for
        // images processed before, which others do not get until regenerated).
        """
        ALTER TABLE profiles ADD COLUMN share_position            INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE profiles ADD COLUMN strip_position_for_others INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE images ADD COLUMN others_original       TEXT;
        ALTER TABLE images ADD COLUMN others_original_key   TEXT;
        ALTER TABLE images ADD COLUMN others_original_bytes INTEGER;
        """,
        // Attempts that mean something: takeovers of an expired lease counted apart.
        """
        ALTER TABLE jobs ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0;
        """,
        // The 2x thumbnail (srcset); NULL for images processed before it, which keep their 1x.
        """
        ALTER TABLE images ADD COLUMN thumb2x_key    TEXT;
        ALTER TABLE images ADD COLUMN thumb2x_width  INTEGER;
        ALTER TABLE images ADD COLUMN thumb2x_height INTEGER;
        ALTER TABLE images ADD COLUMN thumb2x_bytes  INTEGER;
        """,
        // The device of a session, for its owner's list; the throttles' attempt counters
        // (`MetadataStore.countAttempt`), swept once expired.
        """
        ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
        CREATE TABLE attempt_counters (
            key        TEXT PRIMARY KEY,
            count      INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE INDEX attempt_counters_by_expiry ON attempt_counters (expires_at);
        ALTER TABLE accounts ADD COLUMN code_failures_since INTEGER;
        """,
    ]

    /// Work a migration needs that SQL cannot do, run right after it in the same transaction
    /// (by index into `migrations`).
    static let backfills: [Int: @Sendable (SQLiteConnection) throws -> Void] = [
        // Photos processed before search existed have camera words to index.
        // (Only the columns of this version: later migrations must not break it.)
        1: { db in
            let rows = try db.query("SELECT id, camera_make, camera_model FROM images WHERE has_photo_metadata = 1") {
                ($0.string(0), CatalogRules.terms(tags: [], title: "", description: "",
                                                  cameraMake: $0.optionalString(1), cameraModel: $0.optionalString(2)))
            }
            for (id, terms) in rows where !terms.isEmpty { try ImageRows.insertTerms(db, imageID: id, terms: terms) }
        },
    ]
}
