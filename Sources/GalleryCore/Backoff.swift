import Foundation

/// Delays between retries. Jitter spreads clients out so that many of them, woken by the same
/// event or failing on the same outage, do not hit a store in lockstep.
public enum Backoff {
    /// "Full jitter": uniform in [0, min(cap, base · 2^(attempt−1))]. `attempt` counts from 1.
    /// `random` is a point in [0, 1) (tests pass a fixed one).
    public static func fullJitter(attempt: Int, base: TimeInterval, cap: TimeInterval,
                                  random: Double = Double.random(in: 0..<1)) -> TimeInterval {
        random * exponential(attempt: attempt, base: base, cap: cap)
    }

    /// min(cap, base · 2^(attempt−1)) without overflowing for large attempts.
    public static func exponential(attempt: Int, base: TimeInterval, cap: TimeInterval) -> TimeInterval {
        let doublings = min(max(attempt - 1, 0), 62)
        return min(cap, base * pow(2, Double(doublings)))
    }
}
