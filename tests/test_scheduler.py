"""tests/conftest.py's xdist scheduler: every test sent once, groups whole, ungrouped tests in short runs of one
module, single tests at the end."""

from __future__ import annotations

import types
from typing import Any

import pytest

pytest.importorskip("xdist.scheduler", reason="pytest-xdist is not installed")

from conftest import UNIT, pytest_xdist_make_scheduler  # noqa: E402


class Node:
    """A worker as the scheduler sees it: it is sent test indexes and may be shut down."""

    def __init__(self, name: str) -> None:
        self.gateway = types.SimpleNamespace(id=name)
        self.sent: list[list[int]] = []
        self.queue: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.append(list(indexes))
        self.queue += indexes

    def shutdown(self) -> None:
        self.shutting_down = True


def _config(workers: int) -> Any:
    option = types.SimpleNamespace(loadscopereorder=True)
    values = {"dist": "loadgroup", "tx": [f"{workers}*popen"]}
    return types.SimpleNamespace(getvalue=values.__getitem__, option=option)


COLLECTION = ([f"tests/test_a.py::test_x[{i}]" for i in range(400)] + ["tests/test_b.py::test_y"]
              + [f"tests/test_c.py::test_z[{i}]@shared" for i in range(9)]
              + [f"tests/test_d.py::test_w[{i}]" for i in range(3)]
              + [f"tests/test_e.py::test_v[{i}]@other" for i in range(4)] + [f"tests/test_f.py::test_u[{i}]" for i in range(40)])


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_every_test_is_sent_once_in_runs_of_one_module(workers: int) -> None:
    quiet = types.SimpleNamespace(loadscopesched=lambda *_: None, loadgroupsched=lambda *_: None)
    scheduler = pytest_xdist_make_scheduler(_config(workers), quiet)
    nodes = [Node(f"gw{i}") for i in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
    for node in nodes:
        scheduler.add_node_collection(node, COLLECTION)
    scheduler.schedule()
    turn = 0
    while any(node.queue for node in nodes):  # the workers take turns finishing their next test
        node = nodes[turn % workers]
        turn += 1
        if node.queue:
            scheduler.mark_test_complete(node, node.queue.pop(0))
    sends = [batch for node in nodes for batch in node.sent]
    assert sorted(i for batch in sends for i in batch) == list(range(len(COLLECTION)))
    assert all(node.shutting_down for node in nodes)
    for batch in sends:
        ids = [COLLECTION[i] for i in batch]
        groups = {nodeid.rsplit("@", 1)[1] for nodeid in ids if "@" in nodeid}
        if groups:  # a group goes whole, alone
            (group,) = groups
            assert sorted(ids) == sorted(n for n in COLLECTION if n.endswith("@" + group))
        else:
            assert len(ids) <= UNIT and len({nodeid.split("::")[0] for nodeid in ids}) == 1
    assert max(len(batch) for batch in sends if "@" not in COLLECTION[batch[0]]) == UNIT
    last = [batch for node in nodes for batch in node.sent[-1:]]
    assert all(len(batch) == 1 for batch in last)  # the queue ends in single tests
