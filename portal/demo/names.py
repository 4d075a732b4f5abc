"""Deterministic, believable names for demo people and universities (no external data)."""

from __future__ import annotations

import random

SURNAMES = [
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("高", "Gao"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("许", "Xu"),
    ("韩", "Han"),
    ("冯", "Feng"),
]
GIVEN = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("洋", "yang"),
    ("艳", "yan"),
    ("勇", "yong"),
    ("军", "jun"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("晓东", "xiaodong"),
    ("思远", "siyuan"),
    ("雨桐", "yutong"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("欣怡", "xinyi"),
    ("宇航", "yuhang"),
    ("佳琪", "jiaqi"),
    ("俊杰", "junjie"),
]

CITIES = [
    ("北京", "Beijing"),
    ("上海", "Shanghai"),
    ("天津", "Tianjin"),
    ("重庆", "Chongqing"),
    ("广州", "Guangzhou"),
    ("深圳", "Shenzhen"),
    ("杭州", "Hangzhou"),
    ("南京", "Nanjing"),
    ("武汉", "Wuhan"),
    ("成都", "Chengdu"),
    ("西安", "Xi'an"),
    ("长沙", "Changsha"),
    ("郑州", "Zhengzhou"),
    ("济南", "Jinan"),
    ("青岛", "Qingdao"),
    ("沈阳", "Shenyang"),
    ("大连", "Dalian"),
    ("哈尔滨", "Harbin"),
    ("长春", "Changchun"),
    ("合肥", "Hefei"),
    ("福州", "Fuzhou"),
    ("厦门", "Xiamen"),
    ("南昌", "Nanchang"),
    ("昆明", "Kunming"),
    ("贵阳", "Guiyang"),
    ("南宁", "Nanning"),
    ("兰州", "Lanzhou"),
    ("太原", "Taiyuan"),
    ("石家庄", "Shijiazhuang"),
    ("呼和浩特", "Hohhot"),
    ("乌鲁木齐", "Urumqi"),
    ("银川", "Yinchuan"),
    ("西宁", "Xining"),
    ("拉萨", "Lhasa"),
    ("海口", "Haikou"),
    ("苏州", "Suzhou"),
    ("无锡", "Wuxi"),
    ("宁波", "Ningbo"),
    ("温州", "Wenzhou"),
    ("徐州", "Xuzhou"),
    ("扬州", "Yangzhou"),
    ("烟台", "Yantai"),
    ("洛阳", "Luoyang"),
    ("桂林", "Guilin"),
    ("绍兴", "Shaoxing"),
]
KINDS = [
    ("大学", "University"),
    ("理工大学", "University of Technology"),
    ("医科大学", "Medical University"),
    ("师范大学", "Normal University"),
    ("科技大学", "University of Science and Technology"),
    ("财经大学", "University of Finance and Economics"),
    ("职业技术学院", "Polytechnic"),
    ("工程学院", "Institute of Engineering"),
]


def person(rng: random.Random) -> tuple[str, str]:
    """(Chinese name, pinyin name)."""
    surname_zh, surname_en = rng.choice(SURNAMES)
    given_zh, given_en = rng.choice(GIVEN)
    return surname_zh + given_zh, f"{given_en.capitalize()} {surname_en}"


def universities(count: int) -> list[tuple[str, str, str]]:
    """`count` distinct (Chinese name, English name, e-mail domain), always the same for the same count."""
    result: list[tuple[str, str, str]] = []
    for kind_index, (kind_zh, kind_en) in enumerate(KINDS):
        for city_zh, city_en in CITIES:
            if len(result) == count:
                return result
            slug = city_en.lower().replace("'", "").replace(" ", "")
            result.append((f"{city_zh}{kind_zh}", f"{city_en} {kind_en}", f"{slug}{kind_index}.edu.cn"))
    raise ValueError(f"only {len(result)} distinct demo universities can be generated")
