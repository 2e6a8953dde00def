"""What the analyst dialogs say when a run is done: a few plain Chinese sentences (through the translation files)
from the job's numbers, for township staff. The CLI keeps its own English lines (summary_lines) for logs and
scripts; the numbers are the same ones."""
from __future__ import annotations

from ..i18n import tr
from ..layers import model


def result_lines(key: str, result) -> list:
    """The dialog's text for analysis ``key`` (exposure | evacuation | siting | warning); [] for an unknown
    result."""
    maker = {"exposure": _exposure, "evacuation": _evacuation, "siting": _siting, "warning": _warning}.get(key)
    try:
        return maker(result) if maker is not None else []
    except (AttributeError, KeyError, TypeError, ValueError):  # a result of another shape: say nothing wrong
        return []


def _n(x) -> str:
    return f"{float(x):,.0f}"


def _exposure(result) -> list:
    sources = {"raster": tr("人口格网"), "households": tr("住户点"), "villages": tr("村人口表（按面积）")}
    lines = [tr("共 {n} 个村，统计常住人口 {p} 人（人口来源：{source}）。").format(
        n=len(result.villages), p=_n(result.villages["population_total"].sum()),
        source=sources.get(str(result.source), str(result.source)))]
    by = result.exposed_by_hazard(2)
    parts = [f"{h.zh} {_n(by[h.key])}" for h in model.HAZARD_TYPES if h.key in by]
    if parts:
        lines.append(tr("住在高、中高风险区（1-2 级）的人口：{parts} 人。").format(parts="，".join(parts)))
    else:
        lines.append(tr("没有人住在高、中高风险区（1-2 级）。"))
    if result.warnings:
        lines.append(tr("另有 {n} 条提示，详见日志。").format(n=len(result.warnings)))
    return lines


def _evacuation(result) -> list:
    s = result.stats
    lines = [tr("须撤离 {h} 户 {p} 人；已安排到 {s} 个避难场所 {a} 户。").format(
        h=_n(s["households"]), p=_n(s["people"]), s=s["shelters_open"], a=_n(s["assigned_households"]))]
    if s["unserved_households"]:
        lines.append(tr("还有 {u} 户没有安置：{r} 户没有可走的路，{c} 户因避难场所容量不够。").format(
            u=_n(s["unserved_households"]), r=_n(s["no_route"]), c=_n(s["no_capacity"])))
    if s["assigned_people"]:
        lines.append(tr("平均每人步行 {m} 米；{v} 户超出避难场所的服务半径。").format(
            m=_n(s["total_person_m"] / max(s["assigned_people"], 1)), v=_n(s["standard_violations"])))
    errors = sum(1 for i in result.issues if i["severity"] == "error")
    if errors:
        lines.append(tr("有 {n} 处输入数据错误，见“分析结果”中的问题图层。").format(n=errors))
    return lines


def _siting(result) -> list:
    s = result.summary
    names = "、".join(x["name"] for x in s["new_sites"]) or tr("无")
    lines = [tr("保留现有储备点 {k} 个，建议新增 {n} 个：{names}。").format(
        k=s["n_existing_kept"], n=s["n_new"], names=names)]
    lines.append(tr("到储备点平均车程 {m} 分钟，最远 {w} 分钟。").format(
        m=f"{s['mean_minutes']:.0f}", w=f"{s['worst_minutes']:.0f}"))
    lines.append(tr("结果已是最优。") if s["optimal"] else tr("结果未证明最优（差距 {g}%），可延长求解时间。").format(
        g=f"{100 * s['gap']:.2g}"))
    chk = next(iter(s["reach_check"].values()), None)  # the county's own limit; the others are in the log
    if chk is not None:
        lines.append(tr("{zh} {h} 小时内可送达的人口：{share}%。").format(
            zh=chk["zh"], h=f"{chk['limit_h']:g}", share=f"{100 * chk['share']:.1f}"))
    return lines


def _warning(result) -> list:
    plan, s = result.plan, result.plan.stats
    if plan.warning.cancelled:
        return [tr("预警已解除，无需叫应；以前的叫应记录都保留着。")]
    lines = [tr("{title}：涉及 {t} 个乡镇 {v} 个村；须立即转移 {h} 户 {p} 人（有老弱病残的 {vul} 户），"
                "告知并做好转移准备 {tell} 户。").format(
        title=plan.warning.title(), t=s["townships"], v=s["villages"], h=_n(s["move_households"]),
        p=_n(s["move_people"]), vul=_n(s["move_vulnerable"]), tell=_n(s["tell_households"]))]
    if s["gaps"]:
        lines.append(tr("{n} 个村没有可叫应的责任人或电话，已列在名单最前：须乡镇派人上门通知。").format(n=s["gaps"]))
    lines.append(tr("共 {n} 个电话要打，其中户主 {heads} 个。").format(
        n=_n(s["calls"]), heads=_n(s.get("household_calls", 0))))
    if len(plan.shelters):
        lines.append(tr("开放 {n} 个避难场所，预计到达 {p} 人。").format(
            n=len(plan.shelters), p=_n(plan.shelters["expected"].sum())))
    elif s["move_households"]:
        lines.append(tr("没有可开放的避难场所：请乡镇另行安排安置点。"))
    sheets = [f for f in result.files if str(f).endswith(".pdf")]
    if sheets:
        lines.append(tr("已打印 {n} 份乡镇叫应单：{folder}").format(n=len(sheets), folder=sheets[0].parent))
    return lines
