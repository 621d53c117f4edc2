import Foundation
import GalleryCore

/// The shared `credentials` and `config` files (`AWS_SHARED_CREDENTIALS_FILE`,
/// `AWS_CONFIG_FILE`, default `~/.aws/…`) and the profile `AWS_PROFILE` selects.
public struct SharedConfigFiles: Sendable {
    public let profile: String
    /// The profile's keys from the credentials file (`[name]`).
    public let credentialsSection: [String: String]?
    /// The profile's keys from the config file (`[profile name]`, or `[default]`).
    public let configSection: [String: String]?
    let credentialsPath: String
    let configPath: String

    public init(environment: [String: String]) throws {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let explicit = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
        profile = explicit ?? "default"
        credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.aws/credentials"
        configPath = environment["AWS_CONFIG_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.aws/config"
        let credentials = try Self.parse(file: credentialsPath)
        let config = try Self.parse(file: configPath)
        credentialsSection = credentials[profile]
        configSection = profile == "default" ? (config["default"] ?? config["profile default"]) : config["profile \(profile)"]
        if explicit != nil, credentialsSection == nil, configSection == nil {
            throw GalleryError.invalid("AWS_PROFILE \(profile) is in neither \(credentialsPath) nor \(configPath)")
        }
    }

    /// A setting of the profile: the credentials file first, then the config file.
    public func value(_ key: String) -> String? {
        credentialsSection?[key] ?? configSection?[key]
    }

    /// INI as the AWS CLI writes it: `[section]`, `key = value`, `#`/`;` comments. Indented
    /// lines belong to a nested block (`s3 =` …) and are skipped: we read no nested setting.
    static func parse(file path: String) throws -> [String: [String: String]] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw GalleryError.invalid("cannot read \(path): \(error.localizedDescription)")
        }
        return parse(text)
    }

    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if rawLine.first == " " || rawLine.first == "\t" { continue }
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            // An inline comment needs whitespace before it, as in botocore.
            for marker in [" #", " ;", "\t#", "\t;"] {
                if let range = value.range(of: marker) { value = value[..<range.lowerBound].trimmingCharacters(in: .whitespaces) }
            }
            sections[section]?[key] = value
        }
        return sections
    }
}

/// Keys from the selected profile: `aws_access_key_id`, `aws_secret_access_key`,
/// `aws_session_token`. Profiles that assume a role or run a process are refused by name.
public final class ProfileCredentialsProvider: AWSCredentialsProvider {
    private let result: Result<AWSCredentials, Error>

    public init(files: SharedConfigFiles) throws {
        let id = files.value("aws_access_key_id") ?? "", secret = files.value("aws_secret_access_key") ?? ""
        if !id.isEmpty, !secret.isEmpty {
            let token = files.value("aws_session_token").flatMap { $0.isEmpty ? nil : $0 }
            result = .success(AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token))
        } else if let unsupported = ["role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file"]
                    .first(where: { files.value($0) != nil }) {
            throw GalleryError.invalid("AWS profile \(files.profile) uses \(unsupported), which this program does not support; "
                                       + "use access keys, the environment, or an instance role")
        } else {
            result = .failure(AWSCredentialsNotFound(reason: "profile \(files.profile): no access key in \(files.credentialsPath) or \(files.configPath)"))
        }
    }

    public func credentials() throws -> AWSCredentials { try result.get() }
    public func invalidate() {}
}
