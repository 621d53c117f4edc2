import CoreMetrics
import GalleryCore
import GalleryMetrics
import Metrics

/// What a worker process counts: each job's outcome and duration by kind, each decoding
/// child's end by cause, and claims that failed because storage was unreachable.
final class WorkerMetrics: Sendable {
    static let jobs = "gallery_worker_jobs_total"
    static let jobDuration = "gallery_worker_job_duration_seconds"
    static let childExits = "gallery_decode_child_exits_total"
    static let childDuration = "gallery_decode_child_duration_seconds"
    static let claimFailures = "gallery_worker_claim_failures_total"

    private let jobs: LabeledSeries<Counter>
    private let jobDurations: LabeledSeries<CoreMetrics.Timer>
    private let childExits: LabeledSeries<Counter>
    private let childDurations: LabeledSeries<CoreMetrics.Timer>
    private let claimFailures: Counter

    init(factory: MetricsFactory = MetricsSystem.factory) {
        let jobLabels: @Sendable ([String]) -> [(String, String)] = { [("kind", $0[0]), ("outcome", $0[1])] }
        jobs = LabeledSeries { Counter(label: Self.jobs, dimensions: jobLabels($0), factory: factory) }
        jobDurations = LabeledSeries { CoreMetrics.Timer(label: Self.jobDuration, dimensions: jobLabels($0), factory: factory) }
        childExits = LabeledSeries { Counter(label: Self.childExits, dimensions: [("cause", $0[0])], factory: factory) }
        childDurations = LabeledSeries {
            CoreMetrics.Timer(label: Self.childDuration, dimensions: [("cause", $0[0])], factory: factory)
        }
        claimFailures = Counter(label: Self.claimFailures, factory: factory)
    }

    func jobFinished(_ kind: JobKind, _ outcome: WorkOutcome, after elapsed: Duration) {
        guard let label = outcome.metricLabel else { return }
        jobs(kind.rawValue, label).increment()
        jobDurations(kind.rawValue, label).record(duration: elapsed)
    }

    func childExited(_ cause: ChildExit, after elapsed: Duration) {
        childExits(cause.rawValue).increment()
        childDurations(cause.rawValue).record(duration: elapsed)
    }

    func claimFailed() { claimFailures.increment() }
}

/// How a decoding child ended, as `gallery_decode_child_exits_total{cause}` names it.
enum ChildExit: String, CaseIterable {
    /// Derivatives made and checked.
    case ok
    /// The child refused the input: not an image, another type than recorded, too many
    /// pixels, undecodable.
    case badImage = "bad_image"
    /// The decoder ran out of its address space (`GALLERY_DECODE_MEMORY_MB`) and said so;
    /// an allocation that traps in the runtime shows as `crash`.
    case memoryLimit = "memory_limit"
    /// SIGXCPU: over `GALLERY_DECODE_CPU_SECONDS`.
    case cpuLimit = "cpu_limit"
    /// Killed by the parent after `GALLERY_DECODE_TIMEOUT_SECONDS`.
    case timeout
    /// SIGXFSZ: a file it wrote grew past its limit.
    case fileSizeLimit = "file_size_limit"
    /// Any other signal, or an exit status the parent does not expect.
    case crash
    /// It exited as if it had succeeded or refused, but what it left failed validation.
    case badOutput = "bad_output"
    /// Killed because the job stopped (lease lost, shutdown).
    case cancelled
    /// It could not be started at all (the worker's fault, not the image's).
    case spawnFailed = "spawn_failed"
}

extension WorkOutcome {
    /// The `outcome` label of a job's end; nil for turns without a job.
    var metricLabel: String? {
        switch self {
        case .idle, .storageUnavailable: return nil
        case .completed: return "completed"
        case .retrying: return "retry"
        case .dead: return "dead"
        case .imageGone: return "image_gone"
        case .abandoned: return "abandoned"
        case .released: return "released"
        }
    }
}
