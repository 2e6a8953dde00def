"""The printed role cards (应急处置卡): A4 sheets of two A5 cards each, to cut along the dashed line.

A card: the role and the holder's name and phone in a coloured band; the steps for a blue/yellow warning on the
left and for an orange/red warning on the right; the danger signs of the village's hazards; who to call; the
holder's own households. A role nobody holds gets a card with the name left as a gap to fill in.
"""
from __future__ import annotations

from pathlib import Path

from . import plan_pages as pp
from ..layers import model

CARDS_PER_PAGE = 2
BAND = {"head": "#8b0000", "grid": "#1e64c8", "monitor": "#b35900", "shelter": "#1a9641", "helper": "#6a3d9a"}


def cards_pdf(cards, plan, path: Path, footer: str) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    font = pp.font()
    flow = pp.Flow(f"{plan.name}应急处置卡", footer, font)
    flow.figs = []  # cards fill their own halves, not the flow's page
    for start in range(0, max(1, len(cards)), CARDS_PER_PAGE):
        fig = Figure(figsize=pp.A4)
        FigureCanvasAgg(fig)
        flow.figs.append(fig)
        fig.add_artist(Line2D([0.02, 0.98], [0.5, 0.5], transform=fig.transFigure, color="#888888", lw=0.6,
                              ls=(0, (6, 4))))
        fig.text(0.02, 0.503, "沿虚线剪开", fontproperties=font, fontsize=6.5, color="#888888")
        for k, card in enumerate(cards[start:start + CARDS_PER_PAGE]):
            _card(fig, card, font, top=0.985 - 0.5 * k)
    return flow.save(path, f"{plan.name}应急处置卡")


def _card(fig, card, font, top: float) -> None:
    from matplotlib.patches import Rectangle
    colour = BAND.get(card.role_key, "#444444")
    x0, x1, bottom = 0.05, 0.95, top - 0.445  # above the page footer
    fig.patches.append(Rectangle((x0, top - 0.04), x1 - x0, 0.04, transform=fig.transFigure, facecolor=colour,
                                 edgecolor="none"))
    fig.patches.append(Rectangle((x0, bottom), x1 - x0, top - bottom, transform=fig.transFigure, facecolor="none",
                                 edgecolor=colour, lw=1.2))
    who = f"{card.role} {card.name} {card.phone}".strip() if card.name else f"{card.role} 【待补：姓名、电话】"
    fig.text(x0 + 0.012, top - 0.027, f"{card.title}   {card.village}", fontproperties=font, fontsize=12,
             color="white", weight="bold")
    fig.text(x1 - 0.012, top - 0.027, who, fontproperties=font, fontsize=10.5, color="white", ha="right")
    mid = (x0 + x1) / 2
    for k, (title, steps) in enumerate(card.steps.items()):
        box = pp.Box(fig, (x0 if k == 0 else mid) + 0.012, bottom + 0.15, (mid if k == 0 else x1) - 0.012,
                     top - 0.05, font)
        level = model.WARNING_COLOURS[3 if k == 0 else 1]
        box.text(title, size=11, bold=True, color=level if k else "#8a6d00")
        box.space(3)
        for n, step in enumerate(steps, 1):
            box.text(f"{n}. {step}", size=10)
            box.space(2)
    box = pp.Box(fig, x0 + 0.012, bottom + 0.008, x1 - 0.012, bottom + 0.15, font)
    for sign in card.signs:
        box.text(f"！{sign}", size=8.5, color="#8b0000")
    if card.contacts:
        box.text("联系：" + "；".join(f"{role}{name} {phone}".strip() for role, name, phone in card.contacts[:4]),
                 size=8.5)
    if card.households:
        box.text("我负责：" + "；".join(card.households), size=8.5)
