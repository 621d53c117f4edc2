import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases
import Logging

/// Every page and action of the site, each handled by the pages of its resource. State
/// changes are POSTs (each checks a CSRF token).
struct Routes {
    let useCases: UseCases
    let config: Configuration
    let logger: Logger
    let metrics: WebMetrics

    func table() -> Router {
        let accounts = AccountPages(accounts: useCases.accounts)
        let profile = ProfilePages(accounts: useCases.accounts, access: useCases.access)
        let uploads = UploadPages(uploads: useCases.uploads, config: config)
        let photos = PhotoPages(app: useCases, config: config)
        let media = MediaPages(access: useCases.access, media: useCases.media)
        let albums = AlbumPages(app: useCases, config: config)
        let search = SearchPages(app: useCases, config: config)
        let metricsPage = MetricsPage(metrics: metrics, jobs: useCases.stores.jobs, logger: logger)

        var r = Router()
        r.add("GET", "/") { c, _ in try photos.feedPage(c) }
        r.add("GET", "/healthz") { _, _ in .text("ok\n") }
        r.add("GET", "/metrics") { c, _ in try metricsPage.metrics(c) }

        r.add("GET", "/register") { c, _ in accounts.registerPage(c) }
        r.add("POST", "/register") { c, _ in try accounts.register(c) }
        r.add("GET", "/confirm") { c, _ in accounts.confirmPage(c) }
        r.add("POST", "/confirm") { c, _ in try accounts.confirm(c) }
        r.add("POST", "/confirm/resend") { c, _ in try accounts.resendCode(c) }
        r.add("GET", "/login") { c, _ in accounts.loginPage(c) }
        r.add("POST", "/login") { c, _ in try accounts.login(c) }
        r.add("POST", "/logout") { c, _ in try accounts.logout(c) }

        r.add("GET", "/upload") { c, _ in try uploads.uploadPage(c) }
        r.add("POST", "/upload") { c, _ in try uploads.upload(c) }
        r.add("GET", "/gallery") { c, _ in try photos.galleryPage(c) }
        // For static/gallery.js (ScriptEndpoints.swift); the forms stay the fallback.
        let script = ScriptEndpoints(uploads: uploads, app: useCases, logger: logger)
        r.add("POST", "/api/upload") { c, _ in script.uploadOne(c) }
        r.add("GET", "/api/status") { c, _ in script.imageStatus(c) }
        r.add("POST", "/gallery/bulk") { c, _ in try photos.galleryBulk(c) }
        r.add("GET", "/images/:id") { c, p in try photos.imagePage(c, id: p.id) }
        r.add("POST", "/images/:id/edit") { c, p in try photos.editImage(c, id: p.id) }
        r.add("POST", "/images/:id/share") { c, p in try photos.shareImage(c, id: p.id) }
        r.add("POST", "/images/:id/delete") { c, p in try photos.deleteImage(c, id: p.id) }
        r.add("POST", "/images/:id/decrypt") { c, p in try photos.decryptImage(c, id: p.id) }
        r.add("GET", "/media/:id/:variant") { c, p in try media.media(c, id: p.id, variant: p.variant) }
        r.add("GET", "/s/:token") { c, p in try photos.sharedImagePage(c, token: p.token) }
        r.add("GET", "/s/:token/:variant") { c, p in try media.sharedImageMedia(c, token: p.token, variant: p.variant) }

        r.add("GET", "/albums") { c, _ in try albums.albumsPage(c) }
        r.add("POST", "/albums") { c, _ in try albums.createAlbum(c) }
        r.add("GET", "/albums/:id") { c, p in try albums.albumPage(c, id: p.id) }
        r.add("POST", "/albums/:id/edit") { c, p in try albums.editAlbum(c, id: p.id) }
        r.add("POST", "/albums/:id/share") { c, p in try albums.shareAlbum(c, id: p.id) }
        r.add("POST", "/albums/:id/cover") { c, p in try albums.albumCover(c, id: p.id) }
        r.add("POST", "/albums/:id/remove") { c, p in try albums.removeFromAlbum(c, id: p.id) }
        r.add("GET", "/albums/:id/delete") { c, p in try albums.deleteAlbumPage(c, id: p.id) }
        r.add("POST", "/albums/:id/delete") { c, p in try albums.deleteAlbum(c, id: p.id) }
        r.add("GET", "/a/:token") { c, p in try albums.sharedAlbumPage(c, token: p.token) }
        r.add("GET", "/a/:token/images/:id") { c, p in try photos.sharedAlbumImagePage(c, token: p.token, id: p.id) }
        r.add("GET", "/a/:token/images/:id/:variant") { c, p in
            try media.sharedAlbumMedia(c, token: p.token, id: p.id, variant: p.variant)
        }

        r.add("GET", "/search") { c, _ in try search.searchPage(c) }
        r.add("GET", "/tags/:tag") { c, p in try search.tagPage(c, tag: p.tag) }
        r.add("GET", "/u/:username") { c, p in try search.personPage(c, username: p.username) }
        r.add("GET", "/u/:username/avatar.webp") { c, p in try media.avatar(c, username: p.username) }

        r.add("GET", "/profile") { c, _ in try profile.profilePage(c) }
        r.add("POST", "/profile") { c, _ in try profile.updateProfile(c) }
        r.add("POST", "/profile/password") { c, _ in try profile.changePassword(c) }
        r.add("POST", "/profile/sessions/end") { c, _ in try profile.endOtherSessions(c) }
        r.add("POST", "/profile/avatar") { c, _ in try uploads.uploadAvatar(c) }
        r.add("GET", "/account/delete") { c, _ in try profile.deleteAccountPage(c) }
        r.add("POST", "/account/delete") { c, _ in try profile.deleteAccount(c) }
        return r
    }
}
