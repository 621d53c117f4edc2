/// The one bag of seams: built once by `GalleryBootstrap` from configuration and handed, whole,
/// to the use cases, the worker and the admin command.
public struct Stores: Sendable {
    public var metadata: MetadataStore
    public var catalog: CatalogStore
    public var jobs: JobQueue
    public var blobs: BlobStore
    public var identity: IdentityProvider
    /// Image record and job in one write (see `ImageIntake`).
    public var intake: ImageIntake

    /// `intake` nil: the record then the job (`SequentialImageIntake`).
    public init(metadata: MetadataStore, catalog: CatalogStore, jobs: JobQueue, blobs: BlobStore,
                identity: IdentityProvider, intake: ImageIntake? = nil) {
        self.metadata = metadata
        self.catalog = catalog
        self.jobs = jobs
        self.blobs = blobs
        self.identity = identity
        self.intake = intake ?? SequentialImageIntake(metadata: metadata, jobs: jobs)
    }
}
