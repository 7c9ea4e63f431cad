"""Photos taken with a phone: checked, turned upright, stripped of every kind of metadata
(EXIF with GPS, XMP, comments, colour profiles, PNG text), shrunk, and given a thumbnail,
before anything is stored. A large picture is decoded and reduced at about the stored size,
so one 48-megapixel photo costs the server tens of megabytes, not hundreds."""

from __future__ import annotations

import io
import math
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError

MAX_PHOTOS = 9
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel camera; anything larger is refused before decoding
# Pillow cannot decode a WebP at a reduced size and libwebp holds two full canvases besides
# Pillow's copy (about 16 bytes a pixel): the cap keeps one WebP under ~150 MB. Phone cameras
# store JPEG, which is decoded at the stored size whatever its pixel count.
MAX_WEBP_PIXELS = 9_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
LONG_SIDE = 2048
THUMB_SIDE = 320
# EXIF orientation → the turn that makes the picture upright (as ImageOps.exif_transpose).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Modes that reduce and convert to sRGB as they are; any other (palette, 1-bit, 16-bit,
# alpha) is first made RGB on white, strip by strip.
DIRECT_MODES = {"L", "RGB", "CMYK"}
STRIP_BYTES = 4 * 1024 * 1024
SRGB = ImageCms.createProfile("sRGB")


class PhotoError(ValueError):
    """A file that cannot be used as a photo; the message is shown to the user."""


@dataclass
class Photo:
    """A cleaned photo: JPEG bytes without metadata, and its thumbnail."""

    name: str
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # Pillow writes a JPEG comment back from `image.info` unless told otherwise, and EXIF, XMP
    # and ICC when passed; the pixels go out with an empty `info` and nothing else, so nothing
    # of the phone's metadata survives. The pixels are sRGB by now (see _to_srgb), which is
    # what a JPEG without a profile is taken to be, so no profile is needed either.
    image.info = {}
    image.save(out, "JPEG", quality=quality, optimize=True, comment=b"")
    return out.getvalue()


def _fit(size: tuple[int, int], side: int, *, round_up: bool = False) -> tuple[int, int]:
    """The size `size` shrinks to inside a `side` square. Rounding the short side up gives a
    size never smaller than the stored one, for choosing how far to shrink while decoding."""
    width, height = size
    if max(width, height) <= side:
        return width, height
    short = min(width, height) * side / max(width, height)
    short_side = max(1, math.ceil(short) if round_up else round(short))
    return (side, short_side) if width >= height else (short_side, side)


def clean_photo(upload: UploadedFile) -> Photo:
    name = upload.name or "photo"
    if upload.size is not None and upload.size > MAX_BYTES:
        raise PhotoError(
            _("“%(name)s” is larger than %(mb)d MB; take the photo at a lower resolution.")
            % {"name": name, "mb": MAX_BYTES // (1024 * 1024)}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as probe:
                kind = probe.format
                if kind not in ACCEPTED_FORMATS:
                    raise PhotoError(_("“%(name)s” is not a JPEG, PNG or WebP photo.") % {"name": name})
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoError(_("“%(name)s” has too many pixels.") % {"name": name})
                if kind == "WEBP" and probe.width * probe.height > MAX_WEBP_PIXELS:
                    raise PhotoError(
                        _(
                            "“%(name)s” is a WebP picture of more than %(mp)d megapixels; upload the camera's "
                            "JPEG photo, or a smaller picture."
                        )
                        % {"name": name, "mp": MAX_WEBP_PIXELS // 1_000_000}
                    )
                probe.verify()
            upload.seek(0)
            with Image.open(upload) as opened:
                picture = _stored_picture(opened)
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, ValueError):
        raise PhotoError(
            _("“%(name)s” is not a photo that can be read. Take it again or choose another file.") % {"name": name}
        ) from None
    thumb = picture.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return Photo(
        name=name[:100],
        image=_jpeg(picture, 85),
        thumbnail=_jpeg(thumb, 80),
        width=picture.width,
        height=picture.height,
    )


def _stored_picture(opened: ImageFile.ImageFile) -> Image.Image:
    """The picture as stored: upright, sRGB, at most LONG_SIDE, and free of `opened` (which is closed after).

    A 48-megapixel photo decoded in full is 192 MB (Pillow keeps RGB in four bytes a pixel),
    and every full-size copy after it as much again. A JPEG is decoded at 1/2, 1/4 or 1/8 of its
    size by libjpeg (draft mode), never below the stored size; a PNG or WebP cannot be, so it is
    decoded in its own mode (one byte a pixel for grey or palette images) and reduced by a whole
    factor at once, before any conversion makes it larger. What is left, between one and two
    times the stored size, is resampled to it and only then made sRGB and turned upright."""
    # Read before the pixels: the metadata stays behind with `opened`.
    orientation = opened.getexif().get(ExifTags.Base.Orientation, 1)
    turn = UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    icc = opened.info.get("icc_profile")
    stored = _fit(opened.size, LONG_SIDE)
    if opened.format == "JPEG":
        opened.draft(None, _fit(opened.size, LONG_SIDE, round_up=True))
    opened.load()
    target = _fit(opened.size, LONG_SIDE, round_up=True)
    factor = max(1, min(opened.width // target[0], opened.height // target[1]))
    if opened.mode in DIRECT_MODES:
        small = opened.reduce(factor) if factor > 1 else opened
    else:
        small = _reduce_flat(opened, factor)
    if small.size != stored:
        small = small.resize(stored, Image.Resampling.BICUBIC)
    # The colour transform is the slowest step per pixel, so it runs on the stored size.
    picture = _to_srgb(small, icc)
    if turn is not None:
        picture = picture.transpose(turn)
    return picture.copy() if picture is opened else picture


def _reduce_flat(image: Image.Image, factor: int) -> Image.Image:
    """RGB on white, reduced by `factor`, made a strip at a time so no full-size RGB copy exists."""
    width, height = image.size
    rows = factor * max(1, STRIP_BYTES // (4 * width * factor))
    out = Image.new("RGB", ((width + factor - 1) // factor, (height + factor - 1) // factor))
    for top in range(0, height, rows):
        strip = _flatten(image.crop((0, top, width, min(top + rows, height))))
        out.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    return out


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB pixels as sRGB: a phone's wide-gamut (Display P3) or a CMYK profile is applied rather
    than dropped, so colours stay right once the profile is gone."""
    if icc:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, profile, SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            # A profile that is broken or does not fit the pixels is ignored, as browsers do:
            # the pixels are shown as they are.
            pass
    # convert() would copy an RGB image for nothing.
    return image if image.mode == "RGB" else image.convert("RGB")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def clean_photos(uploads: list[Any]) -> list[Photo]:
    if len(uploads) > MAX_PHOTOS:
        raise PhotoError(_("At most %(n)d photos can be attached.") % {"n": MAX_PHOTOS})
    return [clean_photo(upload) for upload in uploads]


def save_into(record: Any, photo: Photo) -> None:
    """Store a cleaned photo in a record's `image` and `thumbnail` file fields (not saving the record)."""
    record.image.save("photo.jpg", ContentFile(photo.image), save=False)
    record.thumbnail.save("thumb.jpg", ContentFile(photo.thumbnail), save=False)
    record.width, record.height = photo.width, photo.height


def delete_files(records: list[Any]) -> None:
    """Remove stored files of records whose transaction did not commit."""
    for record in records:
        for file in (record.image, record.thumbnail):
            if file.name:
                file.storage.delete(file.name)


def photo_response(file: Any) -> FileResponse:
    """Send a stored photo (after the caller's access check); never cached by shared caches."""
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to nine photos, each checked and cleaned (see clean_photos); cleans to list[Photo]."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/*"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Photo]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        checked = [super(PhotosField, self).clean(f, initial) for f in files]
        try:
            return clean_photos(checked)
        except PhotoError as error:
            raise forms.ValidationError(str(error)) from None


def photo_file(instance: StoredPhoto, filename: str) -> str:
    return f"{instance.PHOTO_FOLDER}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


def thumbnail_file(instance: StoredPhoto, filename: str) -> str:
    return f"{instance.PHOTO_FOLDER}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}-thumb.jpg"


class StoredPhoto(models.Model):
    """A photo cleaned by grids.photos (upright, no metadata, shrunk) and its thumbnail."""

    PHOTO_FOLDER = "photos"

    image = models.FileField(upload_to=photo_file)
    thumbnail = models.FileField(upload_to=thumbnail_file)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        abstract = True
