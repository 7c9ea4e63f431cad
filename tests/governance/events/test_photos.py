"""Photos on events: checked, upright, EXIF stripped, thumbnailed, served only through the gate."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from governance.events import actions
from governance.models import Event, EventPhoto
from grids import photos
from tests.conftest import default_category, fresh


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def category(db):
    return default_category("市容")


def jpeg_with_exif(width=400, height=200) -> bytes:
    """A landscape picture stored with EXIF orientation 6 (the phone was held upright) and a GPS block."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[2] = (23.0, 7.0, 30.0)  # latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def files_under(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post_report(client, tree, category, files):
    return client.post(
        "/events/new/",
        {
            "grid": tree.g11.pk,
            "category": category.pk,
            "description": "广告牌松动",
            "address": "东风路8号",
            "urgency": "normal",
            "photos": files,
        },
    )


def test_photo_is_turned_upright_stripped_and_thumbnailed(client, personas, tree, category, settings):
    client.force_login(personas["grid_worker"])
    response = post_report(client, tree, category, [upload(jpeg_with_exif()), upload(jpeg_with_exif(), "b.jpg")])
    assert response.status_code == 302
    event = Event.objects.get()
    stored = list(EventPhoto.objects.filter(event=event))
    assert len(stored) == 2
    photo = stored[0]
    with Image.open(photo.image.path) as image:
        assert image.size == (200, 400) == (photo.width, photo.height)  # upright
        assert not image.getexif()  # no orientation, maker or GPS left
        assert "exif" not in image.info
    with Image.open(photo.thumbnail.path) as thumb:
        assert max(thumb.size) <= photos.THUMB_SIDE
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert f"/events/{event.pk}/photos/{photo.pk}/thumb/" in page


def test_png_with_transparency_is_accepted(client, personas, tree, category):
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    client.force_login(personas["grid_worker"])
    assert post_report(client, tree, category, [upload(out.getvalue(), "a.png", "image/png")]).status_code == 302
    assert EventPhoto.objects.count() == 1


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    return out.getvalue()


def huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")  # 64 megapixels in a few kilobytes
    return out.getvalue()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (lambda: [upload(b"not a picture at all", "fake.jpg")], "不是可以读取的照片"),
        (lambda: [upload(gif(), "anim.gif", "image/gif")], "不是 JPEG、PNG 或 WebP 照片"),
        (lambda: [upload(huge_png(), "huge.png", "image/png")], "像素过多"),
        (lambda: [upload(jpeg_with_exif(20, 10), f"{n}.jpg") for n in range(10)], "最多只能附 9 张照片"),
    ],
    ids=["not-an-image", "gif", "pixel-bomb", "ten-photos"],
)
def test_bad_photos_are_explained_and_nothing_is_saved(client, personas, tree, category, settings, files, message):
    client.force_login(personas["grid_worker"])
    response = post_report(client, tree, category, files())
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Event.objects.exists() and not EventPhoto.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_photo_over_the_size_limit_is_refused(client, personas, tree, category, monkeypatch):
    monkeypatch.setattr(photos, "MAX_BYTES", 1024 * 1024)
    client.force_login(personas["grid_worker"])
    noisy = Image.effect_noise((1400, 1400), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=100)
    assert len(out.getvalue()) > 1024 * 1024
    response = post_report(client, tree, category, [upload(out.getvalue())])
    assert "大于 1 MB" in response.content.decode()
    assert not Event.objects.exists()


def test_stored_files_are_removed_when_the_report_fails(personas, tree, category, settings, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr(actions, "_notify", fail)
    cleaned = photos.clean_photos([upload(jpeg_with_exif())])
    with pytest.raises(RuntimeError):
        actions.report_event(
            by=fresh(personas["grid_worker"]),
            grid_id=tree.g11.pk,
            category_id=category.pk,
            description="x",
            address="y",
            photos=cleaned,
        )
    assert not Event.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []


def test_photos_are_served_only_to_people_who_see_the_event(client, personas, tree, category):
    event = actions.report_event(
        by=fresh(personas["grid_worker"]),
        grid_id=tree.g11.pk,
        category_id=category.pk,
        description="x",
        address="y",
        photos=photos.clean_photos([upload(jpeg_with_exif())]),
    )
    photo = EventPhoto.objects.get()
    url = f"/events/{event.pk}/photos/{photo.pk}/full/"
    client.force_login(personas["community_leader"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client.get(f"/events/{event.pk}/photos/{photo.pk}/huge/").status_code == 404
    for outsider in ("outsider", "community_staff", "department_staff"):
        client.force_login(personas[outsider])
        assert client.get(url).status_code == 404


def test_resolve_with_photos_of_the_fix(client, personas, tree, category):
    event = actions.report_event(
        by=fresh(personas["grid_worker"]), grid_id=tree.g11.pk, category_id=category.pk, description="x", address="y"
    )
    event = actions.accept_event(by=fresh(personas["community_leader"]), event_id=event.pk)
    client.force_login(personas["community_leader"])
    response = client.post(
        f"/events/{event.pk}/resolve/",
        {"resolve-version": event.version, "resolve-result": "已加固", "resolve-photos": [upload(jpeg_with_exif())]},
    )
    assert response.status_code == 302
    assert EventPhoto.objects.get().step.action == "resolve"
