import Foundation

/// Delays for retries and polling. Jitter spreads workers out so that many of them, woken by
/// the same event or failing on the same outage, do not hit the store in lockstep.
public enum Backoff {
    /// "Full jitter": uniform in [0, min(cap, base · 2^(attempt−1))]. `attempt` counts from 1.
    public static func fullJitter(attempt: Int, base: TimeInterval, cap: TimeInterval) -> TimeInterval {
        let ceiling = exponential(attempt: attempt, base: base, cap: cap)
        return ceiling > 0 ? TimeInterval.random(in: 0...ceiling) : 0
    }

    /// min(cap, base · 2^(attempt−1)) without overflowing for large attempts.
    static func exponential(attempt: Int, base: TimeInterval, cap: TimeInterval) -> TimeInterval {
        let doublings = min(max(attempt - 1, 0), 62)
        return min(cap, base * pow(2, Double(doublings)))
    }
}

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
