"""Image uploads: content sniffed, metadata stripped, size bounded, bombs refused, random names,
no path traversal when serving."""
from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from participation.common.uploads import MAX_SIDE, UploadError, save_image, stored_path, upload_dir

GPS_IFD = 0x8825


def _image_bytes(fmt="JPEG", size=(64, 48), *, gps=False, orientation=None, comment=None, color="red",
                 mode="RGB") -> bytes:
    image = Image.new(mode, size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "SecretCam 1.0"  # Software
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (35.0, 41.0, 22.0), 3: "E", 4: (139.0, 41.0, 30.0)}
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    options = {"exif": exif.tobytes()}
    if comment and fmt == "JPEG":
        options["comment"] = comment
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _upload(data: bytes, filename="photo.jpg", content_type="image/jpeg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def _stored_files() -> set[str]:
    return {p.name for p in upload_dir().iterdir()}


@pytest.mark.parametrize("fmt, ext", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_exif_and_gps_are_stripped(app, fmt, ext):
    data = _image_bytes(fmt, gps=True)
    with Image.open(io.BytesIO(data)) as original:  # the fixture really carries GPS
        assert original.getexif().get_ifd(GPS_IFD)
    name = save_image(_upload(data, filename=f"x.{ext}"))
    assert name.endswith(f".{ext}")
    saved = (upload_dir() / name).read_bytes()
    with Image.open(io.BytesIO(saved)) as image:
        assert image.format == fmt
        assert len(image.getexif()) == 0
        assert "exif" not in image.info
        assert not image.getexif().get_ifd(GPS_IFD)
    assert b"SecretCam" not in saved and b"PhoneMaker" not in saved


def test_jpeg_comments_xmp_and_profiles_are_stripped(app):
    image = Image.new("RGB", (40, 30), "blue")
    buffer = io.BytesIO()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description exif:GPSLatitude="35,41.37N" xmlns:exif="http://ns.adobe.com/exif/1.0/"/>'
           b'</rdf:RDF></x:xmpmeta>')
    image.save(buffer, format="JPEG", comment=b"home address: 1-2-3 Midori", xmp=xmp,
               icc_profile=b"\x00" * 128 + b"DeviceOfHanako")
    original = buffer.getvalue()
    assert b"home address" in original and b"GPSLatitude" in original
    name = save_image(_upload(original))
    saved = (upload_dir() / name).read_bytes()
    assert b"home address" not in saved
    assert b"GPSLatitude" not in saved
    assert b"DeviceOfHanako" not in saved


def test_png_text_chunks_are_stripped_and_transparency_kept(app):
    from PIL.PngImagePlugin import PngInfo

    image = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    text = PngInfo()
    text.add_text("Comment", "taken at my home")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=text)
    name = save_image(_upload(buffer.getvalue(), filename="a.png"))
    saved = (upload_dir() / name).read_bytes()
    assert b"taken at my home" not in saved
    with Image.open(io.BytesIO(saved)) as result:
        assert result.mode == "RGBA" and result.getpixel((0, 0))[3] == 0


def test_orientation_is_applied_before_the_tag_is_dropped(app):
    data = _image_bytes("JPEG", size=(100, 50), orientation=6)  # "rotate 90° clockwise to display"
    name = save_image(_upload(data))
    with Image.open(upload_dir() / name) as image:
        assert image.size == (50, 100)


def test_type_is_sniffed_from_content_not_name(app):
    before = _stored_files()
    with pytest.raises(UploadError):
        save_image(_upload(b"just some text, not a picture\n" * 10, filename="photo.jpg"))
    with pytest.raises(UploadError):
        save_image(_upload(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
                           filename="image.png", content_type="image/png"))
    assert _stored_files() == before
    # A PNG named .jpg is stored as what it is.
    name = save_image(_upload(_image_bytes("PNG"), filename="photo.jpg"))
    assert name.endswith(".png")


def test_unsupported_image_formats_are_refused(app):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="BMP")
    with pytest.raises(UploadError):
        save_image(_upload(buffer.getvalue(), filename="a.bmp"))


def test_truncated_image_is_refused(app):
    data = _image_bytes("JPEG", size=(400, 400))
    with pytest.raises(UploadError):
        save_image(_upload(data[: len(data) // 3]))


def test_large_images_are_scaled_to_max_side(app):
    data = _image_bytes("PNG", size=(4096, 1024))
    name = save_image(_upload(data, filename="wide.png"))
    with Image.open(upload_dir() / name) as image:
        assert image.size == (MAX_SIDE, 512)


def test_small_images_are_not_enlarged(app):
    name = save_image(_upload(_image_bytes("JPEG", size=(30, 20))))
    with Image.open(upload_dir() / name) as image:
        assert image.size == (30, 20)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions: tiny on disk, gigabytes once decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(50_000, 50_000), (8_000, 6_000), (1, 2**31 - 1)])
def test_decompression_bombs_are_refused_before_decoding(app, width, height):
    before = _stored_files()
    with pytest.raises(UploadError):
        save_image(_upload(_png_header_only(width, height), filename="bomb.png"))
    assert _stored_files() == before


def test_names_are_random_and_never_the_uploaded_name(app):
    data = _image_bytes("JPEG")
    names = {save_image(_upload(data, filename="../../evil.jpg")) for _ in range(3)}
    assert len(names) == 3
    for name in names:
        assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name)
        assert (upload_dir() / name).is_file()


def test_stored_path_refuses_traversal(app):
    name = save_image(_upload(_image_bytes("JPEG")))
    assert stored_path(name) == upload_dir() / name
    secret = upload_dir().parent / "secret.txt"
    secret.write_text("secret")
    for bad in ("../secret.txt", "..", ".", "", "/etc/passwd", f"../{upload_dir().name}/{name}", f"./{name}",
                f"{name}/", "0123456789abcdef0123456789abcdef.jpg/../../secret.txt", name.upper(),
                "..\\secret.txt", f"{name[:-4]}.php.jpg", f"{name}\x00.png", "%2e%2e%2fsecret.txt", ".jpg",
                "x" * 32 + ".jpg"):
        assert stored_path(bad) is None, bad
    assert stored_path("0" * 32 + ".jpg") is None, "well-formed but missing"


def test_upload_route_serves_only_stored_images(app, client):
    name = save_image(_upload(_image_bytes("JPEG")))
    response = client.get(f"/uploads/{name}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    for bad in ("..%2fsecret.txt", "%2e%2e", "0" * 32 + ".jpg", "app.css"):
        assert client.get(f"/uploads/{bad}").status_code == 404, bad
