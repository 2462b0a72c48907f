"""The words of the demo county: places, names and the texts people write.

Modelled on the seeds' articles (Henan and other provinces' 社工站 news): a county with
subdistricts 街道 around the county seat and towns 镇 / townships 乡 in the countryside,
a township social work station in each, rooms 社工室 in some villages, volunteer teams
(巾帼, 党员先锋, 义剪, "五老") and social organisations linked by 五社联动.

清源县 is invented (code 411029 is not a real county of 许昌市); the names are common ones.
"""

from __future__ import annotations

COUNTY_NAME = "清源县"
COUNTY_CODE = "411029000000"  # the demo's marker: seeding stops when this region exists
COUNTY_CENTRE = (34.0600, 113.9500)  # the county seat, WGS-84
PHONE_AREA = "374"  # 许昌 area code: station landlines are +86 374 xxxxxxx

# (name, kind, (east km, north km) from the county seat, villages or communities)
# kind: street 街道 (codes 001–099), town 镇 (100–199), xiang 乡 (200–299).
TOWNSHIPS: list[tuple[str, str, tuple[float, float], list[str]]] = [
    ("城关街道", "street", (0.0, 0.6), ["南关社区", "北关社区", "西大街社区", "文昌社区"]),
    ("东城街道", "street", (3.6, 0.4), ["人民路社区", "建设路社区", "东湖社区", "幸福里社区"]),
    ("西城街道", "street", (-3.1, -0.4), ["解放路社区", "清源路社区", "西苑社区"]),
    ("新华街道", "street", (0.4, -3.3), ["新华路社区", "育才社区", "纺织厂社区", "火车站社区"]),
    ("柳林镇", "town", (-10.5, 11.8), ["柳林社区", "张庄村", "李楼村", "后王村", "河口村"]),
    ("石桥镇", "town", (9.2, 12.6), ["石桥社区", "前刘村", "马湾村", "董寨村"]),
    ("双河镇", "town", (15.8, 4.2), ["双河社区", "赵庄村", "南岗村", "陈楼村"]),
    ("古城镇", "town", (-15.6, 2.1), ["古城社区", "东关村", "西关村", "孙营村", "杨湾村"]),
    ("马坊镇", "town", (-8.3, -11.6), ["马坊社区", "高庄村", "黄岗村", "小吴村"]),
    ("龙泉镇", "town", (10.1, -10.4), ["龙泉社区", "白沙村", "冯庄村", "大郭村"]),
    ("王集镇", "town", (1.8, 16.9), ["王集社区", "徐庄村", "何楼村", "东岳庙村"]),
    ("南岗镇", "town", (3.7, -17.2), ["南岗社区", "周寨村", "朱庄村", "许堂村"]),
    ("刘店镇", "town", (-17.4, -8.8), ["刘店社区", "任庄村", "宋湾村", "韩楼村"]),
    ("北营镇", "town", (-4.6, 8.7), ["北营社区", "贾庄村", "邓楼村", "槐树湾村"]),
    ("白庙乡", "xiang", (-13.2, 17.4), ["白庙村", "郭庄村", "罗湾村"]),
    ("杨庄乡", "xiang", (17.3, -5.6), ["杨庄村", "曹庄村", "彭寨村", "秦楼村"]),
    ("槐树乡", "xiang", (-5.8, -18.1), ["槐树村", "谢庄村", "唐营村"]),
    ("清水河乡", "xiang", (18.2, 15.1), ["清水河村", "梁庄村", "蔡楼村", "田湾村"]),
    ("大李庄乡", "xiang", (-18.9, -17.0), ["大李庄村", "小李庄村", "潘庄村", "袁寨村"]),
    ("黄桥乡", "xiang", (10.8, -0.6), ["黄桥村", "沈庄村", "程楼村"]),
]

# Villages with a 社工室 (room) of their township station.
ROOM_VILLAGES = {
    "南关社区",
    "建设路社区",
    "张庄村",
    "河口村",
    "前刘村",
    "东关村",
    "高庄村",
    "白沙村",
    "徐庄村",
    "杨庄村",
}

STREETS = ["人民路", "建设路", "文化路", "解放路", "中山路", "府前街", "育才路", "工业路"]
STATION_PLACES = ["便民服务中心二楼", "党群服务中心一楼", "综合文化站院内", "民政所东侧"]
ROOM_PLACES = ["村委会一楼", "党群服务中心", "村级综合服务站", "居委会二楼"]

# Common surnames (Henan's most frequent first, repeated by weight).
SURNAMES = (
    "王王王王李李李李张张张张刘刘刘陈陈杨杨赵赵黄周吴徐孙马马胡朱郭郭何罗高高林"
    "郑梁谢宋唐许韩冯邓曹彭曾田董袁潘于蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石贾夏付方白邹孟秦江尹薛闫段雷侯史贺毛郝龚邵常武乔牛樊葛耿"
)

GIVEN = {
    (
        "old",
        "F",
    ): "桂兰 秀英 玉兰 凤英 秀兰 玉珍 桂英 淑珍 翠花 秀珍 玉梅 兰英 素珍 金凤 春兰 桂芝 玉芳 秀云 巧云 爱莲".split(),
    (
        "old",
        "M",
    ): "建国 国强 德明 振华 志强 保国 长顺 金山 福生 树林 文斌 德胜 永福 广田 明山 学礼 春生 双喜 铁柱 根生".split(),
    (
        "mid",
        "F",
    ): "丽娟 红梅 丽 静 艳 敏 霞 燕 慧 芳 晓燕 海燕 春梅 丽萍 秀梅 雪梅 玉洁 晓红 丽华 小芳".split(),
    (
        "mid",
        "M",
    ): "伟 强 磊 军 勇 涛 斌 超 明 刚 建华 海涛 志刚 宏伟 卫东 晓东 建军 永强 鹏 俊杰".split(),
    (
        "young",
        "F",
    ): "子涵 欣怡 梓涵 一诺 雨桐 思琪 佳怡 诗涵 可馨 紫萱 梦瑶 雨欣 婧 佳琪 晨曦".split(),
    (
        "young",
        "M",
    ): "浩然 子轩 宇航 俊熙 博文 浩宇 天佑 睿 嘉豪 明轩 昊天 志远 一鸣 家乐 泽宇".split(),
    ("child", "F"): "梓萱 欣妍 若汐 语桐 可欣 思雨 雨涵 安琪 悦悦 甜甜".split(),
    ("child", "M"): "子墨 宇轩 梓睿 沐宸 浩轩 皓宇 小宝 乐乐 俊豪 一航".split(),
}

# Volunteer teams and social organisations: (name, kind, township or None for county, skills)
TEAMS: list[tuple[str, str, str | None, list[str]]] = [
    (
        "柳林镇青年志愿者服务队",
        "volunteer_team",
        "柳林镇",
        ["tutoring", "companionship", "shopping"],
    ),
    (
        "柳林镇巾帼志愿服务队",
        "volunteer_team",
        "柳林镇",
        ["cleaning", "meal_delivery", "companionship"],
    ),
    (
        "城关街道党员先锋志愿服务队",
        "volunteer_team",
        "城关街道",
        ["shopping", "safety_check", "policy_consultation"],
    ),
    (
        "东城街道巾帼志愿服务队",
        "volunteer_team",
        "东城街道",
        ["cleaning", "companionship", "meal_delivery"],
    ),
    ("石桥镇爱心义剪队", "volunteer_team", "石桥镇", ["haircut", "companionship"]),
    (
        "古城镇助老服务队",
        "volunteer_team",
        "古城镇",
        ["meal_delivery", "cleaning", "medical_escort"],
    ),
    (
        "马坊镇“五老”志愿服务队",
        "volunteer_team",
        "马坊镇",
        ["tutoring", "companionship", "policy_consultation"],
    ),
    ("双河镇平安志愿服务队", "volunteer_team", "双河镇", ["safety_check", "shopping"]),
    (
        "清源县阳光社会工作服务中心",
        "social_org",
        None,
        ["needs_assessment", "resource_linking", "assistance_application", "companionship"],
    ),
    ("清源县爱心公益协会", "social_org", None, ["resource_linking", "shopping", "meal_delivery"]),
]

# When teams go out (weekly windows, local time). A team not listed has no times of its
# own and is offered work when one of its members is free.
_WEEKDAYS, _WEEKEND = range(5), (5, 6)
TEAM_WINDOWS: dict[str, list[dict]] = {
    "柳林镇青年志愿者服务队": [
        *({"day": d, "start": "18:30", "end": "21:00"} for d in _WEEKDAYS),
        *({"day": d, "start": "09:00", "end": "17:00"} for d in _WEEKEND),
    ],
    "柳林镇巾帼志愿服务队": [{"day": d, "start": "08:00", "end": "11:30"} for d in range(7)],
    "城关街道党员先锋志愿服务队": [
        {"day": d, "start": "08:30", "end": "17:30"} for d in (*_WEEKDAYS, 5)
    ],
    "石桥镇爱心义剪队": [{"day": d, "start": "08:00", "end": "12:00"} for d in (2, *_WEEKEND)],
    "清源县阳光社会工作服务中心": [{"day": d, "start": "08:30", "end": "17:30"} for d in _WEEKDAYS],
    "清源县爱心公益协会": [{"day": d, "start": "09:00", "end": "16:00"} for d in range(6)],
}

# What people write, by category.
DESCRIPTIONS: dict[str, list[str]] = {
    "shopping": [
        "腿脚不便，想请人帮忙买菜和取药",
        "老伴住院了，家里没人买菜，想请志愿者每周帮忙代购两次",
        "想请人帮忙去镇上超市买米面油，东西太重拿不动",
        "降压药快吃完了，想请人去卫生院帮忙开药带回来",
    ],
    "meal_delivery": [
        "一个人在家，做饭不方便，想申请助餐点送餐上门",
        "刚做完手术，这两周需要有人中午送饭",
        "老人八十多岁了，儿女在外地，想每天中午有人送一顿热饭",
    ],
    "cleaning": [
        "年纪大了爬不上高处，想请人帮忙擦窗户、打扫卫生",
        "快过年了，想请志愿者帮忙大扫除",
        "家里堆了很多杂物，老人容易绊倒，想请人帮忙收拾",
    ],
    "haircut": [
        "行动不便出不了门，想请义剪志愿者上门理发",
        "老人卧床，头发很长了，想请人上门理发",
    ],
    "tutoring": [
        "孩子父母在外打工，爷爷奶奶辅导不了作业，想找人帮忙辅导数学和英语",
        "孩子上三年级，语文阅读跟不上，想请大学生志愿者周末辅导",
        "孙子上初二，数学成绩下滑，想请人每周辅导一次",
    ],
    "companionship": [
        "老人一个人在家，儿女在外地，想有人常来陪着说说话",
        "老伴走了以后老人不爱出门，想请志愿者周末来陪着散散步",
    ],
    "medical_escort": [
        "下周要去县医院复查，子女不在身边，想请人陪同挂号、取药",
        "需要定期去县人民医院做透析，想请人陪同",
        "眼睛看不清，要去县医院做白内障检查，想请人陪着去",
    ],
    "emotional_support": [
        "老伴去世后情绪一直很低落，晚上睡不着，想找人聊聊",
        "下岗后在家很久了，心里憋得慌，想找社工说说话",
    ],
    "crisis_intervention": [
        "邻居老人说不想活了，家里人联系不上，请尽快来人看看",
        "邻居家夫妻吵架动了手，老人吓得不敢回家，请社工来看看",
    ],
    "needs_assessment": [
        "刚从外地回来照顾瘫痪的母亲，不清楚能申请哪些帮扶，想请社工上门看看",
        "家里老人和孩子都需要照顾，想请社工帮忙看看有哪些服务",
    ],
    "resource_linking": [
        "家里房子漏雨，没钱修，想问问有没有爱心企业或慈善资源能帮忙",
        "冬天快到了，家里缺棉被和棉衣，想请帮忙联系捐赠",
    ],
    "assistance_application": [
        "家里收入低，想申请低保，不知道要准备哪些材料",
        "老伴看病花了不少钱，想申请临时救助",
    ],
    "policy_consultation": [
        "想问问残疾人两项补贴怎么申请",
        "八十岁以上的高龄津贴在哪里办，要带什么证件",
        "医保报销政策不清楚，想咨询一下住院能报多少",
    ],
    "safety_check": [
        "家里电线老化，经常跳闸，想请人来查查安全隐患",
        "冬天用煤炉取暖，担心煤气中毒，想请人检查一下",
        "老房子墙上有裂缝，下雨天担心出事，想请人来看看",
    ],
    "other": [
        "智能手机不会用，想学怎么和孩子视频通话",
        "轮椅坏了推不动，想请人帮忙修一下",
    ],
}

# What a guardian writes about a child (left-behind children, children in difficulty).
CHILD_DESCRIPTIONS: dict[str, list[str]] = {
    "tutoring": DESCRIPTIONS["tutoring"],
    "companionship": [
        "孩子父母都在广东打工，孩子不爱说话，想请人多陪伴",
        "孙女放学后一个人在家，想请志愿者周末陪她读读书",
    ],
    "emotional_support": ["孩子最近不愿上学，情绪不稳定，家长不知道怎么办"],
    "crisis_intervention": ["家里发生矛盾，孩子离家出走一晚上没回来"],
    "resource_linking": ["孩子需要一副助听器，想请社工帮忙联系慈善资源"],
    "assistance_application": ["家里困难，想问问孩子能不能申请助学补助或生活补贴"],
}

OUTCOMES: dict[str, list[str]] = {
    "shopping": ["已代购蔬菜、鸡蛋和降压药，送到家中", "已买好米面油送上门，老人很满意"],
    "meal_delivery": ["已安排助餐点每天中午送餐，首餐已送达", "已送餐上门，并约好下周继续"],
    "cleaning": ["已完成擦窗和厨房清洁，清理了过道杂物", "大扫除完成，帮老人整理了衣柜"],
    "haircut": ["已上门理发，顺便帮老人修剪了指甲", "义剪完成，老人说很精神"],
    "tutoring": ["辅导了数学作业和英语单词，约好每周六下午继续", "完成语文阅读辅导，孩子进步明显"],
    "companionship": ["陪老人聊天两小时，一起包了饺子", "陪孩子做手工、读绘本，孩子愿意开口了"],
    "medical_escort": ["陪同到县人民医院完成复查，取回药品", "陪同就诊并办理了医保报销"],
    "emotional_support": [
        "社工上门面谈，情绪有所缓解，约定一周后回访",
        "已做情绪疏导，并联系家属多关心",
    ],
    "crisis_intervention": [
        "社工与派出所一同上门，老人已由家属接走照顾",
        "孩子已找到，社工跟进家庭关系调适",
    ],
    "needs_assessment": ["已完成入户需求评估，纳入服务对象台账", "评估完成，链接了助餐和康复服务"],
    "resource_linking": ["已链接爱心企业捐赠棉被两床、棉衣三件", "已联系慈善会资助助听器一副"],
    "assistance_application": [
        "已协助准备低保申请材料并提交镇民政所",
        "临时救助申请已提交，等待审批",
    ],
    "policy_consultation": ["已电话讲解申请流程和所需材料", "已上门讲解政策，并帮忙预约办理"],
    "safety_check": [
        "已排查电线插座，更换了两个老化插座",
        "已检查煤炉和烟道，安装了一氧化碳报警器",
    ],
    "other": ["已教会老人用微信视频通话", "轮椅已修好，刹车恢复正常"],
}

WELFARE_NOTES = [
    "老人精神状态良好，家中食物充足",
    "家中取暖设施安全，门窗完好",
    "老人血压偏高，已提醒按时服药",
    "孩子学习用品齐全，爷爷奶奶身体尚可",
    "居住环境较差，建议社工下次入户时关注",
    "",
]

REJECT_NOTES = [
    "不属于本站服务范围，已告知居民向县医保中心咨询",
    "电话核实后居民表示已由家属解决",
]
CANCEL_NOTES = [
    "居民来电取消：子女已回家照顾",
    "家属已自行安排",
    "居民表示暂时不需要了",
]
RATING_COMMENTS = {
    5: ["志愿者很耐心，谢谢！", "来得很及时，帮了大忙", "小伙子人很好，下次还想请他来"],
    4: ["服务挺好，就是来得晚了一点", "很满意，谢谢社工站"],
    3: ["事情办了，但是等了好几天"],
}

VISIT_NEEDS = [
    "冬季取暖需要帮助",
    "希望有人定期陪同就医",
    "孩子需要课业辅导",
    "",
]
VISIT_FOLLOW_UPS = [
    "下次入户带上助听器申请表",
    "联系村委会协调送餐",
    "两周后电话回访",
    "",
]

# Relation → the guardian's gender.
GUARDIAN_RELATIONS = {"祖父": "M", "祖母": "F", "外祖母": "F", "叔叔": "M", "姑姑": "F"}
CONTACT_RELATIONS = {"儿子": "M", "女儿": "F", "侄子": "M"}
HOMELESS_PLACES = ["城关街道火车站广场附近", "新华街道桥洞下", "东城街道农贸市场附近"]

# Staff: (username, phone, name, roles, township name or None for the county centre)
STAFF = [
    ("shegong", "+8613703740001", "李晓燕", ("social_worker",), "柳林镇"),
    ("zhanzhang", "+8613703740002", "王建华", ("station_admin", "social_worker"), "柳林镇"),
    ("dudao", "+8613703740003", "陈志刚", ("county_supervisor",), None),
    ("shegong2", "+8613703740004", "赵雨桐", ("social_worker",), "柳林镇"),
    ("xianshegong", "+8613703740005", "周丽娟", ("social_worker",), None),
    ("chengguan", "+8613703740006", "刘海燕", ("social_worker",), "城关街道"),
    ("chengguan-zz", "+8613703740007", "孙卫东", ("station_admin",), "城关街道"),
    ("shiqiao", "+8613703740008", "郭思琪", ("social_worker",), "石桥镇"),
    ("gucheng", "+8613703740009", "马俊杰", ("social_worker",), "古城镇"),
    ("mafang", "+8613703740010", "杨佳怡", ("social_worker",), "马坊镇"),
    ("dongcheng", "+8613703740011", "黄宏伟", ("social_worker",), "东城街道"),
    ("shuanghe", "+8613703740012", "高静", ("social_worker",), "双河镇"),
]
DEMO_STATION = "柳林镇"  # the township whose station the demo worker and admin run
STAFFED = ["柳林镇", "城关街道", "石桥镇", "古城镇", "马坊镇", "东城街道", "双河镇"]
# The county's own teams take their members from the streets no station staff covers:
# the county centre acts for those stations, so it may sign them up (admin.add_member).
COUNTY_TEAM_TOWNS = ["西城街道", "新华街道"]

# Weights: everyday help is what most volunteers offer.
SKILL_WEIGHTS = {
    "shopping": 10,
    "companionship": 10,
    "meal_delivery": 7,
    "cleaning": 7,
    "medical_escort": 5,
    "tutoring": 5,
    "haircut": 3,
    "safety_check": 3,
    "policy_consultation": 2,
    "resource_linking": 2,
    "needs_assessment": 1,
    "assistance_application": 2,
    "other": 2,
}
AVAILABILITY = [
    [{"day": d, "start": "18:30", "end": "21:00"} for d in range(5)],
    [
        {"day": d, "start": s, "end": e}
        for d in (5, 6)
        for s, e in (("08:00", "12:00"), ("14:00", "18:00"))
    ],
    [{"day": d, "start": "08:00", "end": "11:30"} for d in range(7)],
    [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)],
    [
        {"day": 1, "start": "14:00", "end": "17:00"},
        {"day": 3, "start": "14:00", "end": "17:00"},
        {"day": 5, "start": "09:00", "end": "12:00"},
    ],
]
MOBILE_PREFIXES = (
    "135 136 137 138 139 150 151 152 158 159 182 183 187 188 130 131 132 155 156 185 186 "
    "133 153 180 189 177 199"
).split()
BENEFICIARY_NOTES = {
    "left_behind_child": "父母在浙江打工，一年回来一次，由祖辈照看",
    "child_in_difficulty": "父亲去世，母亲改嫁，现由亲属抚养",
    "elderly_alone": "子女在外地工作，老人独自居住",
    "disabled": "肢体残疾二级，出行需要轮椅",
    "left_behind_woman": "丈夫常年在外务工，独自照顾两个孩子和婆婆",
    "dibao": "家庭收入低，已纳入低保",
    "tekun": "无劳动能力、无生活来源、无法定赡养人",
    "homeless": "流浪人员，救助站多次劝导返乡未果",
}
RELEASE_REASON = "家里临时有事，去不了了"
REOPEN_NOTE = "药没有买全，还差一盒降压药"
STATION_CLOSE_NOTE = "家属已接老人去城里住，服务不再需要"
ESCALATE_NOTE = "受理一天多仍没有社工上门，请县指导中心协调"
ASSIGN_NOTES = {
    "crisis_intervention": "危机介入，驻站社工立即上门",
    "emotional_support": "心理支持类求助，由驻站社工本人跟进",
}

# ---- twelve months of history (history.py) ------------------------------------------------

# Each township station's social workers beyond the first staff above, so that every
# station has two or more (the seeds' 两名以上持证社工): (name, township). Their phones are
# made up by the builder; they sign in by phone, with the demo password.
MORE_STAFF: list[tuple[str, str]] = [
    ("宋晓红", "石桥镇"),
    ("韩明", "古城镇"),
    ("曹丽萍", "马坊镇"),
    ("彭俊杰", "东城街道"),
    ("蒋春梅", "双河镇"),
    ("许海涛", "西城街道"),
    ("潘雪梅", "西城街道"),
    ("吕志远", "新华街道"),
    ("丁晓燕", "新华街道"),
    ("任建军", "龙泉镇"),
    ("姚玉洁", "龙泉镇"),
    ("卢鹏", "王集镇"),
    ("崔丽华", "王集镇"),
    ("钟永强", "南岗镇"),
    ("谭秀梅", "南岗镇"),
    ("陆宏伟", "刘店镇"),
    ("汪晓红", "刘店镇"),
    ("范卫东", "北营镇"),
    ("金海燕", "北营镇"),
    ("石磊", "白庙乡"),
    ("夏丽娟", "白庙乡"),
    ("付强", "杨庄乡"),
    ("方红梅", "杨庄乡"),
    ("邹建华", "槐树乡"),
    ("孟静", "槐树乡"),
    ("江志刚", "清水河乡"),
    ("尹芳", "清水河乡"),
    ("薛勇", "大李庄乡"),
    ("闫慧", "大李庄乡"),
    ("段涛", "黄桥乡"),
    ("雷燕", "黄桥乡"),
]
# The social-work certificate (社会工作者职业水平证书) of the first staff, by username, and
# training hours this year; the added workers draw theirs. 马坊镇's second worker has
# none yet: that station is the one under two certified workers.
CERTIFICATES: dict[str, tuple[str, int]] = {
    "shegong": ("assistant", 86),
    "zhanzhang": ("social_worker", 124),
    "shegong2": ("assistant", 40),
    "dudao": ("senior", 96),
    "xianshegong": ("social_worker", 110),
    "chengguan": ("assistant", 72),
    "chengguan-zz": ("social_worker", 64),
    "shiqiao": ("assistant", 58),
    "gucheng": ("assistant", 48),
    "mafang": ("assistant", 66),
    "dongcheng": ("social_worker", 90),
    "shuanghe": ("assistant", 54),
}
UNDER_CERTIFIED = "马坊镇"  # its added worker holds no certificate yet
UNDER_COVERED = "古城镇"  # many of its people went without a visit or call this quarter

# The ledger's people the history adds per township station: (groups, age).
HISTORY_PEOPLE: list[tuple[list[str], str]] = [
    (["elderly_alone"], "old"),
    (["elderly_alone", "dibao"], "old"),
    (["left_behind_child"], "child"),
    (["left_behind_woman"], "mid"),
    (["disabled"], "mid"),
    (["tekun"], "old"),
    (["child_in_difficulty"], "child"),
    (["left_behind_woman", "dibao"], "mid"),
]

CALL_NOTES = {
    "reached": [
        "电话慰问，老人说身体还好，提醒天冷添衣",
        "询问近况，已提醒按时服药、注意防滑",
        "聊了二十分钟家常，情绪比上次好",
        "了解到家中缺少米面，已联系村委会送去",
        "电话关心丈夫外出务工后的家庭情况，孩子上学正常",
    ],
    "reached_guardian": [
        "与孩子祖母通话，孩子期中考试有进步",
        "与家属通话，老人近期住院已出院，约定下周入户",
        "与监护人沟通孩子寒假安排",
    ],
    "no_answer": ["无人接听，明天再打", "连续两次无人接听，已请网格员上门看看"],
    "wrong_number": ["号码已停机，需向村委会核实新号码"],
}
HISTORY_VISIT_NEEDS = [
    "冬季取暖需要帮助",
    "希望有人定期陪同就医",
    "孩子需要课业辅导",
    "想了解临时救助怎么申请",
    "丈夫外出务工，家里农活忙不过来",
    "情绪低落，需要精神慰藉",
    "",
    "",
]
HISTORY_FOLLOW_UPS = [
    "下次入户带上助听器申请表",
    "联系村委会协调送餐",
    "两周后电话回访",
    "链接妇联“巾帼家园”资源，邀请参加手工培训",
    "已转介镇卫生院家庭医生签约",
    "",
]
STATION_SERVED_OUTCOMES = [
    "社工电话讲解政策并帮助网上提交材料，已办结",
    "社工入户完成需求评估，已链接村委会和志愿者跟进",
    "社工陪同到镇便民服务中心办理，已办结",
    "社工协调镇卫生院上门，问题已解决",
]
LOW_RATING_COMMENTS = {
    2: ["等了三天才有人来", "事情没有完全办好"],
    1: ["一直没人联系我"],
}
NOT_SOLVED_NOTES = ["水管还是漏水", "材料还缺一份，没有办成", "药没有买全，还差一盒"]
