import Foundation

/// The CGI-style parameters a FastCGI request arrives with (what nginx's fastcgi_params
/// send), turned into a `Request`. Untrusted input: every value may be anything, so nothing
/// here trusts a name or a number.
public enum CGIParameters {
    public static func request(_ params: [String: String], body: BodySource = BytesBody([])) -> Request {
        let uri = params["DOCUMENT_URI"] ?? params["SCRIPT_NAME"] ?? params["REQUEST_URI"] ?? "/"
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        var headers: [String: String] = [:]
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers[headerName(name.dropFirst(5))] = value
        }
        // CGI passes these two without the HTTP_ prefix.
        if let type = params["CONTENT_TYPE"] { headers["content-type"] = type }
        if let length = params["CONTENT_LENGTH"] { headers["content-length"] = length }
        return Request(method: params["REQUEST_METHOD"] ?? "GET", path: path.isEmpty ? "/" : path,
                       queryString: params["QUERY_STRING"] ?? "", headers: headers,
                       isHTTPS: (params["HTTPS"] ?? "").lowercased() == "on", peerAddress: params["REMOTE_ADDR"],
                       body: body)
    }

    /// The parameters from FastCGI's environment entries ("NAME=value", as libfcgi hands them
    /// over): split at the first "="; an entry without one is dropped, a repeated name keeps
    /// its last value.
    public static func decode<S: Sequence>(environment entries: S) -> [String: String] where S.Element == String {
        var params: [String: String] = [:]
        for pair in entries {
            guard let eq = pair.firstIndex(of: "=") else { continue }
            params[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        return params
    }

    /// `USER_AGENT` → `user-agent`.
    static func headerName(_ cgi: Substring) -> String {
        cgi.lowercased().replacingOccurrences(of: "_", with: "-")
    }
}
