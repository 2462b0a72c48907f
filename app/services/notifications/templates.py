"""SMS templates, Chinese and English, short enough for one or two segments.

Each template is formatted with ``str.format`` and named values. Keep the Chinese text
under 134 characters (two UCS-2 segments of 67) with realistic values; a test checks.
"""

from __future__ import annotations

TEMPLATES: dict[str, dict[str, str]] = {
    # --- intake and tracking (issue 3) ---
    "request_received": {
        "zh": "【邻里】您的求助已收到，编号{code}。查看进度：{link} 紧急情况请拨110/120。",
        "en": "[Linli] We got your request, code {code}. Follow it: {link} In danger call 110/120.",
    },
    # --- end intake ---
    # --- matching, offers and volunteers (issue 4) ---
    # --- end matching ---
    # --- station console (issue 5) ---
    # --- end console ---
    # --- SMS replies and scheduled reminders (issue 6) ---
    "test_message": {
        "zh": "【邻里】测试短信：{text}",
        "en": "[Linli] Test message: {text}",
    },
    # --- end sms ---
}


def render(template: str, language: str, **values: object) -> str:
    texts = TEMPLATES[template]
    text = texts.get(language) or texts["zh"]
    return text.format(**values)
