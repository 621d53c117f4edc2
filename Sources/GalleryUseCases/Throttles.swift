import Foundation
import GalleryCore
import GalleryCrypto

/// Who is making an attempt, as far as the throttles can tell.
public struct Client: Sendable, Equatable {
    /// The client's address as the front server saw it (nginx's `$remote_addr`, after
    /// `real_ip` behind a load balancer).
    public var address: String
    /// The browser carries the device cookie of a past successful log-in to the account
    /// being tried (`Accounts.signIn`): the per-account lock-out does not apply to it, so a
    /// stranger guessing a password cannot lock its owner out of their own browser.
    public var knownDevice: Bool

    public init(address: String, knownDevice: Bool = false) {
        self.address = address
        self.knownDevice = knownDevice
    }
}

/// Limits on guessing and flooding, counted in the metadata store (`countAttempt`) so that
/// they hold on every responder of a site and behind any proxy. Each action has a budget per
/// account and per client address in a fixed window; an attempt over either budget is refused
/// with `.rateLimited` until the window ends. A lock-out therefore lasts at most one window
/// (and never applies to the account owner's known device at log-in): it slows an attacker
/// down without letting them lock a person out for good.
public struct Throttles: Sendable {
    let store: MetadataStore

    public init(store: MetadataStore) { self.store = store }

    public enum Action: String, Sendable, CaseIterable {
        case logIn = "login", signUp = "signup", confirm, resend, passwordChange = "password"
    }

    public struct Budget: Sendable, Equatable {
        public var attempts: Int
        public var window: TimeInterval
    }

    /// Per account: about what a person needs on a bad day, and small enough that 10^6
    /// confirmation codes or a list of common passwords take years. Sign-up has none (the
    /// account does not exist yet).
    public static func perAccount(_ action: Action) -> Budget? {
        switch action {
        case .logIn: return Budget(attempts: 10, window: 15 * 60)
        case .signUp: return nil
        case .confirm: return Budget(attempts: 10, window: 3600)
        case .resend: return Budget(attempts: 3, window: 3600)
        case .passwordChange: return Budget(attempts: 10, window: 15 * 60)
        }
    }

    /// Per client address: looser, since many people can share one address (a household, an
    /// office behind NAT).
    public static func perAddress(_ action: Action) -> Budget {
        switch action {
        case .logIn: return Budget(attempts: 50, window: 15 * 60)
        case .signUp: return Budget(attempts: 10, window: 3600)
        case .confirm: return Budget(attempts: 30, window: 3600)
        case .resend: return Budget(attempts: 10, window: 3600)
        case .passwordChange: return Budget(attempts: 30, window: 15 * 60)
        }
    }

    /// Counts one attempt of `action` on `account` (a username or user id; nil when there is
    /// none) from `client`; throws `.rateLimited` when it is over a budget. Call it before
    /// the attempt does anything (checks a password, sends a mail).
    public func attempt(_ action: Action, account: String?, client: Client, now: Date = Date()) throws {
        var overBudget = false
        if let account, !(action == .logIn && client.knownDevice), let budget = Self.perAccount(action) {
            overBudget = try count(action, "account", account.lowercased(), budget, now) > budget.attempts
        }
        let budget = Self.perAddress(action)
        // Counted even when the account is over budget: the address's count is what catches
        // one client trying many accounts.
        if try count(action, "address", Self.addressGroup(client.address), budget, now) > budget.attempts {
            overBudget = true
        }
        if overBudget { throw GalleryError.rateLimited }
    }

    private func count(_ action: Action, _ kind: String, _ subject: String, _ budget: Budget, _ now: Date) throws -> Int {
        let window = Int(now.timeIntervalSince1970 / budget.window)
        let end = Date(timeIntervalSince1970: Double(window + 1) * budget.window)
        // Hashed: usernames and addresses are not kept in the counters' keys, and any input
        // makes a key of the same short shape.
        let key = "\(action.rawValue):\(kind):\(SHA256.hex(Array(subject.utf8)).prefix(32)):\(window)"
        return try store.countAttempt(key: key, expiresAt: end)
    }

    /// IPv6 clients are counted per /64, the block one subscriber usually gets; IPv4 per
    /// address. Anything else (a test, a Unix socket) counts as itself.
    static func addressGroup(_ address: String) -> String {
        var v6 = in6_addr()
        if address.contains(":"), inet_pton(AF_INET6, address, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0.prefix(8)) }
            if bytes.prefix(6) == [0, 0, 0, 0, 0, 0] {
                // An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 address.
                let all = withUnsafeBytes(of: &v6) { Array($0) }
                if all[8..<12] == [0, 0, 0xff, 0xff] { return all[12..<16].map(String.init).joined(separator: ".") }
            }
            return bytes.map { String(format: "%02x", $0) }.joined() + "::/64"
        }
        return address
    }
}
