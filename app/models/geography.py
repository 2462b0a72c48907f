"""The region tree and the station network that sits on it."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, String
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
