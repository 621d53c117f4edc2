import ArgumentParser

/// The admin command. Each area is a subcommand group in its own file, joined here.
@main
struct Gallery: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery",
        abstract: "Administer a gallery: setup, jobs, thumbnails, blobs.",
        discussion: "Reads the same GALLERY_* environment as gallery-fcgi and gallery-worker (see README).",
        subcommands: [Setup.self, Jobs.self, Thumbnails.self, Blobs.self, Repair.self, Backup.self, Restore.self])
}
