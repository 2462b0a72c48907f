"""The queue shows a page of 25 at a time, with a way to the rest."""

from tests import factories


def test_queue_pages_through_a_busy_station(client, world, login_as):
    login_as("social_worker")
    codes = [factories.make_request(world.station_a).code for _ in range(60)]
    first = client.get("/station/?tab=new").get_data(as_text=True)
    second = client.get("/station/?tab=new&page=2").get_data(as_text=True)
    third = client.get("/station/?tab=new&page=3").get_data(as_text=True)
    on_first = [c for c in codes if factories.shows_code(first, c)]
    on_second = [c for c in codes if factories.shows_code(second, c)]
    on_third = [c for c in codes if factories.shows_code(third, c)]
    assert (len(on_first), len(on_second), len(on_third)) == (25, 25, 10)
    assert set(on_first) | set(on_second) | set(on_third) == set(codes)
    assert "page=2" in first and "page=1" in second and "page=3" in second
    assert "page=4" not in third


def test_a_short_queue_has_no_pager(client, world, login_as):
    login_as("social_worker")
    factories.make_request(world.station_a)
    page = client.get("/station/?tab=new").get_data(as_text=True)
    assert "page=2" not in page


def test_a_page_number_past_any_queue_is_an_empty_page_not_an_error(client, world, login_as):
    """page=10**20 was an offset PostgreSQL refused (bigint out of range): a 500."""
    login_as("social_worker")
    factories.make_request(world.station_a)
    for page in ("100000000000000000000", "401", "-5", "x"):
        response = client.get(f"/station/?tab=new&page={page}")
        assert response.status_code == 200, page
