"""grids/photos.py: nothing of a file's metadata reaches the stored photo or thumbnail, colours
survive a dropped profile, and a large picture is decoded and reduced at about the stored size."""

from __future__ import annotations

import io
import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from grids import photos

SECRETS = [b"<script>", b"PhoneMaker", b"Shenzhen", b"23.117", b"xmp-secret", b"png-secret", b"itxt-secret"]
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="xmp-secret"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Shenzhen"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (23.0, 7.0, 30.0)
    exif[0x9286] = "23.117"  # a user comment
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def red_green_swapped_icc() -> bytes:
    """An RGB profile whose red primary is sRGB's green and the other way round."""
    data = bytearray(srgb_icc())
    (count,) = struct.unpack(">I", data[128:132])
    entries = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, green = entries[b"rXYZ"], entries[b"gXYZ"]
    data[red + 4 : red + 12], data[green + 4 : green + 12] = data[green + 4 : green + 12], data[red + 4 : red + 12]
    return bytes(data)


def picture(size=(300, 200), mode="RGB") -> Image.Image:
    return Image.linear_gradient("L").resize(size).convert(mode)


def jpeg_with_everything() -> bytes:
    out = io.BytesIO()
    picture().save(
        out, "JPEG", exif=exif_with_gps(), xmp=XMP, comment=b"<script>alert(1)</script>", icc_profile=srgb_icc()
    )
    return out.getvalue()


def png_with_everything() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "png-secret <script>")
    info.add_text("Author", "png-secret", zip=True)  # zTXt
    info.add_itxt("Description", "itxt-secret", lang="zh", tkey="描述")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    picture(mode="RGBA").save(out, "PNG", pnginfo=info, exif=exif_with_gps(), icc_profile=srgb_icc())
    return out.getvalue()


def webp_with_everything() -> bytes:
    out = io.BytesIO()
    picture().save(out, "WEBP", exif=exif_with_gps(), xmp=XMP, icc_profile=srgb_icc())
    return out.getvalue()


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's segments before its image data."""
    assert data[:2] == b"\xff\xd8"
    found, at = [], 2
    while True:
        assert data[at] == 0xFF
        marker = data[at + 1]
        found.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return found
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length


def assert_bare(data: bytes) -> None:
    for secret in SECRETS:
        assert secret not in data
    # APP0 (JFIF), quantisation and Huffman tables, frame and scan headers: no APP1–15, no comment.
    assert set(jpeg_segments(data)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD, 0xDA}
    with Image.open(io.BytesIO(data)) as image:
        assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density"}
        assert not image.getexif()
        assert [marker for marker, _ in image.applist] == ["APP0"]


@pytest.mark.parametrize(
    ("make", "name"),
    [(jpeg_with_everything, "a.jpg"), (png_with_everything, "a.png"), (webp_with_everything, "a.webp")],
    ids=["jpeg", "png", "webp"],
)
def test_no_metadata_survives_in_the_photo_or_thumbnail(make, name):
    source = make()
    with Image.open(io.BytesIO(source)) as image:  # the metadata is really there to begin with
        assert image.getexif() and image.info.get("icc_profile")
        assert "xmp" in image.info or "XML:com.adobe.xmp" in image.info
    cleaned = photos.clean_photo(SimpleUploadedFile(name, source))
    assert_bare(cleaned.image)
    assert_bare(cleaned.thumbnail)


def test_a_picture_with_a_profile_is_turned_into_srgb_before_the_profile_goes():
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "JPEG", quality=95, icc_profile=red_green_swapped_icc())
    cleaned = photos.clean_photo(SimpleUploadedFile("p.jpg", out.getvalue()))
    with Image.open(io.BytesIO(cleaned.image)) as stored:
        red, green, blue = stored.convert("RGB").getpixel((32, 32))
    assert "icc_profile" not in stored.info
    assert green > 150 and red < 80 and blue < 80  # the profile's red is sRGB's green


def test_a_broken_profile_is_ignored():
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "JPEG", quality=95, icc_profile=b"not a profile" * 10)
    cleaned = photos.clean_photo(SimpleUploadedFile("p.jpg", out.getvalue()))
    with Image.open(io.BytesIO(cleaned.image)) as stored:
        red, green, _ = stored.getpixel((32, 32))
    assert red > 150 and green < 80


@pytest.fixture
def watched(monkeypatch):
    """Cleans a file, noting the size and mode of every picture decoded from it and of every image made after."""
    # A small stored size lets small files show what a 48-megapixel one would do.
    monkeypatch.setattr(photos, "LONG_SIDE", 256)
    monkeypatch.setattr(photos, "THUMB_SIDE", 64)
    load, new = ImageFile.ImageFile.load, Image.Image._new

    def clean(name: str, data: bytes):
        decoded, made = [], []

        def spy_load(self):
            result = load(self)
            decoded.append((self.mode, self.size))
            return result

        def spy_new(self, im):
            made.append((im.mode, im.size))
            return new(self, im)

        with monkeypatch.context() as spying:
            spying.setattr(ImageFile.ImageFile, "load", spy_load)
            spying.setattr(Image.Image, "_new", spy_new)
            cleaned = photos.clean_photo(SimpleUploadedFile(name, data))
        return cleaned, decoded, made

    return clean


def phone_jpeg(size, orientation=1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    picture(size).save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_jpeg_is_decoded_at_no_more_than_twice_the_stored_size(watched):
    cleaned, decoded, made = watched("p.jpg", phone_jpeg((2400, 1800), orientation=6))
    assert (cleaned.width, cleaned.height) == (192, 256)  # upright
    sizes = [size for _, size in decoded]
    assert sizes, "the photo was decoded"
    for width, height in sizes:  # libjpeg's draft mode: 1/8 of 2400×1800, not all of it
        assert width < 2 * 256 and height < 2 * 192
    assert all(w * h <= 2 * 256 * 2 * 192 for _, (w, h) in made)


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "1"])
def test_a_png_is_reduced_before_anything_full_size_is_made(watched, mode):
    out = io.BytesIO()
    picture((2000, 1500), "L").convert(mode).save(out, "PNG")
    cleaned, decoded, made = watched("p.png", out.getvalue())
    assert (cleaned.width, cleaned.height) == (256, 192)
    assert (mode, (2000, 1500)) in decoded
    # The decoded picture is the only full-size image: no converted, flattened or turned copy of it
    # (strips of it are made, each a fraction of its height).
    for made_mode, (width, height) in made:
        assert width * height <= 2000 * 1500 // 2, (made_mode, width, height)


def test_strips_give_the_same_picture_as_the_whole(monkeypatch):
    monkeypatch.setattr(photos, "STRIP_BYTES", 4 * 300 * 7)  # strips of 7 rows, 21 after rounding to the factor
    image = Image.linear_gradient("L").resize((300, 250)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").rotate(90).resize((300, 250)))
    whole = photos._flatten(image).reduce(3)
    assert photos._reduce_flat(image, 3).tobytes() == whole.tobytes()


def test_transparent_palette_png_is_white_after_reduction(monkeypatch):
    monkeypatch.setattr(photos, "LONG_SIDE", 100)
    image = Image.new("P", (1000, 1000), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (0, 0, 500, 1000))
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)
    cleaned = photos.clean_photo(SimpleUploadedFile("p.png", out.getvalue()))
    with Image.open(io.BytesIO(cleaned.image)) as stored:
        assert stored.size == (100, 100)
        left, right = stored.getpixel((10, 50)), stored.getpixel((90, 50))
    assert left[0] > 200 and left[1] < 60  # red
    assert min(right) > 240  # the transparent half on white


def test_a_large_webp_is_refused_before_decoding(monkeypatch):
    """A WebP cannot be decoded at a reduced size: above the cap it is refused with a message, unread."""

    out = io.BytesIO()
    Image.new("RGB", (3200, 3000), (10, 120, 200)).save(out, "WEBP", quality=50, method=0)
    loads = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(self) or None)
    with pytest.raises(photos.PhotoError, match="WebP"):
        photos.clean_photo(SimpleUploadedFile("big.webp", out.getvalue()))
    assert loads == []
