"""The home page: how many grids the user can see, when it lists only the first of them."""

from __future__ import annotations

import re

from grids.models import Grid


def _grid_links(page: str) -> set[str]:
    return set(re.findall(r'href="/grids/(\d+)/"', page))


def test_home_says_how_many_grids_there_are_and_links_to_all_of_them(client, personas, tree):
    for n in range(14):
        Grid.objects.create(community=tree.c2, code=f"G2{n:02d}", name=f"农林第{n + 2}网格")
    client.force_login(personas["street_official"])
    page = client.get("/").content.decode()
    assert len(_grid_links(page)) == 12
    assert 'data-testid="grid-count">17<' in page
    assert "显示前 12 个，共 17 个网格。" in page
    assert '<a href="/grids/" class="small text-nowrap">全部 17 个网格</a>' in page
    # The grid list it links to has them all.
    assert "农林第15网格" in client.get("/grids/").content.decode()


def test_home_does_not_say_it_shows_only_some_grids_when_it_shows_them_all(client, personas, tree):
    client.force_login(personas["community_leader"])
    page = client.get("/").content.decode()
    assert _grid_links(page) == {str(tree.g11.pk), str(tree.g12.pk)}
    assert 'data-testid="grid-count">2<' in page
    assert "显示前" not in page


def test_home_of_a_user_who_sees_no_grid_shows_no_grid_section(client, personas):
    client.force_login(personas["department_staff"])
    page = client.get("/").content.decode()
    assert "grid-count" not in page
