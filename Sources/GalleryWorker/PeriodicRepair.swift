import Foundation
import GalleryCore
import GalleryUseCases
import Logging

/// Runs the reconciler now and then on its own thread: first at a random point of the first
/// minute (workers started together do not run it together), then every `interval` with
/// ±10 % jitter. Idempotent, so several workers running it cost reads, never harm.
final class PeriodicRepair: @unchecked Sendable {  // @unchecked: `stopped` is guarded by `condition`
    private let reconciler: Reconciler
    private let interval: TimeInterval
    private let logger: Logger
    private let condition = NSCondition()
    private var stopped = false

    init(reconciler: Reconciler, interval: TimeInterval, logger: Logger) {
        self.reconciler = reconciler
        self.interval = interval
        self.logger = logger
    }

    func start() {
        guard interval > 0 else { return }
        let thread = Thread { [self] in
            var wait = TimeInterval.random(in: 1...60)
            while sleep(wait) {
                do {
                    let repaired = try reconciler.repair()
                    if !repaired.isEmpty { logger.warning("reconciler queued \(repaired.count) stranded photo(s)") }
                } catch {
                    logger.error("reconciler failed; trying again later", metadata: ["error": "\(error)"])
                }
                wait = interval * Double.random(in: 0.9...1.1)
            }
        }
        thread.name = "repair"
        thread.start()
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    /// False once stopped.
    private func sleep(_ seconds: TimeInterval) -> Bool {
        condition.withLock {
            let until = Date().addingTimeInterval(seconds)
            while !stopped && condition.wait(until: until) {}
            return !stopped
        }
    }
}
