import Foundation
import GalleryCore

/// The sleep of an idle slot: starts at `minimum`, doubles per empty poll up to `maximum`, and
/// takes a random point in the upper half of the current step so it never spins below
/// minimum/2 yet slots do not poll in step.
struct PollBackoff {
    let minimum: TimeInterval
    let maximum: TimeInterval
    private var emptyPolls = 0

    init(minimum: TimeInterval, maximum: TimeInterval) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
    }

    mutating func next() -> TimeInterval {
        emptyPolls += 1
        let ceiling = Backoff.exponential(attempt: emptyPolls, base: minimum, cap: maximum)
        return TimeInterval.random(in: (ceiling / 2)...ceiling)
    }

    mutating func reset() { emptyPolls = 0 }
}
