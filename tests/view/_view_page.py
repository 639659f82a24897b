"""Helpers to drive the viewer page in Chromium: wait for states, voxel positions, screenshots, strokes."""

from __future__ import annotations

import io
import time

import numpy as np


def wait_state(driver, *states, timeout: float = 30.0) -> str:
    """Wait until ``document.body.dataset.state`` is one of ``states``; return it."""
    end = time.monotonic() + timeout
    state = None
    while time.monotonic() < end:
        state = driver.execute_script("return document.body.dataset.state || ''")
        if state in states:
            return state
        time.sleep(0.1)
    message = driver.execute_script("return document.getElementById('message').textContent")
    raise AssertionError(f"page state {state!r}, expected one of {states}; message: {message!r}")


def open_page(driver, server) -> None:
    """Load the page and wait for the first subject to be shown."""
    driver.get(server.url)
    wait_state(driver, "ready")


def canvas_rgb(driver) -> np.ndarray:
    """The main canvas as an (height, width, 3) uint8 array from a real screenshot."""
    from PIL import Image

    png = driver.find_element("id", "view").screenshot_as_png
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def voxel_xy(driver, i: int, j: int) -> tuple[int, int]:
    """Canvas pixel of the centre of voxel (i, j) of the current slice."""
    x, y = driver.execute_script("return window.myomri.voxelToCanvas(arguments[0], arguments[1])", i, j)
    return int(x), int(y)


def set_range(driver, element_id: str, value) -> None:
    """Move a slider (or set an input) and fire its ``input`` and ``change`` events, as a user would."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('input')); e.dispatchEvent(new Event('change'));", element_id, str(value))


def _offset(driver, x: int, y: int) -> tuple[int, int]:
    # Selenium 4 offsets are from the element's centre
    w, h = driver.execute_script("const c = document.getElementById('view'); return [c.clientWidth, c.clientHeight]")
    return x - w // 2, y - h // 2


def stroke(driver, voxels) -> None:
    """Press the mouse on the first voxel's centre, move through the others, release (a brush stroke)."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_element("id", "view")
    chain = ActionChains(driver)
    x, y = _offset(driver, *voxel_xy(driver, *voxels[0]))
    chain.move_to_element_with_offset(canvas, x, y).click_and_hold()
    for v in voxels[1:]:
        chain.move_to_element_with_offset(canvas, *_offset(driver, *voxel_xy(driver, *v)))
    chain.release().perform()


def click_voxel(driver, i: int, j: int) -> None:
    """One click on the centre of voxel (i, j)."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_element("id", "view")
    ActionChains(driver).move_to_element_with_offset(canvas, *_offset(driver, *voxel_xy(driver, i, j))).click().perform()


def hover_voxel(driver, i: int, j: int) -> str:
    """Move the mouse over voxel (i, j) and return the read-out text."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_element("id", "view")
    ActionChains(driver).move_to_element_with_offset(canvas, *_offset(driver, *voxel_xy(driver, i, j))).perform()
    return driver.find_element("id", "readout").text


def choose(driver, element_id: str, value) -> None:
    """Pick an option of a ``<select>``."""
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", element_id)).select_by_value(str(value))
