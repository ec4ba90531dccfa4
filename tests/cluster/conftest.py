import os

import pytest

from .harness import Cluster, missing_tools


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.cluster_failed = True
    return report


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    missing = missing_tools()
    if missing:
        message = f"not installed: {', '.join(missing)}"
        if os.environ.get("ALTAVOZ_REQUIRE_CLUSTER"):  # make cluster-check: fail, never skip
            pytest.fail(message)
        pytest.skip(message)
    cluster = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
    except BaseException:
        print(cluster.report())
        cluster.stop()
        raise
    yield cluster
    cluster.stop()


@pytest.fixture(autouse=True)
def logs_on_failure(request):
    """A failed test prints the tail of every process's log (and the cluster goes on)."""
    yield
    if getattr(request.node, "cluster_failed", False) and "cluster" in request.fixturenames:
        print(request.getfixturevalue("cluster").report())
