"""SMS templates, Chinese and English, one segment each where the words fit (issue 16).

Each template is formatted with ``str.format`` and named values. One segment is 70
characters for a text with Chinese in it (UCS-2) and 160 for plain English (GSM-7); a
test renders every template with realistic longest values and holds it to one segment,
except those in TWO_SEGMENTS (the README lists them with the reason).

What a resident reads says what happens next without the link, which a feature phone
cannot open; every reply it suggests is read exactly as written (inbound.py):
0 for news, 1 solved, 2 not solved; a volunteer takes an offer with its 4 digits and
declines with 0 and the digits.
"""

from __future__ import annotations

TEMPLATES: dict[str, dict[str, str]] = {
    # --- intake and tracking (issue 3) ---
    "request_received": {
        "zh": "【邻里】求助已收到，编号{code}。社工站会在{target}联系您，电话{phone}。查进度回0。紧急拨110/120",
        "en": "[Linli] Request received, code {code}. The station will contact you "
        "{target}: {phone}. Reply 0 for news. In danger call 110/120.",
    },
    # The serving station has no phone on file: no number rather than someone else's.
    "request_received_no_phone": {
        "zh": "【邻里】求助已收到，编号{code}。社工站会在{target}联系您。查进度回0。紧急请拨110/120",
        "en": "[Linli] We got your request, code {code}. The station will contact you "
        "{target}. Reply 0 for news. In danger call 110/120.",
    },
    # --- end intake ---
    # --- the same phone asks again (issue 13); only the phone's owner gets it ---
    "duplicate_still_open": {
        "zh": "【邻里】您{time}提交的求助{code}还在办理中。如是同一件事，不用再报，社工会一并处理",
        "en": "[Linli] Your request {code} from {time} is still open. If this is the same "
        "need, no need to ask again: the station will handle them together.",
    },
    # --- end the same phone ---
    # --- matching, offers and volunteers (issue 4) ---
    "volunteer_offer": {
        "zh": "【邻里】新任务：{category}，{village}，{time}，离您约{distance}。"
        "接单回{code}，不接回0{code}，{until}前有效。详情{link}",
        "en": "[Linli] New task: {category}, {village}, {time}, about {distance} away. "
        "Reply {code} to take it, 0{code} to decline, by {until}. {link}",
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
        "zh": "【邻里】志愿者{name}已接下您的求助{code}，会尽快联系您。查进度回0",
        "en": "[Linli] Volunteer {name} has taken on your request {code} and will contact you soon. "
        "Reply 0 for news.",
    },
    "request_done_confirm": {
        "zh": "【邻里】您的求助{code}已办完。解决了请回1，没解决请回2。",
        "en": "[Linli] Your request {code} is marked done. Solved? Reply 1. Not solved? Reply 2.",
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
        "zh": "【邻里】您的求助{code}不在社工站服务范围内：{reason}。有疑问请打{phone}",
        "en": "[Linli] Request {code} is outside what the station can do: {reason}. "
        "Questions? Call {phone}.",
    },
    "request_rejected_no_phone": {
        "zh": "【邻里】您的求助{code}不在社工站服务范围内：{reason}。有疑问请联系当地社工站",
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
        "zh": "【邻里】您有{count}位服务对象的走访已逾期，请尽快安排：{link}",
        "en": "[Linli] {count} home visits you look after are overdue. Plan them: {link}",
    },
    # --- end console ---
    # --- SMS replies and scheduled reminders (issue 6) ---
    "test_message": {
        "zh": "【邻里】测试短信：{text}",
        "en": "[Linli] Test message: {text}",
    },
    # To a volunteer or staff member (a number with an account).
    "reply_help": {
        "zh": "【邻里】接单请回任务短信里的编号，如4821；不接回0加编号，如04821。退订回TD，恢复回开始",
        "en": "[Linli] To take a task reply its code, e.g. 4821. To decline reply 0 and the "
        "code, e.g. 04821. STOP ends texts, START resumes.",
    },
    # To a resident (any other number).
    "reply_help_resident": {
        "zh": "【邻里】求助请直接发短信写明情况和地址。查进度回0，办完后解决了回1、没解决回2。紧急拨110/120",
        "en": "[Linli] Need help? Text us what you need and where. Reply 0 for news of your "
        "request; when it is done, 1 if solved, 2 if not. Emergency: 110/120.",
    },
    "reply_need_code": {
        "zh": "【邻里】请回任务短信里的4位编号，如4821；不接请回0加编号，如04821",
        "en": "[Linli] Please reply with the 4-digit code from our text, e.g. 4821; to "
        "decline, 0 and the code, e.g. 04821.",
    },
    "reply_status": {
        "zh": "【邻里】求助{code}：{status}",
        "en": "[Linli] Request {code}: {status}",
    },
    "reply_status_done": {
        "zh": "【邻里】求助{code}：{status}解决了请回1，没解决请回2。",
        "en": "[Linli] Request {code}: {status} Solved? Reply 1. Not solved? Reply 2.",
    },
    "reply_confirmed": {
        "zh": "【邻里】谢谢您！求助{code}已办结。还需要帮助请随时发短信告诉我们。",
        "en": "[Linli] Thank you! Request {code} is closed. Need help again? Just text us.",
    },
    "reply_reopened": {
        "zh": "【邻里】已重新打开您的求助{code}，社工站会跟进。查进度回0",
        "en": "[Linli] We reopened request {code}; the station will follow up. Reply 0 for news.",
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
        "zh": "【邻里】已把您的短信补充到求助{code}，社工会看到。查进度回0",
        "en": "[Linli] We added your text to request {code}; the social worker will see it. "
        "Reply 0 for news.",
    },
    "service_reminder": {
        "zh": "【邻里】提醒：明天{time}您有服务任务{code}（{category}，{village}）。"
        "去不了请尽快告诉社工站。",
        "en": "[Linli] Reminder: tomorrow {time} task {code} ({category}, {village}). "
        "Can't go? Tell the station.",
    },
    "request_auto_closed": {
        "zh": "【邻里】求助{code}办完{days}天未收到反馈，已自动办结。没解决请打{phone}",
        "en": "[Linli] Request {code} was done {days} days ago and is now closed. "
        "Not solved? Call the station: {phone}",
    },
    "request_auto_closed_no_phone": {
        "zh": "【邻里】求助{code}办完{days}天未收到反馈，已自动办结。没解决请发短信告诉我们",
        "en": "[Linli] Request {code} was done {days} days ago and is now closed. "
        "Not solved? Text us.",
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
    # --- community activities (issue 18): replies 报名/BM, 退出/TC, 签到/QD + code ---
    "activity_signed_up": {
        "zh": "【邻里】已报名活动「{title}」，{time}，{village}。前一天会提醒您。退出回：退出{code}",
        "en": "[Linli] You are signed up: {title}, {time}, {village}. We remind you "
        "the day before. To withdraw reply TC {code}",
    },
    "activity_waiting": {
        "zh": "【邻里】活动「{title}」名额已满，您在候补名单上，有空位自动补上并短信告知。退出回：退出{code}",
        "en": "[Linli] {title} is full: you are on the waiting list and get a text if a "
        "place frees up. To leave the list reply TC {code}",
    },
    "activity_promoted": {
        "zh": "【邻里】候补成功：您已获得活动「{title}」名额，{time}，{village}。退出回：退出{code}",
        "en": "[Linli] A place freed up: you are now signed up for {title}, {time}, "
        "{village}. To withdraw reply TC {code}",
    },
    "activity_withdrawn": {
        "zh": "【邻里】您已退出活动「{title}」。想再报名回：报名{code}",
        "en": "[Linli] You have withdrawn from {title}. To sign up again reply BM {code}",
    },
    "activity_cancelled": {
        "zh": "【邻里】抱歉，{time}的活动「{title}」已取消，不用前往。",
        "en": "[Linli] Sorry, {title} on {time} is cancelled: please do not go.",
    },
    "activity_reminder": {
        "zh": "【邻里】提醒：{time}活动「{title}」，{village}。到场后回：签到+现场签到码。来不了回：退出{code}",
        "en": "[Linli] Reminder: {title}, {time}, {village}. On arrival reply QD and the "
        "check-in code. Cannot come? Reply TC {code}",
    },
    "activity_need_account": {
        "zh": "【邻里】报名、签到活动要先在邻里网站注册志愿者并确认本手机号，确认后再发。此短信不算求助。",
        "en": "[Linli] To sign up or check in, first register as a volunteer on the Linli "
        "website and confirm this phone, then text again. This is not a help request.",
    },
    "activity_checked_in": {
        "zh": "【邻里】已签到活动「{title}」，谢谢您！",
        "en": "[Linli] Checked in to {title}. Thank you!",
    },
    # --- end community activities ---
    "signup_code": {
        "zh": "【邻里】您的志愿者注册验证码：{code}，10分钟内有效。不是您本人注册的，请不要理会，也不要告诉别人。",
        "en": "[Linli] Your volunteer sign-up code: {code}. It works for 10 minutes. "
        "If you did not sign up, ignore this and tell no one the code.",
    },
    "signup_already_registered": {
        "zh": "【邻里】有人用本号报名志愿者，但已有账号。忘记密码请重设：{link} 非本人勿理",
        "en": "[Linli] Someone tried to sign up with this number; it has an account "
        "already. Forgot the password? {link} Not you? Ignore this.",
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
    # --- micro-wishes (issue 18): a donor's text is made from the wish's public view alone
    # (code, what, the station's phone), never a child's name, age or village ---
    "wish_claimed_donor": {
        "zh": "【邻里】您认领了微心愿{code}：{what}。社工站确认后会与您联系，电话{phone}",
        "en": "[Linli] You claimed wish {code}: {what}. The station will call you once it "
        "has confirmed. Station: {phone}",
    },
    "wish_claimed_family": {
        "zh": "【邻里】孩子的微心愿“{what}”已有爱心人士认领，社工会联系您安排。电话{phone}",
        "en": '[Linli] A donor has claimed the child\'s wish "{what}". The station will '
        "call you to arrange it: {phone}",
    },
    "wish_confirmed_donor": {
        "zh": "【邻里】社工站已确认您认领的微心愿{code}，请在{until}前联系社工送达：{phone}",
        "en": "[Linli] The station confirmed your wish {code}. Please call them to arrange "
        "delivery by {until}: {phone}",
    },
    "wish_claim_rejected": {
        "zh": "【邻里】抱歉，您认领的微心愿{code}未能确认，已重新发布。有疑问请打{phone}",
        "en": "[Linli] Sorry, the station could not confirm your claim of wish {code}; it "
        "is back on the board. Questions? {phone}",
    },
    "wish_claim_lapsed": {
        "zh": "【邻里】您认领的微心愿{code}未在期限内确认，已重新发布。谢谢您！有疑问请打{phone}",
        "en": "[Linli] Your claim of wish {code} was not confirmed in time and the wish is "
        "back on the board. Thank you! Questions? {phone}",
    },
    "wish_claim_expired": {
        "zh": "【邻里】微心愿{code}已过截止日期，本次认领结束，不用再送了。谢谢您！有疑问请打{phone}",
        "en": "[Linli] Wish {code} is past its date: your claim has ended, nothing more to "
        "deliver. Thank you! Questions? {phone}",
    },
    "wish_withdrawn_donor": {
        "zh": "【邻里】抱歉，社工站已撤回您认领的微心愿{code}，不用再送了。谢谢您！有疑问请打{phone}",
        "en": "[Linli] Sorry, the station has withdrawn wish {code} that you claimed: "
        "nothing to deliver. Thank you! Questions? {phone}",
    },
    "wish_reopened_family": {
        "zh": "【邻里】孩子的微心愿“{what}”需另找爱心人士，已重新发布。电话{phone}",
        "en": '[Linli] The child\'s wish "{what}" needs another donor and is back on the '
        "board; we will tell you when someone takes it. {phone}",
    },
    "wish_withdrawn_family": {
        "zh": "【邻里】孩子的微心愿“{what}”已由社工站撤回。有疑问请打{phone}",
        "en": '[Linli] The station has withdrawn the child\'s wish "{what}". Questions? {phone}',
    },
    "wish_overdue_station": {
        "zh": "【邻里】微心愿{code}（{what}）已过约定送达日期，捐赠人已确认但未记录送达，请跟进。",
        "en": "[Linli] Wish {code} ({what}) is past the day agreed with its confirmed donor "
        "and no delivery is recorded: please follow it up.",
    },
    "wish_fulfilled_donor": {
        "zh": "【邻里】微心愿{code}（{what}）已送到孩子手中，感谢您的爱心！",
        "en": "[Linli] Wish {code} ({what}) has reached the child. Thank you for your kindness!",
    },
    "wish_fulfilled_family": {
        "zh": "【邻里】孩子的微心愿“{what}”已送达。有疑问请打{phone}",
        "en": '[Linli] The child\'s wish "{what}" has been delivered. Questions? {phone}',
    },
    "wish_claim_code": {
        "zh": "【邻里】您认领微心愿的验证码：{code}，10分钟内有效。不是您本人操作的，请不要理会。",
        "en": "[Linli] Your code to claim a micro-wish: {code}. It works for 10 minutes. "
        "If you did not ask, ignore this.",
    },
    "wish_sms_help": {
        "zh": "【邻里】认领微心愿请回“认领”加编号，如：认领 482193，可在后面写上您的称呼",
        "en": "[Linli] To claim a wish reply RL and its code, e.g. RL 482193, and your name "
        "if you like.",
    },
    "wish_donor_reply": {
        "zh": "【邻里】谢谢您的回复！微心愿的事请打之前短信里的社工站电话。如需求助，请发“求助”加您的情况",
        "en": "[Linli] Thank you for your reply! About the wish, please call the station's "
        "number in our earlier text. To ask for help, call the station too.",
    },
    # The wish's station has no phone on file: no number rather than a dangling "call".
    "wish_claimed_donor_no_phone": {
        "zh": "【邻里】您认领了微心愿{code}：{what}。社工站确认后会与您联系",
        "en": "[Linli] You claimed wish {code}: {what}. The station will call you once it "
        "has confirmed.",
    },
    "wish_claimed_family_no_phone": {
        "zh": "【邻里】孩子的微心愿“{what}”已有爱心人士认领，社工会联系您安排",
        "en": '[Linli] A donor has claimed the child\'s wish "{what}". The station will '
        "call you to arrange it.",
    },
    "wish_confirmed_donor_no_phone": {
        "zh": "【邻里】社工站已确认您认领的微心愿{code}，社工会联系您在{until}前送达",
        "en": "[Linli] The station confirmed your wish {code}. They will call you to "
        "arrange delivery by {until}.",
    },
    "wish_claim_rejected_no_phone": {
        "zh": "【邻里】抱歉，您认领的微心愿{code}未能确认，已重新发布。谢谢您！",
        "en": "[Linli] Sorry, the station could not confirm your claim of wish {code}; it "
        "is back on the board. Thank you!",
    },
    "wish_claim_lapsed_no_phone": {
        "zh": "【邻里】您认领的微心愿{code}未在期限内确认，已重新发布。谢谢您！",
        "en": "[Linli] Your claim of wish {code} was not confirmed in time and the wish is "
        "back on the board. Thank you!",
    },
    "wish_claim_expired_no_phone": {
        "zh": "【邻里】微心愿{code}已过截止日期，本次认领结束，不用再送了。谢谢您！",
        "en": "[Linli] Wish {code} is past its date: your claim has ended, nothing more to "
        "deliver. Thank you!",
    },
    "wish_withdrawn_donor_no_phone": {
        "zh": "【邻里】抱歉，社工站已撤回您认领的微心愿{code}，不用再送了。谢谢您！",
        "en": "[Linli] Sorry, the station has withdrawn wish {code} that you claimed: "
        "nothing to deliver. Thank you!",
    },
    "wish_reopened_family_no_phone": {
        "zh": "【邻里】孩子的微心愿“{what}”需另找爱心人士，已重新发布",
        "en": '[Linli] The child\'s wish "{what}" needs another donor and is back on the '
        "board; we will tell you when someone takes it.",
    },
    "wish_withdrawn_family_no_phone": {
        "zh": "【邻里】孩子的微心愿“{what}”已由社工站撤回",
        "en": '[Linli] The station has withdrawn the child\'s wish "{what}".',
    },
    "wish_fulfilled_family_no_phone": {
        "zh": "【邻里】孩子的微心愿“{what}”已送达",
        "en": '[Linli] The child\'s wish "{what}" has been delivered.',
    },
    # --- end micro-wishes ---
}


# Texts that carry a one-time code (sign-up, password reset). Whoever reads the code can
# take the account over, so no staff page ever shows it (outbox_view.shown_bodies).
SECRET_TEMPLATES = frozenset({"signup_code", "password_reset_code", "wish_claim_code"})


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


# The templates that still take two segments with realistic longest values, and why (the
# README lists them; a test holds every other template to one segment).
_LINK_TO_ACT = "the link is the message: the page where staff act on it (about 46 characters)"
_TASK_PAGE = (
    "the task's page holds the person's address and phone, which no SMS carries; "
    "the link takes about 40 of the 70 characters"
)
TWO_SEGMENTS: dict[str, str] = {
    "volunteer_offer": "what, where, when, how far, how to take or decline it and until when "
    "come to about 85 characters before the link to the offer's page",
    "reply_accepted": _TASK_PAGE,
    "task_assigned": _TASK_PAGE,
    "task_dispatched": _TASK_PAGE,
    "offer_unmatched": _LINK_TO_ACT,
    "offer_social_worker_only": _LINK_TO_ACT,
    "request_overdue": _LINK_TO_ACT,
    "request_escalated": _LINK_TO_ACT,
    "request_rejected": "it carries the worker's reason in their own words (up to 40 characters)",
    "request_rejected_no_phone": "the same as request_rejected",
}
