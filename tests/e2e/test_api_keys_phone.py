"""The API keys page on a 360 px phone (issue 19): the station admin makes a key, sees it
once (a long key wraps, no sideways scroll), and revokes it; the same form sent twice makes
no second key; axe finds nothing serious."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD
from tests.e2e.support import RequestLog, axe_check, horizontal_overflow, login, shot

pytestmark = pytest.mark.e2e


def test_admin_makes_and_revokes_a_key_on_a_phone(page):
    requests = RequestLog(page)
    login(page, "zhanzhang", DEMO_PASSWORD)
    page.goto("/station/api-keys")
    page.locator("input[name=name]").fill("12345 热线（测试）")
    token = page.locator("input[name=form_token]").input_value()
    page.get_by_role("button", name="创建").click()
    expect(page.locator("#new-key-value")).to_be_visible()
    assert page.locator("#new-key-value").inner_text().startswith("lk_")
    shot(page, "api-keys-new")
    assert horizontal_overflow(page) == 0
    axe_check(page)
    item = page.locator("li.list-item", has_text="12345 热线（测试）")
    item.get_by_role("button", name="停用").click()
    expect(page.locator("p.notice[role=status]")).to_be_visible()
    assert page.locator("#new-key-value").count() == 0
    shot(page, "api-keys-revoked")
    assert horizontal_overflow(page) == 0
    # The same form sent again (a second tap, a resubmitted reload): no second key.
    page.locator("input[name=form_token]").evaluate("(el, t) => el.value = t", token)
    page.locator("input[name=name]").fill("12345 热线（测试）")
    page.get_by_role("button", name="创建").click()
    expect(page.locator("p.notice[role=status]", has_text="发送了两次")).to_be_visible()
    assert page.locator("#new-key-value").count() == 0
    assert page.locator("li.list-item", has_text="12345 热线（测试）").count() == 1
    shot(page, "api-keys-sent-twice")
    assert horizontal_overflow(page) == 0
    axe_check(page)
    page.goto("/api/")
    shot(page, "api-reference")
    assert horizontal_overflow(page) == 0
    assert requests.outside() == []
