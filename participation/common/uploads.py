"""Image uploads: type sniffed from content, re-encoded with Pillow, metadata stripped,
bounded in size and pixels, stored under a random name outside the template path."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from participation.common.errors import DomainError

MAX_SIDE = 2048
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "png"}
NAME_PATTERN = "0123456789abcdef"


class UploadError(DomainError):
    status_code = 422


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_image(file_storage) -> str:
    """Validate and re-encode an uploaded image; return its stored file name."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    stream = file_storage.stream
    try:
        with Image.open(stream) as probe:
            fmt = probe.format
            width, height = probe.size
        if fmt not in ALLOWED_FORMATS:
            raise UploadError(_l("Please upload a JPEG, PNG or WebP image."))
        if width * height > MAX_PIXELS:
            raise UploadError(_l("This image has too many pixels."))
        stream.seek(0)
        with Image.open(stream) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            ext = ALLOWED_FORMATS[fmt]
            if ext == "jpg" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            if ext == "png" and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                image = image.convert("RGBA")
            name = f"{secrets.token_hex(16)}.{ext}"
            # Pillow writes some of image.info back when saving (JPEG comments, XMP, ICC profiles): keep
            # only what the pixels need, so EXIF, GPS, XMP, comments and device profiles are all dropped.
            image.info = {key: value for key, value in image.info.items() if key == "transparency"}
            save_format = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[ext]
            image.save(upload_dir() / name, format=save_format, quality=85)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, UploadError):
            raise
        raise UploadError(_l("This file is not an image we can read.")) from exc
    return name


def stored_path(name: str) -> Path | None:
    """Resolve a stored name safely (no path traversal); None if it does not exist."""
    if not name or any(ch not in NAME_PATTERN + "." for ch in name.split(".")[0] + "."):
        return None
    if "/" in name or "\\" in name or name.count(".") != 1:
        return None
    path = upload_dir() / name
    return path if path.is_file() else None


def discard_image(name: str | None) -> None:
    """Remove an image saved for a form whose save was then refused (nothing half-stored)."""
    path = stored_path(name) if name else None
    if path is not None:
        path.unlink(missing_ok=True)
