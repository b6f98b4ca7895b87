"""The sandbox's control group, on fake cgroup trees (no root, no bubblewrap needed) and, where
the machine offers one, on the real one."""

from __future__ import annotations

import subprocess

import pytest

from course.grader import cgroup

LIMITS = cgroup.Limits(memory_bytes=512 * 2**20, cpus=0.5, pids=72)


def _v2_tree(tmp_path, enabled=""):
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    (tmp_path / "grader").mkdir()
    (tmp_path / "grader" / "cgroup.subtree_control").write_text(enabled)
    proc = tmp_path / "self-cgroup"
    proc.write_text("0::/grader\n")
    return proc


def test_v2_group_gets_every_limit_and_enables_its_controllers(tmp_path):
    proc = _v2_tree(tmp_path)
    group = cgroup.Cgroup(LIMITS, name="k", root=tmp_path, proc=proc)
    assert group.create() == [tmp_path / "grader" / "k" / "cgroup.procs"]
    folder = tmp_path / "grader" / "k"
    assert (folder / "memory.max").read_text() == str(512 * 2**20)
    assert (folder / "cpu.max").read_text() == "50000 100000"
    assert (folder / "pids.max").read_text() == "72"
    assert (tmp_path / "grader" / "cgroup.subtree_control").read_text() == \
        "+memory +cpu +pids"


def test_v1_group_is_made_in_each_controllers_hierarchy(tmp_path):
    proc = tmp_path / "self-cgroup"
    proc.write_text("4:memory:/box\n1:cpu,cpuacct:/\n8:pids:/\n")
    for folder in ("memory/box", "cpu", "pids"):
        (tmp_path / folder).mkdir(parents=True)
    group = cgroup.Cgroup(LIMITS, name="k", root=tmp_path, proc=proc)
    procs = group.create()
    assert procs == [tmp_path / "memory/box/k/cgroup.procs", tmp_path / "cpu/k/cgroup.procs",
                     tmp_path / "pids/k/cgroup.procs"]
    assert (tmp_path / "memory/box/k/memory.limit_in_bytes").read_text() == str(512 * 2**20)
    assert not (tmp_path / "memory/box/k/memory.memsw.limit_in_bytes").exists()
    assert (tmp_path / "cpu/k/cpu.cfs_quota_us").read_text() == "50000"
    assert (tmp_path / "pids/k/pids.max").read_text() == "72"


def test_no_cgroup_file_system_is_a_clear_error(tmp_path):
    proc = tmp_path / "self-cgroup"
    proc.write_text("0::/\n")  # a v2 line, but no cgroup.controllers under the root
    group = cgroup.Cgroup(LIMITS, root=tmp_path, proc=proc)
    with pytest.raises(cgroup.CgroupUnavailable, match="no memory controller"):
        group.create()
    assert group.folders == []
    ok, why = cgroup.available(tmp_path / "nowhere")
    assert not ok and why


def test_join_command_joins_before_it_execs_and_fails_if_it_cannot(tmp_path):
    procs = [tmp_path / "a.procs", tmp_path / "b.procs"]
    out = subprocess.run(cgroup.join_command(procs, ["/bin/sh", "-c", "echo $$"]),
                         capture_output=True, text=True, check=True).stdout.strip()
    assert [p.read_text().strip() for p in procs] == [out, out]  # the same process, exec'd
    bad = subprocess.run(cgroup.join_command([tmp_path / "no" / "such"], ["true"]),
                         capture_output=True, text=True)
    assert bad.returncode == 70


@pytest.mark.skipif(not cgroup.available()[0], reason="no control groups on this machine")
def test_a_real_group_bounds_memory_outside_the_address_space():
    """A process writing memfd files past the group's memory bound is killed."""
    group = cgroup.Cgroup(cgroup.Limits(memory_bytes=64 * 2**20))
    procs = group.create()
    try:
        code = ("import os\nfd = os.memfd_create('x')\n"
                "for _ in range(32):\n    os.write(fd, b'x' * 2**22)\nprint('held 128 MiB')")
        proc = subprocess.run(cgroup.join_command(procs, ["python3", "-c", code]),
                              capture_output=True, text=True)
        assert proc.returncode == -9 and "held" not in proc.stdout, proc
    finally:
        group.remove()
    assert group.folders == []
