"""``newsdex serve`` under load while ``newsdex index`` commits (``benchmarks.serve_load``,
made small): no failed request, every answer some commit's, none older than the last
commit made before the request. No timing is checked here: figures are the benchmark's."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import serve_load


@pytest.mark.load
def test_sixteen_clients_while_two_index_runs_commit_get_only_fresh_right_answers(
    bbc_news: Path, tmp_path: Path
) -> None:
    found = serve_load.run(
        tmp_path,
        pages=300,
        clients=16,
        seconds=10,
        runs=2,
        extra=50,
        requests=2000,
        source=bbc_news,
    )
    assert found["requests"] > 0
    assert (found["failed"], found["wrong"], found["stale"]) == (0, 0, 0), found["examples"]
    assert all(changed > 0 for changed in found["requests_changed_by_each_commit"])
    assert found["answers_only_of_each_commit"][0] > 0  # the old commit was asked, and
    assert sum(found["answers_only_of_each_commit"][1:]) > 0  # the new ones too
    assert found["server_exit_status"] == 0
