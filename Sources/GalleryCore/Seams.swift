import Foundation

// The storage seams. Handlers and workers see only these protocols; the executables pick a
// backend once, from configuration. Every method may throw `GalleryError.unavailable` when
// the backend fails; the other cases are documented per method. Implementations must be safe
// to call from many threads at once.

/// Profiles, sessions and images.
public protocol MetadataStore: AnyObject, Sendable {
    /// Throws `.conflict` if the user id or username exists.
    func createProfile(_ profile: Profile) throws
    func profile(userID: String) throws -> Profile?
    func profile(username: String) throws -> Profile?

    func createSession(_ session: SessionRecord) throws
    func session(idHash: String) throws -> SessionRecord?
    func touchSession(idHash: String, lastSeenAt: Date) throws
    func deleteSession(idHash: String) throws
    func deleteSessions(userID: String) throws
    /// The user's live sessions (expired ones may be missing), most recently seen first.
    func sessions(userID: String) throws -> [SessionRecord]

    /// Counts one attempt under `key` (a throttle's name and window, `Throttles`) in one atomic
    /// step and returns the count including it. The counter is forgotten after `expiresAt`,
    /// so a key is reused only by a later window. Shared by every responder of the site.
    func countAttempt(key: String, expiresAt: Date) throws -> Int

    /// Throws `.conflict` if the id exists.
    func putImage(_ image: ImageRecord) throws
    func image(id: String) throws -> ImageRecord?
    /// Sets status `ready` and the derivatives. Throws `.notFound` if the image was deleted.
    func markImageReady(id: String, derivatives: ImageDerivatives) throws
    /// Sets status `failed` with a reason the owner sees. Throws `.notFound` if deleted.
    func markImageFailed(id: String, reason: String) throws
    /// Back to `processing` without a failure reason, derivatives kept: its dead job was
    /// requeued, so the owner sees it being tried again. Throws `.notFound` if deleted.
    func markImageProcessing(id: String) throws
    /// Removes the record; returns it (nil if it was already gone) so the caller can delete blobs.
    @discardableResult
    func deleteImage(id: String) throws -> ImageRecord?
    /// The owner's images, newest first, every status and visibility.
    func images(ownerID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord>
    /// Everyone's public images, newest first, ready or not (the page shows the status).
    func publicFeed(cursor: String?, limit: Int) throws -> Page<ImageRecord>
    /// Images still `processing` that were uploaded before `createdBefore`, in no particular
    /// order; a page may come back short, even empty, with more to read. For maintenance (the
    /// reconciler), never on a request path: on DynamoDB it is a Scan.
    func processingImages(createdBefore: Date, cursor: String?, limit: Int) throws -> Page<ImageRecord>
}

/// The job table. Delivery is at least once; a claim is one conditional write.
public protocol JobQueue: AnyObject, Sendable {
    /// Adds a queued job, available at `availableAt`.
    @discardableResult
    func enqueue(_ subject: JobSubject, availableAt: Date) throws -> Job
    /// Takes one job that is queued and available, or running with an expired lease:
    /// → running, owner, leaseUntil = now + lease, attempts + 1, version + 1.
    /// Of two claimers of the same job exactly one wins. Nil when nothing is claimable.
    func claim(owner: String, lease: TimeInterval, now: Date) throws -> Job?
    /// Extends the lease. Fenced: throws `.leaseLost` unless owner and version still match.
    /// Returns the job with its new version.
    func heartbeat(_ job: Job, lease: TimeInterval, now: Date) throws -> Job
    /// Marks the job done. Fenced like `heartbeat`.
    func complete(_ job: Job, now: Date) throws
    /// Records a failed attempt: queued again at `retryAt`, or dead when `retryAt` is nil.
    /// Fenced like `heartbeat`.
    func fail(_ job: Job, error: String, retryAt: Date?, now: Date) throws
    /// Gives the job back unfinished (shutdown): queued and available now, the attempt not
    /// counted. Fenced like `heartbeat`.
    func release(_ job: Job, now: Date) throws
    func job(id: String) throws -> Job?
    func jobs(status: JobStatus, cursor: String?, limit: Int) throws -> Page<Job>
    /// A dead job queued again with its attempts reset. Throws `.notFound` unless it is dead.
    func requeue(id: String, now: Date) throws
    func depth(now: Date) throws -> QueueDepth
}

/// How the web server hands an object's bytes to the client without copying them itself.
public enum BlobDelivery: Equatable, Sendable {
    /// An nginx internal location to put in `X-Accel-Redirect`.
    case accelRedirect(String)
    /// A URL the browser may fetch directly (e.g. a presigned S3 GET).
    case redirect(String)
}

/// Originals and derivatives, by generated key.
public protocol BlobStore: AnyObject, Sendable {
    /// Stores a file's bytes under `key` (streamed, never read whole into memory).
    func put(key: String, file: URL, contentType: String) throws
    func put(key: String, data: Data, contentType: String) throws
    /// Copies the object into a local file. Throws `.notFound` if absent.
    func download(key: String, to file: URL) throws
    /// Deleting an absent key is not an error.
    func delete(keys: [String]) throws
    /// Where to send the client for `key`. `downloadName` asks for an attachment with that name.
    func delivery(key: String, contentType: String, downloadName: String?) throws -> BlobDelivery
    /// The stored blobs whose keys start with `prefix` ("" for all), in byte order of their keys,
    /// at most `limit` (1…1000) per page. Writes still in progress are not listed. For
    /// maintenance (the orphan sweep), never on a request path. Throws `.invalid` for a limit
    /// out of range or a prefix no key could have.
    func list(prefix: String, cursor: String?, limit: Int) throws -> Page<BlobInfo>
    /// Removes what writes started before `cutoff` and never finished left behind (a crash
    /// mid-write), or only names it with `dryRun`; returns what it found. Never a stored blob.
    /// For maintenance (the orphan sweep).
    func removeAbandonedWrites(startedBefore cutoff: Date, dryRun: Bool) throws -> [String]
}

/// One stored blob, as `BlobStore.list` sees it.
public struct BlobInfo: Equatable, Sendable {
    public var key: String
    public var byteSize: Int64
    /// When the blob was last written (S3 keeps whole seconds).
    public var modifiedAt: Date
    public init(key: String, byteSize: Int64, modifiedAt: Date) {
        self.key = key
        self.byteSize = byteSize
        self.modifiedAt = modifiedAt
    }
}


public struct SignUpResult: Equatable, Sendable {
    public var userID: String
    /// Where the confirmation code went, for the page ("we sent a code to a***@example.com").
    public var codeDestination: String
    public init(userID: String, codeDestination: String) {
        self.userID = userID
        self.codeDestination = codeDestination
    }
}

/// Accounts: local (SQLite + Argon2id + outbox mail) or Cognito.
public protocol IdentityProvider: AnyObject, Sendable {
    /// Throws `.conflict` for a taken username, `.invalid` for a weak password or bad email.
    func signUp(username: String, email: String, password: String) throws -> SignUpResult
    /// Throws `.badCode` for a wrong or expired code.
    func confirm(username: String, code: String) throws
    /// Sends a new code. Never reveals whether the username exists.
    func resendCode(username: String) throws
    /// Throws `.badCredentials` for an unknown user or a wrong password alike,
    /// `.notConfirmed` when the password is right but the email is unconfirmed.
    func signIn(username: String, password: String) throws -> Identity
    /// Ends every session the provider holds for the user (Cognito: GlobalSignOut).
    /// `providerToken` is what `signIn` returned in `Identity.providerToken`.
    func signOut(userID: String, providerToken: String?) throws
    func deleteAccount(userID: String, providerToken: String?) throws
    /// Throws `.badCredentials` when `oldPassword` is wrong, `.invalid` for a weak new one.
    func changePassword(userID: String, username: String, oldPassword: String, newPassword: String,
                        providerToken: String?) throws
}

/// A message to a person's inbox.
public struct MailMessage: Equatable, Sendable {
    public var to: String
    public var subject: String
    public var body: String
    public init(to: String, subject: String, body: String) {
        self.to = to
        self.subject = subject
        self.body = body
    }
}

public protocol Mailer: AnyObject, Sendable {
    func send(_ message: MailMessage) throws
}
