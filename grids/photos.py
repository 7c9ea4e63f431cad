"""Photos taken with a phone: checked, turned upright, stripped of EXIF (GPS included),
shrunk, and given a thumbnail, before anything is stored."""

from __future__ import annotations

import io
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
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 9
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel camera; anything larger is refused before decoding
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
LONG_SIDE = 2048
THUMB_SIDE = 320


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
    # A fresh encode carries no EXIF, XMP or ICC block unless asked: nothing of the phone's metadata survives.
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


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
                probe.verify()
            upload.seek(0)
            with Image.open(upload) as opened:
                opened.load()
                upright = ImageOps.exif_transpose(opened)
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, ValueError):
        raise PhotoError(
            _("“%(name)s” is not a photo that can be read. Take it again or choose another file.") % {"name": name}
        ) from None
    picture = _flatten(upright)
    picture.thumbnail((LONG_SIDE, LONG_SIDE))
    thumb = picture.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return Photo(
        name=name[:100],
        image=_jpeg(picture, 85),
        thumbnail=_jpeg(thumb, 80),
        width=picture.width,
        height=picture.height,
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
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
    """A photo cleaned by grids.photos (upright, no EXIF, shrunk) and its thumbnail."""

    PHOTO_FOLDER = "photos"

    image = models.FileField(upload_to=photo_file)
    thumbnail = models.FileField(upload_to=thumbnail_file)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        abstract = True
