"""The 叫应 roster: who answers the phone for each village when a warning comes.

Every village has a party secretary (村支书) and grid workers (网格员, one per ~120 households); villages with a
geohazard get a monitor (地灾群测群防员) per hazard point, villages with houses in high flood zones a flash-flood
warner (山洪预警员), and every shelter a manager (避灾场所管理员). Whoever is named on a hazard point, a low spot or a
shelter is a row here, so the village sheet and the roster agree.

Phone numbers are obviously fake: 13x-0000-nnnn (digits 4-7 are zeros), issued in order, never repeated.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import names

FAKE_PHONE_PATTERN = r"^13\d0000\d{4}$"
HEAD_PHONE_PATTERN = r"^1[5-9]\d0000\d{4}$"  # household heads': 15x, 16x, ... (the roster keeps 13x)
_PREFIXES = (8, 9, 7, 6, 5, 3, 2, 1, 0, 4)  # 1380000xxxx first, then 1390000xxxx, ...


class Roster:
    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._rows: list = []
        self._by_role: dict = {}

    def fake_phone(self) -> str:
        k = len(self._rows)
        prefix = _PREFIXES[(k // 10000) % len(_PREFIXES)]
        return f"13{prefix}0000{k % 10000:04d}"

    def add(self, village_code: str, role: str, duty: str) -> tuple:
        """Name a new person; return (name, phone)."""
        name, phone = names.person_name(self._rng), self.fake_phone()
        self._rows.append({"village_code": village_code, "name": name, "role": role, "phone": phone, "duty": duty})
        self._by_role.setdefault((village_code, role), []).append((name, phone))
        return name, phone

    def first(self, village_code: str, role: str):
        found = self._by_role.get((village_code, role))
        return found[0] if found else None

    def add_village_officials(self, villages: pd.DataFrame) -> None:
        """村支书 and 网格员 for every village (社区: the community party secretary and its grid workers)."""
        for code, name, households in villages[["code", "name", "households"]].itertuples(index=False):
            whole = "全社区" if name.endswith("社区") else "全村"
            self.add(code, "村支书", f"{name}防灾减灾第一责任人：接收预警后5分钟内叫应，组织{whole}转移避险")
            n_grid = max(1, int(np.ceil(households / 120.0)))
            per = int(np.ceil(households / n_grid))
            for g in range(1, n_grid + 1):
                self.add(code, "网格员", f"第{g}网格（约{per}户）预警传达、入户叫应，负责老弱病残转移")

    def frame(self) -> pd.DataFrame:
        if len(self._rows) > 10000 * len(_PREFIXES):
            raise ValueError("more persons than fake phone numbers")
        return pd.DataFrame(self._rows, columns=["village_code", "name", "role", "phone", "duty"])


def add_household_heads(households: pd.DataFrame, rng: np.random.Generator) -> None:
    """户主 and 户主电话 for every household (in place): the grid worker calls them when a warning comes. Fake
    numbers 1[5-9]x-0000-nnnn in order, never repeated, never a roster number."""
    n = len(households)
    if n > 500000:
        raise ValueError("more households than fake phone numbers")
    households["head_name"] = names.person_names(rng, n)
    k = np.arange(n)
    households["head_phone"] = [f"1{5 + i // 100000}{(i // 10000) % 10}0000{i % 10000:04d}" for i in k]
