import Foundation

/// Every page and action of the site. State changes are POSTs (each checks a CSRF token).
extension GalleryApp {
    func routes() -> Router {
        var r = Router()
        r.add("GET", "/") { c, _ in try self.feedPage(c) }
        r.add("GET", "/healthz") { _, _ in .text("ok\n") }
        // Queue depth for autoscaling on backlog; nginx lets only loopback reach it.
        r.add("GET", "/metrics") { _, _ in
            .text(try self.services.jobs.depth(now: Date()).prometheusText(now: Date()),
                  contentType: "text/plain; version=0.0.4; charset=utf-8")
        }

        r.add("GET", "/register") { c, _ in self.registerPage(c) }
        r.add("POST", "/register") { c, _ in try self.register(c) }
        r.add("GET", "/confirm") { c, _ in self.confirmPage(c) }
        r.add("POST", "/confirm") { c, _ in try self.confirm(c) }
        r.add("POST", "/confirm/resend") { c, _ in try self.resendCode(c) }
        r.add("GET", "/login") { c, _ in self.loginPage(c) }
        r.add("POST", "/login") { c, _ in try self.login(c) }
        r.add("POST", "/logout") { c, _ in try self.logout(c) }

        r.add("GET", "/upload") { c, _ in try self.uploadPage(c) }
        r.add("POST", "/upload") { c, _ in try self.upload(c) }
        r.add("GET", "/gallery") { c, _ in try self.galleryPage(c) }
        // For static/gallery.js (StatusEndpoints.swift); the forms above stay the fallback.
        r.add("POST", "/api/upload") { c, _ in self.uploadOne(c) }
        r.add("GET", "/api/status") { c, _ in self.imageStatus(c) }
        r.add("GET", "/images/:id") { c, v in try self.imagePage(c, id: v[0]) }
        r.add("POST", "/images/:id/delete") { c, v in try self.deleteImage(c, id: v[0]) }
        r.add("GET", "/media/:id/:variant") { c, v in try self.media(c, id: v[0], variant: v[1]) }

        r.add("POST", "/images/:id/edit") { c, v in try self.editImage(c, id: v[0]) }
        r.add("POST", "/images/:id/share") { c, v in try self.shareImage(c, id: v[0]) }
        r.add("POST", "/images/:id/decrypt") { c, v in try self.decryptImage(c, id: v[0]) }
        r.add("POST", "/gallery/bulk") { c, _ in try self.galleryBulk(c) }
        r.add("GET", "/s/:token") { c, v in try self.sharedImagePage(c, token: v[0]) }
        r.add("GET", "/s/:token/:variant") { c, v in try self.sharedImageMedia(c, token: v[0], variant: v[1]) }

        r.add("GET", "/albums") { c, _ in try self.albumsPage(c) }
        r.add("POST", "/albums") { c, _ in try self.createAlbum(c) }
        r.add("GET", "/albums/:id") { c, v in try self.albumPage(c, id: v[0]) }
        r.add("POST", "/albums/:id/edit") { c, v in try self.editAlbum(c, id: v[0]) }
        r.add("POST", "/albums/:id/share") { c, v in try self.shareAlbum(c, id: v[0]) }
        r.add("POST", "/albums/:id/cover") { c, v in try self.albumCover(c, id: v[0]) }
        r.add("POST", "/albums/:id/remove") { c, v in try self.removeFromAlbum(c, id: v[0]) }
        r.add("GET", "/albums/:id/delete") { c, v in try self.deleteAlbumPage(c, id: v[0]) }
        r.add("POST", "/albums/:id/delete") { c, v in try self.deleteAlbum(c, id: v[0]) }
        r.add("GET", "/a/:token") { c, v in try self.sharedAlbumPage(c, token: v[0]) }
        r.add("GET", "/a/:token/images/:id") { c, v in try self.sharedAlbumImagePage(c, token: v[0], id: v[1]) }
        r.add("GET", "/a/:token/images/:id/:variant") { c, v in
            try self.sharedAlbumMedia(c, token: v[0], id: v[1], variant: v[2])
        }

        r.add("GET", "/search") { c, _ in try self.searchPage(c) }
        r.add("GET", "/tags/:tag") { c, v in try self.tagPage(c, tag: v[0]) }
        r.add("GET", "/u/:username") { c, v in try self.personPage(c, username: v[0]) }
        r.add("GET", "/u/:username/avatar.webp") { c, v in try self.avatar(c, username: v[0]) }

        r.add("GET", "/profile") { c, _ in try self.profilePage(c) }
        r.add("POST", "/profile") { c, _ in try self.updateProfile(c) }
        r.add("POST", "/profile/password") { c, _ in try self.changePassword(c) }
        r.add("POST", "/profile/avatar") { c, _ in try self.uploadAvatar(c) }
        r.add("GET", "/account/delete") { c, _ in try self.deleteAccountPage(c) }
        r.add("POST", "/account/delete") { c, _ in try self.deleteAccount(c) }
        return r
    }
}
