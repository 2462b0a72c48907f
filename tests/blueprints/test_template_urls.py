"""Templates' ``url_for`` keeps the URLs of parameterless endpoints and static files once
built (app/web/urls.py): what it gives must be what Flask's gives, under any script root."""

from flask import url_for

LINKS = [
    ("static", {"filename": "css/linli.css"}),
    ("console.queue", {}),
    ("main.home", {}),
    ("console.request_page", {"request_id": 5}),  # a parameter: built each time
    ("main.switch_language", {"code": "zh", "next": "/station/?tab=new"}),
    ("static", {"filename": "css/linli.css", "_external": True}),
]


def test_the_templates_url_for_gives_what_flask_gives(app):
    kept = app.jinja_env.globals["url_for"]
    assert kept != app.url_for  # installed: not debug, the static hashing the one URL default
    for root in ("", "/linli", ""):  # each root its own URLs, before and after the other's
        with app.test_request_context("/", base_url=f"http://localhost{root}"):
            for endpoint, values in LINKS:
                expected = url_for(endpoint, **values)
                assert kept(endpoint, **values) == expected
                assert kept(endpoint, **values) == expected  # the second time, as kept
    with app.test_request_context("/", base_url="http://localhost/linli"):
        assert kept("console.queue") == "/linli/station/"
        assert kept("static", filename="css/linli.css").startswith("/linli/static/css/linli.")
