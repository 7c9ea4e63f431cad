"""A staff member is shown as 姓名（用户名）, with full-width brackets in Chinese."""

from __future__ import annotations

from grids.models import Post


def test_post_pages_bracket_the_user_name_the_chinese_way(client, personas):
    post = Post.objects.get(user=personas["grid_worker"])
    client.force_login(personas["street_admin"])
    listing = client.get("/posts/").content.decode()
    assert "（grid_worker）" in listing and "(grid_worker)" not in listing
    confirm = client.get(f"/posts/{post.pk}/end/").content.decode()
    assert "grid_worker（grid_worker）" in confirm
