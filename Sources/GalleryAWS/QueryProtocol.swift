import Foundation
import GalleryCore
import GalleryCrypto

/// The AWS query protocol (CloudWatch, Auto Scaling, CloudFormation): a form-encoded POST of
/// `Action`, `Version` and flattened parameters (`A.member.1.B`), answered with XML.
extension AWSClient {
    func query(_ service: AWSService, _ action: String, version: String, _ parameters: [(String, String)]) throws -> XMLNode {
        let pairs = [("Action", action), ("Version", version)] + parameters
        let form = pairs.map { SigV4Signer.encode($0.0, keepSlash: false) + "=" + SigV4Signer.encode($0.1, keepSlash: false) }
            .joined(separator: "&")
        let data = Data(form.utf8)
        let request = AWSRequest(method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                                 body: .bytes(data), payloadHash: SHA256.hex(data))
        let response = try send(service, action, request)
        guard let root = XMLNode.parse(response.body) else {
            throw AWSError(service: service.name, operation: action, status: response.status, code: "BadResponse",
                           message: "the answer is not XML", attempts: 1)
        }
        return root
    }
}

/// Query-protocol parameters built member by member.
struct QueryParameters {
    private(set) var pairs: [(String, String)] = []

    mutating func add(_ name: String, _ value: String) { pairs.append((name, value)) }

    /// `prefix.member.N.…` for each element, N from 1.
    mutating func addList<T>(_ prefix: String, _ items: [T], _ each: (inout QueryParameters, String, T) -> Void) {
        for (offset, item) in items.enumerated() { each(&self, "\(prefix).member.\(offset + 1)", item) }
    }
}
