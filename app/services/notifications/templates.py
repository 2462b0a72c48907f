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
    # --- the same phone asks again (issue 13); only the phone's owner gets it ---
    "duplicate_still_open": {
        "zh": "【邻里】您在{time}提交的求助（编号{code}）还在办理中。如是同一件事，不用再报，社工会一并处理。",
        "en": "[Linli] Your request {code} from {time} is still open. If this is the same "
        "need, no need to ask again: the station will handle them together.",
    },
    # --- end the same phone ---
    # --- matching, offers and volunteers (issue 4) ---
    "volunteer_offer": {
        "zh": "【邻里】新任务：{category}，{village}，{time}，离您约{distance}。详情{link} 回复 Y {code} 接单",
        "en": "[Linli] New task: {category}, {village}, {time}, about {distance} away. "
        "{link} Reply Y {code} to take it.",
    },
    "offer_unmatched": {
        "zh": "【邻里】求助{code}（{category}，{village}）暂无志愿者接单，已升级，请尽快安排：{link}",
        "en": "[Linli] No volunteer took request {code} ({category}, {village}). "
        "Escalated, please arrange help: {link}",
    },
    "offer_social_worker_only": {
        "zh": "【邻里】求助{code}（{category}，{village}）只能由社工处理，未派给志愿者，请尽快跟进：{link}",
        "en": "[Linli] Request {code} ({category}, {village}) is for social workers only "
        "and was not offered to volunteers. Please follow up: {link}",
    },
    "request_claimed": {
        "zh": "【邻里】志愿者{name}已接下您的求助（编号{code}），会尽快联系您。查看进度：{link}",
        "en": "[Linli] Volunteer {name} has taken on your request {code} and will contact "
        "you soon. Follow it: {link}",
    },
    "request_done_confirm": {
        "zh": "【邻里】志愿者已完成您的求助（编号{code}）。请点链接确认是否解决并评价：{link}",
        "en": "[Linli] The volunteer finished your request {code}. Please confirm it is "
        "solved and rate it: {link}",
    },
    "task_assigned": {
        "zh": "【邻里】社工站给您安排了任务：{category}，{village}，{time}。详情：{link}",
        "en": "[Linli] The station gave you a task: {category}, {village}, {time}. {link}",
    },
    "task_dispatched": {
        "zh": "【邻里】队长给您派了任务：{category}，{village}，{time}。详情：{link}",
        "en": "[Linli] Your team leader gave you a task: {category}, {village}, {time}. {link}",
    },
    # --- end matching ---
    # --- station console (issue 5) ---
    "request_rejected": {
        "zh": "【邻里】您的求助{code}不在社工站服务范围内：{reason}。如有疑问请联系当地社工站。",
        "en": "[Linli] Request {code} is outside what the station can do: {reason}. "
        "Questions? Contact your local station.",
    },
    "request_overdue": {
        "zh": "【邻里】{urgency}求助{code}已等待{minutes}分钟仍未受理，请尽快处理：{link}",
        "en": "[Linli] {urgency} request {code} has waited {minutes} min without a reply: {link}",
    },
    "request_escalated": {
        "zh": "【邻里】{station}将求助{code}升级到县级督导，请查看处理：{link}",
        "en": "[Linli] {station} escalated request {code} to the county. Please act: {link}",
    },
    "visit_overdue": {
        "zh": "【邻里】您有{count}位服务对象的走访已逾期，请尽快安排上门走访：{link}",
        "en": "[Linli] {count} home visits you look after are overdue. Plan them: {link}",
    },
    # --- end console ---
    # --- SMS replies and scheduled reminders (issue 6) ---
    "test_message": {
        "zh": "【邻里】测试短信：{text}",
        "en": "[Linli] Test message: {text}",
    },
    "reply_help": {
        "zh": "【邻里】接单请回“是+编号”，谢绝回“否+编号”。需要帮助请直接发短信写明情况和地址。"
        "退订回TD，恢复回“开始”。紧急请拨110/120。",
        "en": "[Linli] Take a task: reply Y + code. Decline: N + code. Need help? Text us what "
        "and where. STOP ends texts, START resumes. Emergency: 110/120.",
    },
    "reply_need_code": {
        "zh": "【邻里】请在“是”或“否”后面加上短信里的编号，例如：是 K7M3",
        "en": "[Linli] Please add the code from our text, e.g. Y K7M3",
    },
    "reply_accepted": {
        "zh": "【邻里】谢谢您！任务{code}由您负责：{category}，{village}，{time}。详情：{link}",
        "en": "[Linli] Thank you! Task {code} is yours: {category}, {village}, {time}. {link}",
    },
    "reply_declined": {
        "zh": "【邻里】已收到，您谢绝了任务{code}。谢谢告知！",
        "en": "[Linli] Noted: you declined task {code}. Thanks for telling us.",
    },
    "reply_refused": {
        "zh": "【邻里】{reason}",
        "en": "[Linli] {reason}",
    },
    "reply_stopped": {
        "zh": "【邻里】您已退订，今后不再收到邻里短信。回复“开始”可恢复。",
        "en": "[Linli] You will get no more texts from Linli. Reply START to get them again.",
    },
    "reply_started": {
        "zh": "【邻里】已恢复短信通知。回复TD或“退订”可随时退订。",
        "en": "[Linli] Texts are back on. Reply STOP any time to stop them.",
    },
    "reply_added": {
        "zh": "【邻里】已把您的短信补充到求助{code}，社工会看到。查看进度：{link}",
        "en": "[Linli] We added your text to request {code}; the social worker will see it. {link}",
    },
    "service_reminder": {
        "zh": "【邻里】提醒：明天{time}您有服务任务{code}（{category}，{village}）。"
        "去不了请尽快告诉社工站。详情：{link}",
        "en": "[Linli] Reminder: tomorrow {time} task {code} ({category}, {village}). "
        "Can't go? Tell the station. {link}",
    },
    "request_auto_closed": {
        "zh": "【邻里】您的求助{code}已完成{days}天，没有收到您的反馈，已自动办结。"
        "问题没解决请联系社工站：{phone}",
        "en": "[Linli] Request {code} was done {days} days ago and is now closed. "
        "Not solved? Call the station: {phone}",
    },
    # --- end sms ---
    # --- withdrawn offers (issue 13, item 17) ---
    "offer_withdrawn": {
        "zh": "【邻里】任务{code}（{category}，{village}）已撤回，不用再接了。谢谢您的热心！",
        "en": "[Linli] Task {code} ({category}, {village}) was withdrawn: no need to take it. "
        "Thank you for your help!",
    },
    # --- end withdrawn offers ---
    # --- accounts: phone codes and password reset (issue 13) ---
    "signup_code": {
        "zh": "【邻里】您的志愿者注册验证码：{code}，10分钟内有效。不是您本人注册的，请不要理会，也不要告诉别人。",
        "en": "[Linli] Your volunteer sign-up code: {code}. It works for 10 minutes. "
        "If you did not sign up, ignore this and tell no one the code.",
    },
    "signup_already_registered": {
        "zh": "【邻里】有人用本号码报名志愿者，但这个号码已经有账号了。忘记密码可在这里重设：{link} 不是您本人操作的，请不要理会。",
        "en": "[Linli] Someone tried to sign up with this number, but it already has an "
        "account. Forgot the password? Reset it: {link} Not you? Ignore this.",
    },
    "password_reset_code": {
        "zh": "【邻里】您重设密码的验证码：{code}，10分钟内有效。不是您本人操作的，请不要理会，也不要告诉别人。",
        "en": "[Linli] Your password reset code: {code}. It works for 10 minutes. "
        "If you did not ask, ignore this and tell no one the code.",
    },
    # --- end accounts ---
    # --- staff accounts opened and reset by the station admin (issue 15, item 2); one
    # segment each. No password in them: the link leads to the reset page, where a code
    # sent to this phone lets its owner choose one. ---
    "staff_welcome": {
        "zh": "【邻里】社工站已为您开通账号，请用本手机号在此设置密码后登录：{link}",
        "en": "[Linli] Your station opened a Linli staff account for you. Set your "
        "password with this phone number here: {link}",
    },
    "staff_password_reset": {
        "zh": "【邻里】社工站已重设您的账号密码，请用本手机号在此设置新密码：{link}",
        "en": "[Linli] Your station reset your Linli password. Choose a new one with this "
        "phone number here: {link}",
    },
    # --- end staff accounts ---
}


# Texts that carry a one-time code (sign-up, password reset). Whoever reads the code can
# take the account over, so no staff page ever shows it (outbox_view.shown_bodies).
SECRET_TEMPLATES = frozenset({"signup_code", "password_reset_code"})


def render(template: str, language: str, **values: object) -> str:
    texts = TEMPLATES[template]
    text = texts.get(language) or texts["zh"]
    return text.format(**values)


def placeholders(template: str) -> set[str]:
    """The named values a template needs, in any of its languages."""
    import string

    names: set[str] = set()
    for text in TEMPLATES[template].values():
        names |= {field for _, field, _, _ in string.Formatter().parse(text) if field}
    return names
