"""What plain Flask and the database allow: the load bench's yardstick (issue 17).

A minimal Flask application, served by the same gunicorn settings against the same bench
database in the same run as Linli, so its figures sit beside Linli's pages:

- ``GET /bare``: the same bare "ok" as Linli's ``/healthz``;
- ``POST /post``: a WTForms form of five fields validated, two rows inserted through a
  Flask-SQLAlchemy session (a request and its first timeline line), a commit, a small
  Jinja page rendered: the issue's "plain Flask form post";
- ``GET /list``: the 20 newest rows of that table by an index, rendered as a list: the
  least a paged list page does.

Nothing of Linli is imported: no sign-in, no CSRF, no session, no compression, no
security headers, no translations. Its tables (``bench_ref_*``) live in the bench
database beside Linli's and are created by ``create_tables`` before the server starts.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, render_template, request
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class RefRequest(db.Model):
    __tablename__ = "bench_ref_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class RefEvent(db.Model):
    __tablename__ = "bench_ref_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("bench_ref_request.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]


class AskForm(Form):
    name = StringField(validators=[DataRequired(), Length(max=40)])
    phone = StringField(validators=[DataRequired(), Regexp(r"^1\d{10}$")])
    category = SelectField(choices=["shopping", "medical", "repair", "company", "other"])
    urgency = SelectField(choices=["normal", "urgent", "crisis"])
    description = TextAreaField(validators=[DataRequired(), Length(max=500)])


PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>{% block body %}{% endblock %}</main></body></html>"""

THANKS = PAGE.replace("{% block body %}{% endblock %}", "").replace(
    "</main>",
    "<p>编号 {{ req.id }}：{{ req.category }}（{{ req.urgency }}）</p>"
    "<p>{{ req.description }}</p><p>我们会发短信到 {{ req.phone[-4:] }}。</p></main>",
)

LIST = PAGE.replace(
    "{% block body %}{% endblock %}",
    "<ol>{% for r in rows %}<li>{{ r.id }} {{ r.category }} {{ r.urgency }} "
    "{{ r.description }} {{ r.created_at.strftime('%m-%d %H:%M') }}</li>{% endfor %}</ol>",
)


def create_app() -> Flask:
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"thanks.html": THANKS, "list.html": LIST})
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"].replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    db.init_app(app)

    @app.get("/bare")
    def bare():
        return "ok", 200, {"Content-Type": "text/plain"}

    @app.post("/post")
    def post():
        form = AskForm(request.form)
        if not form.validate():
            return render_template("list.html", title="请检查", rows=[]), 422
        now = datetime.now(UTC).replace(tzinfo=None)
        req = RefRequest(created_at=now)
        form.populate_obj(req)
        db.session.add(req)
        db.session.flush()
        db.session.add(RefEvent(request_id=req.id, kind="created", at=now))
        db.session.commit()
        return render_template("thanks.html", title="已收到", req=req)

    @app.get("/list")
    def listing():
        rows = db.session.scalars(
            db.select(RefRequest).order_by(RefRequest.created_at.desc()).limit(20)
        ).all()
        return render_template("list.html", title="最新", rows=rows)

    return app


def create_tables() -> None:
    """Create the reference tables, with a few rows for the list (once per database)."""
    app = create_app()
    with app.app_context():
        db.create_all()
        if db.session.scalar(db.select(db.func.count()).select_from(RefRequest)) < 20:
            now = datetime.now(UTC).replace(tzinfo=None)
            for n in range(20):
                db.session.add(
                    RefRequest(
                        name="张阿姨",
                        phone=f"139{n:08d}",
                        category="shopping",
                        urgency="normal",
                        description="腿脚不便，想请人帮忙买菜和取药",
                        created_at=now,
                    )
                )
            db.session.commit()


def post_script() -> str:
    """wrk Lua: a valid five-field post with a fresh phone number each time."""
    return """
local body = "name=%E5%BC%A0%E9%98%BF%E5%A7%A8&category=shopping&urgency=normal" ..
  "&description=%E8%85%BF%E8%84%9A%E4%B8%8D%E4%BE%BF%EF%BC%8C%E6%83%B3%E8%AF%B7%E4%BA%BA%E5%B8%AE%E5%BF%99%E4%B9%B0%E8%8F%9C"
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local phone = string.format("139%08d", math.random(0, 99999999))
  return wrk.format("POST", "/post", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body .. "&phone=" .. phone)
end
"""


app = create_app() if os.environ.get("BENCH_REFERENCE_SERVE") else None
