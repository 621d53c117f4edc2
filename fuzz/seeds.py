#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus (fuzz/corpus/TARGET/) from real inputs: the heads of the
test photos (Tests/Fixtures or $GALLERY_TESTDATA), and the requests a browser and
nginx really send to the gallery. Re-run after changing it; the output is committed."""
import io
import os
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTDATA = Path(os.environ.get("GALLERY_TESTDATA", HERE.parent / "Tests" / "Fixtures"))
OUT = HERE / "corpus"
HEAD = 12 * 1024  # headers and EXIF live at the start; keeps each execution quick

photos = [
    "photos/metadata/gps-position/thompson-springs.jpg", "photos/metadata/dates/gps-datetime.jpg",
    "photos/metadata/dates/datetimeoriginal-gps.jpg", "photos/formats/density_plot.png",
    "photos/formats/denali.webp", "photos/formats/IMG_2682.heic", "photos/formats/8bit-sRGB.avif",
    "orientation/Landscape_6.jpg", "orientation/Portrait_3.jpg",
]


def image_seeds():
    seeds = {}
    for rel in photos:
        path = TESTDATA / rel
        data = path.read_bytes()
        seeds[path.name] = data if len(data) <= HEAD else data[:HEAD]
    from PIL import Image  # a GIF and a PNG with an eXIf chunk: none among the test photos
    gif = io.BytesIO()
    Image.new("P", (7, 5)).save(gif, "GIF")
    seeds["small.gif"] = gif.getvalue()
    png = io.BytesIO()
    exif = Image.Exif()
    exif[0x0110] = "FuzzCam"
    Image.new("RGB", (3, 2)).save(png, "PNG", exif=exif.tobytes())
    seeds["exif.png"] = png.getvalue()
    return seeds


def multipart(fields, files, boundary="fuzzBoundary"):
    body = b""
    for name, value in fields:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, data in files:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="{name}"\r\n'
                 f'Content-Type: image/jpeg\r\n\r\n').encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    images = image_seeds()
    jpeg = images["Landscape_6.jpg"][:2048]
    seeds = {
        "image-header": images,
        "position-stripper": images,
        # The first byte picks the chunk size the body is fed in.
        "multipart": {
            "upload": b"\x10" + multipart([("csrf", "tok3n"), ("visibility", "public")], [("a.jpg", jpeg)]),
            "two-files": b"\x01" + multipart([("csrf", "x")], [("a.jpg", jpeg[:300]), ("ü b.jpg", b"GIF89a")]),
            "fields-only": b"\x60" + multipart([("title", "Trip <2024>"), ("tags", "sea, sun")], []),
        },
        "urlencoded": {
            "register": b"username=ann.lee&email=ann%40example.com&password=correct+horse+battery&password2=correct+horse+battery&csrf=abc",
            "bulk": b"action=add&album=0123456789abcdef0123456789abcdef&image=a&image=b&csrf=x",
            "edit": b"title=Caf%C3%A9+%3Cb%3E&description=line%0D%0Aline&tags=a%2Cb&visibility=unlisted",
        },
        "query": {
            "cursor": b"cursor=MTcwMDAwMDAwMDAwMDowMTIz&encrypted=1",
            "search": b"q=caf%C3%A9+sea&scope=mine&cursor=",
            "next": b"next=%2Fimages%2F0123%3Fx%3D1&username=ann",
        },
        "cookies": {
            "browser": b"session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; pre=BBBB; device=CCCC",
            "https": b'__Host-session=abc; __Host-pre="quoted"; theme=dark',
        },
        "header": {
            "multipart": b'multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW',
            "disposition": b'form-data; name="photos"; filename="caf\\"e.jpg"',
            "charset": b"application/x-www-form-urlencoded; charset=UTF-8",
        },
        # What nginx's fastcgi.conf sends, NUL-separated.
        "cgi": {
            "get": b"\0".join([b"REQUEST_METHOD=GET", b"DOCUMENT_URI=/albums/0123", b"QUERY_STRING=cursor=abc",
                               b"REMOTE_ADDR=192.0.2.1", b"HTTP_COOKIE=session=x; pre=y", b"HTTPS=on",
                               b"HTTP_USER_AGENT=Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"]),
            "post": b"\0".join([b"REQUEST_METHOD=POST", b"DOCUMENT_URI=/upload", b"CONTENT_LENGTH=1234",
                                b"CONTENT_TYPE=multipart/form-data; boundary=xyz", b"HTTP_HOST=photos.example.org"]),
        },
    }
    for target, files in seeds.items():
        (OUT / target).mkdir(parents=True)
        for name, data in files.items():
            (OUT / target / name).write_bytes(data)
    print(f"wrote {sum(len(f) for f in seeds.values())} seeds under {OUT}")


if __name__ == "__main__":
    main()
