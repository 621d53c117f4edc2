import Foundation
import GalleryCore

/// The SDKs' "standard" retry mode: up to `maxAttempts` tries of throttling errors, 5xx answers
/// and transport failures, each retry after a random delay in [0, min(maxDelay, base · 2^n)]
/// ("full jitter", so that many clients throttled together do not retry together).
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    /// Throttling asks for a longer pause than a dropped connection.
    public var throttlingBaseDelay: TimeInterval
    public var maxDelay: TimeInterval

    public init(maxAttempts: Int = 3, baseDelay: TimeInterval = 0.1, throttlingBaseDelay: TimeInterval = 0.5,
                maxDelay: TimeInterval = 20) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.throttlingBaseDelay = throttlingBaseDelay
        self.maxDelay = maxDelay
    }

    public static let standard = RetryPolicy()

    /// The pause before retry number `retry` (1 for the first retry).
    public func delay(retry: Int, throttled: Bool, random: Double = Double.random(in: 0..<1)) -> TimeInterval {
        Backoff.fullJitter(attempt: retry, base: throttled ? throttlingBaseDelay : baseDelay, cap: maxDelay,
                           random: random)
    }

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
    ]
    static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalErrorException", "InternalFailure",
        "InternalServerError", "ServiceUnavailable", "IDPCommunicationErrorException",
    ]
    static let expiredCredentialCodes: Set<String> = [
        "ExpiredToken", "ExpiredTokenException", "RequestExpired",
    ]
}
