"""The interactive latent planes (vaebook.explorer) in Debian's chromium: the pointer drives them, and they draw what
the Keras decoder draws.

Three readings of the same figure: a standalone HTML file written by ``LatentExplorer.save`` and opened from disk (the
"downloaded page" case, a small conditional decoder so that the class choice is driven too), chapter 7's page of the
built site (the trained 2-D VAE) and chapter 8's (the trained 2-D conditional VAE). Each page stores the image that
Keras decoded, in the run that built it, at a fixed latent point; the page's script must draw the same. Nothing is
fetched from the network. The frame time (one decoder pass in the page's script) is printed, never asserted.
"""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
from conftest import SITE
from test_site import KNOWN_THEME_ERRORS  # Jupyter Book 1's own theme errors, on every page

# Pixel probabilities: the script's float32 arithmetic in another order than Keras's.
PIXEL_TOLERANCE = 1e-4

READ_JS = """(root) => {
  const api = root.vaebookExplorer, d = api.digit, g = d.getContext('2d').getImageData(0, 0, d.width, d.height);
  const grey = []; for (let i = 0; i < g.data.length; i += 4) { grey.push(g.data[i]); }
  return {point: api.point(), pixels: Array.from(api.pixels()), grey: grey};
}"""

FRAME_JS = """(root) => {
  const api = root.vaebookExplorer, n = 50, t0 = performance.now();
  for (let i = 0; i < n; i++) { api.decode([Math.cos(i) * 2, Math.sin(i) * 2], i % 10); }
  return (performance.now() - t0) / n;
}"""


def _open(browser, url: str, allowed: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.route(re.compile(r"^(?!" + re.escape(allowed) + r"|data:|blob:|about:)"), lambda route: route.abort())
    page.on(
        "pageerror",
        lambda err: not str(f"uncaught: {err}").startswith(KNOWN_THEME_ERRORS) and errors.append(f"uncaught: {err}"),
    )
    # Requests elsewhere are blocked (chapter 7's animation asks for an icon font); the page's own must not fail.
    page.on("requestfailed", lambda r: r.url.startswith(allowed) and errors.append(f"failed {r.url}"))
    page.goto(url, wait_until="load")
    return page, errors


def _check(root) -> dict:
    check = json.loads(root.get_attribute("data-check"))
    check["pixels"] = np.frombuffer(base64.b64decode(check["pixels"]), dtype="<f4")
    return check


def _drive(page, root, check: dict) -> dict:
    """Move the pointer over the plane; decode the fixed point; return what was seen (asserting as it goes)."""
    root.scroll_into_view_if_needed()
    plane = root.locator("canvas.vx-plane")
    box = plane.bounding_box()
    readings = []
    for fx, fy in ((0.3, 0.4), (0.7, 0.6)):
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        page.wait_for_timeout(100)  # a requestAnimationFrame or two
        readings.append(root.evaluate(READ_JS))
    (first, second) = readings
    # The pointer sets the point: the left part of the plane is negative z1, the right part positive z1.
    assert first["point"][0] < 0 < second["point"][0], (first["point"], second["point"])
    grey_a, grey_b = np.array(first["grey"]), np.array(second["grey"])
    assert np.abs(grey_a - grey_b).max() >= 16, "moving the pointer did not change the drawn digit"
    # What the canvas shows is the decoded probability in grey (dark ink): 255 (1 − p), rounded.
    for reading in readings:
        np.testing.assert_allclose(np.array(reading["grey"]), 255 * (1 - np.array(reading["pixels"])), atol=0.51)

    # The fixed point: the page's forward pass against the Keras decoder's output stored by the run.
    label = check["label"] or 0
    decoded = np.array(root.evaluate("(r, a) => Array.from(r.vaebookExplorer.decode(a[0], a[1]))", [check["z"], label]))
    np.testing.assert_allclose(decoded, check["pixels"], atol=PIXEL_TOLERANCE)
    root.evaluate(
        "(r, a) => { r.vaebookExplorer.setLabel(a[1]); r.vaebookExplorer.moveTo(a[0]); }", [check["z"], label]
    )
    drawn = root.evaluate(READ_JS)
    np.testing.assert_allclose(np.array(drawn["grey"]), np.round(255 * (1 - check["pixels"])), atol=1)
    frame_ms = root.evaluate(FRAME_JS)
    return {"frame_ms": frame_ms, "readings": readings}


def test_standalone_page_follows_the_pointer_and_matches_keras(browser, tmp_path):
    import keras

    from vaebook.explorer import LatentExplorer
    from vaebook.models.mnist_architectures import build_mnist_decoder

    keras.utils.set_random_seed(0)
    decoder = build_mnist_decoder(latent_dim=2, filters=(16, 8), num_classes=10)
    rng = np.random.default_rng(0)
    # Untrained, every pixel is near 0.5: larger weights and random biases give images that vary with z.
    decoder.set_weights([3 * w if w.ndim > 1 else rng.normal(0, 0.5, w.shape) for w in decoder.get_weights()])
    explorer = LatentExplorer(
        decoder, rng.normal(size=(300, 2)), rng.integers(0, 10, 300), check_point=(1.3, -0.7), check_label=3
    )
    path = explorer.save(tmp_path / "explorer.html")
    page, errors = _open(browser, path.as_uri(), "file://")
    try:
        root = page.locator(".vaebook-explorer")
        assert root.count() == 1
        seen = _drive(page, root, _check(root))
        # The class choice: the same point, another class, another digit.
        before = np.array(root.evaluate(READ_JS)["grey"])
        root.locator("input[type=radio][value='7']").check()
        page.wait_for_timeout(50)
        after = np.array(root.evaluate(READ_JS)["grey"])
        assert np.abs(before - after).max() >= 16, "choosing another class did not change the drawn digit"
        print(f"standalone page: {seen['frame_ms']:.2f} ms per decoder pass, weights {explorer.weights_bytes} bytes")
        assert not errors, errors
    finally:
        page.close()


@pytest.mark.parametrize("chapter", ["07_", "08_"])
def test_chapter_latent_explorer(browser, site_url, chapter):
    """Chapter 7's latent plane of the d = 2 VAE, chapter 8's style plane of the d = 2 conditional VAE."""
    page_path = next(SITE.glob(f"chapters/{chapter}*.html"), None)
    assert page_path is not None, f"no chapter {chapter} page in {SITE}"
    page, errors = _open(browser, f"{site_url}/chapters/{page_path.name}", site_url)
    try:
        page.wait_for_load_state("networkidle")
        root = page.locator(".vaebook-explorer")
        assert root.count() == 1, f"{page_path.name} has no latent explorer (or more than one)"
        figure = page.locator("figure").filter(has=root)
        assert figure.count() == 1 and "Fig." in figure.locator("figcaption").inner_text(), "not a numbered figure"
        seen = _drive(page, root, _check(root))
        data = json.loads(root.locator("script.vaebook-explorer-data").text_content())
        if data["classes"]:
            before = np.array(root.evaluate(READ_JS)["grey"])
            root.locator("input[type=radio][value='7']").check()
            page.wait_for_timeout(50)
            assert np.abs(before - np.array(root.evaluate(READ_JS)["grey"])).max() >= 16, "the class choice did nothing"
        weights = len(base64.b64decode(data["weights"]))
        print(f"{page_path.name}: {seen['frame_ms']:.2f} ms per decoder pass; weights {weights} bytes")
        assert not errors, errors
    finally:
        page.close()
