"""Each notebook as a student meets it: JupyterLab 4 in a real Chromium, driven by Playwright.

A session fixture starts JupyterLab (with nbgrader's lab extension) from the project's
environment on a free loopback port with a token, over a scratch course folder. For every
assignment the test opens the release notebook filled with the reference answers, runs all
cells, saves, checks that no cell shows an error, moves a slider of the notebook's widget and
compares the picture's pixels before and after, and presses nbgrader's Validate button and
reads its verdict. Screenshots go to ``build/screenshots/<assignment>/``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import ASSIGNMENTS, ROOT, SCREENSHOTS, notebook_path

from course.grader import submissions

# pytest-xdist runs a module's plain test functions on one worker (--dist loadscope):
# one JupyterLab and one Chromium serve all of them.

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
LAB_SETTINGS = {
    # every cell stays in the page, so prompts and outputs of all cells can be read
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                     "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, root: Path, port: int, token: str, proc: subprocess.Popen, log: Path):
        self.root, self.port, self.token, self.proc, self.log = root, port, token, proc, log
        self.url = f"http://127.0.0.1:{port}"

    def notebook_url(self, relpath: str) -> str:
        # ?reset: start from an empty workspace, so the notebook of the previous test is not
        # restored beside this one
        return f"{self.url}/lab/tree/{relpath}?reset&token={self.token}"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `python3 tasks.py test` installs it as root"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("lab-course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    settings = tmp_path_factory.mktemp("lab-settings")
    for plugin, values in LAB_SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    bindir = Path(sys.executable).parent
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTER_RUNTIME_DIR=str(tmp_path_factory.mktemp("lab-runtime")),
               PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    cmd = [str(bindir / "jupyter-lab"), "--no-browser", f"--port={port}",
           "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('lab-workspaces')}",
           "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = root.parent / "jupyterlab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root,
                                stdin=subprocess.DEVNULL)
    server = Lab(root, port, token, proc, log)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
    yield server
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _changed_fraction(png_a: bytes, png_b: bytes) -> float:
    """Fraction of pixels that differ between two screenshots of the same element."""
    from PIL import Image, ImageChops

    a = Image.open(io.BytesIO(png_a)).convert("RGB")
    b = Image.open(io.BytesIO(png_b)).convert("RGB")
    if a.size != b.size:
        return 1.0
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 8 else 0)
    return sum(diff.histogram()[255:]) / (a.size[0] * a.size[1])


def _wait_all_executed(page, timeout: float = 180, stalled: float = 30) -> None:
    """Wait until every code cell shows an execution count ``[n]`` (none pending ``[*]``).

    On a loaded machine JupyterLab has been seen to run the first cell of a Run All and queue
    nothing more: if no cell is running or queued and some never ran for ``stalled`` seconds,
    Run All is asked again (the cells that ran give the same results again)."""
    deadline = time.monotonic() + timeout
    idle_since, reruns = None, 0
    while time.monotonic() < deadline:
        shown = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        prompts = [p.strip() for p in shown]
        if prompts and all(p.startswith("[") and p[1:-2].isdigit() for p in prompts):
            return
        if "[*]:" in prompts or "[ ]:" not in prompts:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > stalled and reruns < 2:
            _menu(page, "Run", "Run All Cells")
            idle_since, reruns = None, reruns + 1
        time.sleep(0.5)
    raise AssertionError(f"not every cell ran within {timeout:.0f} s ({reruns} Run All asked "
                         f"again): prompts {prompts}")


# True once the notebook in front has a kernel that JupyterLab's page is connected to and that
# is idle: a Run All asked before that can be dropped or answered with "Select Kernel" dialogs
# (one per cell).  ``window.jupyterapp`` is there because the server runs with
# ``--LabApp.expose_app_in_browser``.
KERNEL_READY = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const session = panel && panel.sessionContext && panel.sessionContext.session;
    const kernel = session && session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


def _kernel_ready(page) -> bool:
    return bool(page.evaluate(KERNEL_READY))


def _wait_kernel_ready(page, timeout: float = 120) -> None:
    """Wait until the notebook's kernel is connected and idle, answering "Select Kernel"."""
    deadline = time.monotonic() + timeout
    while not _kernel_ready(page):
        if time.monotonic() > deadline:
            raise AssertionError(f"the notebook's kernel was not connected and idle within "
                                 f"{timeout:.0f} s")
        _accept_kernel_dialog(page)
        page.wait_for_timeout(250)


def _accept_kernel_dialog(page, timeout: float = 120) -> None:
    """Answer every "Select Kernel" dialog JupyterLab shows.

    On a loaded machine a kernel can take long enough to start that JupyterLab asks which
    kernel to start, and a Run All asked meanwhile queues one dialog per cell; a modal dialog
    takes every click meant for the notebook. While the page has no kernel the default
    (Python 3) is accepted; once it has one, the dialog is cancelled, which keeps that kernel
    (accepting would start yet another)."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    deadline = time.monotonic() + timeout
    while dialog.count() and dialog.first.is_visible():
        assert time.monotonic() < deadline, "JupyterLab kept asking which kernel to start"
        button = ".jp-mod-reject" if _kernel_ready(page) else ".jp-mod-accept"
        dialog.first.locator(f".jp-Dialog-button{button}").click()
        page.wait_for_timeout(500)


def _menu(page, menu: str, item: str) -> None:
    """Click ``menu`` in the menu bar, then its enabled entry ``item``."""
    _accept_kernel_dialog(page)
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    entry = page.locator(".lm-Menu-item:not(.lm-mod-disabled)", has_text=item).first
    entry.wait_for(timeout=30_000)
    entry.click()


def _run_all(page, attempts: int = 3) -> None:
    """Run All Cells; again if no cell has started after 30 s.

    On the first notebook of a fresh JupyterLab the kernel can show "idle" before it is
    connected, and a Run All issued then executes nothing.
    """
    for _ in range(attempts):
        _menu(page, "Run", "Run All Cells")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
            if any(p.strip() != "[ ]:" for p in prompts):
                return
            time.sleep(0.5)
    raise AssertionError(f"Run All Cells started no cell in {attempts} attempts")


def _move_first_slider(page, box, image, before: bytes) -> float:
    """Move the widget's first slider (right, or left if it sits at its end); return the
    fraction of the picture's pixels that changed."""
    handle = box.locator(".noUi-handle, input[type=range]").first
    fraction = 0.0
    for key in ("ArrowRight", "ArrowLeft"):
        handle.focus()
        for _ in range(15):
            page.keyboard.press(key)
        deadline = time.monotonic() + 15
        while fraction < 0.005 and time.monotonic() < deadline:
            time.sleep(0.3)
            fraction = _changed_fraction(before, image.screenshot())
        if fraction >= 0.005:
            break
    return fraction


def _saved_notebook(page, path, seconds=60):
    """The notebook as JupyterLab saved it, with its outputs. JupyterLab's tab loses its
    ``jp-mod-dirty`` mark when the save is answered; the server writes the file in place, so a
    read may still catch it half written: such a read is tried again, never taken as the file."""
    page.wait_for_function(
        "() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
        timeout=seconds * 1000)
    deadline = time.monotonic() + seconds
    problem = "no outputs were saved"
    while time.monotonic() < deadline:
        try:
            saved = nbformat.read(str(path), as_version=4)
        except ValueError as exc:  # caught mid-write (JSONDecodeError, NotJSONError)
            problem = f"the saved file did not parse: {exc}"
        else:
            if any(c.get("outputs") for c in saved.cells if c.cell_type == "code"):
                return saved
        time.sleep(0.5)
    pytest.fail(f"JupyterLab's save of {path.name} never arrived whole: {problem}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_runs_and_its_widget_redraws_in_jupyterlab(lab, browser, assignment):
    shots = SCREENSHOTS / assignment
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    release = submissions.read(notebook_path(ROOT / "release", assignment))
    source = submissions.read(notebook_path(ROOT / "source", assignment))
    path = notebook_path(lab.root, assignment)
    submissions.write(submissions.reference_submission(release, source), path)
    n_code = sum(c.cell_type == "code" for c in release.cells)

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    try:
        page.goto(lab.notebook_url(f"{assignment}/{assignment}.ipynb"))
        page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=90_000)
        _wait_kernel_ready(page)
        _run_all(page)
        _wait_all_executed(page)
        assert page.locator(".jp-CodeCell").count() == n_code

        # what the student sees: no error or warning output anywhere
        shown = page.locator(".jp-OutputArea-output[data-mime-type="
                             "'application/vnd.jupyter.stderr']").all_inner_texts()
        assert not shown, f"cells show errors or warnings in JupyterLab: {shown[:3]}"
        _menu(page, "File", "Save Notebook")
        saved = _saved_notebook(page, path)
        for cell in saved.cells:
            for out in cell.get("outputs", []):
                assert out.output_type != "error", f"{cell.id}: {out.ename}: {out.evalue}"
                assert not (out.output_type == "stream" and out.name == "stderr"), (
                    f"{cell.id} wrote to stderr: {out.text[:300]}")

        # the widget: drawn, and redrawn when a slider moves (an ipywidgets box with a slider
        # and a picture, or else the live playground, whose picture is a canvas)
        boxes = page.locator(".jp-OutputArea-output .widget-vbox:has(.widget-slider):has(img)")
        if not boxes.count():
            boxes = page.locator(".jp-OutputArea-output .course-live")
        assert boxes.count() >= 1, f"{assignment}: no widget with a slider and a picture"
        box = boxes.first
        box.scroll_into_view_if_needed()
        if "course-live" in (box.get_attribute("class") or ""):
            image = box.locator("canvas.cl-boundary")
            _wait_live(box, lambda s: s.get("frames", 0) >= 1, "drew no picture")
        else:
            image = box.locator("img").first
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=image.element_handle(), timeout=30_000)
        box.screenshot(path=str(shots / "widget-before.png"))
        before = image.screenshot()
        fraction = _move_first_slider(page, box, image, before)
        box.screenshot(path=str(shots / "widget-after.png"))
        assert fraction >= 0.005, (
            f"moving the slider changed {fraction:.2%} of the picture's pixels")

        # nbgrader's Validate button, as a student presses it before submitting
        page.get_by_role("button", name="Validate").first.click()
        dialog = page.locator(".jp-Dialog-content", has_text="Validation Results")
        dialog.wait_for(timeout=180_000)
        page.wait_for_function(
            "el => !el.innerText.includes('Validating')", arg=dialog.element_handle(),
            timeout=180_000)
        verdict = dialog.inner_text()
        dialog.screenshot(path=str(shots / "validate.png"))
        assert "Success! Your notebook passes all the tests." in verdict, verdict
        page.keyboard.press("Escape")
        box.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "notebook.png"))
    except Exception:
        page.screenshot(path=str(shots / "failure.png"))
        raise
    finally:
        page.close()
    assert not page_errors, f"JavaScript errors in the page: {page_errors[:3]}"


# -- the live playground (course.live): drawn by the browser from the kernel's parameters ----

LIVE_FUNCTIONS = ("softmax", "init_params", "forward", "backward", "sgd_step")


def _reference_network_source() -> str:
    """Notebook 06's reference ``softmax, init_params, forward, backward, sgd_step``, as code."""
    source = submissions.read(notebook_path(ROOT / "source", "06-backprop"))
    out = []
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if grade_id in LIVE_FUNCTIONS or grade_id == "softmax_from_05":
            out.append(submissions.strip_solution(cell.source))
    return "\n\n".join(out)


def _live_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(code) for code in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def _open_and_run(lab, browser, relpath: str):
    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(lab.notebook_url(relpath))
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=90_000)
    _wait_kernel_ready(page)
    for attempt in range(2):
        _run_all(page)
        try:
            _wait_all_executed(page, timeout=90)
            break
        except AssertionError:  # a fresh kernel can drop a Run All after its first cell
            if attempt:
                raise
    return page, errors


@contextlib.contextmanager
def _live_page(lab, browser, name: str, cells: list[str]):
    """Write ``cells`` as ``live/<name>.ipynb``, open it in JupyterLab and run it; yield the
    page and its first live playground, scrolled into view. A failing block leaves a
    screenshot of the page (``failure-<name>.png``); the page is closed after, and a
    JavaScript error in it fails the test."""
    shots = SCREENSHOTS / "live-playground"
    shots.mkdir(parents=True, exist_ok=True)
    _live_notebook(lab.root / "live" / f"{name}.ipynb", cells)
    page, errors = _open_and_run(lab, browser, f"live/{name}.ipynb")
    try:
        widget = page.locator(".course-live").first
        widget.scroll_into_view_if_needed()
        yield page, widget
    except Exception:
        page.screenshot(path=str(shots / f"failure-{name}.png"))
        raise
    finally:
        page.close()
    assert not errors, f"JavaScript errors in the page: {errors[:3]}"


def _live_stats(widget) -> dict:
    return widget.evaluate("el => Object.assign({}, el.courseLive || {})")


def _wait_live(widget, predicate, what: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    stats = _live_stats(widget)
    while not predicate(stats):
        if time.monotonic() > deadline:
            raise AssertionError(f"the live playground {what} within {timeout:.0f} s: {stats}")
        time.sleep(0.2)
        stats = _live_stats(widget)
    return stats


def _run_cell(page, index: int) -> str:
    """Run the code cell ``index`` (Shift+Enter) and return its output's text when done."""
    cell = page.locator(".jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        prompt = cell.locator(".jp-InputPrompt").inner_text().strip()
        if prompt[1:-2].isdigit():
            return cell.locator(".jp-OutputArea").inner_text()
        time.sleep(0.2)
    raise AssertionError(f"cell {index} did not finish in 60 s")


def test_live_playground_plays_and_a_click_adds_a_point(lab, browser):
    shots = SCREENSHOTS / "live-playground"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with _live_page(lab, browser, "live", [
        "import numpy as np\nfrom course import live\n\n" + _reference_network_source(),
        "pg = live.live_playground(init_params, forward, backward, sgd_step, "
        "dataset='two spirals', hidden=16)\npg",
    ]) as (page, widget):
        canvas = widget.locator("canvas.cl-boundary")
        _wait_live(widget, lambda s: s.get("updates", 0) >= 1 and s.get("frames", 0) >= 1,
                   "drew no first picture")
        before = canvas.screenshot()
        widget.locator("button.cl-play").click()
        stats = _wait_live(widget, lambda s: s.get("steps", 0) >= 100,
                           "trained fewer than 100 steps", timeout=60)
        widget.locator("button.cl-pause").click()
        time.sleep(1.0)
        assert stats["frames"] >= 10, f"the browser drew only {stats['frames']} frames"
        assert stats["probes"] >= 1, "the browser sent no probe of its outputs to the kernel"
        widget.screenshot(path=str(shots / "played.png"))
        played = canvas.screenshot()
        changed = _changed_fraction(before, played)
        assert changed >= 0.05, f"playing changed only {changed:.2%} of the boundary's pixels"
        assert not widget.locator(".cl-warning").is_visible(), (
            "the reference forward disagrees with the browser's: "
            + widget.locator(".cl-warning").inner_text())

        # clicks add training points (shift-click: class 1) where they land
        status = widget.locator(".cl-status")
        assert "200 points" in status.inner_text(), status.inner_text()
        box = canvas.bounding_box()
        for dx in (0.0, 8.0, 16.0):
            page.mouse.click(box["x"] + 0.2 * box["width"] + dx, box["y"] + 0.2 * box["height"])
        page.keyboard.down("Shift")
        page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.8 * box["height"])
        page.keyboard.up("Shift")
        deadline = time.monotonic() + 20
        while "204 points" not in status.inner_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "204 points" in status.inner_text(), (
            f"four clicks did not add four training points: {status.inner_text()}")
        time.sleep(0.5)
        clicked = canvas.screenshot()
        assert _changed_fraction(played, clicked) > 0, "the added points are not drawn"
        for _ in range(30):
            widget.locator("button.cl-step").click()
        _wait_live(widget, lambda s: s.get("steps", 0) >= stats["steps"] + 30,
                   "did not take 30 steps after the clicks")
        time.sleep(0.5)
        trained = canvas.screenshot()
        widget.screenshot(path=str(shots / "clicked-and-stepped.png"))
        changed = _changed_fraction(clicked, trained)
        assert changed >= 0.005, (
            f"30 steps with the new points changed only {changed:.2%} of the boundary's pixels")


def test_live_playground_warns_and_falls_back_when_forward_is_not_its_network(lab, browser):
    leaky = ("def forward(params, F):  # leaky ReLU: not the network the browser draws\n"
             "    k = F @ params['H'] + params['b_H']\n"
             "    h = np.where(k >= 0, k, 0.2 * k)\n"
             "    z = h @ params['U'] + params['b_U']\n"
             "    o = softmax(z)\n"
             "    return o, {'F': F, 'k': k, 'h': h, 'z': z, 'o': o}\n")
    with _live_page(lab, browser, "leaky", [
        "import numpy as np\nfrom course import live\n\n" + _reference_network_source(),
        leaky,
        "pg = live.live_playground(init_params, forward, backward, sgd_step, dataset='XOR')\npg",
    ]) as (_page, widget):
        warning = widget.locator(".cl-warning")
        warning.wait_for(state="visible", timeout=30_000)
        assert "did not match your forward" in warning.inner_text(), warning.inner_text()
        widget.locator("button.cl-play").click()
        _wait_live(widget, lambda s: s.get("kernelFrames", 0) >= 5 and s.get("steps", 0) >= 5,
                   "showed no frames that the kernel drew while training, after the warning")
        widget.locator("button.cl-pause").click()
        widget.screenshot(path=str(SCREENSHOTS / "live-playground" / "fallback.png"))


def test_live_playground_benchmark_prints_frame_rates(lab, browser):
    """Print (never assert on time) frames drawn and updates received per second over 10 s of
    training, and the kernel's CPU per step, for the live playground and for today's PNG
    playground (course.playground) in the same JupyterLab."""
    seconds = 10.0
    with _live_page(lab, browser, "bench", [
        "import json, time\nimport numpy as np\nfrom course import live, playground\n\n"
        + _reference_network_source(),
        "pg = live.live_playground(init_params, forward, backward, sgd_step, "
        "dataset='two spirals', hidden=16)\npg",
        "old = playground.training_playground(init_params, forward, backward, sgd_step)\nold",
        "mark = (time.process_time(), pg.step_count, old.step_count)",
        "print(json.dumps({'cpu': time.process_time() - mark[0], "
        "'live_steps': pg.step_count - mark[1], 'old_steps': old.step_count - mark[2]}))",
    ]) as (page, widget):

        def kernel_window(start):
            _run_cell(page, 3)
            start()
            time.sleep(seconds)
            out = _run_cell(page, 4)
            return json.loads(out.strip().splitlines()[-1])

        _wait_live(widget, lambda s: s.get("frames", 0) >= 1, "drew no first picture")
        idle = [_live_stats(widget)["callbacks"]]
        time.sleep(3.0)  # paused: how often does this page get an animation frame at all?
        idle.append(_live_stats(widget)["callbacks"])
        widget.locator("button.cl-play").click()
        time.sleep(2.0)  # warm up
        live_before = {}
        kernel = kernel_window(lambda: live_before.update(_live_stats(widget)))
        live_after = _live_stats(widget)
        widget.locator("button.cl-pause").click()
        span = seconds  # the browser's counters span the same window, give or take a cell
        live = {"frames": (live_after["frames"] - live_before["frames"]) / span,
                "updates": (live_after["updates"] - live_before["updates"]) / span,
                "steps": (live_after["steps"] - live_before["steps"]) / span,
                "shown": (live_after["shown"] - live_before["shown"]) / span,
                "kernel_ms": 1000 * kernel["cpu"] / max(1, kernel["live_steps"]),
                "handler_ms": live_after.get("cpuMs"),
                "idle": (idle[1] - idle[0]) / 3.0,
                "js_ms": (live_after["evalMs"] + live_after["drawMs"] - live_before["evalMs"]
                          - live_before["drawMs"]) / max(1, live_after["frames"]
                                                         - live_before["frames"])}
        assert live_after["steps"] > live_before["steps"], "the live playground did not train"

        old_box = page.locator(".jp-OutputArea-output .widget-vbox:has(.widget-slider):has(img)")
        old_box = old_box.first
        old_box.scroll_into_view_if_needed()
        old_box.locator("img").first.evaluate(
            "img => { window.oldFrames = 0; new MutationObserver(() => window.oldFrames++)"
            ".observe(img, {attributes: true, attributeFilter: ['src']}); }")
        old_box.get_by_role("button", name="Play").click()
        time.sleep(2.0)
        marks = {}
        kernel_old = kernel_window(lambda: marks.update(
            before=page.evaluate("() => window.oldFrames")))
        shown = page.evaluate("() => window.oldFrames") - marks["before"]
        old_box.get_by_role("button", name="Pause").click()
        old = {"frames": shown / seconds, "steps": kernel_old["old_steps"] / seconds,
               "kernel_ms": 1000 * kernel_old["cpu"] / max(1, kernel_old["old_steps"])}
    print(f"\nlive playground (course.live), two spirals, 16 hidden units, {seconds:.0f} s:"
          f"\n  frames drawn per second in Chromium  {live['frames']:.1f}"
          f" (animation frames the page gets when paused: {live['idle']:.1f} per s;"
          f" the widget's own JS: {live['js_ms']:.2f} ms per frame drawn)"
          f"\n  parameter updates received per s    {live['updates']:.1f}"
          f"\n  training steps per second           {live['steps']:.1f}"
          f"\n  training states drawn per second    {live['shown']:.1f}"
          f"\n  kernel CPU per step (whole process) {live['kernel_ms']:.2f} ms"
          f" (in the widget's handler: {live['handler_ms']:.2f} ms)"
          f"\nPNG playground (course.playground), same data and network, {seconds:.0f} s:"
          f"\n  frames shown per second             {old['frames']:.1f}"
          f"\n  training steps per second           {old['steps']:.1f}"
          f"\n  kernel CPU per step (whole process) {old['kernel_ms']:.2f} ms")


def test_live_playground_draws_05s_linear_softmax_classifier(lab, browser):
    """05's multiclass view: its own cell, on the reference softmax and cross_entropy_grad."""
    import ast

    source = submissions.read(notebook_path(ROOT / "source", "05-softmax-cross-entropy"))
    cells = ["import numpy as np\nfrom course import live"]
    for cell in source.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") in ("softmax", "log_softmax", "one_hot", "cross_entropy_grad"):
            cells.append(submissions.strip_solution(cell.source))
        elif cell.cell_type == "code" and "def chain_rule_through_linear" in cell.source:
            tree = ast.parse(cell.source)
            cells.append("\n\n".join(ast.get_source_segment(cell.source, node)
                                     for node in tree.body if isinstance(node, ast.FunctionDef)
                                     and node.name == "chain_rule_through_linear"))
        elif cell.cell_type == "code" and "live.live_playground(" in cell.source:
            cells.append(cell.source)
    assert len(cells) == 7, f"05's live cell or the functions it uses were not found: {cells}"
    with _live_page(lab, browser, "linear", cells) as (_page, widget):
        _wait_live(widget, lambda s: s.get("frames", 0) >= 1, "drew no first picture")
        before = widget.locator("canvas.cl-boundary").screenshot()
        widget.locator("button.cl-play").click()
        _wait_live(widget, lambda s: s.get("shown", 0) >= 60 and s.get("probes", 0) >= 2,
                   "drew fewer than 60 updates or sent fewer than 2 probes", timeout=60)
        widget.locator("button.cl-pause").click()
        time.sleep(1.0)
        after = widget.locator("canvas.cl-boundary").screenshot()
        widget.screenshot(path=str(SCREENSHOTS / "live-playground" / "linear-05.png"))
        assert not widget.locator(".cl-warning").is_visible(), (
            "05's linear forward disagrees with the browser's: "
            + widget.locator(".cl-warning").inner_text())
        changed = _changed_fraction(before, after)
        assert changed >= 0.05, f"training changed only {changed:.2%} of the boundary's pixels"
        assert "accuracy" in widget.locator(".cl-status").inner_text()
