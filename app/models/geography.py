"""The region tree and the station network that sits on it."""

from __future__ import annotations

import secrets

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, String, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db


class Region(db.Model):
    """County/district → township/subdistrict → village/community."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # 12-digit administrative code
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # county | township | village
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)  # centroid, WGS-84
    lon: Mapped[float | None] = mapped_column(Float)

    parent: Mapped[Region | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent", order_by="Region.code")

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class Station(db.Model):
    """County centre, township station or village room."""

    __tablename__ = "station"
    __table_args__ = (Index("ix_station_lat_lon", "lat", "lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # county_centre | township_station | village_room
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    # Residents are told to call it on every page about their request: no station without
    # one, and no fallback to a hotline the station does not run (issue 16).
    phone: Mapped[str] = mapped_column(String(20))
    auto_offer: Mapped[bool] = mapped_column(Boolean, default=False)

    region: Mapped[Region] = relationship()
    parent: Mapped[Station | None] = relationship(remote_side=[id], back_populates="rooms")
    rooms: Mapped[list[Station]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<Station {self.id} {self.name}>"

    @validates("phone")
    def _phone_required(self, _key: str, value: str | None) -> str:
        if not (value or "").strip():
            raise ValueError("a station needs a phone number residents can call")
        return value.strip()


class StationTreeStamp(db.Model):
    """One row (id 1): a value drawn anew, by database triggers, whenever a station is
    added or removed or its parent changes, in the same transaction. The station tree
    (who sits below whom: whose requests a worker reads) is then read once per process
    and stamp, not by every signed-in request: the whole tree as one text was built by
    the database and sent with each request, a cost that grew with the province's
    thousands of stations (app/services/access.py). Drawn at random, not counted up, so
    a row deleted and made again never repeats a stamp a process still keeps. Without
    the row (emptied by hand) the tree is read afresh each time, as before."""

    __tablename__ = "station_tree_stamp"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(BigInteger)


# The triggers (the migration a21tree makes these same ones); also made by
# ``create_all`` (the tests' schema), after every table exists.
STAMP_TRIGGERS = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION station_tree_restamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO station_tree_stamp (id, stamp)
  VALUES (1, floor(random() * 9007199254740991)::bigint)
  ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
  RETURN NULL;
END $$""",
        """CREATE OR REPLACE TRIGGER station_tree_restamp
AFTER INSERT OR DELETE OR UPDATE OF id, parent_id ON station
FOR EACH STATEMENT EXECUTE FUNCTION station_tree_restamp()""",
        """CREATE OR REPLACE TRIGGER station_tree_restamp_truncate
AFTER TRUNCATE ON station
FOR EACH STATEMENT EXECUTE FUNCTION station_tree_restamp()""",
    ],
    "sqlite": [
        f"""CREATE TRIGGER IF NOT EXISTS station_tree_restamp_{name} AFTER {when} ON station
BEGIN
  INSERT OR REPLACE INTO station_tree_stamp (id, stamp) VALUES (1, random());
END"""
        for name, when in (
            ("insert", "INSERT"),
            ("delete", "DELETE"),
            ("update", "UPDATE OF id, parent_id"),
        )
    ],
}


@event.listens_for(db.metadata, "after_create")
def _make_stamp_triggers(_metadata, connection, **_kw) -> None:
    for statement in STAMP_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
    connection.execute(
        text(
            "INSERT INTO station_tree_stamp (id, stamp) SELECT 1, :stamp"
            " WHERE NOT EXISTS (SELECT 1 FROM station_tree_stamp)"
        ),
        {"stamp": secrets.randbits(53)},
    )
