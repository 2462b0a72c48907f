"""A fake geocoding HTTP server on 127.0.0.1 that answers like Nominatim (/search) and
like Baidu's v3 geocoder (/geocoding/v3/). Places are given in WGS-84; the Baidu face
answers in BD-09, as the real service does, so the caller's conversion is exercised.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from app.services.geo import wgs84_to_bd09


class FakeGeocoder:
    def __init__(self, api_key: str = "test-ak") -> None:
        self.api_key = api_key
        self.places: dict[str, tuple[float, float]] = {}  # fragment of the query -> WGS-84
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def domain(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def add(self, fragment: str, lat: float, lon: float) -> None:
        self.places[fragment] = (lat, lon)

    def find(self, query: str) -> tuple[str, tuple[float, float]] | None:
        for fragment, point in self.places.items():
            if fragment in query:
                return fragment, point
        return None

    def start(self) -> FakeGeocoder:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                fake.requests.append((parts.path, params))
                if parts.path == "/search":
                    self._json(fake.nominatim(params))
                elif parts.path == "/geocoding/v3/":
                    self._json(fake.baidu(params))
                else:
                    self._json({"error": "not found"}, 404)

            def _json(self, payload, status: int = 200) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- the two faces ---------------------------------------------------------------

    def nominatim(self, params: dict[str, str]) -> list[dict]:
        found = self.find(params.get("q", ""))
        if found is None:
            return []
        name, (lat, lon) = found
        return [
            {
                "place_id": 1,
                "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
                "osm_type": "node",
                "osm_id": 1,
                "lat": f"{lat:.7f}",
                "lon": f"{lon:.7f}",
                "display_name": name,
                "class": "place",
                "type": "house",
                "importance": 0.5,
            }
        ]

    def baidu(self, params: dict[str, str]) -> dict:
        if params.get("ak") != self.api_key:
            return {"status": 200, "message": "APP不存在，AK有误请检查再重试"}
        found = self.find(params.get("address", ""))
        if found is None:
            return {"status": 1, "msg": "Internal Service Error:无相关结果", "results": []}
        _name, (lat, lon) = found
        bd_lat, bd_lon = wgs84_to_bd09(lat, lon)
        return {
            "status": 0,
            "result": {
                "location": {"lng": bd_lon, "lat": bd_lat},
                "precise": 1,
                "confidence": 80,
                "comprehension": 100,
                "level": "门址",
            },
        }
