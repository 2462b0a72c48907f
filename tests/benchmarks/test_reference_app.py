"""The load bench's yardstick (benchmarks/reference.py) does what its figures claim: a
valid five-field post inserts two rows and renders; an invalid one inserts nothing; the
list reads the 20 newest."""

from benchmarks import reference


def _client(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ref.sqlite'}")
    reference.create_tables()  # 20 rows for the list
    app = reference.create_app()
    return app, app.test_client()


def _count(app, model) -> int:
    with app.app_context():
        return reference.db.session.scalar(
            reference.db.select(reference.db.func.count()).select_from(model)
        )


VALID = {
    "name": "张阿姨",
    "phone": "13912345678",
    "category": "shopping",
    "urgency": "normal",
    "description": "腿脚不便，想请人帮忙买菜",
}


def test_a_valid_post_inserts_a_request_and_its_line_and_renders(tmp_path, monkeypatch):
    app, client = _client(tmp_path, monkeypatch)
    before = _count(app, reference.RefRequest)
    page = client.post("/post", data=VALID)
    assert page.status_code == 200
    assert "已收到" in page.get_data(as_text=True) and "5678" in page.get_data(as_text=True)
    assert _count(app, reference.RefRequest) == before + 1
    assert _count(app, reference.RefEvent) == 1


def test_an_invalid_post_is_refused_and_inserts_nothing(tmp_path, monkeypatch):
    app, client = _client(tmp_path, monkeypatch)
    before = _count(app, reference.RefRequest)
    for field, bad in (("phone", "12345"), ("urgency", "whenever"), ("name", "")):
        assert client.post("/post", data={**VALID, field: bad}).status_code == 422
    assert _count(app, reference.RefRequest) == before
    assert _count(app, reference.RefEvent) == 0


def test_the_list_shows_the_20_newest_and_bare_answers(tmp_path, monkeypatch):
    app, client = _client(tmp_path, monkeypatch)
    client.post("/post", data={**VALID, "description": "最新的一条"})
    listing = client.get("/list").get_data(as_text=True)
    assert listing.count("<li>") == 20 and "最新的一条" in listing
    assert client.get("/bare").get_data(as_text=True) == "ok"
